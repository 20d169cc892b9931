//! One write sequence: every change is one transaction holding the change, its
//! history rows and its audit row. When the audit row cannot be written, the
//! change is not kept either (and the tables in memory do not show it); when
//! it can again, both are kept.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support;
use crate::support::{call, TestApp};

/// Makes every insert into the audit log fail (or, with `refuse` false, lets
/// them through again).
async fn audit_log_refuses(app: &TestApp, refuse: bool) {
    use server::store::Db;
    match (app.store.db(), refuse) {
        (Db::Sqlite(pool), true) => {
            sqlx::query(
                "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log
                 BEGIN SELECT RAISE(ABORT, 'the audit log refuses this row'); END",
            )
            .execute(pool)
            .await
            .unwrap();
        }
        (Db::Sqlite(pool), false) => {
            sqlx::query("DROP TRIGGER refuse_audit")
                .execute(pool)
                .await
                .unwrap();
        }
        (Db::Postgres(pool), true) => {
            sqlx::query(
                "CREATE FUNCTION refuse_audit() RETURNS trigger AS $$
                 BEGIN RAISE EXCEPTION 'the audit log refuses this row'; END $$ LANGUAGE plpgsql",
            )
            .execute(pool)
            .await
            .unwrap();
            sqlx::query(
                "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log
                 FOR EACH ROW EXECUTE FUNCTION refuse_audit()",
            )
            .execute(pool)
            .await
            .unwrap();
        }
        (Db::Postgres(pool), false) => {
            sqlx::query("DROP TRIGGER refuse_audit ON audit_log")
                .execute(pool)
                .await
                .unwrap();
            sqlx::query("DROP FUNCTION refuse_audit()")
                .execute(pool)
                .await
                .unwrap();
        }
    }
}

async fn audit_rows(app: &TestApp) -> i64 {
    server::on_pool!(&app.store, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log"
    )
    .fetch_one(pool)
    .await)
    .unwrap()
}

async fn history_rows(app: &TestApp) -> i64 {
    server::on_pool!(&app.store, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM record_history"
    )
    .fetch_one(pool)
    .await)
    .unwrap()
}

/// The data set's records, as the read API (served from memory) has them.
async fn counts(app: &TestApp) -> Vec<i64> {
    let answer = app.get("/data/one-write/counts").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    answer.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["count"].as_i64().unwrap())
        .collect()
}

fn record(id: &str, count: i64) -> Value {
    json!([{"_id": id, "_timestamp": "2026-11-02T00:00:00Z", "count": count}])
}

async fn refused(answer: support::Answer, what: &str) {
    assert_eq!(
        answer.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{what}: {}",
        answer.text()
    );
}

