//! The error contract of `/api/v1`: every refusal is JSON
//! (`{"status":"error","message":...}`) in words a person understands, the
//! caller is checked before the body, name collisions are 409s and bodies
//! over the limit 413s.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support;
use crate::support::{Answer, TestApp};

/// The answer is the JSON error body with this status, and its message
/// contains `words` (and none of serde's wording).
fn refused(answer: &Answer, status: StatusCode, words: &str) -> String {
    assert_eq!(answer.status, status, "{}", answer.text());
    assert!(
        answer
            .header("content-type")
            .starts_with("application/json"),
        "{status}: {}",
        answer.header("content-type")
    );
    let body = answer.json();
    assert_eq!(body["status"], "error", "{body}");
    let message = body["message"].as_str().unwrap().to_string();
    assert!(message.contains(words), "{message:?} lacks {words:?}");
    for serde in [
        "Failed to deserialize",
        "invalid type:",
        "missing field",
        "Failed to buffer",
        "target type",
    ] {
        assert!(!message.contains(serde), "{message:?}");
    }
    message
}

async fn post_json(app: &TestApp, uri: &str, key: Option<&str>, body: &str) -> Answer {
    let auth = key.map(|k| format!("Bearer {k}"));
    let mut headers = vec![("content-type", "application/json")];
    if let Some(auth) = &auth {
        headers.push(("authorization", auth.as_str()));
    }
    app.request(Method::POST, uri, &headers, body.as_bytes().to_vec())
        .await
}

async fn extractor_rejections_are_json_in_words(app: TestApp) {
    let key = app.admin_key().await;
    refused(
        &app.get("/api/v1/annotations/9223372036854775808").await,
        StatusCode::BAD_REQUEST,
        "`id` in the address must be a whole number",
    );
    refused(
        &app.get("/api/v1/annotations/abc").await,
        StatusCode::BAD_REQUEST,
        "not \"abc\"",
    );
    refused(
        &app.request(
            Method::GET,
            "/api/v1/audit?limit=99999999999999999999",
            &[("authorization", &format!("Bearer {key}"))],
            vec![],
        )
        .await,
        StatusCode::BAD_REQUEST,
        "`limit`",
    );
    refused(
        &app.get("/api/v1/annotations?nope=1").await,
        StatusCode::BAD_REQUEST,
        "`nope`",
    );
    refused(
        &post_json(&app, "/api/v1/annotations", Some(&key), "{}").await,
        StatusCode::BAD_REQUEST,
        "The body needs a field `service`",
    );
    refused(
        &post_json(&app, "/api/v1/annotations", Some(&key), "{\"service\":").await,
        StatusCode::BAD_REQUEST,
        "line 1 column",
    );
    refused(
        &post_json(&app, "/api/v1/organisations", Some(&key), "{\"slug\" 1}").await,
        StatusCode::BAD_REQUEST,
        "The body is not valid JSON: expected `:` at line 1 column 9",
    );
    refused(
        &post_json(&app, "/api/v1/portfolios", Some(&key), "[]").await,
        StatusCode::BAD_REQUEST,
        "The body must be a JSON object, not a list",
    );
    let auth = format!("Bearer {key}");
    refused(
        &app.request(
            Method::POST,
            "/api/v1/organisations",
            &[("authorization", &auth), ("content-type", "text/plain")],
            b"{}".to_vec(),
        )
        .await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "Content-Type: application/json",
    );
}
both!(extractor_rejections_are_json_in_words);

async fn unknown_routes_and_methods_under_the_api_are_json(app: TestApp) {
    refused(
        &app.get("/api/v1/no-such-thing").await,
        StatusCode::NOT_FOUND,
        "/api/v1/no-such-thing",
    );
    refused(
        &app.get("/api/v1/services/a/b/c").await,
        StatusCode::NOT_FOUND,
        "/api/openapi.json",
    );
    let answer = app
        .request(Method::PATCH, "/api/v1/services", &[], vec![])
        .await;
    refused(
        &answer,
        StatusCode::METHOD_NOT_ALLOWED,
        "does not take PATCH",
    );
    assert!(
        answer.header("allow").contains("GET"),
        "{:?}",
        answer.headers
    );
}
both!(unknown_routes_and_methods_under_the_api_are_json);

