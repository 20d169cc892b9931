//! Several writers at once: every batch is stored, none is refused with
//! "database is locked" (SQLite) and nothing is lost, whether the writers share
//! a data set or each has its own. Runs on a multi-threaded runtime so the
//! writes really overlap.

use crate::support::{test_app, Backend, TestApp};
use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

const WRITERS: usize = 4;
const BATCHES: usize = 12;
const RECORDS: usize = 250;

/// Writer `w`'s batch `b`: records with ids (the data set has `auto_ids`), half
/// of them replacing records another writer also sends, so writes read before
/// they write.
fn batch(w: usize, b: usize) -> Value {
    let records: Vec<Value> = (0..RECORDS)
        .map(|i| {
            let key = if i % 2 == 0 {
                format!("shared-{b}-{i}")
            } else {
                format!("w{w}-{b}-{i}")
            };
            json!({"_timestamp": "2026-11-16T00:00:00Z", "key": key, "count": w * 1000 + i})
        })
        .collect();
    Value::Array(records)
}

async fn data_set(app: &TestApp, name: &str) -> String {
    app.data_set(json!({"data_group": "writers", "data_type": name,
                        "auto_ids": ["_timestamp", "key"], "raw_queries_allowed": true}))
        .await
}

async fn four_writers(backend: Backend, shared: bool) {
    let app = std::sync::Arc::new(test_app(backend).await);
    let mut tokens = Vec::new();
    for w in 0..WRITERS {
        let name = if shared {
            "shared".to_string()
        } else {
            format!("own-{w}")
        };
        if w == 0 || !shared {
            tokens.push((name.clone(), data_set(&app, &name).await));
        } else {
            tokens.push(tokens[0].clone());
        }
    }
    let mut tasks = Vec::new();
    for (w, (name, token)) in tokens.into_iter().enumerate() {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let mut refused = Vec::new();
            for b in 0..BATCHES {
                let answer = app
                    .send(
                        Method::POST,
                        &format!("/data/writers/{name}"),
                        &token,
                        &batch(w, b),
                    )
                    .await;
                if answer.status != StatusCode::OK {
                    refused.push(format!("{}: {}", answer.status, answer.text()));
                }
            }
            refused
        }));
    }
    let mut refused = Vec::new();
    for task in tasks {
        refused.extend(task.await.unwrap());
    }
    assert!(
        refused.is_empty(),
        "{} of {} batches refused: {:?}",
        refused.len(),
        WRITERS * BATCHES,
        &refused[..refused.len().min(3)]
    );
    // Every distinct id is there once.
    let per_set = |sets: usize| {
        if shared {
            BATCHES * RECORDS / 2 + WRITERS * BATCHES * RECORDS / 2
        } else {
            sets * BATCHES * RECORDS
        }
    };
    let names: Vec<String> = if shared {
        vec!["shared".into()]
    } else {
        (0..WRITERS).map(|w| format!("own-{w}")).collect()
    };
    let mut total = 0;
    for name in names {
        let answer = app.get(&format!("/data/writers/{name}?limit=100000")).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
        total += answer.json()["data"].as_array().unwrap().len();
    }
    assert_eq!(total, per_set(WRITERS));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_writers_to_one_data_set_sqlite() {
    four_writers(Backend::Sqlite, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_writers_to_their_own_data_sets_sqlite() {
    four_writers(Backend::Sqlite, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_writers_to_one_data_set_postgres() {
    four_writers(Backend::Postgres, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_writers_to_their_own_data_sets_postgres() {
    four_writers(Backend::Postgres, false).await;
}

/// Four instances started at once on a new SQLite file (a deploy of several
/// `pulse serve` processes, each migrating as it starts): every one starts,
/// the migrations applied once. (Postgres' migrations take a lock of their
/// own.)
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn instances_started_at_once_on_a_new_sqlite_file_all_start() {
    let (url, _guard) = crate::support::database(Backend::Sqlite).await;
    let mut stores = Vec::new();
    for _ in 0..4 {
        stores.push(server::store::Store::connect(&url).await.unwrap());
    }
    let started: Vec<_> = stores
        .into_iter()
        .map(|store| tokio::spawn(async move { store.migrate().await.map(|()| store) }))
        .collect();
    let mut ready = Vec::new();
    for task in started {
        match task.await.unwrap() {
            Ok(store) => ready.push(store),
            Err(e) => panic!("an instance could not start: {e:#}"),
        }
    }
    for store in &ready {
        let readiness = store.readiness().await;
        assert!(readiness.ready(), "{readiness:?}");
    }
}
