//! Hardening, on SQLite and on Postgres: a person's key follows its owner on
//! every use; the client's address behind trusted proxies (and only trusted
//! ones) keys sign-in throttling; unpublished figures are shown only to those
//! who may read them, on every API and page that shows figures.

use axum::http::{Method, StatusCode};
use chrono::Utc;
use serde_json::{json, Value};

use app::model::Role;
use server::store::{data_sets, orgs, sessions, users};

use crate::support;
use crate::support::{call, Answer, TestApp};

const PASSWORD: &str = "a long enough password";

async fn department(app: &TestApp, dept: &str, service: &str) {
    let mut w = support::write(&app.store).await;
    let id = orgs::upsert_org(
        &mut w,
        &orgs::OrgForUpsert {
            slug: dept,
            title: dept,
            abbreviation: None,
            kind: orgs::OrgKind::Department,
            parent_id: None,
        },
    )
    .await
    .unwrap();
    support::done(w).await;
    let mut w = support::write(&app.store).await;
    orgs::upsert_service(
        &mut w,
        &orgs::ServiceForUpsert {
            slug: service,
            title: service,
            description: "",
            organisation_id: id,
        },
    )
    .await
    .unwrap();
    support::done(w).await;
}

/// A person with a password and a session: their id and session headers.
async fn person(app: &TestApp, email: &str, role: Role, org: &str) -> (i64, Vec<(String, String)>) {
    let user = support::add_user(
        &app.store,
        &server::store::users::NewUser {
            email,
            display_name: email,
            role,
            organisations: &[org.to_string()],
        },
        PASSWORD,
    )
    .await;
    let mut w = support::write(&app.store).await;
    let (session, token) = sessions::start(&mut w, user.id, "test", "test", Utc::now())
        .await
        .unwrap();
    support::done(w).await;
    (
        user.id,
        vec![
            ("cookie".into(), format!("pulse_session={token}")),
            ("x-csrf-token".into(), session.csrf_token),
        ],
    )
}

fn bearer(secret: &str) -> Vec<(String, String)> {
    vec![("authorization".into(), format!("Bearer {secret}"))]
}

/// What a key may still do: write records through `/data`, upload through
/// `/api/v1`, and set a target (`dashboards:write`) through `/api/v1`.
async fn uses(app: &TestApp, secret: &str) -> [StatusCode; 3] {
    let key = bearer(secret);
    let posted = call(
        app,
        Method::POST,
        "/data/svc-a/transactions",
        &key,
        Some(&json!([{"_timestamp": "2026-01-05T00:00:00Z", "count": 3}])),
    )
    .await;
    let mut headers: Vec<(&str, &str)> =
        key.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    headers.push(("content-type", "text/csv"));
    let uploaded = app
        .request(
            Method::POST,
            "/api/v1/data-sets/svc-a/transactions/upload?file_name=f.csv&store=true",
            &headers,
            b"_timestamp,count\n2026-01-12,4\n".to_vec(),
        )
        .await;
    let target = call(
        app,
        Method::POST,
        "/api/v1/targets",
        &key,
        Some(
            &json!({"service": "svc-a", "kpi": "completion_rate", "value": 0.8,
            "effective_from": "2026-01-01"}),
        ),
    )
    .await;
    [posted.status, uploaded.status, target.status]
}

