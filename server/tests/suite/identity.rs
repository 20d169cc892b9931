//! Honest figures (issue 17), over HTTP on SQLite and on Postgres: one identity
//! per record whatever way its date-times are written, ids that cannot be told
//! apart refused, patches that move a record, re-sends that are no
//! correction, the one-off upgrade of stored ids, and Backdrop's relative
//! windows and unknown `/data` routes.

use crate::support;

use crate::support::TestApp;
use axum::http::{Method, StatusCode};
use chrono::{Duration, DurationRound, Utc};
use serde_json::{json, Value};

const URI: &str = "/data/renew-a-licence/transactions-by-channel";

async fn with_data_set(app: &TestApp, auto_ids: Value) -> String {
    app.data_set(json!({
        "data_group": "renew-a-licence",
        "data_type": "transactions-by-channel",
        "auto_ids": auto_ids,
    }))
    .await
}

async fn raw(app: &TestApp) -> Vec<Value> {
    let answer = app.get(URI).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    answer.json()["data"].as_array().unwrap().clone()
}

async fn history(app: &TestApp) -> Vec<Value> {
    let admin = app.admin_key().await;
    let answer = app
        .request(
            Method::GET,
            "/api/v1/data-sets/renew-a-licence/transactions-by-channel/history",
            &[("authorization", &format!("Bearer {admin}"))],
            vec![],
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    answer.json()["history"].as_array().unwrap().clone()
}

fn actions(entries: &[Value]) -> Vec<&str> {
    entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect()
}

/// Standard padded base64, written out here so the test does not lean on
/// the code it checks.
fn base64(text: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

async fn post(app: &TestApp, token: &str, body: Value) -> support::Answer {
    app.send(Method::POST, URI, token, &body).await
}

async fn one_moment_written_three_ways_is_one_record(app: TestApp) {
    let token = with_data_set(&app, json!(["_timestamp", "channel"])).await;
    let sent = [
        ("2025-06-16T00:00:00Z", 10),
        ("2025-06-16T00:00:00+00:00", 11),
        ("2025-06-16T01:00:00+01:00", 12),
        ("2025-06-16T00:00:00", 13),
    ];
    for (stamp, count) in sent {
        let answer = post(
            &app,
            &token,
            json!({"_timestamp": stamp, "channel": "digital", "count": count}),
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK, "{stamp}: {}", answer.text());
        assert_eq!(answer.json(), json!({"status": "ok"}));
    }
    let data = raw(&app).await;
    assert_eq!(data.len(), 1, "{data:#?}");
    // Sent with `Z`, as Backdrop's examples were: exactly Backdrop's id.
    assert_eq!(data[0]["_id"], base64("2025-06-16T00:00:00Z.digital"));
    assert_eq!(data[0]["_id"], "MjAyNS0wNi0xNlQwMDowMDowMFouZGlnaXRhbA==");
    assert_eq!(data[0]["count"], 13);
    assert_eq!(data[0]["_timestamp"], "2025-06-16T00:00:00+00:00");
    assert_eq!(actions(&history(&app).await), ["replace"; 3]);

    // Fractional seconds are part of the moment, however many digits.
    for (stamp, count) in [
        ("2025-06-17T00:00:00.5Z", 1),
        ("2025-06-17T00:00:00.500+00:00", 2),
    ] {
        let answer = post(
            &app,
            &token,
            json!({"_timestamp": stamp, "channel": "digital", "count": count}),
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    }
    let data = raw(&app).await;
    assert_eq!(data.len(), 2);
    assert_eq!(data[1]["_id"], base64("2025-06-17T00:00:00.500Z.digital"));
    assert_eq!(data[1]["count"], 2);
}
both!(one_moment_written_three_ways_is_one_record);

async fn a_record_sent_again_unchanged_is_no_correction(app: TestApp) {
    let token = with_data_set(&app, json!(["_timestamp", "channel"])).await;
    let record = json!({"_timestamp": "2025-06-16T00:00:00Z", "channel": "digital", "count": 3});
    for _ in 0..2 {
        let answer = post(&app, &token, record.clone()).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
        assert_eq!(answer.json(), json!({"status": "ok"}));
    }
    // The same moment written another way, and 3 written as 3.0: the same.
    let again =
        json!([{"_timestamp": "2025-06-16T01:00:00+01:00", "channel": "digital", "count": 3.0}]);
    assert_eq!(post(&app, &token, again).await.status, StatusCode::OK);
    assert!(
        history(&app).await.is_empty(),
        "re-sends are not corrections: {:#?}",
        history(&app).await
    );
    let fixed = json!({"_timestamp": "2025-06-16T00:00:00Z", "channel": "digital", "count": 4});
    assert_eq!(post(&app, &token, fixed).await.status, StatusCode::OK);
    let entries = history(&app).await;
    assert_eq!(actions(&entries), ["replace"]);
    // The re-send was stored as sent (3.0), though it was no correction.
    assert_eq!(entries[0]["old_value"]["count"].as_f64(), Some(3.0));
    assert_eq!(entries[0]["new_value"]["count"], 4);
    assert_eq!(raw(&app).await[0]["count"], 4);
}
both!(a_record_sent_again_unchanged_is_no_correction);

async fn values_that_join_to_the_same_id_are_refused(app: TestApp) {
    let token = with_data_set(&app, json!(["area", "office"])).await;
    let first =
        json!({"_timestamp": "2025-06-16T00:00:00Z", "area": "x.y", "office": "z", "count": 1});
    let second =
        json!({"_timestamp": "2025-06-16T00:00:00Z", "area": "x", "office": "y.z", "count": 2});

    // Within one batch: neither is stored, and the message names both.
    let answer = post(&app, &token, json!([first.clone(), second.clone()])).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.text());
    let body = answer.json();
    assert_eq!(body["errors"][0]["index"], 1);
    let message = body["messages"][0].as_str().unwrap();
    let id = base64("x.y.z");
    for part in [
        "area \"x\", office \"y.z\"",
        "area \"x.y\", office \"z\"",
        "record 0 of this batch",
        id.as_str(),
    ] {
        assert!(message.contains(part), "{part:?} is not in {message:?}");
    }
    assert!(raw(&app).await.is_empty());

    // Against the stored record: refused, and the stored record stays.
    assert_eq!(post(&app, &token, first).await.status, StatusCode::OK);
    let answer = post(&app, &token, second).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.text());
    let message = answer.json()["messages"][0].as_str().unwrap().to_string();
    assert!(
        message.contains("the stored record (area \"x.y\", office \"z\")"),
        "{message}"
    );
    assert!(
        message.contains("This record (area \"x\", office \"y.z\")"),
        "{message}"
    );
    let data = raw(&app).await;
    assert_eq!((data.len(), data[0]["area"].clone()), (1, json!("x.y")));
    assert!(history(&app).await.is_empty());
    // The same record sent again is still a correction, as ever.
    let fixed =
        json!({"_timestamp": "2025-06-16T00:00:00Z", "area": "x.y", "office": "z", "count": 5});
    assert_eq!(post(&app, &token, fixed).await.status, StatusCode::OK);
    assert_eq!(raw(&app).await[0]["count"], 5);
}
both!(values_that_join_to_the_same_id_are_refused);

async fn patching_an_identifying_field_moves_the_record(app: TestApp) {
    let token = with_data_set(&app, json!(["_timestamp", "channel"])).await;
    let week = |day: &str| format!("2025-06-{day}T00:00:00Z");
    let id = |day: &str, channel: &str| base64(&format!("{}.{channel}", week(day)));
    let batch = json!([
        {"_timestamp": week("02"), "channel": "digital", "count": 1},
        {"_timestamp": week("16"), "channel": "digital", "count": 3},
    ]);
    assert_eq!(post(&app, &token, batch).await.status, StatusCode::OK);
    let patch = |from: String, body: Value| {
        let (app, token) = (&app, token.clone());
        async move {
            app.send(Method::PATCH, &format!("{URI}/{from}"), &token, &body)
                .await
        }
    };

    // Sent with the wrong week: moved to the right one, its id with it.
    let moved = patch(id("02", "digital"), json!({"_timestamp": week("09")})).await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text());
    assert_eq!(
        moved.json(),
        json!({"status": "ok", "_id": id("09", "digital")})
    );
    let ids: Vec<Value> = raw(&app).await.iter().map(|r| r["_id"].clone()).collect();
    assert_eq!(
        ids,
        [json!(id("09", "digital")), json!(id("16", "digital"))]
    );
    let gone = patch(id("02", "digital"), json!({"count": 2})).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let entries = history(&app).await;
    assert_eq!(actions(&entries), ["move"]);
    assert_eq!(entries[0]["record_id"], id("09", "digital"));
    assert_eq!(entries[0]["old_value"]["_id"], id("02", "digital"));
    assert_eq!(entries[0]["new_value"]["_id"], id("09", "digital"));

    // A field of the id other than the date moves it too.
    let moved = patch(id("09", "digital"), json!({"channel": "phone"})).await;
    assert_eq!(moved.json()["_id"], id("09", "phone"));

    // Onto a record that is there already: refused, naming it; nothing moves.
    let taken = patch(
        id("09", "phone"),
        json!({"_timestamp": week("16"), "channel": "digital"}),
    )
    .await;
    assert_eq!(taken.status, StatusCode::BAD_REQUEST, "{}", taken.text());
    let message = taken.json()["messages"][0].as_str().unwrap().to_string();
    assert!(message.contains(&id("16", "digital")), "{message}");
    assert!(message.contains(&id("09", "phone")), "{message}");
    assert_eq!(raw(&app).await.len(), 2);

    // The same moment written another way is no move: a plain patch.
    let same = patch(
        id("16", "digital"),
        json!({"_timestamp": "2025-06-16T01:00:00+01:00", "count": 4}),
    )
    .await;
    assert_eq!(same.json(), json!({"status": "ok"}));
    let data = raw(&app).await;
    assert_eq!(data[1]["_id"], id("16", "digital"));
    assert_eq!(data[1]["count"], 4);
    assert_eq!(actions(&history(&app).await), ["patch", "move", "move"]);
}
both!(patching_an_identifying_field_moves_the_record);

