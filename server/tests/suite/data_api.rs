//! The Backdrop-compatible data API over HTTP, on SQLite and on Postgres: every
//! write rule, the read shapes, the validation messages, and the data set admin.

use crate::support::TestApp;
use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

const URI: &str = "/data/carers-allowance/transactions";

async fn with_data_set(app: &TestApp, extra: Value) -> String {
    let mut settings = json!({"data_group": "carers-allowance", "data_type": "transactions"});
    for (k, v) in extra.as_object().unwrap() {
        settings[k] = v.clone();
    }
    app.data_set(settings).await
}

async fn raw(app: &TestApp) -> Vec<Value> {
    let answer = app.get(URI).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    answer.json()["data"].as_array().unwrap().clone()
}

async fn writes_are_authorised_in_backdrop_order(app: TestApp) {
    let token = with_data_set(&app, json!({})).await;
    let body = json!({"_timestamp": "2013-03-11T00:00:00Z"});
    let unknown = app
        .send(Method::POST, "/data/nope/nothing", &token, &body)
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(
        unknown.json(),
        json!({"status": "error", "message": "Could not find data_set_config"})
    );

    let none = app
        .request(
            Method::POST,
            URI,
            &[("content-type", "application/json")],
            b"{}".to_vec(),
        )
        .await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        none.json()["message"],
        "Expected header of form: Authorization: Bearer <token>"
    );
    assert_eq!(none.header("www-authenticate"), "bearer");

    for auth in ["Basic abc", "Bearer", "Bearer wrong-token-of-some-length"] {
        let bad = app
            .request(
                Method::POST,
                URI,
                &[
                    ("authorization", auth),
                    ("content-type", "application/json"),
                ],
                b"{}".to_vec(),
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNAUTHORIZED, "{auth}");
        assert_eq!(bad.json()["message"], "Unauthorized: Invalid bearer token");
        assert_eq!(bad.header("www-authenticate"), "bearer");
        assert!(!bad.text().contains("wrong-token"), "never echo a secret");
    }

    let good = app.send(Method::POST, URI, &token, &body).await;
    assert_eq!(good.status, StatusCode::OK, "{}", good.text());
    assert_eq!(good.json(), json!({"status": "ok"}));
    assert_eq!(good.header("cache-control"), "no-cache");
}
both!(writes_are_authorised_in_backdrop_order);

async fn bad_bodies_get_clear_errors(app: TestApp) {
    let token = with_data_set(&app, json!({})).await;
    let auth = format!("Bearer {token}");
    let send = |headers: Vec<(&'static str, String)>, body: Vec<u8>| {
        let app = &app;
        let auth = auth.clone();
        async move {
            let mut all: Vec<(&str, String)> = vec![("authorization", auth)];
            all.extend(headers);
            let refs: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.request(Method::POST, URI, &refs, body).await
        }
    };
    let json_type = || vec![("content-type", "application/json".to_string())];

    let empty = send(json_type(), Vec::new()).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        empty.json()["message"],
        "Expected JSON request body but received zero bytes."
    );

    let not_json = send(vec![("content-type", "text/plain".into())], b"{}".to_vec()).await;
    assert_eq!(not_json.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        not_json.json(),
        json!({"messages": ["Expected header: Content-type: application/json"]})
    );

    let broken = send(json_type(), b"{\"a\": ".to_vec()).await;
    assert_eq!(broken.status, StatusCode::BAD_REQUEST);
    assert_eq!(broken.json()["status"], "error");
    assert!(broken.json()["message"]
        .as_str()
        .unwrap()
        .starts_with("Error parsing JSON: "));

    let huge = send(json_type(), vec![b' '; 10 * 1024 * 1024 + 1]).await;
    assert_eq!(huge.status, StatusCode::PAYLOAD_TOO_LARGE);

    // gzip, as the Python client sends bodies over 2,048 characters.
    let records: Vec<Value> = (0..200)
        .map(|i| json!({"_timestamp": "2013-03-11T00:00:00Z", "value": i, "note": "x".repeat(20)}))
        .collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &serde_json::to_vec(&records).unwrap()).unwrap();
    let mut headers = json_type();
    headers.push(("content-encoding", "gzip".into()));
    let zipped = send(headers.clone(), gz.finish().unwrap()).await;
    assert_eq!(zipped.status, StatusCode::OK, "{}", zipped.text());
    assert_eq!(raw(&app).await.len(), 200);

    // A bomb: small compressed, over the limit once inflated.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut gz, &vec![b' '; 11 * 1024 * 1024]).unwrap();
    let bomb = send(headers.clone(), gz.finish().unwrap()).await;
    assert_eq!(bomb.status, StatusCode::PAYLOAD_TOO_LARGE);
    let not_gzip = send(headers, b"{}".to_vec()).await;
    assert_eq!(not_gzip.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        raw(&app).await.len(),
        200,
        "nothing was written by the failures"
    );
}
both!(bad_bodies_get_clear_errors);