async fn the_caller_is_checked_before_the_body(app: TestApp) {
    for uri in [
        "/api/v1/data-sets",
        "/api/v1/annotations",
        "/api/v1/dashboards",
        "/api/v1/organisations",
        "/api/v1/services",
        "/api/v1/portfolios",
        "/api/v1/targets",
        "/api/v1/api-keys",
        "/api/v1/users",
    ] {
        for body in ["{", "{}", "[1]"] {
            refused(
                &post_json(&app, uri, None, body).await,
                StatusCode::UNAUTHORIZED,
                "",
            );
        }
        // Not JSON at all, and no caller: still the 401.
        let answer = app
            .request(
                Method::POST,
                uri,
                &[("content-type", "text/plain")],
                b"hello".to_vec(),
            )
            .await;
        refused(&answer, StatusCode::UNAUTHORIZED, "");
    }
    for (method, uri) in [
        (Method::PUT, "/api/v1/annotations/1"),
        (Method::PUT, "/api/v1/dashboards/x"),
        (Method::PUT, "/api/v1/portfolios/x"),
        (Method::PATCH, "/api/v1/data-sets/a/b"),
        (Method::PATCH, "/api/v1/users/1"),
        (Method::PUT, "/api/v1/session/password"),
    ] {
        let answer = app
            .request(
                method.clone(),
                uri,
                &[("content-type", "application/json")],
                b"{".to_vec(),
            )
            .await;
        refused(&answer, StatusCode::UNAUTHORIZED, "");
    }
}
both!(the_caller_is_checked_before_the_body);

async fn name_collisions_are_409s_naming_the_field(app: TestApp) {
    let key = app.admin_key().await;
    let new = json!({"data_group": "twice", "data_type": "figures"}).to_string();
    let first = post_json(&app, "/api/v1/data-sets", Some(&key), &new).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text());
    refused(
        &post_json(&app, "/api/v1/data-sets", Some(&key), &new).await,
        StatusCode::CONFLICT,
        "twice/figures already exists",
    );
    // The store's own unique constraints, whichever the database: a second
    // user with the same email.
    let user = json!({
        "email": "same@example.gov",
        "display_name": "Same",
        "role": "viewer",
        "password": "a long enough password",
    })
    .to_string();
    let first = post_json(&app, "/api/v1/users", Some(&key), &user).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text());
    let message = refused(
        &post_json(&app, "/api/v1/users", Some(&key), &user).await,
        StatusCode::CONFLICT,
        "",
    );
    assert!(message.contains("email"), "{message}");
}
both!(name_collisions_are_409s_naming_the_field);

/// A unique violation straight from the database is a 409 that names the
/// field, on SQLite and Postgres alike.
async fn unique_violations_from_the_database_name_the_field(app: TestApp) {
    let org = app::model::Organisation {
        slug: "dup-org".into(),
        title: "Duplicated".into(),
        kind: app::model::OrgKind::Department,
        parent: None,
        abbreviation: None,
    };
    let mut w = support::write(&app.store).await;
    server::domain::orgs::save_org(&mut w, &org).await.unwrap();
    support::done(w).await;
    let result = server::on_pool!(&app.store, |pool| sqlx::query(
        "INSERT INTO organisations (slug, title, kind) VALUES ($1, $2, $3)"
    )
    .bind("dup-org")
    .bind("Again")
    .bind("department")
    .execute(pool)
    .await
    .map(|_| ()));
    let error = server::error::Error::from(result.unwrap_err());
    assert_eq!(error.status(), StatusCode::CONFLICT);
    let response = axum::response::IntoResponse::into_response(error);
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("`slug`"),
        "{body}"
    );
}
both!(unique_violations_from_the_database_name_the_field);

