//! Annotations over HTTP (filters, who sees what, edits keeping versions,
//! deletes in the audit log, bad notes refused with nothing written), notes on
//! the server-rendered pages, and the unusual figures found in the demo data,
//! on SQLite and on Postgres.

use axum::http::{Method, StatusCode};
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{json, Value};

use server::demo;

use crate::support;
use crate::support::{call, signed_in, TestApp};

fn until() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap()
}

async fn with_demo(app: TestApp) -> TestApp {
    demo::load(&app.store, 7, until()).await.unwrap();
    app
}

fn texts(answer: &support::Answer) -> Vec<String> {
    answer.json()["annotations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["text"].as_str().unwrap().to_string())
        .collect()
}

async fn demo_users(app: &TestApp) {
    demo::users(&app.store, Some("demo password for tests"))
        .await
        .unwrap();
}

async fn notes_are_filtered_and_internal_ones_kept_inside(app: TestApp) {
    let app = with_demo(app).await;
    demo_users(&app).await;
    let editor = signed_in(&app, "editor@demo.pulse.example").await;

    // The demo has a public and an internal note on the tax return service.
    let anyone = app
        .get("/api/v1/annotations?service=file-a-tax-return")
        .await;
    assert_eq!(anyone.status, StatusCode::OK, "{}", anyone.text());
    assert_eq!(texts(&anyone).len(), 1, "{:?}", texts(&anyone));
    assert_eq!(anyone.json()["may_annotate"], false);
    let inside = call(
        &app,
        Method::GET,
        "/api/v1/annotations?service=file-a-tax-return",
        &editor,
        None,
    )
    .await;
    assert_eq!(texts(&inside).len(), 2);
    assert_eq!(inside.json()["may_annotate"], true);
    assert!(inside.json()["annotations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["visibility"] == "internal"));

    // Filters: by tag, time, data set and module; all of them, by time.
    let all = call(&app, Method::GET, "/api/v1/annotations", &editor, None).await;
    assert_eq!(texts(&all).len(), 3);
    assert_eq!(all.json()["may_annotate"], false, "no service, no answer");
    let staffing = call(
        &app,
        Method::GET,
        "/api/v1/annotations?tag=staffing",
        &editor,
        None,
    )
    .await;
    assert_eq!(texts(&staffing).len(), 1);
    assert!(texts(&staffing)[0].contains("Phone lines"));
    let outage = app.get("/api/v1/annotations?tag=OUTAGE").await;
    assert_eq!(texts(&outage).len(), 1, "tags match whatever their case");
    let recent = app
        .get("/api/v1/annotations?from=2026-01-01&to=2026-12-31T00:00:00Z")
        .await;
    assert_eq!(texts(&recent).len(), 1, "{:?}", texts(&recent));
    assert!(texts(&recent)[0].contains("2026 filing deadline"));
    let none = app.get("/api/v1/annotations?to=2020-01-01").await;
    assert!(texts(&none).is_empty());
    let by_data_set = app
        .get("/api/v1/annotations?data_set=claim-carers-support/transactions-by-channel")
        .await;
    assert_eq!(texts(&by_data_set).len(), 1);
    assert!(texts(&by_data_set)[0].contains("down for two days"));
    assert_eq!(
        by_data_set.json()["annotations"][0]["service"],
        "claim-carers-support"
    );
    let by_module = app
        .get("/api/v1/annotations?module=claim-carers-support/completion-rate")
        .await;
    assert_eq!(texts(&by_module).len(), 1);

    // Bad filters say what is wrong.
    for (query, status, message) in [
        ("from=yesterday", 400, "from must be a date"),
        ("data_set=nope", 400, "group/type"),
        ("data_set=nope/nothing", 404, "There is no data set"),
        ("module=file-a-tax-return", 400, "dashboard/module"),
        (
            "module=file-a-tax-return/nothing",
            404,
            "There is no module",
        ),
        ("service=nothing", 404, "There is no service"),
        (
            "colour=red",
            400,
            "a parameter `colour` that it may not have",
        ),
    ] {
        let answer = app.get(&format!("/api/v1/annotations?{query}")).await;
        assert_eq!(answer.status.as_u16(), status, "{query}: {}", answer.text());
        assert!(
            answer.text().contains(message),
            "{query}: {}",
            answer.text()
        );
    }
}
both!(notes_are_filtered_and_internal_ones_kept_inside);

async fn editors_write_edit_and_delete_notes_with_history_and_audit(app: TestApp) {
    let app = with_demo(app).await;
    demo_users(&app).await;
    let editor = signed_in(&app, "editor@demo.pulse.example").await;
    let viewer = signed_in(&app, "viewer@demo.pulse.example").await;
    let note = json!({
        "service": "claim-carers-support",
        "module": "claim-carers-support/completion-rate",
        "starts_at": "2026-03-02T00:00:00Z",
        "ends_at": "2026-03-15T00:00:00Z",
        "text": "A new question on page 3.\nSee https://example.gov.uk/change",
        "tags": ["form change"],
        "visibility": "public"
    });
    let refused = call(
        &app,
        Method::POST,
        "/api/v1/annotations",
        &viewer,
        Some(&note),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let mut no_token = editor.clone();
    no_token.retain(|(k, _)| k != "x-csrf-token");
    let refused = call(
        &app,
        Method::POST,
        "/api/v1/annotations",
        &no_token,
        Some(&note),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.text().contains("CSRF"));

    let made = call(
        &app,
        Method::POST,
        "/api/v1/annotations",
        &editor,
        Some(&note),
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    let made = made.json();
    let id = made["id"].as_i64().unwrap();
    assert_eq!(made["author"], "Robin Patel");
    assert_eq!(made["version"], 1);
    assert_eq!(made["tags"], json!(["form change"]));

    let mut changed = note.clone();
    changed["text"] = json!("A new question on page 3, since removed.");
    changed["visibility"] = json!("internal");
    let edited = call(
        &app,
        Method::PUT,
        &format!("/api/v1/annotations/{id}"),
        &editor,
        Some(&changed),
    )
    .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text());
    assert_eq!(edited.json()["version"], 2);
    assert_eq!(edited.json()["created_at"], made["created_at"]);

    // The earlier version is kept; now internal, the note is a 404 to visitors.
    let versions = call(
        &app,
        Method::GET,
        &format!("/api/v1/annotations/{id}/versions"),
        &viewer,
        None,
    )
    .await;
    assert_eq!(versions.status, StatusCode::OK);
    let versions = versions.json()["versions"].as_array().unwrap().clone();
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0]["version"], 1);
    assert!(versions[0]["text"]
        .as_str()
        .unwrap()
        .starts_with("A new question on page 3.\n"));
    assert_eq!(
        app.get(&format!("/api/v1/annotations/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    let seen = call(
        &app,
        Method::GET,
        &format!("/api/v1/annotations/{id}"),
        &viewer,
        None,
    )
    .await;
    assert_eq!(seen.status, StatusCode::OK);

    let gone = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/annotations/{id}"),
        &editor,
        None,
    )
    .await;
    assert_eq!(gone.status, StatusCode::OK, "{}", gone.text());
    let again = call(
        &app,
        Method::GET,
        &format!("/api/v1/annotations/{id}"),
        &editor,
        None,
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);

    // The audit log has all three, the delete with what the note said.
    let admin = app.admin_key().await;
    let log = app
        .request(
            Method::GET,
            &format!("/api/v1/audit?filter=annotation%20{id}"),
            &[("authorization", &format!("Bearer {admin}"))],
            Vec::new(),
        )
        .await
        .json();
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "annotation.delete",
            "annotation.replace",
            "annotation.create"
        ]
    );
    assert_eq!(
        log["entries"][0]["detail"]["text"],
        "A new question on page 3, since removed."
    );
    assert!(log["entries"][0]["actor"]
        .as_str()
        .unwrap()
        .contains("editor@demo.pulse.example"));
}
both!(editors_write_edit_and_delete_notes_with_history_and_audit);

async fn bad_notes_are_refused_with_reasons_and_nothing_is_written(app: TestApp) {
    let app = with_demo(app).await;
    let key = app.admin_key().await;
    let good = json!({
        "service": "file-a-tax-return",
        "starts_at": "2026-03-02T00:00:00Z",
        "text": "Fine"
    });
    let count = |answer: support::Answer| texts(&answer).len();
    let before = count(app.get("/api/v1/annotations").await);
    let with = |field: &str, value: Value| {
        let mut body = good.clone();
        body[field] = value;
        body
    };
    for (body, message) in [
        (with("text", json!("   ")), "Enter the text"),
        (
            with("text", json!("x".repeat(2001))),
            "2000 characters or fewer",
        ),
        (
            with("ends_at", json!("2026-01-01T00:00:00Z")),
            "on or after its start",
        ),
        (with("tags", json!(["<b>"])), "letters, digits"),
        (
            with("service", json!("nothing")),
            "There is no service `nothing`.",
        ),
        (
            with("module", json!("file-a-tax-return/nothing")),
            "has no module `nothing`.",
        ),
        (
            with("module", json!("register-a-birth/journey")),
            "has no dashboard `register-a-birth`.",
        ),
        (with("module", json!("journey")), "dashboard/module"),
        (
            with("visibility", json!("secret")),
            "must be one of `public`, `internal`",
        ),
        (with("starts_at", json!("March")), "starts_at"),
        (
            with("colour", json!("red")),
            "a field `colour` that it may not have",
        ),
        (
            json!({"service": "file-a-tax-return", "text": "no time"}),
            "The body needs a field `starts_at`",
        ),
    ] {
        let answer = app
            .send(Method::POST, "/api/v1/annotations", &key, &body)
            .await;
        // What names something that does not exist is a 404; a range that
        // ends before it starts (valid field by field) a 422; the rest a 400.
        let expected = if message.ends_with("`.") {
            StatusCode::NOT_FOUND
        } else if message == "on or after its start" {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::BAD_REQUEST
        };
        assert_eq!(answer.status, expected, "{body}: {}", answer.text());
        assert!(
            answer.text().contains(message),
            "{:?} should say {message:?}",
            answer.text()
        );
    }
    let broken = app
        .request(
            Method::POST,
            "/api/v1/annotations",
            &[
                ("authorization", &format!("Bearer {key}")),
                ("content-type", "application/json"),
            ],
            b"{\"service\": ".to_vec(),
        )
        .await;
    assert_eq!(broken.status, StatusCode::BAD_REQUEST);
    // An edit refused leaves the note as it was, without a new version.
    let made = app
        .send(Method::POST, "/api/v1/annotations", &key, &good)
        .await
        .json();
    let id = made["id"].as_i64().unwrap();
    let refused = app
        .send(
            Method::PUT,
            &format!("/api/v1/annotations/{id}"),
            &key,
            &with("text", json!("")),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let stored = app.get(&format!("/api/v1/annotations/{id}")).await.json();
    assert_eq!(stored["text"], "Fine");
    assert_eq!(stored["version"], 1);
    assert_eq!(made["author"], "API key \"tests\"");
    assert_eq!(count(app.get("/api/v1/annotations").await), before + 1);
}
both!(bad_notes_are_refused_with_reasons_and_nothing_is_written);

async fn pages_show_notes_as_text_and_only_to_those_who_may_read_them(app: TestApp) {
    let app = with_demo(app).await;
    demo_users(&app).await;
    let key = app.admin_key().await;
    let week = until() - Duration::weeks(3);
    let made = app
        .send(
            Method::POST,
            "/api/v1/annotations",
            &key,
            &json!({
                "service": "file-a-tax-return",
                "starts_at": week,
                "text": "<script>alert('x')</script> & <b>bold</b>\nsecond line https://example.gov.uk/a?b=1&c=2",
            }),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());

    let page = app.get("/file-a-tax-return").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(
        !html.contains("<script>alert"),
        "a note's markup must not reach the page"
    );
    assert!(
        html.contains(
            "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"
        ) || html.contains("&lt;script&gt;alert('x')&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"),
        "escaped text"
    );
    assert!(
        html.contains(r#"href="https://example.gov.uk/a?b=1&amp;c=2""#),
        "links are links"
    );
    assert!(html.contains("Notes on this chart"));
    // The public demo note shows; the internal one only to its organisation.
    assert!(html.contains("2026 filing deadline") || html.contains("filing deadline"));
    assert!(!html.contains("Phone lines were staffed"));
    let editor = signed_in(&app, "editor@demo.pulse.example").await;
    let headers: Vec<(&str, &str)> = editor
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let inside = app
        .request(
            Method::GET,
            "/file-a-tax-return/transactions-by-channel",
            &headers,
            Vec::new(),
        )
        .await
        .text();
    assert!(inside.contains("Phone lines were staffed"));
    assert!(inside.contains("Add a note"), "editors get the button");
    let outside = app
        .get("/file-a-tax-return/transactions-by-channel")
        .await
        .text();
    assert!(!outside.contains("Add a note"));
}
both!(pages_show_notes_as_text_and_only_to_those_who_may_read_them);

/// Every chart of every demo dashboard, as its page draws it: the periods and
/// series, and the unusual points found in each series.
async fn unusual_points_on_the_demo(
    app: &TestApp,
) -> Vec<(String, String, String, DateTime<Utc>, DateTime<Utc>, String)> {
    let mut found = Vec::new();
    let dashboards = app.get("/api/v1/dashboards").await.json();
    for d in dashboards["dashboards"].as_array().unwrap() {
        let dashboard: app::model::Dashboard = serde_json::from_value(d.clone()).unwrap();
        for module in app::modules::data_modules(&dashboard.modules) {
            let Some(request) =
                app::modules::module_request(module, &Default::default(), Utc::now())
            else {
                continue;
            };
            let rows = app.get(&request).await.json()["data"]
                .as_array()
                .unwrap()
                .clone();
            let Ok(figures) = app::modules::figures(module, &rows, DateTime::<Utc>::MAX_UTC) else {
                continue;
            };
            let Some((periods, series)) = app::notes::chart_series(&figures) else {
                continue;
            };
            // As the page judges them: over the year before them too.
            let history = match app::modules::with_year_before_request(&request, &periods) {
                Some(earlier) => {
                    let rows = app.get(&earlier).await.json()["data"]
                        .as_array()
                        .unwrap()
                        .clone();
                    app::modules::figures(module, &rows, DateTime::<Utc>::MAX_UTC)
                        .ok()
                        .as_ref()
                        .and_then(app::notes::chart_series)
                }
                None => None,
            };
            let unit = app::modules::unit(module);
            let flagged = app::notes::unexplained_figures(
                &[],
                &dashboard.slug,
                &module.slug,
                (&periods, &series),
                history.as_ref().map(|(p, s)| (p.as_slice(), s.as_slice())),
                unit,
                None,
            );
            for (name, u) in flagged {
                {
                    let p = periods[u.index];
                    let how = format!(
                        "{:.0} against {:.0}: score {:.1}",
                        u.value, u.expected, u.score
                    );
                    found.push((
                        dashboard.slug.clone(),
                        module.slug.clone(),
                        name.clone(),
                        p.start,
                        p.end,
                        how,
                    ));
                }
            }
        }
    }
    found
}

async fn the_demo_s_deliberate_events_are_found_and_ordinary_weeks_are_not(app: TestApp) {
    let app = with_demo(app).await;
    let found = unusual_points_on_the_demo(&app).await;
    let events = demo::deliberate_events(until());
    // Nothing ordinary is flagged: every unusual point lies in an event.
    let ordinary: Vec<_> = found
        .iter()
        .filter(|(service, _, _, start, end, _)| {
            !events
                .iter()
                .any(|(s, from, to, _)| s == service && start < to && from < end)
        })
        .collect();
    assert!(
        ordinary.is_empty(),
        "ordinary periods flagged: {ordinary:#?}"
    );
    // Every event is found on a chart of its service, but deadlines: a
    // deadline every January is seasonal (each chart is judged against the
    // year before it), so it is not flagged.
    let deadlines: Vec<_> = found
        .iter()
        .filter(|(service, _, _, start, end, _)| {
            events.iter().any(|(s, from, to, kind)| {
                *kind == "deadline" && s == service && start < to && from < end
            })
        })
        .collect();
    assert!(deadlines.is_empty(), "deadlines flagged: {deadlines:#?}");
    let missed: Vec<_> = events
        .iter()
        .filter(|(_, _, _, kind)| *kind != "deadline")
        .filter(|(s, from, to, _)| {
            !found
                .iter()
                .any(|(service, _, _, start, end, _)| s == service && start < to && from < end)
        })
        .collect();
    assert!(missed.is_empty(), "events not found: {missed:#?}");
}
both!(the_demo_s_deliberate_events_are_found_and_ordinary_weeks_are_not);