async fn a_batch_is_all_or_nothing_and_says_where_it_failed(app: TestApp) {
    let token = with_data_set(&app, json!({})).await;
    let answer = app
        .send(
            Method::POST,
            URI,
            &token,
            &json!([
                {"_timestamp": "2013-03-11T00:00:00Z", "count": 1},
                {"_timestamp": "2013-03-11", "count": 2},
                {"_timestamp": "2013-03-11T00:00:00Z", "bad key": 3},
                7
            ]),
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let body = answer.json();
    assert!(body.get("status").is_none());
    assert_eq!(
        body["messages"],
        json!([
            "_timestamp is not a valid datetime object",
            "bad key is not a valid key",
            "record is not a JSON object"
        ])
    );
    assert_eq!(
        body["errors"][0],
        json!({"index": 1, "field": "_timestamp", "message": "_timestamp is not a valid datetime object"})
    );
    assert_eq!(body["errors"][2]["index"], 3);
    assert!(
        raw(&app).await.is_empty(),
        "the good record was not stored either"
    );
    // Of many problems, the first thousand are listed, then how many more.
    let many: Vec<Value> = (0..1_500)
        .map(|i| json!({"_timestamp": "2013-03-11", "count": i}))
        .collect();
    let answer = app
        .send(Method::POST, URI, &token, &Value::Array(many))
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let body = answer.json();
    assert_eq!(body["errors"].as_array().unwrap().len(), 1_000);
    assert_eq!(body["errors"][999]["index"], 999);
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1_001);
    assert_eq!(
        messages[1_000],
        "...and 500 more problems: only the first 1,000 are listed. Nothing was written."
    );
    assert!(raw(&app).await.is_empty());
}
both!(a_batch_is_all_or_nothing_and_says_where_it_failed);

async fn stored_records_carry_ids_times_and_period_keys(app: TestApp) {
    let token = with_data_set(&app, json!({})).await;
    let answer = app
        .send(Method::POST, URI, &token, &json!({"_timestamp": "2013-03-13T14:15:16+01:00", "_id": "r1", "count": 3, "flag": true, "name": null}))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let data = raw(&app).await;
    assert_eq!(data.len(), 1);
    let r = &data[0];
    assert_eq!(r["_id"], "r1");
    assert_eq!(r["_timestamp"], "2013-03-13T13:15:16+00:00");
    assert_eq!(r["_hour_start_at"], "2013-03-13T13:00:00+00:00");
    assert_eq!(r["_day_start_at"], "2013-03-13T00:00:00+00:00");
    assert_eq!(r["_week_start_at"], "2013-03-11T00:00:00+00:00");
    assert_eq!(r["_month_start_at"], "2013-03-01T00:00:00+00:00");
    assert_eq!(r["_quarter_start_at"], "2013-01-01T00:00:00+00:00");
    assert_eq!(r["_year_start_at"], "2013-01-01T00:00:00+00:00");
    assert!(r["_updated_at"].as_str().unwrap().ends_with("+00:00"));
    assert_eq!(
        (r["count"].clone(), r["flag"].clone(), r["name"].clone()),
        (json!(3), json!(true), Value::Null)
    );
    // Unpublished: a warning, and no caching.
    let answer = app.get(URI).await;
    assert_eq!(
        answer.json()["warning"],
        "Warning: This data-set is unpublished. Data may be subject to change or be inaccurate."
    );
    assert_eq!(answer.header("cache-control"), "no-cache");
    assert_eq!(answer.header("access-control-allow-origin"), "*");
}
both!(stored_records_carry_ids_times_and_period_keys);