async fn change_user(app: &TestApp, admin: &str, id: i64, change: Value) {
    let answer = app
        .send(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            admin,
            &change,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
}

async fn a_persons_key_follows_its_owner(app: TestApp) {
    department(&app, "dept-a", "svc-a").await;
    department(&app, "dept-b", "svc-b").await;
    let mut w = support::write(&app.store).await;
    let own_token = data_sets::create_with_token(
        &mut w,
        "svc-a",
        "transactions",
        None,
        &Default::default(),
        None,
        Utc::now(),
    )
    .await
    .unwrap()
    .bearer_token;
    support::done(w).await;
    let admin = app.admin_key().await;
    let (editor_id, editor) = person(&app, "editor@a.example", Role::Editor, "dept-a").await;
    let made = call(
        &app,
        Method::POST,
        "/api/v1/api-keys",
        &editor,
        Some(&json!({"name": "collector",
            "scopes": ["data-set:svc_a_transactions:write", "dashboards:write"]})),
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    let key = made.json()["secret"].as_str().unwrap().to_string();
    let ok = [StatusCode::OK, StatusCode::OK, StatusCode::CREATED];
    assert_eq!(uses(&app, &key).await, ok);

    // Made a viewer: it writes nothing.
    change_user(&app, &admin, editor_id, json!({"role": "viewer"})).await;
    assert_eq!(
        uses(&app, &key).await,
        [StatusCode::FORBIDDEN; 3],
        "a viewer's key"
    );
    let refused = call(
        &app,
        Method::POST,
        "/data/svc-a/transactions",
        &bearer(&key),
        Some(&json!({"_timestamp": "2026-01-05T00:00:00Z", "count": 1})),
    )
    .await;
    assert!(refused.json()["message"]
        .as_str()
        .unwrap()
        .contains("may no longer write"));
    change_user(&app, &admin, editor_id, json!({"role": "editor"})).await;
    assert_eq!(uses(&app, &key).await, ok, "an editor again");

    // Moved to another department: nothing of the old one's.
    change_user(
        &app,
        &admin,
        editor_id,
        json!({"organisations": ["dept-b"]}),
    )
    .await;
    assert_eq!(
        uses(&app, &key).await,
        [StatusCode::FORBIDDEN; 3],
        "moved out of dept-a"
    );
    change_user(
        &app,
        &admin,
        editor_id,
        json!({"organisations": ["dept-a"]}),
    )
    .await;
    assert_eq!(uses(&app, &key).await, ok, "back in dept-a");

    // Deactivated: the key is no key.
    change_user(&app, &admin, editor_id, json!({"active": false})).await;
    assert_eq!(
        uses(&app, &key).await,
        [StatusCode::UNAUTHORIZED; 3],
        "deactivated"
    );
    // The data set's own token belongs to the data set: it keeps writing.
    let own = call(
        &app,
        Method::POST,
        "/data/svc-a/transactions",
        &bearer(&own_token),
        Some(&json!({"_timestamp": "2026-01-19T00:00:00Z", "count": 5})),
    )
    .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.text());
    change_user(&app, &admin, editor_id, json!({"active": true})).await;
    assert_eq!(uses(&app, &key).await, ok, "reinstated");

    // An admin's admin key stops being one when its owner stops being an admin.
    let (admin_id, admin_person) =
        person(&app, "admin@example.gov.uk", Role::Admin, "dept-b").await;
    let made = call(
        &app,
        Method::POST,
        "/api/v1/api-keys",
        &admin_person,
        Some(&json!({"name": "everything", "scopes": ["admin"]})),
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    let admins = made.json()["secret"].as_str().unwrap().to_string();
    assert_eq!(uses(&app, &admins).await, ok, "an admin's key");
    change_user(&app, &admin, admin_id, json!({"role": "editor"})).await;
    assert_eq!(
        uses(&app, &admins).await,
        [StatusCode::FORBIDDEN; 3],
        "a demoted admin's admin key"
    );
}
both!(a_persons_key_follows_its_owner);

async fn sign_in_from(
    app: &TestApp,
    peer: &str,
    forwarded_for: Option<&str>,
    email: &str,
    password: &str,
) -> Answer {
    let mut headers = vec![("content-type", "application/json")];
    if let Some(f) = forwarded_for {
        headers.push(("x-forwarded-for", f));
    }
    app.request_from(
        Some(peer),
        Method::POST,
        "/api/v1/session",
        &headers,
        json!({"email": email, "password": password})
            .to_string()
            .into_bytes(),
    )
    .await
}

/// A viewer `email` (named by it) whose password is [`PASSWORD`].
async fn viewer(app: &TestApp, email: &str) {
    support::add_user(
        &app.store,
        &server::store::users::NewUser {
            email,
            display_name: email,
            role: Role::Viewer,
            organisations: &[],
        },
        PASSWORD,
    )
    .await;
}

async fn throttling_follows_the_client_behind_trusted_proxies_only(mut app: TestApp) {
    for email in ["kim@example.gov.uk", "lee@example.gov.uk"] {
        viewer(&app, email).await;
    }
    // No trusted proxies: X-Forwarded-For is not believed, the peer is the
    // client, whatever it claims.
    for i in 0..5 {
        let f = format!("192.0.2.{i}");
        let answer = sign_in_from(
            &app,
            "203.0.113.1:5000",
            Some(&f),
            "kim@example.gov.uk",
            "wrong",
        )
        .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    }
    let claimed = sign_in_from(
        &app,
        "203.0.113.1:5001",
        Some("192.0.2.99"),
        "kim@example.gov.uk",
        PASSWORD,
    )
    .await;
    assert_eq!(claimed.status, StatusCode::TOO_MANY_REQUESTS);
    // The account's owner, elsewhere, is not locked out.
    let elsewhere = sign_in_from(
        &app,
        "203.0.113.2:5000",
        None,
        "kim@example.gov.uk",
        PASSWORD,
    )
    .await;
    assert_eq!(elsewhere.status, StatusCode::OK, "{}", elsewhere.text());
    assert!(!elsewhere.header("set-cookie").contains("Secure"));

    // Behind a trusted proxy: the client it names is the client.
    app.trust_proxies("127.0.0.1/32");
    let proxy = "127.0.0.1:6000";
    for _ in 0..5 {
        let answer = sign_in_from(
            &app,
            proxy,
            Some("198.51.100.1"),
            "lee@example.gov.uk",
            "wrong",
        )
        .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    }
    let first = sign_in_from(
        &app,
        proxy,
        Some("198.51.100.1"),
        "lee@example.gov.uk",
        PASSWORD,
    )
    .await;
    assert_eq!(first.status, StatusCode::TOO_MANY_REQUESTS);
    // A forged left-hand entry changes nothing: the proxy's right-most one counts.
    let forged = sign_in_from(
        &app,
        proxy,
        Some("10.9.9.9, 198.51.100.1"),
        "lee@example.gov.uk",
        PASSWORD,
    )
    .await;
    assert_eq!(forged.status, StatusCode::TOO_MANY_REQUESTS);
    // The same person from a second address signs in.
    let second = sign_in_from(
        &app,
        proxy,
        Some("198.51.100.2"),
        "lee@example.gov.uk",
        PASSWORD,
    )
    .await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text());

    // Per address: twenty failures (any accounts) stop that client, not another.
    for i in 0..15 {
        let email = format!("nobody{i}@example.gov.uk");
        let answer = sign_in_from(&app, proxy, Some("198.51.100.1"), &email, "wrong").await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "failure {i}");
    }
    let stopped = sign_in_from(
        &app,
        proxy,
        Some("198.51.100.1"),
        "kim@example.gov.uk",
        PASSWORD,
    )
    .await;
    assert_eq!(stopped.status, StatusCode::TOO_MANY_REQUESTS);
    let other = sign_in_from(
        &app,
        proxy,
        Some("198.51.100.3"),
        "kim@example.gov.uk",
        PASSWORD,
    )
    .await;
    assert_eq!(other.status, StatusCode::OK, "{}", other.text());

    // Sessions remember the client's address, not the proxy's.
    let session = sessions::list_for_user(
        &app.store,
        users::find_by_email(&app.store, "kim@example.gov.uk")
            .await
            .unwrap()
            .unwrap()
            .user
            .id,
        Utc::now(),
    )
    .await
    .unwrap();
    assert!(
        session.iter().any(|s| s.address == "198.51.100.3"),
        "{session:?}"
    );
}
both!(throttling_follows_the_client_behind_trusted_proxies_only);