/// A record as an earlier Pulse stored it: its id made from the values as
/// they were sent.
async fn store_old_style(app: &TestApp, data_set: i64, id: &str, ts: &str, body: Value, at: i64) {
    let ts = chrono::DateTime::parse_from_rfc3339(ts)
        .unwrap()
        .timestamp_micros();
    let sql = "INSERT INTO records (data_set_id, record_id, ts, updated_at, body) VALUES ($1, $2, $3, $4, $5)";
    match app.store.db() {
        server::store::Db::Sqlite(pool) => sqlx::query(sql)
            .bind(data_set)
            .bind(id)
            .bind(ts)
            .bind(at)
            .bind(body.to_string())
            .execute(pool)
            .await
            .map(|_| ()),
        server::store::Db::Postgres(pool) => sqlx::query(sql)
            .bind(data_set)
            .bind(id)
            .bind(ts)
            .bind(at)
            .bind(body.to_string())
            .execute(pool)
            .await
            .map(|_| ()),
    }
    .unwrap();
}

/// As if the database were one an earlier Pulse made: the upgrade not run.
async fn forget_the_upgrade(app: &TestApp) {
    let sql = "DELETE FROM upgrades WHERE name = '0009_record_ids_in_utc'";
    let deleted = match app.store.db() {
        server::store::Db::Sqlite(pool) => sqlx::query(sql)
            .execute(pool)
            .await
            .unwrap()
            .rows_affected(),
        server::store::Db::Postgres(pool) => sqlx::query(sql)
            .execute(pool)
            .await
            .unwrap()
            .rows_affected(),
    };
    assert_eq!(deleted, 1, "the upgrade ran when the database was made");
}