async fn corrections_replace_and_keep_a_history(app: TestApp) {
    let token = with_data_set(&app, json!({"auto_ids": ["_timestamp", "key"]})).await;
    let first = json!({"_timestamp": "2013-03-11T00:00:00Z", "key": "k1", "value": 1});
    let fixed = json!({"_timestamp": "2013-03-11T00:00:00Z", "key": "k1", "value": 2});
    assert_eq!(
        app.send(Method::POST, URI, &token, &first).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.send(Method::POST, URI, &token, &fixed).await.status,
        StatusCode::OK
    );
    let data = raw(&app).await;
    assert_eq!(data.len(), 1);
    assert_eq!(data[0]["_id"], "MjAxMy0wMy0xMVQwMDowMDowMFouazE=");
    assert_eq!(data[0]["value"], 2);

    // PATCH merges; DELETE removes; both are kept in the history.
    let id = "MjAxMy0wMy0xMVQwMDowMDowMFouazE=";
    let patched = app
        .send(
            Method::PATCH,
            &format!("{URI}/{id}"),
            &token,
            &json!({"note": "revised"}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text());
    let data = raw(&app).await;
    assert_eq!(
        (data[0]["value"].clone(), data[0]["note"].clone()),
        (json!(2), json!("revised"))
    );
    let missing = app
        .send(
            Method::PATCH,
            &format!("{URI}/nope"),
            &token,
            &json!({"a1": 1}),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.json()["message"], "No record found with id nope");
    let deleted = app
        .request(
            Method::DELETE,
            &format!("{URI}/{id}"),
            &[("authorization", &format!("Bearer {token}"))],
            vec![],
        )
        .await;
    assert_eq!(deleted.status, StatusCode::OK);
    let again = app
        .request(
            Method::DELETE,
            &format!("{URI}/{id}"),
            &[("authorization", &format!("Bearer {token}"))],
            vec![],
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);

    let admin = app.admin_key().await;
    let history = app
        .request(
            Method::GET,
            "/api/v1/data-sets/carers-allowance/transactions/history",
            &[("authorization", &format!("Bearer {admin}"))],
            vec![],
        )
        .await;
    assert_eq!(history.status, StatusCode::OK);
    let entries = history.json()["history"].as_array().unwrap().clone();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["delete", "patch", "replace"]);
    let replace = &entries[2];
    assert_eq!(replace["old_value"]["value"], 1);
    assert_eq!(replace["new_value"]["value"], 2);
    assert!(replace["actor"].as_str().unwrap().starts_with("key:pulse_"));
}
both!(corrections_replace_and_keep_a_history);

async fn put_empties_only_with_an_empty_list(app: TestApp) {
    let token = with_data_set(&app, json!({})).await;
    let records =
        json!([{"_timestamp": "2013-03-11T00:00:00Z"}, {"_timestamp": "2013-03-12T00:00:00Z"}]);
    app.send(Method::POST, URI, &token, &records).await;
    let refused = app.send(Method::PUT, URI, &token, &records).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        refused.json()["message"],
        "Not implemented: you can only pass an empty JSON list"
    );
    assert_eq!(raw(&app).await.len(), 2);
    let emptied = app.send(Method::PUT, URI, &token, &json!([])).await;
    assert_eq!(emptied.status, StatusCode::OK);
    assert_eq!(
        emptied.json(),
        json!({"status": "ok", "message": "carers_allowance_transactions now contains 0 records"})
    );
    assert!(raw(&app).await.is_empty());
}
both!(put_empties_only_with_an_empty_list);