async fn a_change_and_its_audit_row_are_kept_together(app: TestApp) {
    let admin = app.admin_key().await;
    let token = app
        .data_set(json!({"data_group": "one-write", "data_type": "counts", "published": true}))
        .await;
    let sent = app
        .send(
            Method::POST,
            "/data/one-write/counts",
            &token,
            &record("a", 1),
        )
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.text());
    assert_eq!(counts(&app).await, vec![1]);
    let audited = audit_rows(&app).await;
    let history = history_rows(&app).await;

    audit_log_refuses(&app, true).await;
    // Records (a new one, a correction, which writes history, a patch, a
    // delete and emptying the data set), then a dashboard, a key and a data
    // set's settings.
    let dashboard = json!({"slug": "one-write", "title": "One write", "status": "unpublished",
        "modules": []});
    let key = json!({"name": "never", "scopes": ["admin"], "expires_in_days": 1});
    let changes = [
        (
            Method::POST,
            "/data/one-write/counts",
            &token,
            record("b", 2),
            "a new record",
        ),
        (
            Method::POST,
            "/data/one-write/counts",
            &token,
            record("a", 10),
            "a correction",
        ),
        (
            Method::PATCH,
            "/data/one-write/counts/a",
            &token,
            json!({"count": 11}),
            "a patch",
        ),
        (
            Method::DELETE,
            "/data/one-write/counts/a",
            &token,
            Value::Null,
            "a deletion",
        ),
        (
            Method::PUT,
            "/data/one-write/counts",
            &token,
            json!([]),
            "emptying",
        ),
        (
            Method::POST,
            "/api/v1/dashboards",
            &admin,
            dashboard,
            "a dashboard",
        ),
        (Method::POST, "/api/v1/api-keys", &admin, key, "a key"),
        (
            Method::PATCH,
            "/api/v1/data-sets/one-write/counts",
            &admin,
            json!({"published": false}),
            "a data set's settings",
        ),
    ];
    for (method, uri, key, body, what) in changes {
        let who = [("authorization".to_string(), format!("Bearer {key}"))];
        let body = (!body.is_null()).then_some(&body);
        refused(call(&app, method, uri, &who, body).await, what).await;
    }
    audit_log_refuses(&app, false).await;

    assert_eq!(audit_rows(&app).await, audited, "no audit row was written");
    assert_eq!(
        history_rows(&app).await,
        history,
        "no history row was written"
    );
    assert_eq!(counts(&app).await, vec![1]);
    let admin_headers = [("authorization".to_string(), format!("Bearer {admin}"))];
    let missing = call(
        &app,
        Method::GET,
        "/api/v1/dashboards/one-write",
        &admin_headers,
        None,
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.text());
    let keys = call(&app, Method::GET, "/api/v1/api-keys", &admin_headers, None)
        .await
        .json();
    assert!(
        !keys.to_string().contains("\"never\""),
        "the key was not made: {keys}"
    );
    let set = call(
        &app,
        Method::GET,
        "/api/v1/data-sets/one-write/counts",
        &admin_headers,
        None,
    )
    .await
    .json();
    assert_eq!(set["published"], true, "{set}");
    assert_eq!(
        app.get("/data/one-write/counts").await.status,
        StatusCode::OK
    );

    // With the audit log back, the same correction is kept with its rows.
    let corrected = app
        .send(
            Method::POST,
            "/data/one-write/counts",
            &token,
            &record("a", 10),
        )
        .await;
    assert_eq!(corrected.status, StatusCode::OK, "{}", corrected.text());
    assert_eq!(counts(&app).await, vec![10]);
    assert_eq!(audit_rows(&app).await, audited + 1);
    assert_eq!(history_rows(&app).await, history + 1);
}

both!(a_change_and_its_audit_row_are_kept_together);

/// Publishing a dashboard publishes the data sets its modules read, in one
/// change with one audit row; refused as a whole when the audit row is.
async fn a_dashboard_is_published_with_the_data_sets_it_reads(app: TestApp) {
    let admin = app.admin_key().await;
    app.data_set(json!({"data_group": "one-write", "data_type": "counts"}))
        .await;
    app.data_set(json!({"data_group": "one-write", "data_type": "other"}))
        .await;
    let dashboard = json!({"slug": "one-write", "title": "One write", "status": "unpublished",
        "modules": [{"type": "single_timeseries", "slug": "count", "title": "Count",
            "data_set": "one-write/counts", "query": "period=week&duration=4&collect=count:sum"}]});
    let made = app
        .send(Method::POST, "/api/v1/dashboards", &admin, &dashboard)
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    let admin_headers = [("authorization".to_string(), format!("Bearer {admin}"))];
    let published = |name: &'static str| {
        let app = &app;
        let admin_headers = &admin_headers;
        async move {
            call(
                app,
                Method::GET,
                &format!("/api/v1/data-sets/one-write/{name}"),
                admin_headers,
                None,
            )
            .await
            .json()["published"]
                .as_bool()
                .unwrap()
        }
    };
    assert!(!published("counts").await);
    // The public cannot see it yet.
    assert_eq!(
        app.get("/api/v1/dashboards/one-write").await.status,
        StatusCode::NOT_FOUND
    );

    audit_log_refuses(&app, true).await;
    let answer = call(
        &app,
        Method::POST,
        "/api/v1/dashboards/one-write/publish",
        &admin_headers,
        None,
    )
    .await;
    refused(answer, "publishing").await;
    audit_log_refuses(&app, false).await;
    assert!(
        !published("counts").await,
        "the data set stayed unpublished"
    );
    assert_eq!(
        app.get("/api/v1/dashboards/one-write").await.status,
        StatusCode::NOT_FOUND
    );

    let audited = audit_rows(&app).await;
    let answer = call(
        &app,
        Method::POST,
        "/api/v1/dashboards/one-write/publish",
        &admin_headers,
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let done = answer.json();
    assert_eq!(done["dashboard"]["status"], "published", "{done}");
    assert_eq!(
        done["published_data_sets"],
        json!(["one-write/counts"]),
        "{done}"
    );
    assert!(published("counts").await);
    assert!(
        !published("other").await,
        "a data set no module reads is left alone"
    );
    assert_eq!(
        audit_rows(&app).await,
        audited + 1,
        "one change, one audit row"
    );
    assert_eq!(
        app.get("/api/v1/dashboards/one-write").await.status,
        StatusCode::OK
    );
    let read = app.get("/data/one-write/counts").await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text());
    // Nobody without the right may publish.
    let anonymous = call(
        &app,
        Method::POST,
        "/api/v1/dashboards/one-write/publish",
        &[],
        None,
    )
    .await;
    assert_eq!(
        anonymous.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        anonymous.text()
    );
}