/// A data set's records' ids, read from the store (not through the tables
/// the app holds in memory), oldest first.
async fn stored_ids(app: &TestApp, data_set: i64) -> Vec<String> {
    server::store::records::all(&app.store, data_set)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect()
}

async fn stored_ids_are_recomputed_once_and_duplicates_merged(app: TestApp) {
    with_data_set(&app, json!(["_timestamp", "channel"])).await;
    app.data_set(json!({"data_group": "renew-a-licence", "data_type": "given-ids", "auto_ids": ["_timestamp"]}))
        .await;
    let data_set =
        server::store::data_sets::find(&app.store, "renew-a-licence", "transactions-by-channel")
            .await
            .unwrap()
            .unwrap()
            .id;
    let given = server::store::data_sets::find(&app.store, "renew-a-licence", "given-ids")
        .await
        .unwrap()
        .unwrap()
        .id;
    let plus = "2025-06-16T00:00:00+00:00";
    let zulu = "2025-06-16T00:00:00Z";
    let hour = "2025-06-16T01:00:00+01:00";
    // One week's digital figure stored three times, written three ways; the
    // newest write (the +01:00 one) is kept.
    let digital = |count: i64| json!({"channel": "digital", "count": count});
    store_old_style(
        &app,
        data_set,
        &base64(&format!("{plus}.digital")),
        plus,
        digital(1),
        1_000,
    )
    .await;
    store_old_style(
        &app,
        data_set,
        &base64(&format!("{zulu}.digital")),
        plus,
        digital(2),
        2_000,
    )
    .await;
    store_old_style(
        &app,
        data_set,
        &base64(&format!("{hour}.digital")),
        plus,
        digital(3),
        3_000,
    )
    .await;
    // Written the same moment: the later row wins.
    store_old_style(
        &app,
        data_set,
        &base64(&format!("{plus}.phone")),
        plus,
        json!({"channel": "phone", "count": 7}),
        5_000,
    )
    .await;
    store_old_style(
        &app,
        data_set,
        &base64(&format!("{zulu}.phone")),
        plus,
        json!({"channel": "phone", "count": 8}),
        5_000,
    )
    .await;
    // Alone, with a +00:00 id: given its new id.
    store_old_style(
        &app,
        data_set,
        &base64("2025-06-23T00:00:00+00:00.paper"),
        "2025-06-23T00:00:00Z",
        json!({"channel": "paper", "count": 9}),
        4_000,
    )
    .await;
    // An id its sender gave stays as it is.
    store_old_style(
        &app,
        data_set,
        "my-own-id",
        "2025-06-23T00:00:00Z",
        json!({"channel": "phone", "count": 4}),
        4_000,
    )
    .await;
    store_old_style(
        &app,
        given,
        &base64("2025-06-30T00:00:00.000+00:00"),
        "2025-06-30T00:00:00Z",
        json!({"count": 1}),
        4_000,
    )
    .await;

    forget_the_upgrade(&app).await;
    app.store.migrate().await.unwrap();

    let data = raw(&app).await;
    let ids: Vec<(&str, i64)> = data
        .iter()
        .map(|r| (r["_id"].as_str().unwrap(), r["count"].as_i64().unwrap()))
        .collect();
    let digital_id = base64(&format!("{zulu}.digital"));
    let phone_id = base64(&format!("{zulu}.phone"));
    let paper_id = base64("2025-06-23T00:00:00Z.paper");
    let mut expected = vec![
        (digital_id.as_str(), 3),
        (phone_id.as_str(), 8),
        ("my-own-id", 4),
        (paper_id.as_str(), 9),
    ];
    let mut got = ids.clone();
    got.sort();
    expected.sort();
    assert_eq!(got, expected);
    let digital_row = data
        .iter()
        .find(|r| r["_id"] == digital_id.as_str())
        .unwrap();
    assert_eq!(digital_row["_updated_at"], "1970-01-01T00:00:00.003+00:00");
    assert_eq!(
        stored_ids(&app, given).await,
        [base64("2025-06-30T00:00:00Z")]
    );

    let entries = history(&app).await;
    assert_eq!(actions(&entries), ["merge"; 3]);
    let mut merged: Vec<(String, String, i64)> = entries
        .iter()
        .map(|e| {
            assert_eq!(e["actor"], "pulse:upgrade");
            (
                e["record_id"].as_str().unwrap().to_string(),
                e["old_value"]["_id"].as_str().unwrap().to_string(),
                e["old_value"]["count"].as_i64().unwrap(),
            )
        })
        .collect();
    merged.sort();
    let mut expected = vec![
        (digital_id.clone(), base64(&format!("{plus}.digital")), 1),
        (digital_id.clone(), base64(&format!("{zulu}.digital")), 2),
        (phone_id.clone(), base64(&format!("{plus}.phone")), 7),
    ];
    expected.sort();
    assert_eq!(merged, expected);

    // Once only: a later start leaves even an old-style id alone.
    store_old_style(
        &app,
        given,
        &base64("2025-07-07T00:00:00+00:00"),
        "2025-07-07T00:00:00Z",
        json!({"count": 2}),
        6_000,
    )
    .await;
    app.store.migrate().await.unwrap();
    assert_eq!(
        stored_ids(&app, given).await,
        [
            base64("2025-06-30T00:00:00Z"),
            base64("2025-07-07T00:00:00+00:00")
        ]
    );
    assert_eq!(history(&app).await.len(), 3);
}
both!(stored_ids_are_recomputed_once_and_duplicates_merged);