/// Sign-ins are counted by a client's IPv6 /64, as its connections are (one
/// machine is given a /64, and could otherwise try again from each of its
/// addresses); and an address longer than any account's is refused before
/// anything is counted or kept (a 2 MB address was written down with each
/// attempt, 8 MB of database a request).
async fn sign_ins_are_counted_by_the_ipv6_64_and_long_addresses_kept_nowhere(app: TestApp) {
    viewer(&app, "kim@example.gov.uk").await;
    for i in 1..=5 {
        let peer = format!("[2001:db8:1:2::{i}]:5000");
        let answer = sign_in_from(&app, &peer, None, "kim@example.gov.uk", "wrong").await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    }
    let same_64 = sign_in_from(
        &app,
        "[2001:db8:1:2:ffff::99]:5000",
        None,
        "kim@example.gov.uk",
        PASSWORD,
    )
    .await;
    assert_eq!(same_64.status, StatusCode::TOO_MANY_REQUESTS);
    let next_64 = sign_in_from(
        &app,
        "[2001:db8:1:3::1]:5000",
        None,
        "kim@example.gov.uk",
        PASSWORD,
    )
    .await;
    assert_eq!(next_64.status, StatusCode::OK, "{}", next_64.text());

    let attempts = || async {
        server::on_pool!(&app.store, |pool| sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM sign_in_attempts"
        )
        .fetch_one(pool)
        .await)
        .unwrap()
    };
    let before = attempts().await;
    let long = format!("{}@example.gov.uk", "a".repeat(1_000_000));
    let refused = sign_in_from(&app, "203.0.113.7:5000", None, &long, "wrong").await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let message = refused.json()["message"].as_str().unwrap().to_string();
    assert!(
        message.contains("longer than 254 characters") && message.len() < 300,
        "{message}"
    );
    let form = app
        .request_from(
            Some("203.0.113.7:5000"),
            Method::POST,
            "/api/v1/session",
            &[("content-type", "application/x-www-form-urlencoded")],
            format!("email={long}&password=wrong").into_bytes(),
        )
        .await;
    assert_eq!(form.status, StatusCode::SEE_OTHER);
    assert_eq!(form.header("location"), "/sign-in?error=credentials");
    assert_eq!(attempts().await, before, "an attempt was kept");
}
both!(sign_ins_are_counted_by_the_ipv6_64_and_long_addresses_kept_nowhere);