both!(a_dashboard_is_published_with_the_data_sets_it_reads);

/// A password change ends the person's other sessions in the same change (on
/// SQLite a second writer beside the change would wait for it, and fail); a
/// sign-out is a change in the audit log too.
async fn a_password_change_ends_the_other_sessions(app: TestApp) {
    support::add_user(
        &app.store,
        &server::store::users::NewUser {
            email: "kathy@example.gov.uk",
            display_name: "Kathy",
            role: app::model::Role::Viewer,
            organisations: &[],
        },
        "a long enough password",
    )
    .await;
    let here = support::signed_in(&app, "kathy@example.gov.uk").await;
    let elsewhere = support::signed_in(&app, "kathy@example.gov.uk").await;
    let changed = call(
        &app,
        Method::PUT,
        "/api/v1/session/password",
        &here,
        Some(&json!({"current_password": "a long enough password",
                     "new_password": "another long password"})),
    )
    .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text());
    let gone = call(&app, Method::GET, "/api/v1/session", &elsewhere, None).await;
    let kept = call(&app, Method::GET, "/api/v1/session", &here, None).await;
    assert_eq!(
        kept.json()["user"]["email"],
        "kathy@example.gov.uk",
        "{}",
        kept.text()
    );
    assert!(
        gone.json()["user"].is_null(),
        "the other session ended: {}",
        gone.text()
    );
    let audited = audit_rows(&app).await;
    let out = call(&app, Method::POST, "/api/v1/session/sign-out", &here, None).await;
    assert_eq!(out.status, StatusCode::OK, "{}", out.text());
    assert_eq!(
        audit_rows(&app).await,
        audited + 1,
        "the sign-out is audited"
    );
}

both!(a_password_change_ends_the_other_sessions);

