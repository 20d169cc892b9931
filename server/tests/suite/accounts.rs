//! Accounts and authorization over HTTP, on SQLite and on Postgres: every route
//! walked with every kind of caller, signing in and out, CSRF, throttling, keys.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use axum::http::{Method, StatusCode};
use chrono::{Duration, Utc};
use serde_json::{json, Value};

use app::model::Role;
use server::store::{
    api_keys, data_sets, orgs, sessions,
    users::{self, NewUser},
};

use crate::support;
use crate::support::{Backend, TestApp};

const PASSWORD: &str = "a long enough password";

/// One Argon2id hash for every fixture user (hashing is slow on purpose).
fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| server::domain::users::hash_password(PASSWORD).unwrap())
}

/// The kinds of caller, in the order of the table's columns.
const CALLERS: [&str; 9] = [
    "anonymous",
    "viewer",
    "editor",
    "admin",
    "other organisation's editor",
    "key with the scope",
    "key without it",
    "expired key",
    "revoked key",
];

/// Two departments, each with a service, a data set and dashboards; a person of
/// each kind; keys.
struct Fixture {
    app: TestApp,
    /// Headers of each caller, in [`CALLERS`] order (the key with the scope is
    /// made per row).
    headers: Vec<Vec<(String, String)>>,
    viewer_id: i64,
    viewer_session: i64,
    viewer_key: i64,
    record_id: String,
    /// An internal note on svc-a.
    note_id: i64,
    /// The viewer's portfolio of svc-a and svc-b.
    portfolio_id: String,
    /// A target of svc-a.
    target_id: i64,
    /// An invitation the admin sent (its token `fixture-invitation-token`);
    /// the viewer has a password reset (`fixture-reset-token`).
    invitation_id: i64,
    /// The query of the viewer's link to stop e-mail.
    unsubscribe: String,
    /// The viewer's alert on svc-a.
    alert_id: i64,
    /// The viewer's weekly digest of dept-empty's board.
    digest_id: i64,
}

async fn person(
    app: &TestApp,
    email: &str,
    role: Role,
    org: &str,
) -> (i64, Vec<(String, String)>, i64) {
    let orgs: Vec<String> = if org.is_empty() {
        Vec::new()
    } else {
        vec![org.to_string()]
    };
    let mut w = support::write(&app.store).await;
    let user = users::create_with_hash(
        &mut w,
        &NewUser {
            email,
            display_name: email,
            role,
            organisations: &orgs,
        },
        password_hash(),
        Utc::now(),
    )
    .await
    .unwrap();
    support::done(w).await;
    let mut w = support::write(&app.store).await;
    let (session, token) = sessions::start(&mut w, user.id, "test", "test", Utc::now())
        .await
        .unwrap();
    support::done(w).await;
    (
        user.id,
        vec![
            ("cookie".into(), format!("pulse_session={token}")),
            ("x-csrf-token".into(), session.csrf_token.clone()),
        ],
        session.id,
    )
}

async fn key(
    app: &TestApp,
    scopes: &[&str],
    expires: Option<chrono::DateTime<Utc>>,
    revoked: bool,
) -> Vec<(String, String)> {
    let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
    let mut w = support::write(&app.store).await;
    let new = api_keys::create(&mut w, "fixture", &scopes, expires, None, Utc::now())
        .await
        .unwrap();
    support::done(w).await;
    if revoked {
        let mut w = support::write(&app.store).await;
        api_keys::revoke(&mut w, new.key.id, Utc::now())
            .await
            .unwrap();
        support::done(w).await;
    }
    vec![("authorization".into(), format!("Bearer {}", new.secret))]
}

fn dashboard(slug: &str, service: &str, status: &str) -> Value {
    json!({
        "slug": slug, "title": slug, "service": service, "status": status,
        "modules": [{"type": "single_timeseries", "slug": "count", "title": "Count",
            "data_set": format!("{service}/transactions"), "query": "period=week&duration=4&collect=count:sum"}]
    })
}