/// Weekly records for two channels over three weeks of March 2013 (one week empty).
async fn sample(app: &TestApp, extra: Value) {
    let token = with_data_set(app, extra).await;
    let records = json!([
        {"_timestamp": "2013-03-04T00:00:00Z", "channel": "digital", "count": 10, "rating": 4.5},
        {"_timestamp": "2013-03-05T00:00:00Z", "channel": "phone", "count": 5, "rating": 3},
        {"_timestamp": "2013-03-06T00:00:00Z", "channel": "digital", "count": 2},
        {"_timestamp": "2013-03-18T00:00:00Z", "channel": "digital", "count": 7, "rating": 5},
        {"_timestamp": "2013-03-19T00:00:00Z", "channel": "paper", "count": 1, "rating": 1},
    ]);
    let answer = app.send(Method::POST, URI, &token, &records).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
}

async fn data(app: &TestApp, query: &str) -> Value {
    let answer = app.get(&format!("{URI}?{query}")).await;
    assert_eq!(answer.status, StatusCode::OK, "{query}: {}", answer.text());
    answer.json()["data"].clone()
}

async fn reads_have_backdrops_shapes(app: TestApp) {
    sample(&app, json!({"published": true})).await;
    let published = app.get(URI).await;
    assert_eq!(
        published.header("cache-control"),
        "max-age=1800, must-revalidate"
    );
    assert!(published.json().get("warning").is_none());

    assert_eq!(
        data(&app, "group_by=channel&collect=count:sum").await,
        json!([
            {"channel": "digital", "_count": 3, "count:sum": 19},
            {"channel": "paper", "_count": 1, "count:sum": 1},
            {"channel": "phone", "_count": 1, "count:sum": 5}
        ])
    );
    assert_eq!(
        data(&app, "group_by=channel&collect=rating:mean&collect=rating:min&collect=rating:max&collect=rating:count&filter_by=channel:digital").await,
        json!([{"channel": "digital", "_count": 3, "rating:mean": 4.75, "rating:min": 4.5, "rating:max": 5, "rating:count": 2}])
    );
    assert_eq!(
        data(
            &app,
            "group_by=channel&collect=rating&filter_by_prefix=channel:dig"
        )
        .await,
        json!([{"channel": "digital", "_count": 3, "rating": [4.5, 5], "rating:set": [4.5, 5]}])
    );
    assert_eq!(
        data(
            &app,
            "group_by=channel&collect=count:sum&sort_by=count:sum:descending&limit=2"
        )
        .await,
        json!([
            {"channel": "digital", "_count": 3, "count:sum": 19},
            {"channel": "phone", "_count": 1, "count:sum": 5}
        ])
    );

    // A period query is zero-filled, oldest first; an empty period's collection is null.
    let weeks =
        "period=week&start_at=2013-03-04T00:00:00Z&end_at=2013-03-25T00:00:00Z&collect=count:sum";
    assert_eq!(
        data(&app, weeks).await,
        json!([
            {"_start_at": "2013-03-04T00:00:00+00:00", "_end_at": "2013-03-11T00:00:00+00:00", "_count": 3, "count:sum": 17},
            {"_start_at": "2013-03-11T00:00:00+00:00", "_end_at": "2013-03-18T00:00:00+00:00", "_count": 0, "count:sum": null},
            {"_start_at": "2013-03-18T00:00:00+00:00", "_end_at": "2013-03-25T00:00:00+00:00", "_count": 2, "count:sum": 8}
        ])
    );

    let grouped = data(&app, &format!("{weeks}&group_by=channel")).await;
    assert_eq!(grouped.as_array().unwrap().len(), 3);
    assert_eq!(grouped[0]["channel"], "digital");
    assert_eq!(grouped[0]["_count"], 3);
    assert_eq!(grouped[0]["_group_count"], 2);
    assert_eq!(grouped[0]["count:sum"], 19);
    assert_eq!(grouped[0]["values"].as_array().unwrap().len(), 3);
    assert_eq!(
        grouped[0]["values"][1],
        json!({"_start_at": "2013-03-11T00:00:00+00:00", "_end_at": "2013-03-18T00:00:00+00:00", "_count": 0, "count:sum": null})
    );

    let flat = data(&app, &format!("{weeks}&group_by=channel&flatten=true")).await;
    let flat = flat.as_array().unwrap();
    assert_eq!(flat.len(), 9);
    assert_eq!(
        flat[0],
        json!({"_start_at": "2013-03-04T00:00:00+00:00", "_end_at": "2013-03-11T00:00:00+00:00", "channel": "digital", "_count": 2, "count:sum": 12})
    );
    assert_eq!(flat[8]["channel"], "phone");
    assert_eq!(flat[8]["_start_at"], "2013-03-18T00:00:00+00:00");

    // Duration counts back from end_at and is shifted to end at the last data.
    let shifted = data(
        &app,
        "period=week&duration=2&end_at=2013-04-29T00:00:00Z&collect=count:sum",
    )
    .await;
    assert_eq!(shifted.as_array().unwrap().len(), 2);
    // The window 15 to 29 April had no data, so it is not moved.
    assert_eq!(shifted[0]["_start_at"], "2013-04-15T00:00:00+00:00");
    let shifted = data(&app, "period=week&duration=2&end_at=2013-04-01T00:00:00Z").await;
    assert_eq!(shifted[0]["_start_at"], "2013-03-11T00:00:00+00:00");
    assert_eq!(shifted[1]["_count"], 2);
    let forward = data(&app, "period=week&duration=2&start_at=2013-03-11T00:00:00Z").await;
    assert_eq!(forward[0]["_start_at"], "2013-03-18T00:00:00+00:00");

    // Time bounds: end exclusive unless inclusive=true.
    let bounded = data(
        &app,
        "start_at=2013-03-04T00:00:00Z&end_at=2013-03-06T00:00:00Z",
    )
    .await;
    assert_eq!(bounded.as_array().unwrap().len(), 2);
    let inclusive = data(
        &app,
        "start_at=2013-03-04T00:00:00Z&end_at=2013-03-06T00:00:00Z&inclusive=true",
    )
    .await;
    assert_eq!(inclusive.as_array().unwrap().len(), 3);

    // CSV: sorted header, CRLF.
    let csv = app
        .get(&format!(
            "{URI}?group_by=channel&collect=count:sum&format=csv"
        ))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.header("content-type").starts_with("text/csv"));
    assert_eq!(
        csv.header("content-disposition"),
        "attachment; filename=export.csv"
    );
    assert_eq!(
        csv.text(),
        "_count,channel,count:sum\r\n3,digital,19\r\n1,paper,1\r\n1,phone,5\r\n"
    );

    // sum over a string is refused at run time.
    let invalid = app
        .get(&format!("{URI}?group_by=count&collect=channel:sum"))
        .await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
    assert_eq!(invalid.json()["message"], "invalid collect function");

    let preflight = app.request(Method::OPTIONS, URI, &[], vec![]).await;
    assert_eq!(preflight.status, StatusCode::OK);
    assert_eq!(preflight.header("access-control-max-age"), "86400");
    assert_eq!(
        preflight.header("access-control-allow-headers"),
        "cache-control, govuk-request-id, request-id"
    );
}
both!(reads_have_backdrops_shapes);

