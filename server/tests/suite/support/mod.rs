//! Test support: the whole app over a real database, SQLite (a temporary file) or
//! Postgres (a fresh database on the server named by PULSE_TEST_POSTGRES_URL,
//! dropped afterwards), driven in-process through the router.

#![allow(dead_code)]

use axum::{
    body::Body,
    http::{HeaderMap, Method, Request, StatusCode},
    Router,
};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use server::{
    http::{app, AppState},
    leptos_options,
    store::{api_keys, Store},
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub router: Router,
    pub store: Store,
    /// The database's URL, for `pulse` commands run on it beside the app.
    #[allow(dead_code)]
    pub url: String,
    _guard: Guard,
}

pub enum Guard {
    Dir(#[allow(dead_code)] tempfile::TempDir),
    Database { admin_url: String, name: String },
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Guard::Database { admin_url, name } = self {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // A runtime of its own: the test's runtime is shutting down.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    if let Ok(pool) = sqlx::PgPool::connect(&admin_url).await {
                        let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                        let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&pool).await;
                    }
                });
            })
            .join();
        }
    }
}

/// The Postgres server the tests use. Set PULSE_TEST_POSTGRES_URL (scripts/test
/// does); the Postgres half of the suite fails without it rather than pass
/// without having run.
pub fn postgres_url() -> String {
    std::env::var("PULSE_TEST_POSTGRES_URL").expect(
        "PULSE_TEST_POSTGRES_URL is not set: the tests run on Postgres too \
         (e.g. postgres://postgres@127.0.0.1:5432/test; scripts/test sets it)",
    )
}

pub async fn store(backend: Backend) -> (Store, Guard) {
    let (url, guard) = database(backend).await;
    let store = Store::connect(&url).await.unwrap();
    if backend == Backend::Sqlite {
        store.migrate().await.unwrap();
    }
    (store, guard)
}

/// A new, empty database's URL (a Postgres one already migrated; a SQLite
/// file is migrated by whoever opens it first), and what removes it.
#[allow(dead_code)]
pub async fn database(backend: Backend) -> (String, Guard) {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}", dir.path().join("pulse.db").display());
            (url, Guard::Dir(dir))
        }
        Backend::Postgres => {
            let admin_url = postgres_url();
            let name = format!("pulse_test_{}", server::store::records::fresh_id());
            let pool = sqlx::PgPool::connect(&admin_url).await.unwrap();
            let (base, _) = admin_url.rsplit_once('/').unwrap();
            let template = template(&pool, base).await;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
            )))
            .execute(&pool)
            .await
            .unwrap();
            pool.close().await;
            (
                format!("{base}/{name}"),
                Guard::Database { admin_url, name },
            )
        }
    }
}

/// A database with every migration applied, named after the migrations' text, to
/// copy each test's database from (much quicker than migrating each one). Made
/// once, under an advisory lock, by whichever test gets there first.
async fn template(admin: &sqlx::PgPool, base: &str) -> String {
    use sha2::{Digest, Sha256};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations/postgres");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut hasher = Sha256::new();
    for file in files {
        hasher.update(std::fs::read(file).unwrap());
    }
    let digest: String = hasher
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    let name = format!("pulse_template_{digest}");
    let mut conn = admin.acquire().await.unwrap();
    sqlx::query("SELECT pg_advisory_lock(7272740)")
        .execute(&mut *conn)
        .await
        .unwrap();
    let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(&name)
        .fetch_optional(&mut *conn)
        .await
        .unwrap();
    if exists.is_none() {
        let building = format!("{name}_building");
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)"
        )))
        .execute(&mut *conn)
        .await
        .unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE \"{building}\""
        )))
        .execute(&mut *conn)
        .await
        .unwrap();
        let store = Store::connect(&format!("{base}/{building}")).await.unwrap();
        store.migrate().await.unwrap();
        store.close().await;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "ALTER DATABASE \"{building}\" RENAME TO \"{name}\""
        )))
        .execute(&mut *conn)
        .await
        .unwrap();
    }
    sqlx::query("SELECT pg_advisory_unlock(7272740)")
        .execute(&mut *conn)
        .await
        .unwrap();
    name
}

pub async fn test_app(backend: Backend) -> TestApp {
    let (url, guard) = database(backend).await;
    let store = Store::connect(&url).await.unwrap();
    if backend == Backend::Sqlite {
        store.migrate().await.unwrap();
    }
    TestApp {
        router: router(&store, "", Default::default()),
        store,
        url,
        _guard: guard,
    }
}

fn router(store: &Store, trusted_proxies: &str, mail: server::mail::Mail) -> Router {
    let options = leptos_options("target/site".into(), "127.0.0.1:3000".parse().unwrap());
    app(AppState {
        store: store.clone(),
        cache: Default::default(),
        leptos_options: options,
        trusted_proxies: server::http::client::TrustedProxies::parse(trusted_proxies).unwrap(),
        mail,
        live: server::live::Live::new(store.clone(), 8, std::time::Duration::from_millis(200)),
    })
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or("")
    }
}

impl TestApp {
    /// From now on believes `X-Forwarded-*` from these networks (as
    /// `pulse serve --trusted-proxies` does); the database stays.
    pub fn trust_proxies(&mut self, proxies: &str) {
        self.router = router(&self.store, proxies, Default::default());
    }

    /// From now on sends e-mail as `mail` says (the database stays).
    pub fn with_mail(&mut self, mail: server::mail::Mail) {
        self.router = router(&self.store, "", mail);
    }