async fn fixture(backend: Backend) -> Fixture {
    let app = support::test_app(backend).await;
    let store = &app.store;
    for (dept, service) in [("dept-a", "svc-a"), ("dept-b", "svc-b")] {
        let mut w = support::write(store).await;
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
        let mut w = support::write(store).await;
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
        let mut w = support::write(store).await;
        data_sets::create_with_token(
            &mut w,
            service,
            "transactions",
            None,
            &data_sets::DataSetSettings {
                published: true,
                // Watched, so its reminders of late data can be paused.
                max_age_expected: Some(8 * 86_400),
                ..Default::default()
            },
            None,
            Utc::now(),
        )
        .await
        .unwrap();
        support::done(w).await;
    }
    let mut w = support::write(store).await;
    let empty = orgs::upsert_org(
        &mut w,
        &orgs::OrgForUpsert {
            slug: "dept-empty",
            title: "Empty",
            abbreviation: None,
            kind: orgs::OrgKind::Department,
            parent_id: None,
        },
    )
    .await
    .unwrap();
    support::done(w).await;
    let mut w = support::write(store).await;
    orgs::upsert_service(
        &mut w,
        &orgs::ServiceForUpsert {
            slug: "svc-empty",
            title: "Empty",
            description: "",
            organisation_id: empty,
        },
    )
    .await
    .unwrap();
    support::done(w).await;
    let mut w = support::write(store).await;
    orgs::upsert_org(
        &mut w,
        &orgs::OrgForUpsert {
            slug: "dept-spare",
            title: "Spare",
            abbreviation: None,
            kind: orgs::OrgKind::Department,
            parent_id: None,
        },
    )
    .await
    .unwrap();
    support::done(w).await;
    let admin_key = app.admin_key().await;
    let written = app
        .send(
            Method::POST,
            "/api/v1/dashboards",
            &admin_key,
            &dashboard("svc-a-draft", "svc-a", "unpublished"),
        )
        .await;
    assert_eq!(written.status, StatusCode::CREATED, "{}", written.text());
    let mut w = support::write(store).await;
    let token = api_keys::create(
        &mut w,
        "writer",
        &[api_keys::write_scope("svc_a_transactions")],
        None,
        None,
        Utc::now(),
    )
    .await
    .unwrap()
    .secret;
    support::done(w).await;
    let posted = app
        .send(
            Method::POST,
            "/data/svc-a/transactions",
            &token,
            &json!([{"_id": "r1", "_timestamp": "2026-01-05T00:00:00Z", "count": 3}]),
        )
        .await;
    assert_eq!(posted.status, StatusCode::OK, "{}", posted.text());

    let (viewer_id, viewer, viewer_session) =
        person(&app, "viewer@a.example", Role::Viewer, "dept-a").await;
    let (_, editor, _) = person(&app, "editor@a.example", Role::Editor, "dept-a").await;
    let (admin_id, admin, _) = person(&app, "admin@example.gov.uk", Role::Admin, "").await;
    let (_, other, _) = person(&app, "editor@b.example", Role::Editor, "dept-b").await;
    let mut w = support::write(store).await;
    let viewer_key = api_keys::create_owned(
        &mut w,
        "viewer's",
        &["read:unpublished".to_string()],
        None,
        None,
        Some(viewer_id),
        Utc::now(),
    )
    .await
    .unwrap()
    .key
    .id;
    support::done(w).await;
    // A key with a scope no row asks for.
    let without = key(&app, &["data-set:svc_b_transactions:write"], None, false).await;
    let expired = key(
        &app,
        &["admin"],
        Some(Utc::now() - Duration::days(1)),
        false,
    )
    .await;
    let revoked = key(&app, &["admin"], None, true).await;
    let mut w = support::write(store).await;
    let note_id = server::store::annotations::create(
        &mut w,
        &app::model::NewAnnotation {
            service: "svc-a".into(),
            module: None,
            starts_at: Utc::now(),
            ends_at: None,
            text: "Internal".into(),
            tags: Vec::new(),
            visibility: app::model::Visibility::Internal,
        },
        (None, "fixture"),
        Utc::now(),
    )
    .await
    .unwrap()
    .annotation
    .id;
    support::done(w).await;
    let mut w = support::write(store).await;
    let portfolio_id = server::store::portfolios::create(
        &mut w,
        &app::boards::NewPortfolio {
            title: "Viewer's".into(),
            services: vec!["svc-a".into(), "svc-b".into()],
        },
        (Some(viewer_id), "Viewer"),
        Utc::now(),
    )
    .await
    .unwrap()
    .id;
    support::done(w).await;
    let mut w = support::write(store).await;
    let target_id = server::store::targets::set(
        &mut w,
        &app::boards::NewTarget {
            service: "svc-a".into(),
            kpi: app::model::KpiKind::DigitalTakeUp,
            value: 0.8,
            effective_from: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        },
        "fixture",
        Utc::now(),
    )
    .await
    .unwrap()
    .id;
    support::done(w).await;
    let mut w = support::write(store).await;
    let invitation_id = server::store::invitations::create(
        &mut w,
        &server::store::invitations::NewInvitation {
            email: "invited@a.example",
            display_name: "Invited",
            role: Role::Viewer,
            organisations: &["dept-a".to_string()],
            invited_by: Some(admin_id),
            inviter_name: "Admin",
            expires_at: Utc::now() + Duration::days(7),
        },
        "fixture-invitation-token",
        Utc::now(),
    )
    .await
    .unwrap()
    .id;
    server::store::invitations::create_reset(
        &mut w,
        viewer_id,
        "fixture-reset-token",
        Utc::now() + Duration::hours(1),
        Utc::now(),
    )
    .await
    .unwrap();
    support::done(w).await;
    let mut w = support::write(store).await;
    let alert_id = server::store::alerts::create(
        &mut w,
        &server::store::alerts::NewStored {
            user_id: viewer_id,
            service_id: orgs::service_id(store, "svc-a").await.unwrap().unwrap(),
            kpi: app::model::KpiKind::DigitalTakeUp,
            rule: app::model::AlertRule::Unusual,
            threshold: None,
            checked_through: None,
        },
        Utc::now(),
    )
    .await
    .unwrap();
    support::done(w).await;
    let mut w = support::write(store).await;
    let digest_id =
        server::store::digests::create(&mut w, viewer_id, "dept-empty", Utc::now(), Utc::now())
            .await
            .unwrap()
            .unwrap();
    support::done(w).await;
    let unsubscribe =
        server::domain::mail::unsubscribe_link(store, &Default::default(), "viewer@a.example")
            .await
            .unwrap();
    Fixture {
        alert_id,
        digest_id,
        invitation_id,
        unsubscribe: unsubscribe.split_once('?').unwrap().1.to_string(),
        app,
        headers: vec![
            Vec::new(),
            viewer,
            editor,
            admin,
            other,
            Vec::new(),
            without,
            expired,
            revoked,
        ],
        viewer_id,
        viewer_session,
        viewer_key,
        record_id: "r1".into(),
        note_id,
        portfolio_id,
        target_id,
    }
}

/// One route: its method and path as the OpenAPI document names them, a
/// concrete path and body, the scope the "key with the scope" has, and the
/// status each caller gets, in [`CALLERS`] order.
struct Row {
    method: &'static str,
    template: &'static str,
    path: &'static str,
    body: Value,
    scope: &'static str,
    expect: [u16; 9],
}

const ALL_200: [u16; 9] = [200; 9];
/// Admins (and admin keys) only.
const ADMIN: [u16; 9] = [401, 403, 403, 200, 403, 200, 403, 401, 401];
const ADMIN_201: [u16; 9] = [401, 403, 403, 201, 403, 201, 403, 401, 401];
/// Anyone, but a key that is not valid is refused.
const OPEN: [u16; 9] = [200, 200, 200, 200, 200, 200, 200, 401, 401];
/// The Backdrop write API: a key with the data set's write scope only.
const WRITE: [u16; 9] = [401, 401, 401, 401, 401, 200, 401, 401, 401];
/// A signed-in person's own business.
const PERSON: [u16; 9] = [401, 200, 200, 200, 200, 401, 401, 401, 401];
/// Admins, and editors (and keys) of the service's organisation.
const MANAGE: [u16; 9] = [401, 403, 200, 200, 403, 200, 403, 401, 401];
const MANAGE_201: [u16; 9] = [401, 403, 201, 201, 403, 201, 403, 401, 401];
/// Admins, editors (their own), and admin keys.
const INVITERS: [u16; 9] = [401, 403, 200, 200, 200, 200, 403, 401, 401];
/// What an e-mail's link does: anyone holding it.
const ALL_202: [u16; 9] = [202; 9];