async fn every_read_message_is_answered_over_http(app: TestApp) {
    sample(&app, json!({})).await;
    // Every message of the read API's validation, in its order, over HTTP.
    let mut cases: Vec<(&str, &str)> = server::domain::query::params::MESSAGE_EXAMPLES.to_vec();
    // `+` in a URL is a space: an offset must be sent as %2B.
    cases.push((
        "start_at=2012-01-01T00:00:00+01:00&end_at=2012-02-01T00:00:00Z",
        "start_at is not a valid datetime",
    ));
    for (query, message) in cases {
        let answer = app.get(&format!("{URI}?{query}")).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(
            answer.json(),
            json!({"status": "error", "message": message}),
            "{query}"
        );
    }
    // `+` must be sent as %2B; sent so, the offset is understood.
    let ok = app
        .get(&format!(
            "{URI}?start_at=2013-03-04T01:00:00%2B01:00&end_at=2013-03-05T00:00:00Z"
        ))
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.json()["data"].as_array().unwrap().len(), 1);
}
both!(every_read_message_is_answered_over_http);

async fn data_sets_that_hide_raw_data_or_all_data(app: TestApp) {
    sample(&app, json!({"raw_queries_allowed": false})).await;
    let answer = app.get(URI).await;
    assert_eq!(
        answer.json()["message"],
        "querying for raw data is not allowed"
    );
    let admin = app.admin_key().await;
    let hidden = app
        .send(
            Method::PATCH,
            "/api/v1/data-sets/carers-allowance/transactions",
            &admin,
            &json!({"queryable": false}),
        )
        .await;
    assert_eq!(hidden.status, StatusCode::OK, "{}", hidden.text());
    assert_eq!(hidden.json()["queryable"], false);
    let gone = app.get(URI).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(
        gone.json(),
        json!({"status": "error", "message": "data_set not found"})
    );
}
both!(data_sets_that_hide_raw_data_or_all_data);