/// A sign-in goes only to a path of Pulse afterwards, never to another site
/// however `next` is disguised (a tab, which browsers drop from an address:
/// `/\t/evil.example` is `//evil.example`); and a form sent by another site's
/// page (`Sec-Fetch-Site`) signs no one in, so it cannot sign a visitor in as
/// its author. Programs, which send no such header, sign in as before.
async fn sign_ins_come_from_pulse_and_go_back_to_it(app: TestApp) {
    department(&app, "dept-a", "svc-a").await;
    person(&app, "ada@example.gov.uk", Role::Viewer, "dept-a").await;
    let form = |fetch_site: Option<&'static str>, next: &'static str| {
        let app = &app;
        async move {
            let mut headers = vec![("content-type", "application/x-www-form-urlencoded")];
            if let Some(site) = fetch_site {
                headers.push(("sec-fetch-site", site));
            }
            let body = format!("email=ada%40example.gov.uk&password={PASSWORD}&next={next}");
            app.request(
                Method::POST,
                "/api/v1/session",
                &headers,
                body.replace(' ', "+").into_bytes(),
            )
            .await
        }
    };
    for (site, next, location) in [
        (
            Some("same-origin"),
            "%2Fservices%3Fdepartment%3Ddept-a",
            "/services?department=dept-a",
        ),
        (Some("same-origin"), "%2F%09%2Fevil.example%2Flogin", "/"),
        (Some("same-origin"), "%2F%0A%2Fevil.example", "/"),
        (Some("same-origin"), "%2F%2Fevil.example", "/"),
        (None, "%2F%5Cevil.example", "/"),
    ] {
        let answer = form(site, next).await;
        assert_eq!(
            answer.status,
            StatusCode::SEE_OTHER,
            "{next}: {}",
            answer.text()
        );
        assert_eq!(answer.header("location"), location, "{next}");
        assert!(answer.header("set-cookie").starts_with("pulse_session="));
    }
    for site in ["cross-site", "same-site"] {
        let answer = form(Some(site), "%2F").await;
        assert_eq!(
            answer.status,
            StatusCode::FORBIDDEN,
            "{site}: {}",
            answer.text()
        );
        assert!(answer.headers.get("set-cookie").is_none(), "{site}");
        assert!(
            answer.text().contains("from its own pages only"),
            "{}",
            answer.text()
        );
        // Nor a code, an invitation or a new password from there.
        for uri in [
            "/api/v1/session/code",
            "/api/v1/invitation",
            "/api/v1/password-reset/complete",
        ] {
            let answer = app
                .request(
                    Method::POST,
                    uri,
                    &[
                        ("content-type", "application/x-www-form-urlencoded"),
                        ("sec-fetch-site", site),
                    ],
                    b"token=x&code=123456&password=x".to_vec(),
                )
                .await;
            assert_eq!(
                answer.status,
                StatusCode::FORBIDDEN,
                "{uri} {site}: {}",
                answer.text()
            );
        }
    }
}
both!(sign_ins_come_from_pulse_and_go_back_to_it);

/// A session in someone else's hands is no way to guess its password: wrong
/// current passwords (to change it, or to turn two factors off) count, and
/// after 5 in 15 minutes none is checked, a right one neither.
async fn a_stolen_session_cannot_guess_its_password(app: TestApp) {
    department(&app, "dept-a", "svc-a").await;
    let (_, ada) = person(&app, "ada@example.gov.uk", Role::Editor, "dept-a").await;
    let change = |current: &'static str| {
        let (app, ada) = (&app, ada.clone());
        async move {
            support::call(
                app,
                Method::PUT,
                "/api/v1/session/password",
                &ada,
                Some(&serde_json::json!({
                    "current_password": current,
                    "new_password": "a newer long password",
                })),
            )
            .await
        }
    };
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(change("not the password").await.status.as_u16());
    }
    let off = support::call(
        &app,
        Method::POST,
        "/api/v1/two-factor/off",
        &ada,
        Some(&serde_json::json!({"password": "nor this"})),
    )
    .await;
    statuses.push(off.status.as_u16());
    statuses.push(change("not the password").await.status.as_u16());
    let right = change(PASSWORD).await;
    assert_eq!(statuses, [403, 403, 403, 403, 403, 429], "{}", right.text());
    assert_eq!(
        right.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        right.text()
    );
    assert!(
        right.text().contains("Too many wrong passwords"),
        "{}",
        right.text()
    );
}
both!(a_stolen_session_cannot_guess_its_password);