fn rows() -> Vec<Row> {
    let data = "data-set:svc_a_transactions:write";
    let record = json!([{"_timestamp": "2026-01-12T00:00:00Z", "count": 1}]);
    let draft = dashboard("svc-a-draft", "svc-a", "unpublished");
    let row = |method, template, path, body, scope, expect| Row {
        method,
        template,
        path,
        body,
        scope,
        expect,
    };
    vec![
        row("get", "/_status", "/_status", Value::Null, "admin", ALL_200),
        row(
            "get",
            "/_status/ready",
            "/_status/ready",
            Value::Null,
            "admin",
            ALL_200,
        ),
        row(
            "get",
            "/_status/data-sets",
            "/_status/data-sets",
            Value::Null,
            "admin",
            ALL_200,
        ),
        row(
            "get",
            "/api/openapi.json",
            "/api/openapi.json",
            Value::Null,
            "admin",
            ALL_200,
        ),
        row(
            "get",
            "/api/v1/live/{group}/{data_type}",
            "/api/v1/live/svc-a/transactions",
            Value::Null,
            "admin",
            OPEN,
        ),
        row(
            "get",
            "/data/{group}/{data_type}",
            "/data/svc-a/transactions",
            Value::Null,
            data,
            ALL_200,
        ),
        row(
            "options",
            "/data/{group}/{data_type}",
            "/data/svc-a/transactions",
            Value::Null,
            data,
            ALL_200,
        ),
        row(
            "post",
            "/data/{group}/{data_type}",
            "/data/svc-a/transactions",
            record,
            data,
            WRITE,
        ),
        row(
            "put",
            "/data/{group}/{data_type}",
            "/data/svc-a/transactions",
            json!([]),
            data,
            WRITE,
        ),
        row(
            "delete",
            "/data/{group}/{data_type}/{id}",
            "/data/svc-a/transactions/{record}",
            Value::Null,
            data,
            WRITE,
        ),
        row(
            "patch",
            "/data/{group}/{data_type}/{id}",
            "/data/svc-a/transactions/{record}",
            json!({"count": 5}),
            data,
            WRITE,
        ),
        row(
            "get",
            "/api/v1/services",
            "/api/v1/services",
            Value::Null,
            "admin",
            ALL_200,
        ),
        row(
            "get",
            "/api/v1/services/{slug}",
            "/api/v1/services/svc-a",
            Value::Null,
            "admin",
            OPEN,
        ),
        row(
            "get",
            "/api/v1/service-kpis",
            "/api/v1/service-kpis",
            Value::Null,
            "admin",
            OPEN,
        ),
        row(
            "post",
            "/api/v1/services",
            "/api/v1/services",
            json!({"slug": "svc-new", "title": "New", "organisation": "dept-a"}),
            "dashboards:write",
            MANAGE_201,
        ),
        row(
            "put",
            "/api/v1/services/{slug}",
            "/api/v1/services/svc-a",
            json!({"slug": "svc-a", "title": "A", "organisation": "dept-a"}),
            "admin",
            ADMIN,
        ),
        row(
            "delete",
            "/api/v1/services/{slug}",
            "/api/v1/services/svc-empty",
            Value::Null,
            "admin",
            ADMIN,
        ),
        row(
            "get",
            "/api/v1/organisations",
            "/api/v1/organisations",
            Value::Null,
            "admin",
            ALL_200,
        ),
        row(
            "post",
            "/api/v1/organisations",
            "/api/v1/organisations",
            json!({"slug": "dept-new", "title": "New", "kind": "department"}),
            "admin",
            ADMIN_201,
        ),
        row(
            "get",
            "/api/v1/organisations/{slug}",
            "/api/v1/organisations/dept-a",
            Value::Null,
            "admin",
            ALL_200,
        ),
        row(
            "put",
            "/api/v1/organisations/{slug}",
            "/api/v1/organisations/dept-a",
            json!({"slug": "dept-a", "title": "A", "kind": "department"}),
            "admin",
            ADMIN,
        ),
        row(
            "delete",
            "/api/v1/organisations/{slug}",
            "/api/v1/organisations/dept-spare",
            Value::Null,
            "admin",
            ADMIN,
        ),
        row(
            "get",
            "/api/v1/data-sets",
            "/api/v1/data-sets",
            Value::Null,
            "dashboards:write",
            // Editors see their services' data sets (dept-b's editor too).
            [401, 403, 200, 200, 200, 200, 403, 401, 401],
        ),
        row(
            "post",
            "/api/v1/data-sets",
            "/api/v1/data-sets",
            json!({"data_group": "svc-a", "data_type": "more", "from_type": "journey"}),
            "dashboards:write",
            MANAGE_201,
        ),
        row(
            "get",
            "/api/v1/data-sets/{group}/{data_type}",
            "/api/v1/data-sets/svc-a/transactions",
            Value::Null,
            "dashboards:write",
            MANAGE,
        ),
        row(
            "patch",
            "/api/v1/data-sets/{group}/{data_type}",
            "/api/v1/data-sets/svc-a/transactions",
            json!({"published": false}),
            "dashboards:write",
            MANAGE,
        ),
        row(
            "delete",
            "/api/v1/data-sets/{group}/{data_type}",
            "/api/v1/data-sets/svc-b/transactions",
            Value::Null,
            "admin",
            ADMIN,
        ),
        row(
            "post",
            "/api/v1/data-sets/{group}/{data_type}/token",
            "/api/v1/data-sets/svc-a/transactions/token",
            Value::Null,
            "dashboards:write",
            MANAGE,
        ),
        row(
            "get",
            "/api/v1/data-sets/{group}/{data_type}/history",
            "/api/v1/data-sets/svc-a/transactions/history",
            Value::Null,
            // The data set's writer reads its history too.
            "data-set:svc_a_transactions:write",
            MANAGE,
        ),
        row(
            "post",
            "/api/v1/data-sets/{group}/{data_type}/upload",
            "/api/v1/data-sets/svc-a/transactions/upload?file_name=f.csv",
            // A string body is sent as it is, as CSV.
            json!("_timestamp,count\n2026-01-12T00:00:00Z,1\n"),
            "data-set:svc_a_transactions:write",
            MANAGE,
        ),
        row(
            "get",
            "/api/v1/guide",
            "/api/v1/guide?q=upload",
            Value::Null,
            "admin",
            OPEN,
        ),
        row(
            "get",
            "/api/v1/guide/{page}",
            "/api/v1/guide/send-data",
            Value::Null,
            "admin",
            OPEN,
        ),
        row(
            "get",
            "/api/v1/data-types",
            "/api/v1/data-types",
            Value::Null,
            "admin",
            OPEN,
        ),
        row(
            "get",
            "/api/v1/data-types/{name}",
            "/api/v1/data-types/journey",
            Value::Null,
            "admin",
            OPEN,
        ),
        row(
            "get",
            "/api/v1/data-types/{name}/template.csv",
            "/api/v1/data-types/journey/template.csv",
            Value::Null,
            "admin",
            OPEN,
        ),
        row(
            "get",
            "/api/v1/dashboards",
            "/api/v1/dashboards",
            Value::Null,
            "read:unpublished",
            OPEN,
        ),
        row(
            "post",
            "/api/v1/dashboards",
            "/api/v1/dashboards",
            dashboard("svc-a-new", "svc-a", "unpublished"),
            "dashboards:write",
            [401, 403, 201, 201, 403, 201, 403, 401, 401],
        ),
        // Unpublished: only those who may read unpublished data of its organisation.
        row(
            "get",
            "/api/v1/dashboards/{slug}",
            "/api/v1/dashboards/svc-a-draft",
            Value::Null,
            "read:unpublished",
            [404, 200, 200, 200, 404, 200, 404, 401, 401],
        ),
        row(
            "get",
            "/api/v1/dashboards/{slug}/freshness",
            "/api/v1/dashboards/svc-a-draft/freshness",
            Value::Null,
            "read:unpublished",
            [404, 200, 200, 200, 404, 200, 404, 401, 401],
        ),
        row(
            "put",
            "/api/v1/dashboards/{slug}",
            "/api/v1/dashboards/svc-a-draft",
            draft,
            "dashboards:write",
            [401, 403, 200, 200, 403, 200, 403, 401, 401],
        ),
        // A service's first dashboard, with the data sets it reads, in one
        // change: the service's organisation's editors, admins and keys with
        // `dashboards:write`.
        row(
            "post",
            "/api/v1/services/{slug}/dashboard",
            "/api/v1/services/svc-a/dashboard",
            json!({"kpis": ["transactions", "completion_rate"], "dashboard": "svc-a-made"}),
            "dashboards:write",
            [401, 403, 201, 201, 403, 201, 403, 401, 401],
        ),
        // Publishing: its organisation's editors, admins and keys with
        // `dashboards:write`; another organisation's editor does not see it.
        row(
            "post",
            "/api/v1/dashboards/{slug}/publish",
            "/api/v1/dashboards/svc-a-draft/publish",
            Value::Null,
            "dashboards:write",
            [401, 403, 200, 200, 404, 200, 403, 401, 401],
        ),
        row(
            "delete",
            "/api/v1/dashboards/{slug}",
            "/api/v1/dashboards/svc-a-draft",
            Value::Null,
            "dashboards:write",
            [401, 403, 200, 200, 404, 200, 403, 401, 401],
        ),
        // Notes: an internal one of svc-a is read by dept-a and those who may
        // read unpublished data (or write notes) everywhere; written by dept-a's
        // editors, admins and keys with `annotations:write`.
        row(
            "get",
            "/api/v1/annotations",
            "/api/v1/annotations?service=svc-a",
            Value::Null,
            "read:unpublished",
            OPEN,
        ),
        row(
            "post",
            "/api/v1/annotations",
            "/api/v1/annotations",
            json!({"service": "svc-a", "starts_at": "2026-01-05T00:00:00Z", "text": "A note"}),
            "annotations:write",
            [401, 403, 201, 201, 403, 201, 403, 401, 401],
        ),
        row(
            "get",
            "/api/v1/annotations/{id}",
            "/api/v1/annotations/{note}",
            Value::Null,
            "read:unpublished",
            [404, 200, 200, 200, 404, 200, 404, 401, 401],
        ),
        row(
            "get",
            "/api/v1/annotations/{id}/versions",
            "/api/v1/annotations/{note}/versions",
            Value::Null,
            "annotations:write",
            [404, 200, 200, 200, 404, 200, 404, 401, 401],
        ),
        row(
            "put",
            "/api/v1/annotations/{id}",
            "/api/v1/annotations/{note}",
            json!({"service": "svc-a", "starts_at": "2026-01-05T00:00:00Z", "text": "Edited",
                "visibility": "internal"}),
            "annotations:write",
            [401, 403, 200, 200, 404, 200, 403, 401, 401],
        ),
        row(
            "delete",
            "/api/v1/annotations/{id}",
            "/api/v1/annotations/{note}",
            Value::Null,
            "annotations:write",
            [401, 403, 200, 200, 404, 200, 403, 401, 401],
        ),
        // Boards, portfolios, targets and comparisons: boards and comparisons
        // are public; anyone signed in (or with a key) saves a portfolio, and
        // only its owner (the viewer) or an admin changes it; dept-a's editors
        // and admins set svc-a's targets.
        row(
            "get",
            "/api/v1/boards/{organisation}",
            "/api/v1/boards/dept-a",
            Value::Null,
            "read:unpublished",
            OPEN,
        ),
        row(
            "get",
            "/api/v1/boards/portfolio/{id}",
            "/api/v1/boards/portfolio/{portfolio}",
            Value::Null,
            "read:unpublished",
            OPEN,
        ),
        row(
            "get",
            "/api/v1/compare",
            "/api/v1/compare?services=svc-a,svc-b&kpi=transactions",
            Value::Null,
            "read:unpublished",
            OPEN,
        ),
        row(
            "get",
            "/api/v1/portfolios",
            "/api/v1/portfolios",
            Value::Null,
            "read:unpublished",
            [401, 200, 200, 200, 200, 200, 200, 401, 401],
        ),
        row(
            "post",
            "/api/v1/portfolios",
            "/api/v1/portfolios",
            json!({"title": "Mine", "services": ["svc-a"]}),
            "read:unpublished",
            [401, 201, 201, 201, 201, 201, 201, 401, 401],
        ),
        row(
            "get",
            "/api/v1/portfolios/{id}",
            "/api/v1/portfolios/{portfolio}",
            Value::Null,
            "read:unpublished",
            OPEN,
        ),
        row(
            "put",
            "/api/v1/portfolios/{id}",
            "/api/v1/portfolios/{portfolio}",
            json!({"title": "Renamed", "services": ["svc-b"]}),
            "admin",
            [401, 200, 403, 200, 403, 200, 403, 401, 401],
        ),
        row(
            "delete",
            "/api/v1/portfolios/{id}",
            "/api/v1/portfolios/{portfolio}",
            Value::Null,
            "admin",
            [401, 200, 403, 200, 403, 200, 403, 401, 401],
        ),
        row(
            "get",
            "/api/v1/targets",
            "/api/v1/targets?service=svc-a",
            Value::Null,
            "read:unpublished",
            OPEN,
        ),
        row(
            "post",
            "/api/v1/targets",
            "/api/v1/targets",
            json!({"service": "svc-a", "kpi": "completion_rate", "value": 0.9,
                "effective_from": "2026-04-01"}),
            "dashboards:write",
            [401, 403, 201, 201, 403, 201, 403, 401, 401],
        ),
        row(
            "delete",
            "/api/v1/targets/{id}",
            "/api/v1/targets/{target}",
            Value::Null,
            "dashboards:write",
            [401, 403, 200, 200, 403, 200, 403, 401, 401],
        ),
        row(
            "get",
            "/api/v1/session",
            "/api/v1/session",
            Value::Null,
            "read:unpublished",
            OPEN,
        ),
        row(
            "post",
            "/api/v1/session",
            "/api/v1/session",
            json!({"email": "viewer@a.example", "password": PASSWORD}),
            "read:unpublished",
            ALL_200,
        ),
        row(
            "post",
            "/api/v1/session/sign-out",
            "/api/v1/session/sign-out",
            Value::Null,
            "read:unpublished",
            PERSON,
        ),
        row(
            "post",
            "/api/v1/session/sign-out-everywhere",
            "/api/v1/session/sign-out-everywhere",
            Value::Null,
            "read:unpublished",
            PERSON,
        ),
        row(
            "put",
            "/api/v1/session/password",
            "/api/v1/session/password",
            json!({"current_password": PASSWORD, "new_password": "another long password"}),
            "read:unpublished",
            [401, 200, 200, 200, 200, 403, 403, 401, 401],
        ),
        row(
            "get",
            "/api/v1/sessions",
            "/api/v1/sessions",
            Value::Null,
            "read:unpublished",
            PERSON,
        ),
        row(
            "delete",
            "/api/v1/sessions/{id}",
            "/api/v1/sessions/{viewer_session}",
            Value::Null,
            "read:unpublished",
            [401, 200, 404, 404, 404, 403, 403, 401, 401],
        ),
        row(
            "get",
            "/api/v1/api-keys",
            "/api/v1/api-keys",
            Value::Null,
            "admin",
            [401, 200, 200, 200, 200, 200, 403, 401, 401],
        ),
        row(
            "post",
            "/api/v1/api-keys",
            "/api/v1/api-keys",
            json!({"name": "k", "scopes": ["read:unpublished"]}),
            "admin",
            [401, 201, 201, 201, 201, 201, 403, 401, 401],
        ),
        row(
            "post",
            "/api/v1/api-keys/{id}/revoke",
            "/api/v1/api-keys/{viewer_key}/revoke",
            Value::Null,
            "admin",
            [401, 200, 404, 200, 404, 200, 403, 401, 401],
        ),
        row(
            "post",
            "/api/v1/api-keys/{id}/rotate",
            "/api/v1/api-keys/{viewer_key}/rotate",
            Value::Null,
            "admin",
            // Only its owner: an admin may revoke it, not take a new secret.
            [401, 201, 404, 403, 404, 403, 403, 401, 401],
        ),
        row(
            "get",
            "/api/v1/users",
            "/api/v1/users",
            Value::Null,
            "admin",
            ADMIN,
        ),
        row(
            "post",
            "/api/v1/users",
            "/api/v1/users",
            json!({"email": "new@a.example", "display_name": "New", "role": "viewer", "organisations": ["dept-a"], "password": PASSWORD}),
            "admin",
            ADMIN_201,
        ),
        row(
            "get",
            "/api/v1/users/{id}",
            "/api/v1/users/{viewer_id}",
            Value::Null,
            "admin",
            ADMIN,
        ),
        row(
            "patch",
            "/api/v1/users/{id}",
            "/api/v1/users/{viewer_id}",
            json!({"display_name": "Kathy"}),
            "admin",
            ADMIN,
        ),
        row(
            "get",
            "/api/v1/audit",
            "/api/v1/audit",
            Value::Null,
            "admin",
            ADMIN,
        ),
        row(
            "get",
            "/api/v1/invitations",
            "/api/v1/invitations",
            Value::Null,
            "admin",
            INVITERS,
        ),
        row(
            "post",
            "/api/v1/invitations",
            "/api/v1/invitations",
            json!({"email": "new@a.example", "role": "viewer", "organisations": ["dept-a"]}),
            "admin",
            [401, 403, 201, 201, 403, 201, 403, 401, 401],
        ),
        row(
            "delete",
            "/api/v1/invitations/{id}",
            "/api/v1/invitations/{invitation}",
            Value::Null,
            "admin",
            [401, 403, 404, 200, 404, 200, 403, 401, 401],
        ),
        row(
            "get",
            "/api/v1/invitation",
            "/api/v1/invitation?token=fixture-invitation-token",
            Value::Null,
            "admin",
            ALL_200,
        ),
        row(
            "post",
            "/api/v1/invitation",
            "/api/v1/invitation",
            json!({"token": "fixture-invitation-token", "display_name": "Invited",
                   "password": "correct horse battery staple"}),
            "admin",
            ALL_200,
        ),
        row(
            "get",
            "/api/v1/password-reset",
            "/api/v1/password-reset?token=fixture-reset-token",
            Value::Null,
            "admin",
            ALL_200,
        ),
        row(
            "post",
            "/api/v1/password-reset",
            "/api/v1/password-reset",
            json!({"email": "viewer@a.example"}),
            "admin",
            ALL_202,
        ),
        row(
            "post",
            "/api/v1/password-reset/complete",
            "/api/v1/password-reset/complete",
            json!({"token": "fixture-reset-token", "password": "correct horse battery staple"}),
            "admin",
            ALL_200,
        ),
        row(
            "post",
            "/api/v1/mail/unsubscribe",
            "/api/v1/mail/unsubscribe?{unsubscribe}",
            Value::Null,
            "admin",
            ALL_200,
        ),
        row(
            "get",
            "/api/v1/mail",
            "/api/v1/mail",
            Value::Null,
            "admin",
            ADMIN,
        ),
        row(
            "get",
            "/api/v1/two-factor",
            "/api/v1/two-factor",
            Value::Null,
            "admin",
            PERSON,
        ),
        row(
            "post",
            "/api/v1/two-factor/setup",
            "/api/v1/two-factor/setup",
            Value::Null,
            "admin",
            [401, 201, 201, 201, 201, 401, 401, 401, 401],
        ),
        row(
            "post",
            "/api/v1/two-factor",
            "/api/v1/two-factor",
            json!({"code": "000000", "password": PASSWORD}),
            "admin",
            // Nobody is setting it up.
            [401, 409, 409, 409, 409, 401, 401, 401, 401],
        ),
        row(
            "post",
            "/api/v1/two-factor/off",
            "/api/v1/two-factor/off",
            json!({"password": PASSWORD}),
            "admin",
            PERSON,
        ),
        row(
            "put",
            "/api/v1/two-factor/requirement",
            "/api/v1/two-factor/requirement",
            json!({"required": false}),
            "admin",
            ADMIN,
        ),
        row(
            "post",
            "/api/v1/session/code",
            "/api/v1/session/code",
            json!({"code": "123456"}),
            "admin",
            // No sign-in is waiting for a code.
            [401; 9],
        ),
        row(
            "get",
            "/api/v1/reminders",
            "/api/v1/reminders",
            Value::Null,
            "admin",
            ADMIN,
        ),
        row(
            "put",
            "/api/v1/reminders/{group}/{data_type}",
            "/api/v1/reminders/svc-a/transactions",
            json!({"paused": true}),
            "admin",
            ADMIN,
        ),
        row(
            "get",
            "/api/v1/alerts",
            "/api/v1/alerts",
            Value::Null,
            "admin",
            // A person's (a key's owner's); keys without an owner have none.
            [401, 200, 200, 200, 200, 403, 403, 401, 401],
        ),
        row(
            "post",
            "/api/v1/alerts",
            "/api/v1/alerts",
            json!({"service": "svc-a", "kpi": "transactions", "rule": "unusual"}),
            "admin",
            // svc-a has no transactions-by-channel data set to watch.
            [401, 422, 422, 422, 422, 403, 403, 401, 401],
        ),
        row(
            "delete",
            "/api/v1/alerts/{id}",
            "/api/v1/alerts/{alert}",
            Value::Null,
            "admin",
            // The viewer's own, or an admin.
            [401, 200, 404, 200, 404, 403, 403, 401, 401],
        ),
        row(
            "get",
            "/api/v1/digests",
            "/api/v1/digests",
            Value::Null,
            "admin",
            // A person's (a key's owner's); keys without an owner have none.
            [401, 200, 200, 200, 200, 403, 403, 401, 401],
        ),
        row(
            "post",
            "/api/v1/digests",
            "/api/v1/digests",
            json!({"board": "dept-spare"}),
            "admin",
            [401, 201, 201, 201, 201, 403, 403, 401, 401],
        ),
        row(
            "delete",
            "/api/v1/digests/{id}",
            "/api/v1/digests/{digest}",
            Value::Null,
            "admin",
            // The viewer's own, or an admin.
            [401, 200, 404, 200, 404, 403, 403, 401, 401],
        ),
        row(
            "post",
            "/api/v1/digests/{id}/copy",
            "/api/v1/digests/{digest}/copy",
            Value::Null,
            "admin",
            // The viewer's own (sent to them), or an admin (sent to its owner).
            [401, 202, 404, 202, 404, 403, 403, 401, 401],
        ),
        row(
            "put",
            "/api/v1/e-mail",
            "/api/v1/e-mail",
            json!({"receive": true}),
            "admin",
            [401, 200, 200, 200, 200, 403, 403, 401, 401],
        ),
    ]
}