async fn a_window_from_now_leaves_out_the_unfinished_period(app: TestApp) {
    let token = with_data_set(&app, json!(["_timestamp"])).await;
    let today = Utc::now().duration_trunc(Duration::days(1)).unwrap();
    let stamp = |t: chrono::DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let records: Vec<Value> = (0..3)
        .map(|ago| json!({"_timestamp": stamp(today - Duration::days(ago)), "count": 10 + ago}))
        .collect();
    assert_eq!(
        post(&app, &token, Value::Array(records)).await.status,
        StatusCode::OK
    );
    let read = |query: String| {
        let app = &app;
        async move {
            let answer = app.get(&format!("{URI}?{query}")).await;
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
            answer.json()["data"].as_array().unwrap().clone()
        }
    };
    // The last 2 complete days: the day before yesterday and yesterday.
    let days = read("period=day&duration=2&collect=count:sum".into()).await;
    let starts: Vec<&str> = days
        .iter()
        .map(|d| d["_start_at"].as_str().unwrap())
        .collect();
    let iso = |t: chrono::DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string();
    assert_eq!(
        starts,
        [
            iso(today - Duration::days(2)),
            iso(today - Duration::days(1))
        ]
    );
    assert_eq!(days[1]["_end_at"], iso(today).as_str());
    assert_eq!(
        (days[0]["count:sum"].clone(), days[1]["count:sum"].clone()),
        (json!(12), json!(11))
    );
    // Asked for with end_at, the unfinished day is there.
    let tomorrow = stamp(today + Duration::days(1));
    let days = read(format!(
        "period=day&duration=2&end_at={tomorrow}&collect=count:sum"
    ))
    .await;
    assert_eq!(days[1]["_start_at"], iso(today).as_str());
    assert_eq!(days[1]["count:sum"], 10);
}
both!(a_window_from_now_leaves_out_the_unfinished_period);

async fn unknown_data_routes_are_json_404s(app: TestApp) {
    let token = with_data_set(&app, json!([])).await;
    let record = format!("{URI}/some-id");
    for (method, uri) in [
        (Method::GET, "/data/a/b/c"),
        (Method::POST, "/data/a/b/c"),
        (Method::PUT, "/data/a/b/c"),
        (Method::GET, record.as_str()),
        (Method::POST, record.as_str()),
        (Method::GET, "/data/a/b/c/d"),
        (Method::DELETE, "/data/a/b/c/d"),
        (Method::GET, "/data/a"),
        (Method::GET, "/data"),
    ] {
        let answer = app.send(method.clone(), uri, &token, &json!({})).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{method} {uri}");
        let body = answer.json();
        assert_eq!(body["status"], "error", "{method} {uri}");
        let message = body["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("There is no {method} {uri} in the data API")),
            "{method} {uri}: {message}"
        );
    }
    // A data set's address keeps Backdrop's 405 for a method it does not take.
    let answer = app.send(Method::PATCH, URI, &token, &json!({})).await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
}
both!(unknown_data_routes_are_json_404s);