/// The figures anyone may see of the service `slug`, through every API that
/// shows them: whether any figure of it is there.
async fn figures_shown(app: &TestApp, who: &[(String, String)], slug: &str) -> Vec<(String, bool)> {
    let get = |uri: String| async move {
        let answer = call(app, Method::GET, &uri, who, None).await;
        assert_eq!(answer.status, StatusCode::OK, "{uri}: {}", answer.text());
        answer.json()
    };
    let mut shown = Vec::new();
    let explorer = get("/api/v1/service-kpis".into()).await;
    let row = explorer["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"]["slug"] == slug)
        .unwrap()
        .clone();
    let explorer_has = [
        "transactions_per_year",
        "cost_per_transaction",
        "digital_take_up",
        "user_satisfaction",
        "completion_rate",
    ]
    .iter()
    .any(|k| !row[*k].is_null());
    shown.push(("/api/v1/service-kpis".to_string(), explorer_has));
    let page = get(format!("/api/v1/services/{slug}")).await;
    let page_has = !page["kpis"].as_array().unwrap().is_empty()
        || !page["transactions"]["channels"]
            .as_array()
            .unwrap()
            .is_empty()
        || !page["freshness"].as_array().unwrap().is_empty();
    shown.push((format!("/api/v1/services/{slug}"), page_has));
    let board = get(format!(
        "/api/v1/boards/{}",
        "department-of-revenue-and-benefits"
    ))
    .await;
    let row = board["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"]["slug"] == slug)
        .unwrap()
        .clone();
    let board_has = row["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| !k["value"].is_null() || !k["spark"].as_array().is_none_or(|s| s.is_empty()));
    shown.push(("/api/v1/boards/{org}".to_string(), board_has));
    for kpi in [
        "transactions",
        "user_satisfaction",
        "completion_rate",
        "cost_per_transaction",
    ] {
        let compared = get(format!("/api/v1/compare?services={slug}&kpi={kpi}")).await;
        let has = compared["services"][0]["values"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| !v.is_null());
        shown.push((format!("/api/v1/compare {kpi}"), has));
    }
    shown
}