/// Walks every route with every kind of caller, each on a fresh fixture for
/// changes (so one caller's success cannot change what the next one gets).
async fn every_route_answers_each_kind_of_caller_as_the_table_says(backend: Backend) {
    let table = rows();
    // A route missing from the table (or one the table has and the API does not)
    // fails the test.
    let document = serde_json::to_value(server::http::openapi()).unwrap();
    let mut documented = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "put", "patch", "delete", "options"].contains(&method.as_str()) {
                documented.insert((method.clone(), path.clone()));
            }
        }
    }
    let tabled: BTreeSet<(String, String)> = table
        .iter()
        .map(|r| (r.method.to_string(), r.template.to_string()))
        .collect();
    assert_eq!(tabled, documented, "the table and the API's routes differ");

    let mut failures = Vec::new();
    let mut shared: Option<Fixture> = None;
    for row in &table {
        for (c, caller) in CALLERS.iter().enumerate() {
            // Reads share a fixture; each change gets a fresh one.
            let fresh;
            let f = if row.method == "get" {
                if shared.is_none() {
                    shared = Some(fixture(backend).await);
                }
                shared.as_ref().unwrap()
            } else {
                fresh = fixture(backend).await;
                &fresh
            };
            let path = row
                .path
                .replace("{record}", &f.record_id)
                .replace("{viewer_id}", &f.viewer_id.to_string())
                .replace("{viewer_session}", &f.viewer_session.to_string())
                .replace("{viewer_key}", &f.viewer_key.to_string())
                .replace("{note}", &f.note_id.to_string())
                .replace("{portfolio}", &f.portfolio_id)
                .replace("{target}", &f.target_id.to_string())
                .replace("{invitation}", &f.invitation_id.to_string())
                .replace("{unsubscribe}", &f.unsubscribe)
                .replace("{alert}", &f.alert_id.to_string())
                .replace("{digest}", &f.digest_id.to_string());
            let headers = if c == 5 {
                key(&f.app, &[row.scope], None, false).await
            } else {
                f.headers[c].clone()
            };
            let mut headers: Vec<(&str, &str)> = headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let body = match &row.body {
                Value::Null => Vec::new(),
                Value::String(text) => {
                    headers.push(("content-type", "text/csv"));
                    text.clone().into_bytes()
                }
                json => {
                    headers.push(("content-type", "application/json"));
                    json.to_string().into_bytes()
                }
            };
            let method = Method::from_bytes(row.method.to_uppercase().as_bytes()).unwrap();
            let answer = f.app.request(method, &path, &headers, body).await;
            if answer.status.as_u16() != row.expect[c] {
                failures.push(format!(
                    "{} {} as {caller}: {} (expected {}): {}",
                    row.method.to_uppercase(),
                    path,
                    answer.status.as_u16(),
                    row.expect[c],
                    answer.text().chars().take(160).collect::<String>()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn every_route_and_caller_on_sqlite() {
    every_route_answers_each_kind_of_caller_as_the_table_says(Backend::Sqlite).await;
}

#[tokio::test]
async fn every_route_and_caller_on_postgres() {
    every_route_answers_each_kind_of_caller_as_the_table_says(Backend::Postgres).await;
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> support::Answer {
    app.request(
        Method::POST,
        "/api/v1/session",
        &[("content-type", "application/json")],
        json!({"email": email, "password": password})
            .to_string()
            .into_bytes(),
    )
    .await
}

async fn signing_in_sets_a_safe_cookie_and_changes_need_its_csrf_token(mut app: TestApp) {
    let user = support::add_user(
        &app.store,
        &server::store::users::NewUser {
            email: "Robin@Example.gov.uk",
            display_name: "Robin",
            role: Role::Editor,
            organisations: &[],
        },
        PASSWORD,
    )
    .await;
    assert_eq!(user.email, "robin@example.gov.uk");
    let answer = sign_in(&app, "ROBIN@example.gov.uk", PASSWORD).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let cookie = answer.header("set-cookie").to_string();
    assert!(cookie.starts_with("pulse_session="), "{cookie}");
    for part in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(part), "{cookie} lacks {part}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP: no Secure");
    let token = answer.json()["csrf_token"].as_str().unwrap().to_string();
    let session = cookie.split(';').next().unwrap().to_string();

    // Over HTTPS (a trusted proxy says so) the cookie is Secure; anyone else
    // saying so is not believed.
    for trusted in [false, true] {
        if trusted {
            app.trust_proxies("127.0.0.1/32");
        }
        let https = app
            .request_from(
                Some("127.0.0.1:40000"),
                Method::POST,
                "/api/v1/session",
                &[
                    ("content-type", "application/json"),
                    ("x-forwarded-proto", "https"),
                ],
                json!({"email": "robin@example.gov.uk", "password": PASSWORD})
                    .to_string()
                    .into_bytes(),
            )
            .await;
        assert_eq!(https.status, StatusCode::OK, "{}", https.text());
        assert_eq!(
            https.header("set-cookie").contains("; Secure"),
            trusted,
            "Secure only when a trusted proxy says HTTPS"
        );
    }

    let me = app
        .request(
            Method::GET,
            "/api/v1/session",
            &[("cookie", &session)],
            Vec::new(),
        )
        .await;
    assert_eq!(me.json()["user"]["email"], "robin@example.gov.uk");
    assert_eq!(me.json()["csrf_token"], token.as_str());

    // A stolen cookie without the token changes nothing.
    let body = json!({"name": "k", "scopes": ["read:unpublished"]})
        .to_string()
        .into_bytes();
    let forged = app
        .request(
            Method::POST,
            "/api/v1/api-keys",
            &[("cookie", &session), ("content-type", "application/json")],
            body.clone(),
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(forged.text().contains("CSRF"));
    let wrong = app
        .request(
            Method::POST,
            "/api/v1/api-keys",
            &[
                ("cookie", &session),
                ("content-type", "application/json"),
                ("x-csrf-token", "guess"),
            ],
            body.clone(),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let made = app
        .request(
            Method::POST,
            "/api/v1/api-keys",
            &[
                ("cookie", &session),
                ("content-type", "application/json"),
                ("x-csrf-token", &token),
            ],
            body,
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    // The secret works once made, and no longer once revoked.
    let secret = made.json()["secret"].as_str().unwrap().to_string();
    let id = made.json()["key"]["id"].as_i64().unwrap();
    let auth = format!("Bearer {secret}");
    assert_eq!(
        app.request(
            Method::GET,
            "/api/v1/session",
            &[("authorization", &auth)],
            Vec::new()
        )
        .await
        .status,
        StatusCode::OK
    );
    let revoked = app
        .request(
            Method::POST,
            &format!("/api/v1/api-keys/{id}/revoke"),
            &[("cookie", &session), ("x-csrf-token", &token)],
            Vec::new(),
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK);
    assert_eq!(
        app.request(
            Method::GET,
            "/api/v1/dashboards",
            &[("authorization", &auth)],
            Vec::new()
        )
        .await
        .status,
        StatusCode::UNAUTHORIZED
    );

    // Signing out ends the session: the cookie no longer signs anyone in.
    let out = app
        .request(
            Method::POST,
            "/api/v1/session/sign-out",
            &[("cookie", &session), ("x-csrf-token", &token)],
            Vec::new(),
        )
        .await;
    assert_eq!(out.status, StatusCode::OK);
    assert!(out.header("set-cookie").contains("Max-Age=0"));
    let after = app
        .request(
            Method::GET,
            "/api/v1/session",
            &[("cookie", &session)],
            Vec::new(),
        )
        .await;
    assert_eq!(after.json()["user"], Value::Null);
}
both!(signing_in_sets_a_safe_cookie_and_changes_need_its_csrf_token);

async fn failed_sign_ins_are_throttled_without_saying_who_exists(app: TestApp) {
    support::add_user(
        &app.store,
        &server::store::users::NewUser {
            email: "kathy@example.gov.uk",
            display_name: "Kathy",
            role: Role::Viewer,
            organisations: &[],
        },
        PASSWORD,
    )
    .await;
    let known = sign_in(&app, "kathy@example.gov.uk", "not the password").await;
    let unknown = sign_in(&app, "nobody@example.gov.uk", "not the password").await;
    assert_eq!(known.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        known.json()["message"],
        unknown.json()["message"],
        "the same words either way"
    );
    for _ in 0..4 {
        sign_in(&app, "kathy@example.gov.uk", "not the password").await;
    }
    // Five failures: even the right password waits now.
    let throttled = sign_in(&app, "kathy@example.gov.uk", PASSWORD).await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(throttled.json()["message"]
        .as_str()
        .unwrap()
        .contains("Wait 15 minutes"));
    // An HTML form is sent back to the sign-in page with the reason.
    let form = app
        .request(
            Method::POST,
            "/api/v1/session",
            &[("content-type", "application/x-www-form-urlencoded")],
            b"email=kathy%40example.gov.uk&password=whatever&next=%2Fsettings".to_vec(),
        )
        .await;
    assert_eq!(form.status, StatusCode::SEE_OTHER);
    assert!(form
        .header("location")
        .starts_with("/sign-in?error=throttled"));
}
both!(failed_sign_ins_are_throttled_without_saying_who_exists);

async fn parallel_guesses_stop_at_the_limit(app: TestApp) {
    support::add_user(
        &app.store,
        &server::store::users::NewUser {
            email: "lena@example.gov.uk",
            display_name: "Lena",
            role: Role::Viewer,
            organisations: &[],
        },
        PASSWORD,
    )
    .await;
    // Thirty wrong passwords at once: five are checked, the rest turned away
    // (the count is one statement, so no two attempts see the same count).
    let answers = futures_util::future::join_all(
        (0..30).map(|_| sign_in(&app, "lena@example.gov.uk", "a wrong guess")),
    )
    .await;
    let checked = answers
        .iter()
        .filter(|a| a.status == StatusCode::UNAUTHORIZED)
        .count();
    let refused = answers
        .iter()
        .filter(|a| a.status == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((checked, refused), (5, 25));
    // Turned-away attempts are not counted: the address has five failures,
    // so another account from it is still checked.
    let other = sign_in(&app, "someone-else@example.gov.uk", "a wrong guess").await;
    assert_eq!(other.status, StatusCode::UNAUTHORIZED);
}
both!(parallel_guesses_stop_at_the_limit);

async fn sessions_end_when_idle_when_deactivated_and_everywhere(app: TestApp) {
    let user = support::add_user(
        &app.store,
        &server::store::users::NewUser {
            email: "jane@example.gov.uk",
            display_name: "Jane",
            role: Role::Editor,
            organisations: &[],
        },
        PASSWORD,
    )
    .await;
    let now = Utc::now();
    let mut w = support::write(&app.store).await;
    let (_, token) = sessions::start(&mut w, user.id, "a", "b", now)
        .await
        .unwrap();
    support::done(w).await;
    assert!(
        sessions::find_live(&app.store, &token, now + Duration::minutes(90))
            .await
            .unwrap()
            .is_some()
    );
    // Idle for longer than allowed (counted from the last use, just now).
    assert!(sessions::find_live(
        &app.store,
        &token,
        now + Duration::minutes(90) + sessions::IDLE
    )
    .await
    .unwrap()
    .is_none());
    let mut w = support::write(&app.store).await;
    let (_, second) = sessions::start(&mut w, user.id, "a", "b", now)
        .await
        .unwrap();
    support::done(w).await;
    let mut w = support::write(&app.store).await;
    let (_, third) = sessions::start(&mut w, user.id, "a", "b", now)
        .await
        .unwrap();
    support::done(w).await;
    assert_eq!(
        sessions::list_for_user(&app.store, user.id, now)
            .await
            .unwrap()
            .len(),
        2
    );
    let mut w = support::write(&app.store).await;
    users::update(
        &mut w,
        user.id,
        &users::UserChange {
            active: Some(false),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    support::done(w).await;
    for t in [second, third] {
        assert!(sessions::find_live(&app.store, &t, now)
            .await
            .unwrap()
            .is_none());
    }
    let refused = sign_in(&app, "jane@example.gov.uk", PASSWORD).await;
    assert_eq!(
        refused.status,
        StatusCode::UNAUTHORIZED,
        "deactivated people cannot sign in"
    );
}
both!(sessions_end_when_idle_when_deactivated_and_everywhere);

/// The pages of accounts, for each kind of person: the status each gets.
async fn account_pages_answer_each_kind_of_person(backend: Backend) {
    let f = fixture(backend).await;
    // anonymous, viewer, editor, admin, other organisation's editor
    let pages: [(&str, [u16; 5]); 4] = [
        ("/sign-in", [200, 200, 200, 200, 200]),
        ("/settings/api-keys", [401, 200, 200, 200, 200]),
        ("/admin/users", [401, 403, 403, 200, 403]),
        ("/admin/audit", [401, 403, 403, 200, 403]),
    ];
    for (path, expected) in pages {
        for (c, want) in expected.iter().enumerate() {
            let headers: Vec<(&str, &str)> = f.headers[c]
                .iter()
                .filter(|(k, _)| k == "cookie")
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let answer = f.app.request(Method::GET, path, &headers, Vec::new()).await;
            assert_eq!(answer.status.as_u16(), *want, "{path} as {}", CALLERS[c]);
        }
    }
}

// (These once waited for ever: a page rendered while another test listed the
// app's routes. See pages_while_apps_start.rs.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_pages_on_sqlite() {
    account_pages_answer_each_kind_of_person(Backend::Sqlite).await;
}

// (These once waited for ever: a page rendered while another test listed the
// app's routes. See pages_while_apps_start.rs.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_pages_on_postgres() {
    account_pages_answer_each_kind_of_person(Backend::Postgres).await;
}

async fn changes_to_records_and_settings_are_in_the_audit_log(app: TestApp) {
    let admin = app.admin_key().await;
    let created = app
        .send(
            Method::POST,
            "/api/v1/data-sets",
            &admin,
            &json!({"data_group": "audited", "data_type": "things"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let token = created.json()["bearer_token"].as_str().unwrap().to_string();
    let rows = json!([{"_id": "a", "_timestamp": "2026-01-05T00:00:00Z", "count": 1},
                      {"_id": "b", "_timestamp": "2026-01-06T00:00:00Z", "count": 2}]);
    let written = app
        .send(Method::POST, "/data/audited/things", &token, &rows)
        .await;
    assert_eq!(written.status, StatusCode::OK, "{}", written.text());
    assert_eq!(
        app.request(
            Method::DELETE,
            "/data/audited/things/a",
            &[("authorization", &format!("Bearer {token}"))],
            Vec::new()
        )
        .await
        .status,
        StatusCode::OK
    );
    let log = app
        .request(
            Method::GET,
            "/api/v1/audit?filter=audited_things",
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
    // Newest first.
    assert_eq!(
        actions,
        ["records.delete", "records.write", "data-set.create"]
    );
    let write = &log["entries"][1];
    assert_eq!(write["via"], "key");
    assert_eq!(
        write["detail"],
        json!({"records": 2, "new": 2, "replaced": 0, "unchanged": 0})
    );
    // Named as every change made with a key is: `key ID (PREFIX)`.
    let actor = write["actor"].as_str().unwrap();
    let (id, prefix) = actor
        .strip_prefix("key ")
        .and_then(|rest| rest.split_once(" ("))
        .unwrap_or_else(|| panic!("{actor}"));
    assert!(id.parse::<i64>().is_ok(), "{actor}");
    assert!(
        prefix.starts_with("pulse_") && prefix.ends_with(')'),
        "{actor}"
    );
}
both!(changes_to_records_and_settings_are_in_the_audit_log);

async fn bad_new_users_are_refused_with_reasons_and_nothing_is_written(app: TestApp) {
    let admin = app.admin_key().await;
    for (body, reason) in [
        (
            json!({"email": "x", "display_name": "X", "role": "viewer", "password": PASSWORD}),
            "is not an email address",
        ),
        (
            json!({"email": "a@b.example", "display_name": "X", "role": "boss", "password": PASSWORD}),
            "`role` must be one of `viewer`, `editor`, `admin`, not `boss`.",
        ),
        (
            json!({"email": "a@b.example", "display_name": "X", "role": "viewer", "password": "short"}),
            "at least 12 characters",
        ),
        (
            json!({"email": "a@b.example", "display_name": " ", "role": "viewer", "password": PASSWORD}),
            "display name must not be empty",
        ),
        (
            json!({"email": "a@b.example", "display_name": "X", "role": "viewer", "organisations": ["nowhere"], "password": PASSWORD}),
            "There is no organisation `nowhere`.",
        ),
        // A long value is quoted by its start and its length, not repeated back.
        (
            json!({"email": format!("{}@x.gov.uk", "a".repeat(1_000_000)), "display_name": "X", "role": "viewer", "password": PASSWORD}),
            "\"… (1000009 characters) is not an email address (like name@example.gov.uk): \
             it is longer than 254 characters",
        ),
        (
            json!({"email": "a@b.example", "display_name": "X", "role": "b".repeat(100_000), "password": PASSWORD}),
            "`role` must be one of `viewer`, `editor`, `admin`, not \"bbbb",
        ),
    ] {
        let answer = app.send(Method::POST, "/api/v1/users", &admin, &body).await;
        let expected = if reason.starts_with("There is no") {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::BAD_REQUEST
        };
        assert_eq!(answer.status, expected, "{body}");
        let message = answer.json()["message"].as_str().unwrap().to_string();
        assert!(
            message.contains(reason),
            "{message:?} should say {reason:?}"
        );
        assert!(message.len() < 300, "{message:?} is long");
    }
    assert!(
        users::list(&app.store).await.unwrap().is_empty(),
        "nothing half-written"
    );
}
both!(bad_new_users_are_refused_with_reasons_and_nothing_is_written);