async fn bodies_over_the_limit_are_413_at_once(app: TestApp) {
    let key = app.admin_key().await;
    let auth = format!("Bearer {key}");
    let big = vec![b' '; 11 * 1024 * 1024];
    for uri in ["/api/v1/organisations", "/api/v1/annotations"] {
        let answer = app
            .request(
                Method::POST,
                uri,
                &[
                    ("authorization", &auth),
                    ("content-type", "application/json"),
                ],
                big.clone(),
            )
            .await;
        refused(&answer, StatusCode::PAYLOAD_TOO_LARGE, "2 MiB");
    }
    // Declared too large: refused before a byte is read.
    let answer = app
        .request(
            Method::POST,
            "/api/v1/organisations",
            &[
                ("authorization", &auth),
                ("content-type", "application/json"),
                ("content-length", "11534336"),
            ],
            b"{}".to_vec(),
        )
        .await;
    refused(&answer, StatusCode::PAYLOAD_TOO_LARGE, "2 MiB");
    // Also where the route never reads a body, before any handler: a
    // nonexistent data set's token, anonymously, is still a 413.
    for (uri, auth) in [
        ("/api/v1/data-sets/nope/nothing/token", Some(auth.as_str())),
        ("/api/v1/services", None),
    ] {
        let mut headers = vec![
            ("content-type", "application/json"),
            ("content-length", "11534336"),
        ];
        if let Some(auth) = auth {
            headers.push(("authorization", auth));
        }
        let answer = app
            .request(Method::POST, uri, &headers, b"{}".to_vec())
            .await;
        refused(&answer, StatusCode::PAYLOAD_TOO_LARGE, "2 MiB");
    }
    // An upload's limit is its own (10 MiB).
    let answer = app
        .request(
            Method::POST,
            "/api/v1/data-sets/nope/nothing/upload",
            &[
                ("authorization", &auth),
                ("content-type", "text/csv"),
                ("content-length", "11534336"),
            ],
            b"a,b".to_vec(),
        )
        .await;
    refused(&answer, StatusCode::PAYLOAD_TOO_LARGE, "10 MiB");
    // A chunked body (no Content-Length) is stopped at the limit.
    let chunks = futures_util::stream::iter(
        (0..12).map(|_| Ok::<_, std::io::Error>(vec![b' '; 1024 * 1024])),
    );
    let request = axum::http::Request::builder()
        .method(Method::POST)
        .uri("/api/v1/organisations")
        .header("authorization", &auth)
        .header("content-type", "application/json")
        .body(axum::body::Body::from_stream(chunks))
        .unwrap();
    let response = tower::ServiceExt::oneshot(app.router.clone(), request)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}
both!(bodies_over_the_limit_are_413_at_once);

/// Numbers at the edges of what their types hold, from a caller with a key:
/// refused in words where they mean nothing, summed without wrapping round
/// where they are figures, and never the end of the server. (A workbook's
/// cells beyond a sheet's are `spreadsheet`'s unit tests, read as an upload
/// reads them.)
async fn numbers_at_the_edges_of_their_types_break_nothing(app: TestApp) {
    let app = support::with_demo_and_people(app).await;
    let key = app.admin_key().await;
    // A wait longer than a century is no expectation (and i64::MAX seconds
    // overflowed the sums that tell whether data is late).
    let too_long =
        json!({"data_group": "edges", "data_type": "figures", "max_age_expected": i64::MAX});
    refused(
        &post_json(&app, "/api/v1/data-sets", Some(&key), &too_long.to_string()).await,
        StatusCode::BAD_REQUEST,
        "max_age_expected must be a positive number of seconds up to 3155673600 (100 years)",
    );
    let token = app
        .data_set(json!({"data_group": "edges", "data_type": "figures", "max_age_expected": 3_155_673_600_i64}))
        .await;

    // Two of the largest whole numbers: their sum is a float, not -2.
    let records = json!([
        {"_timestamp": "2013-03-04T00:00:00Z", "group": "a", "num": i64::MAX},
        {"_timestamp": "2013-03-05T00:00:00Z", "group": "a", "num": i64::MAX},
    ]);
    let written = app
        .send(Method::POST, "/data/edges/figures", &token, &records)
        .await;
    assert_eq!(written.status, StatusCode::OK, "{}", written.text());
    let read = app
        .get("/data/edges/figures?group_by=group&collect=num:sum")
        .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text());
    assert_eq!(
        read.json()["data"][0]["num:sum"],
        json!(1.8446744073709552e19)
    );

    // Notes are in the years a chart can show, as records are: one in the
    // year 1, or near chrono's first and last days (where a note's period
    // is worked out beside time's end), was stored.
    for (starts, ends, part) in [
        ("-262143-01-01T00:00:00Z", None, "start"),
        ("0001-01-01T00:00:00Z", None, "start"),
        (
            "2013-03-04T00:00:00Z",
            Some("+262142-12-31T00:00:00Z"),
            "end",
        ),
        ("1899-12-31T23:59:59Z", None, "start"),
    ] {
        let note = json!({"service": "file-a-tax-return", "starts_at": starts, "ends_at": ends, "text": "edge"});
        refused(
            &post_json(&app, "/api/v1/annotations", Some(&key), &note.to_string()).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("The {part} of the note must be in the years 1900 to 2200"),
        );
    }
    let compared = app
        .get("/compare?services=file-a-tax-return&period=week")
        .await;
    assert_eq!(compared.status, StatusCode::OK);

    assert_eq!(app.get("/_status").await.status, StatusCode::OK);
}
both!(numbers_at_the_edges_of_their_types_break_nothing);