async fn unpublished_figures_are_for_those_who_may_read_them(app: TestApp) {
    let app = support::with_demo_and_people(app).await;
    let slug = "check-your-state-pension";
    let admin = bearer(&app.admin_key().await);
    // Every data set of the service is unpublished.
    assert!(support::unpublish_service(&app, &admin, slug).await >= 4);
    let viewer = support::signed_in(&app, "viewer@demo.pulse.example").await;
    let viewer: Vec<(String, String)> = viewer.into_iter().filter(|(k, _)| k == "cookie").collect();
    // Every API that shows figures: none to the public, all to an admin and
    // to a viewer of the service's department.
    for (uri, has) in figures_shown(&app, &[], slug).await {
        assert!(!has, "{uri} shows unpublished figures to the public");
    }
    for who in [&admin, &viewer] {
        for (uri, has) in figures_shown(&app, who, slug).await {
            assert!(
                has,
                "{uri} hides the figures from someone who may read them"
            );
        }
    }
    // A viewer of another department sees what the public sees.
    let (_, outsider) = person(
        &app,
        "viewer@elsewhere.example",
        Role::Viewer,
        "department-for-civic-life",
    )
    .await;
    for (uri, has) in figures_shown(&app, &outsider, slug).await {
        assert!(!has, "{uri} shows another department's unpublished figures");
    }

    // The pages render through the same APIs: the service's figure is absent
    // for the public and present for the admin.
    let admin_view = call(
        &app,
        Method::GET,
        &format!("/api/v1/services/{slug}"),
        &admin,
        None,
    )
    .await;
    let tiles = admin_view.json()["kpis"].as_array().unwrap().clone();
    assert!(!tiles.is_empty());
    let service_page = format!("/services/{slug}");
    let public_page = app.get(&service_page).await.text();
    let admin_page = call(&app, Method::GET, &service_page, &admin, None)
        .await
        .text();
    assert!(
        admin_page.contains("Digital"),
        "the admin's page draws the channels"
    );
    for page in [
        "/services".to_string(),
        service_page.clone(),
        "/boards/department-of-revenue-and-benefits".into(),
        format!("/compare?services={slug}&kpi=transactions"),
    ] {
        let public = app.get(&page).await;
        assert_eq!(public.status, StatusCode::OK, "{page}");
        let admin = call(&app, Method::GET, &page, &admin, None).await;
        assert_eq!(admin.status, StatusCode::OK, "{page}");
        assert_ne!(public.text(), admin.text(), "{page}: the admin sees more");
    }
    // The service page's own figures: the admin's tiles' values, formatted as
    // the page formats them, are not on the public page.
    for tile in &tiles {
        let kpi: app::model::KpiKind = serde_json::from_value(tile["kpi"].clone()).unwrap();
        let value = tile["value"].as_f64();
        let text = app::kpi::format_value(value, kpi.unit());
        if value.is_some() && admin_page.contains(&text) {
            assert!(
                !public_page.contains(&text),
                "{text} is public on {service_page}"
            );
        }
    }

    // A public note on a module of an unpublished dashboard does not name it.
    let draft = json!({
        "slug": "pension-draft", "title": "Draft", "service": slug, "status": "unpublished",
        "modules": [{"type": "single_timeseries", "slug": "secret-module", "title": "Count",
            "data_set": format!("{slug}/transactions-by-channel"),
            "query": "period=week&duration=4&collect=count:sum"}]
    });
    let made = call(
        &app,
        Method::POST,
        "/api/v1/dashboards",
        &admin,
        Some(&draft),
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    let note = call(
        &app,
        Method::POST,
        "/api/v1/annotations",
        &admin,
        Some(
            &json!({"service": slug, "module": "pension-draft/secret-module",
            "starts_at": "2026-01-05T00:00:00Z", "text": "A public note", "tags": [],
            "visibility": "public"}),
        ),
    )
    .await;
    assert_eq!(note.status, StatusCode::CREATED, "{}", note.text());
    let id = note.json()["id"].as_i64().unwrap();
    for uri in [
        format!("/api/v1/annotations?service={slug}"),
        "/api/v1/annotations".to_string(),
        format!("/api/v1/annotations/{id}"),
        format!("/api/v1/annotations/{id}/versions"),
        format!("/services/{slug}"),
    ] {
        let public = app.get(&uri).await;
        assert!(
            !public.text().contains("pension-draft"),
            "{uri} names the unpublished dashboard: {}",
            public.text()
        );
        let admins = call(&app, Method::GET, &uri, &admin, None).await;
        if uri.starts_with("/api/v1/annotations?") || uri == format!("/api/v1/annotations/{id}") {
            assert!(
                admins.text().contains("pension-draft"),
                "{uri}: {}",
                admins.text()
            );
        }
    }
    assert_eq!(
        app.get(&format!("/api/v1/annotations/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    // Its module is no module to the public (as if it did not exist).
    let module = "/api/v1/annotations?module=pension-draft/secret-module";
    assert_eq!(app.get(module).await.status, StatusCode::NOT_FOUND);
    let admins = call(&app, Method::GET, module, &admin, None).await;
    assert_eq!(admins.status, StatusCode::OK);
    assert_eq!(admins.json()["annotations"].as_array().unwrap().len(), 1);
}
both!(unpublished_figures_are_for_those_who_may_read_them);

/// A data set's records have at most `MAX_FIELDS` field names between them:
/// it is held in memory a cell per record in each, so records that each
/// brought a name of their own (150,000 of them in a 10 MB write) took the
/// server's memory with them, on that write or on the next read by anyone.
/// Refused with the names that are new, through the write API, a patch and
/// an upload alike, and nothing is stored.
async fn a_data_set_has_at_most_a_hundred_fields(app: TestApp) {
    let max = server::domain::records::MAX_FIELDS;
    let token = app
        .data_set(json!({"data_group": "wide", "data_type": "fields", "published": true}))
        .await;
    let record = |from: usize, to: usize| -> Value {
        let mut fields = serde_json::Map::new();
        fields.insert("_timestamp".into(), json!("2026-01-05T00:00:00Z"));
        fields.insert("_id".into(), json!(format!("r{from}")));
        for n in from..to {
            fields.insert(format!("f{n:06}"), json!(n));
        }
        Value::Object(fields)
    };
    let write = |records: Value| {
        let (app, token) = (&app, &token);
        async move {
            app.send(Method::POST, "/data/wide/fields", token, &records)
                .await
        }
    };
    // One record a name each, 5,000 of them: refused at once.
    let flood: Vec<Value> = (0..5_000).map(|n| record(n, n + 1)).collect();
    let refused = write(json!(flood)).await;
    assert_eq!(
        refused.status,
        StatusCode::BAD_REQUEST,
        "{}",
        refused.text()
    );
    let message = refused.json()["message"].as_str().unwrap().to_string();
    assert!(
        message.contains("5,000 different fields (0 of them it has, 5,000 new: f000000, f000001")
            && message.contains("and 4,995 more")
            && message.contains(&format!("at most {max} between them"))
            && message.contains("Nothing was stored"),
        "{message}"
    );
    let stored = app.get("/data/wide/fields").await;
    assert_eq!(stored.json()["data"], json!([]), "{}", stored.text());

    // Up to the bound, across writes: 60 names, then 40 more, then one more.
    for (from, to) in [(0, 60), (60, max)] {
        let ok = write(json!([record(from, to)])).await;
        assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    }
    let one_more = write(json!([record(max, max + 1)])).await;
    assert_eq!(one_more.status, StatusCode::BAD_REQUEST);
    assert!(
        one_more.json()["message"]
            .as_str()
            .unwrap()
            .contains(&format!(
                "{} different fields ({max} of them it has, 1 new: f000100)",
                max + 1
            )),
        "{}",
        one_more.text()
    );
    // Names it has already are no new fields.
    let again = write(json!([record(10, 20)])).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text());

    // A patch that adds a name, and an upload of a file with one column more.
    let patched = app
        .send(
            Method::PATCH,
            "/data/wide/fields/r0",
            &token,
            &json!({"another": 1}),
        )
        .await;
    assert_eq!(
        patched.status,
        StatusCode::BAD_REQUEST,
        "{}",
        patched.text()
    );
    let auth = format!("Bearer {token}");
    let upload = |csv: String| {
        let auth = auth.clone();
        let app = &app;
        async move {
            app.request(
                Method::POST,
                "/api/v1/data-sets/wide/fields/upload?file_name=f.csv",
                &[
                    ("authorization", auth.as_str()),
                    ("content-type", "text/csv"),
                ],
                csv.into_bytes(),
            )
            .await
        }
    };
    let refused = upload("_timestamp,f000000,extra\n2026-01-12,1,2\n".into()).await;
    assert_eq!(
        refused.status,
        StatusCode::BAD_REQUEST,
        "{}",
        refused.text()
    );
    assert!(refused.json()["message"]
        .as_str()
        .unwrap()
        .contains("1 new: extra"));
    // A file of more columns than any data set may have is refused before
    // its rows are checked.
    let header: Vec<String> = (0..200_000).map(|n| format!("c{n}")).collect();
    let wide = upload(format!(
        "_timestamp,{}\n2026-01-12{}\n",
        header.join(","),
        ",".repeat(header.len())
    ))
    .await;
    assert_eq!(wide.status, StatusCode::BAD_REQUEST, "{}", wide.text());
    assert!(
        wide.json()["message"]
            .as_str()
            .unwrap()
            .contains("has 200,000 columns of fields"),
        "{}",
        wide.text()
    );
    // What was stored: the three records within the bound.
    let kept = app.get("/data/wide/fields?limit=5").await;
    assert_eq!(kept.json()["data"].as_array().unwrap().len(), 3);

    // A data set given more names before there was a bound (written here
    // past the API) keeps taking records of the names it has.
    let data_set = server::store::data_sets::find(&app.store, "wide", "fields")
        .await
        .unwrap()
        .unwrap();
    let mut fields = serde_json::Map::new();
    for n in 0..150 {
        fields.insert(format!("old{n:03}"), json!(n));
    }
    let old = server::store::records::Record {
        id: "old".into(),
        timestamp: chrono::Utc::now(),
        fields,
    };
    let mut w = support::write(&app.store).await;
    server::store::records::upsert_batch(
        &mut w,
        data_set.id,
        &[old],
        false,
        "tests",
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    support::done(w).await;
    let own = app
        .send(
            Method::POST,
            "/data/wide/fields",
            &token,
            &json!([{"_timestamp": "2026-01-12T00:00:00Z", "old001": 2, "f000003": 4}]),
        )
        .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.text());
}
both!(a_data_set_has_at_most_a_hundred_fields);

/// Sign-in attempts turned away leave nothing behind: a flood of new
/// addresses from one place, over its limit, once kept two rows an attempt
/// for a day (and each attempt then read every row to forget old ones).
async fn sign_ins_turned_away_keep_no_rows(app: TestApp) {
    let attempts = || async {
        server::on_pool!(&app.store, |pool| sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM sign_in_attempts"
        )
        .fetch_one(pool)
        .await)
        .unwrap()
    };
    let limit = server::domain::sessions::PER_ADDRESS;
    for i in 0..limit {
        let email = format!("nobody{i}@example.gov.uk");
        let answer = sign_in_from(&app, "203.0.113.9:5000", None, &email, "wrong").await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    }
    let counted = attempts().await;
    assert_eq!(
        counted,
        2 * limit + 1,
        "a row per address and its place, and the place"
    );
    for i in limit..limit + 30 {
        let email = format!("nobody{i}@example.gov.uk");
        let answer = sign_in_from(&app, "203.0.113.9:5000", None, &email, "wrong").await;
        assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    }
    assert_eq!(attempts().await, counted);
}
both!(sign_ins_turned_away_keep_no_rows);

/// A workbook of the parts a reader needs, its sheet's `rows` and its list
/// of texts, written by hand as no spreadsheet program would.
fn workbook_by_hand(rows: &str, shared: &str) -> Vec<u8> {
    use std::io::Write;
    let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    let relationships = "http://schemas.openxmlformats.org/package/2006/relationships";
    let office = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let parts = [
        (
            "[Content_Types].xml".to_string(),
            r#"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#
                .to_string(),
        ),
        (
            "_rels/.rels".into(),
            format!(
                r#"<Relationships xmlns="{relationships}"><Relationship Id="rId1" Type="{office}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
            ),
        ),
        (
            "xl/workbook.xml".into(),
            format!(
                r#"<workbook xmlns="{main}" xmlns:r="{office}"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#
            ),
        ),
        (
            "xl/_rels/workbook.xml.rels".into(),
            format!(
                r#"<Relationships xmlns="{relationships}"><Relationship Id="rId1" Type="{office}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#
            ),
        ),
        (
            "xl/worksheets/sheet1.xml".into(),
            format!(r#"<worksheet xmlns="{main}"><sheetData>{rows}</sheetData></worksheet>"#),
        ),
        ("xl/sharedStrings.xml".into(), shared.replace("MAIN", main)),
    ];
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, text) in parts {
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// An upload of a kilobyte could stop the server: the workbook reader made
/// room for as many texts as the file said it held (240 TB for
/// 10,000,000,000,000, and a failed allocation ends the process), and a
/// text of megabytes, shared by every cell or the name of a column copied
/// into every row, took gigabytes. Each is refused with its reason, nothing
/// is stored, and the server goes on answering.
async fn an_upload_cannot_take_the_servers_memory(app: TestApp) {
    let token = app
        .data_set(json!({"data_group": "bombs", "data_type": "sheets", "published": true}))
        .await;
    let auth = format!("Bearer {token}");
    let upload = |name: &'static str, bytes: Vec<u8>| {
        let auth = auth.clone();
        let app = &app;
        async move {
            app.request(
                Method::POST,
                &format!("/api/v1/data-sets/bombs/sheets/upload?file_name={name}&store=true"),
                &[("authorization", auth.as_str())],
                bytes,
            )
            .await
        }
    };
    let rows = r#"<row r="1"><c r="A1" t="inlineStr"><is><t>_timestamp</t></is></c><c r="B1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>2026-01-12</t></is></c><c r="B2" t="s"><v>1</v></c></row>"#;
    let bomb = workbook_by_hand(
        rows,
        r#"<sst xmlns="MAIN" uniqueCount="10000000000000"><si><t>label</t></si><si><t>a</t></si></sst>"#,
    );
    assert!(bomb.len() < 2_000, "{}", bomb.len());
    let refused = upload("counts.xlsx", bomb).await;
    assert_eq!(
        refused.status,
        StatusCode::BAD_REQUEST,
        "{}",
        refused.text()
    );
    assert!(
        refused.json()["message"]
            .as_str()
            .unwrap()
            .contains("it says it holds 10,000,000,000,000 different texts"),
        "{}",
        refused.text()
    );
    let long = workbook_by_hand(
        rows,
        &format!(
            r#"<sst xmlns="MAIN" uniqueCount="2"><si><t>label</t></si><si><t>{}</t></si></sst>"#,
            "x".repeat(3_000_000)
        ),
    );
    let refused = upload("long.xlsx", long).await;
    assert_eq!(
        refused.status,
        StatusCode::BAD_REQUEST,
        "{}",
        refused.text()
    );
    assert!(
        refused.json()["message"]
            .as_str()
            .unwrap()
            .ends_with("row 2: a cell holds 3.0 MB of text, more than the 1 MB a cell may have"),
        "{}",
        refused.text()
    );
    let mut named = format!("_timestamp,{}\n", "n".repeat(900_000));
    for day in 0..100 {
        named.push_str(&format!("2026-01-{:02},1\n", day % 28 + 1));
    }
    let refused = upload("named.csv", named.into_bytes()).await;
    assert_eq!(
        refused.status,
        StatusCode::BAD_REQUEST,
        "{}",
        refused.text()
    );
    assert!(
        refused.json()["message"]
            .as_str()
            .unwrap()
            .contains("its records would hold more than 64 MB of text"),
        "{}",
        refused.text()
    );
    // Nothing was stored, and the server answers.
    let kept = app.get("/data/bombs/sheets").await;
    assert_eq!(kept.status, StatusCode::OK);
    assert_eq!(kept.json()["data"].as_array().unwrap().len(), 0);
}
both!(an_upload_cannot_take_the_servers_memory);