/// A service's dashboard with the data sets it reads (and the service, when
/// new) is one change with one audit row: all of it is made, or none of it.
async fn a_service_and_its_dashboard_are_made_in_one_change(app: TestApp) {
    let admin = app.admin_key().await;
    let admin_headers = [("authorization".to_string(), format!("Bearer {admin}"))];
    let department = json!({"slug": "dept-w", "title": "Department W", "kind": "department"});
    let made = app
        .send(Method::POST, "/api/v1/organisations", &admin, &department)
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    let wanted = json!({
        "kpis": ["transactions", "digital_take_up", "completion_rate"],
        "new_service": {"title": "Renew a permit", "organisation": "dept-w",
                        "description": "Permits, renewed."},
    });
    let uri = "/api/v1/services/renew-a-permit/dashboard";
    let audited = audit_rows(&app).await;

    audit_log_refuses(&app, true).await;
    refused(
        app.send(Method::POST, uri, &admin, &wanted).await,
        "the whole",
    )
    .await;
    audit_log_refuses(&app, false).await;
    assert_eq!(audit_rows(&app).await, audited);
    let service = call(
        &app,
        Method::GET,
        "/api/v1/services/renew-a-permit",
        &admin_headers,
        None,
    )
    .await;
    assert_eq!(
        service.status,
        StatusCode::NOT_FOUND,
        "no service: {}",
        service.text()
    );
    let sets = call(&app, Method::GET, "/api/v1/data-sets", &admin_headers, None)
        .await
        .json();
    assert!(
        !sets.to_string().contains("renew-a-permit"),
        "no data set: {sets}"
    );

    let answer = app.send(Method::POST, uri, &admin, &wanted).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    let made = answer.json();
    assert_eq!(made["created_service"], true);
    assert_eq!(made["dashboard"]["slug"], "renew-a-permit");
    assert_eq!(made["dashboard"]["title"], "Renew a permit");
    assert_eq!(made["dashboard"]["status"], "unpublished");
    let data_sets: Vec<&str> = made["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["data_set"].as_str().unwrap())
        .collect();
    assert_eq!(
        data_sets,
        [
            "renew-a-permit/transactions-by-channel",
            "renew-a-permit/completion-rate"
        ],
        "one data set per data type: {made}"
    );
    assert_eq!(
        audit_rows(&app).await,
        audited + 1,
        "one change, one audit row"
    );
    // Each token writes its data set.
    let token = made["tokens"][1]["bearer_token"].as_str().unwrap();
    let row = json!([{"_timestamp": "2026-11-02T00:00:00Z",
                      "stage": "start", "count": 10}]);
    let sent = app
        .send(
            Method::POST,
            "/data/renew-a-permit/completion-rate",
            token,
            &row,
        )
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.text());
    let stored = call(
        &app,
        Method::GET,
        "/api/v1/dashboards/renew-a-permit",
        &admin_headers,
        None,
    )
    .await;
    assert_eq!(stored.status, StatusCode::OK, "{}", stored.text());
    assert_eq!(stored.json(), made["dashboard"]);

    // A second dashboard of the same service keeps the data sets there are.
    let again =
        json!({"kpis": ["transactions", "user_satisfaction"], "dashboard": "renew-a-permit-2"});
    let answer = app.send(Method::POST, uri, &admin, &again).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    let made = answer.json();
    assert_eq!(made["created_service"], false);
    assert_eq!(
        made["existing"],
        json!(["renew-a-permit/transactions-by-channel"])
    );
    assert_eq!(
        made["tokens"][0]["data_set"],
        "renew-a-permit/user-satisfaction"
    );
    // Refusals say what is wrong, and make nothing.
    let before = audit_rows(&app).await;
    for (body, status, says) in [
        (json!({"kpis": []}), StatusCode::BAD_REQUEST, "at least one"),
        (
            json!({"kpis": ["happiness"]}),
            StatusCode::BAD_REQUEST,
            "\"happiness\" is not one of",
        ),
        (
            json!({"kpis": ["transactions"]}),
            StatusCode::CONFLICT,
            "already a dashboard at /renew-a-permit",
        ),
        (wanted.clone(), StatusCode::CONFLICT, "already exists"),
    ] {
        let answer = app.send(Method::POST, uri, &admin, &body).await;
        assert_eq!(answer.status, status, "{body}: {}", answer.text());
        let message = answer.json()["message"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(message.contains(says), "{body}: {message}");
    }
    let nowhere = app
        .send(
            Method::POST,
            "/api/v1/services/no-such-service/dashboard",
            &admin,
            &json!({"kpis": ["transactions"]}),
        )
        .await;
    assert_eq!(nowhere.status, StatusCode::NOT_FOUND, "{}", nowhere.text());
    assert_eq!(audit_rows(&app).await, before);
}

both!(a_service_and_its_dashboard_are_made_in_one_change);