async fn data_sets_are_managed_with_an_admin_key(app: TestApp) {
    let admin = app.admin_key().await;
    let anonymous = app.get("/api/v1/data-sets").await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let token = with_data_set(
        &app,
        json!({"auto_ids": ["_timestamp"], "max_age_expected": 3600}),
    )
    .await;
    assert!(token.starts_with("pulse_"));
    // A write token is not an admin key.
    let forbidden = app
        .send(Method::GET, "/api/v1/data-sets", &token, &json!({}))
        .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    let duplicate = app
        .send(
            Method::POST,
            "/api/v1/data-sets",
            &admin,
            &json!({"data_group": "carers-allowance", "data_type": "transactions"}),
        )
        .await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT);
    let bad = app
        .send(
            Method::POST,
            "/api/v1/data-sets",
            &admin,
            &json!({"data_group": "Bad Group", "data_type": "x"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let unknown_field = app
        .send(
            Method::POST,
            "/api/v1/data-sets",
            &admin,
            &json!({"data_group": "a", "data_type": "b", "colour": "red"}),
        )
        .await;
    assert_eq!(unknown_field.status, StatusCode::BAD_REQUEST);

    let list = app
        .send(Method::GET, "/api/v1/data-sets", &admin, &json!({}))
        .await;
    let sets = list.json()["data_sets"].as_array().unwrap().clone();
    assert_eq!(sets.len(), 1);
    assert_eq!(sets[0]["name"], "carers_allowance_transactions");
    assert_eq!(sets[0]["max_age_expected"], 3600);
    assert!(
        sets[0].get("bearer_token").is_none(),
        "a token is shown only once"
    );

    // Rotating the token refuses the old one.
    let rotated = app
        .send(
            Method::POST,
            "/api/v1/data-sets/carers-allowance/transactions/token",
            &admin,
            &json!({}),
        )
        .await;
    let new_token = rotated.json()["bearer_token"].as_str().unwrap().to_string();
    let body = json!({"_timestamp": "2013-03-11T00:00:00Z"});
    assert_eq!(
        app.send(Method::POST, URI, &token, &body).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.send(Method::POST, URI, &new_token, &body).await.status,
        StatusCode::OK
    );

    // Health: a record from 2013 is long out of date.
    let health = app.get("/_status/data-sets").await;
    assert_eq!(health.status, StatusCode::OK);
    let health = health.json();
    assert_eq!(health["status"], "not okay");
    assert_eq!(health["message"], "1 data-set is out of date");
    assert_eq!(
        health["data_sets"][0]["name"],
        "carers_allowance_transactions"
    );
    assert!(
        health["data_sets"][0]["seconds-out-of-date"]
            .as_i64()
            .unwrap()
            > 0
    );

    let deleted = app
        .send(
            Method::DELETE,
            "/api/v1/data-sets/carers-allowance/transactions",
            &admin,
            &json!({}),
        )
        .await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(app.get(URI).await.status, StatusCode::NOT_FOUND);
    let health = app.get("/_status/data-sets").await.json();
    assert_eq!(
        health,
        json!({"status": "ok", "message": "All data_sets are in date", "data_sets": null})
    );
}
both!(data_sets_are_managed_with_an_admin_key);

async fn a_data_sets_schema_is_enforced(app: TestApp) {
    let admin = app.admin_key().await;
    let not_a_schema = app
        .send(
            Method::POST,
            "/api/v1/data-sets",
            &admin,
            &json!({"data_group": "a1", "data_type": "b1", "schema": {"type": 12}}),
        )
        .await;
    assert_eq!(not_a_schema.status, StatusCode::BAD_REQUEST);
    assert!(not_a_schema.json()["message"]
        .as_str()
        .unwrap()
        .starts_with("schema is not a valid JSON Schema"));
    let token = with_data_set(
        &app,
        json!({"schema": {"type": "object", "properties": {"count": {"type": "integer", "minimum": 0}}, "required": ["count"]}}),
    )
    .await;
    let answer = app
        .send(Method::POST, URI, &token, &json!([{"_timestamp": "2013-03-11T00:00:00Z", "count": 1}, {"_timestamp": "2013-03-11T00:00:00Z", "count": -4}]))
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.json()["errors"][0]["index"], 1);
    assert_eq!(answer.json()["errors"][0]["field"], "count");
    assert!(raw(&app).await.is_empty());
}
both!(a_data_sets_schema_is_enforced);

async fn reads_follow_every_write(app: TestApp) {
    let token = with_data_set(&app, json!({"auto_ids": ["_timestamp", "key"]})).await;
    let post = |body: Value| {
        let (app, token) = (&app, token.clone());
        async move {
            assert_eq!(
                app.send(Method::POST, URI, &token, &body).await.status,
                StatusCode::OK
            )
        }
    };
    post(json!({"_timestamp": "2013-03-11T00:00:00Z", "key": "a1", "value": 1})).await;
    assert_eq!(raw(&app).await.len(), 1);
    // New records only: appended to the table held in memory.
    post(json!([{"_timestamp": "2013-03-12T00:00:00Z", "key": "b1", "value": 2}, {"_timestamp": "2013-03-13T00:00:00Z", "key": "c1", "value": 3}])).await;
    let sum = |rows: Vec<Value>| {
        rows.iter()
            .map(|r| r["value"].as_i64().unwrap())
            .sum::<i64>()
    };
    assert_eq!(sum(raw(&app).await), 6);
    // A correction: the table is reloaded.
    post(json!({"_timestamp": "2013-03-12T00:00:00Z", "key": "b1", "value": 20})).await;
    let rows = raw(&app).await;
    assert_eq!((rows.len(), sum(rows)), (3, 24));
    let grouped = data(&app, "group_by=key&collect=value:sum").await;
    assert_eq!(
        grouped[1],
        json!({"key": "b1", "_count": 1, "value:sum": 20})
    );
}
both!(reads_follow_every_write);