    pub async fn request(
        &self,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Answer {
        self.request_from(None, method, uri, headers, body).await
    }

    /// A request from the TCP peer `peer` (as `pulse serve` sees it), or from
    /// none (as the tests' other requests are).
    pub async fn request_from(
        &self,
        peer: Option<&str>,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Answer {
        let mut request = Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let mut request = request.body(Body::from(body)).unwrap();
        if let Some(peer) = peer {
            let peer: std::net::SocketAddr = peer.parse().unwrap();
            request
                .extensions_mut()
                .insert(axum::extract::ConnectInfo(peer));
        }
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, uri: &str) -> Answer {
        self.request(Method::GET, uri, &[], Vec::new()).await
    }

    /// Sends JSON with a bearer token.
    pub async fn send(&self, method: Method, uri: &str, token: &str, body: &Value) -> Answer {
        let auth = format!("Bearer {token}");
        self.request(
            method,
            uri,
            &[
                ("authorization", &auth),
                ("content-type", "application/json"),
            ],
            serde_json::to_vec(body).unwrap(),
        )
        .await
    }

    /// An admin key, made as the CLI makes one.
    pub async fn admin_key(&self) -> String {
        let mut w = write(&self.store).await;
        let secret = api_keys::create(
            &mut w,
            "tests",
            &[api_keys::ADMIN_SCOPE.to_string()],
            None,
            None,
            chrono::Utc::now(),
        )
        .await
        .unwrap()
        .secret;
        done(w).await;
        secret
    }

    /// Creates a data set through the API; returns its write token.
    pub async fn data_set(&self, settings: Value) -> String {
        let admin = self.admin_key().await;
        let answer = self
            .send(Method::POST, "/api/v1/data-sets", &admin, &settings)
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
        answer.json()["bearer_token"].as_str().unwrap().to_string()
    }
}

/// The day the demo data runs to in the tests.
pub fn until() -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    chrono::Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap()
}

/// The app with the demo's data (seed 7) and its three people, whose
/// password is "demo password for tests".
pub async fn with_demo_and_people(app: TestApp) -> TestApp {
    server::demo::load(&app.store, 7, until()).await.unwrap();
    server::demo::users(&app.store, Some("demo password for tests"))
        .await
        .unwrap();
    app
}

/// A signed-in person's headers (session cookie and CSRF token), by email.
pub async fn signed_in(app: &TestApp, email: &str) -> Vec<(String, String)> {
    let user = server::store::users::find_by_email(&app.store, email)
        .await
        .unwrap()
        .unwrap();
    let mut w = write(&app.store).await;
    let (session, token) =
        server::store::sessions::start(&mut w, user.user.id, "test", "test", chrono::Utc::now())
            .await
            .unwrap();
    done(w).await;
    vec![
        ("cookie".into(), format!("pulse_session={token}")),
        ("x-csrf-token".into(), session.csrf_token),
    ]
}

/// A request with `who`'s headers and, if any, a JSON body.
pub async fn call(
    app: &TestApp,
    method: Method,
    uri: &str,
    who: &[(String, String)],
    body: Option<&Value>,
) -> Answer {
    let mut headers: Vec<(&str, &str)> =
        who.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    if body.is_some() {
        headers.push(("content-type", "application/json"));
    }
    app.request(
        method,
        uri,
        &headers,
        body.map(|b| b.to_string().into_bytes()).unwrap_or_default(),
    )
    .await
}

/// Runs a test on both backends: `both!(name)` for an `async fn name(app: TestApp)`.
#[macro_export]
macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name($crate::support::test_app($crate::support::Backend::Sqlite).await)
                    .await
            }
            #[tokio::test]
            async fn postgres() {
                super::$name($crate::support::test_app($crate::support::Backend::Postgres).await)
                    .await
            }
        }
    };
}

/// Unpublishes every data set of the service `slug` through the API, as `who`
/// (an admin); how many there were.
pub async fn unpublish_service(app: &TestApp, who: &[(String, String)], slug: &str) -> usize {
    let list = call(app, Method::GET, "/api/v1/data-sets", who, None).await;
    let mut unpublished = 0;
    for ds in list.json()["data_sets"].as_array().unwrap() {
        if ds["data_group"] == slug {
            let uri = format!(
                "/api/v1/data-sets/{slug}/{}",
                ds["data_type"].as_str().unwrap()
            );
            let body = serde_json::json!({"published": false});
            let answer = call(app, Method::PATCH, &uri, who, Some(&body)).await;
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
            unpublished += 1;
        }
    }
    unpublished
}

/// Begins a change made by a test's fixture (see [`done`]).
pub async fn write(store: &Store) -> server::store::Write {
    store.write().await.expect("a write could not begin")
}

/// Commits a fixture's change, with its note in the audit log.
pub async fn done(w: server::store::Write) {
    let note = server::store::audit::Note::cli("test.fixture", "fixture", chrono::Utc::now());
    w.commit(note)
        .await
        .expect("a fixture's change could not be kept");
}

/// A user made and kept in a fixture's change of their own (see [`create_user`]).
pub async fn add_user(
    store: &Store,
    new: &server::store::users::NewUser<'_>,
    password: &str,
) -> app::model::User {
    let mut w = write(store).await;
    let user = create_user(&mut w, new, password, chrono::Utc::now())
        .await
        .expect("a fixture's user could not be made");
    done(w).await;
    user
}

/// A user made in a fixture's change, as the domain makes one (its email
/// normalised, its fields and password checked, the password hashed).
pub async fn create_user(
    w: &mut server::store::Write,
    new: &server::store::users::NewUser<'_>,
    password: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> server::error::Result<app::model::User> {
    server::domain::users::check_password(password)?;
    let hash = server::domain::users::hash_password(password)?;
    let request = app::model::NewUserRequest {
        email: new.email.to_string(),
        display_name: new.display_name.to_string(),
        role: new.role,
        organisations: new.organisations.to_vec(),
        password: password.to_string(),
    };
    server::domain::users::create_in(w, &request, &hash, now).await
}
