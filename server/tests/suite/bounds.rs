//! Hostile queries are bounded before any work is done: each probe that once
//! took the server's memory (or minutes) is refused with a clear message at once
//! (a 400; a 422 for a rule between parameters each valid alone),
//! on `/data`, `/api/v1` and the pages alike; ordinary queries still answer.
//! The bounds are `app::kpi::{MAX_PERIODS, MIN_YEAR, MAX_YEAR, MAX_ROWS,
//! MAX_AUDIT_LIMIT}`.

use crate::support;

use std::time::{Duration, Instant};

use crate::support::{Answer, TestApp};
use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

const DATA: &str = "/data/file-a-tax-return/transactions-by-channel";
const SERVICE: &str = "/api/v1/services/file-a-tax-return";

async fn with_demo(app: TestApp) -> TestApp {
    server::demo::load(&app.store, 7, support::until())
        .await
        .unwrap();
    app
}

/// A GET, timed.
async fn timed(app: &TestApp, uri: &str, who: &[(String, String)]) -> (Answer, Duration) {
    let started = Instant::now();
    let answer = support::call(app, Method::GET, uri, who, None).await;
    (answer, started.elapsed())
}

/// Asserts a quick 400 whose JSON message is `message`.
async fn refused(app: &TestApp, uri: &str, who: &[(String, String)], message: &str) {
    refused_as(app, uri, who, StatusCode::BAD_REQUEST, message).await;
}

/// As [`refused`], with the status expected: 422 for a rule between
/// parameters that each are valid alone (from after to, too many periods).
async fn refused_as(
    app: &TestApp,
    uri: &str,
    who: &[(String, String)],
    status: StatusCode,
    message: &str,
) {
    let (answer, _) = timed(app, uri, who).await;
    assert_eq!(answer.status, status, "{uri}: {}", answer.text());
    assert_eq!(answer.json()["message"], message, "{uri}");
}

const DURATION_TOO_LARGE: &str = "'duration' must be at most 1000 - please ask for fewer periods, or for a longer period (like 'month' rather than 'week')";

async fn data_reads_are_bounded(app: TestApp) {
    let app = with_demo(app).await;
    for (query, message) in [
        ("period=year&duration=4000000000", DURATION_TOO_LARGE),
        ("period=hour&duration=100000000", DURATION_TOO_LARGE),
        ("period=hour&duration=1000000", DURATION_TOO_LARGE),
        ("period=week&duration=99999999999999999999999", DURATION_TOO_LARGE),
        ("period=week&duration=1001&group_by=channel&collect=count:sum", DURATION_TOO_LARGE),
        ("period=week&duration=-5", "duration must be a positive integer"),
        ("limit=-5", "limit must be a positive integer"),
        ("limit=99999999999999999999", "limit must be at most 100000"),
        ("group_by=channel&limit=100001", "limit must be at most 100000"),
        (
            "period=week&start_at=0001-01-01T00:00:00Z&end_at=9998-12-01T00:00:00Z",
            "start_at must be in the years 1900 to 2200",
        ),
        (
            "start_at=2020-01-01T00:00:00Z&end_at=9999-12-31T00:00:00Z",
            "end_at must be in the years 1900 to 2200",
        ),
        (
            "period=week&start_at=1950-01-02T00:00:00Z&end_at=2100-01-04T00:00:00Z&group_by=channel&collect=count:sum",
            "A period query may cover at most 1000 periods, and this one covers 7827 - please narrow 'start_at' and 'end_at', or ask for a longer period (like 'month' rather than 'week')",
        ),
        (
            "period=day&start_at=2020-01-01T00:00:00Z&end_at=2025-01-01T00:00:00Z&format=csv",
            "A period query may cover at most 1000 periods, and this one covers 1827 - please narrow 'start_at' and 'end_at', or ask for a longer period (like 'month' rather than 'week')",
        ),
    ] {
        refused(&app, &format!("{DATA}?{query}"), &[], message).await;
    }

    // At the bounds, and an ordinary dashboard query, answers come.
    for (query, rows) in [
        ("period=hour&duration=1000", 1000),
        ("period=week&duration=1000&collect=count:sum", 1000),
        (
            "period=year&start_at=1900-01-01T00:00:00Z&end_at=2200-12-31T00:00:00Z",
            301,
        ),
        (
            "period=week&duration=52&group_by=channel&collect=count:sum",
            4,
        ),
    ] {
        let (answer, _) = timed(&app, &format!("{DATA}?{query}"), &[]).await;
        assert_eq!(answer.status, StatusCode::OK, "{query}: {}", answer.text());
        assert_eq!(
            answer.json()["data"].as_array().unwrap().len(),
            rows,
            "{query}"
        );
    }
}
both!(data_reads_are_bounded);

async fn answers_over_the_row_bound_are_refused_with_how_to_narrow_them(app: TestApp) {
    // 101 groups over 1,000 days is 101,000 rows: one over the bound.
    let token = app
        .data_set(json!({"data_group": "many", "data_type": "groups"}))
        .await;
    let records: Vec<Value> = (0..101)
        .map(|i| json!({"_timestamp": "2020-01-01T00:00:00Z", "name": format!("n{i:03}"), "count": i}))
        .collect();
    let written = app
        .send(Method::POST, "/data/many/groups", &token, &json!(records))
        .await;
    assert_eq!(written.status, StatusCode::OK, "{}", written.text());
    let window = "period=day&start_at=2019-06-01T00:00:00Z&end_at=2022-02-25T00:00:00Z&group_by=name&collect=count:sum";
    let message = "This query's answer would hold 101000 rows, more than the 100000 allowed - please narrow it with 'start_at' and 'end_at', 'filter_by' or 'limit'";
    for extra in ["", "&flatten=true", "&format=csv", "&limit=101"] {
        refused(
            &app,
            &format!("/data/many/groups?{window}{extra}"),
            &[],
            message,
        )
        .await;
    }
    // Limited to 100 groups, the same query answers.
    let (limited, _) = timed(
        &app,
        &format!("/data/many/groups?{window}&limit=100&sort_by=count:sum:descending"),
        &[],
    )
    .await;
    assert_eq!(limited.status, StatusCode::OK, "{}", limited.text());
    let data = limited.json()["data"].as_array().unwrap().clone();
    assert_eq!(data.len(), 100);
    assert_eq!(data[0]["name"], "n100", "sorted before limited");
    assert_eq!(data[0]["values"].as_array().unwrap().len(), 1000);
    assert_eq!(data[0]["_group_count"], 1);
}
both!(answers_over_the_row_bound_are_refused_with_how_to_narrow_them);

const FROM_REFUSED: &str =
    "from must be a month from 1900-01 to 2200-12 written YYYY-MM, like 2025-04, not \"0000-01\"";

async fn service_charts_are_bounded(app: TestApp) {
    let app = with_demo(app).await;
    for (query, message) in [
        ("from=0000-01&to=9999-12", FROM_REFUSED),
        ("period=week&from=0000-01&to=9999-12", FROM_REFUSED),
        (
            "period=week&from=2001-01&to=9998-12",
            "to must be a month from 1900-01 to 2200-12 written YYYY-MM, like 2025-04, not \"9998-12\"",
        ),
    ] {
        refused(&app, &format!("{SERVICE}?{query}"), &[], message).await;
    }
    for (query, message) in [
        ("from=2025-06&to=2025-01", "from must not be after to"),
        ("from=2025-06&to=2024-06", "from must not be after to"),
        (
            "period=week&from=1990-01&to=2025-12",
            "from 1990-01 to 2025-12 is 1879 weeks: at most 1000 can be shown - choose fewer months or a longer period",
        ),
    ] {
        let uri = format!("{SERVICE}?{query}");
        refused_as(&app, &uri, &[], StatusCode::UNPROCESSABLE_ENTITY, message).await;
    }
    // The same months by year are fine, and so is the default.
    for query in [
        "period=year&from=1990-01&to=2025-12",
        "",
        "period=week&from=2025-01&to=2025-12",
    ] {
        let (answer, _) = timed(&app, &format!("{SERVICE}?{query}"), &[]).await;
        assert_eq!(answer.status, StatusCode::OK, "{query}: {}", answer.text());
    }
}
both!(service_charts_are_bounded);

async fn list_limits_are_bounded(app: TestApp) {
    let app = with_demo(app).await;
    let admin = vec![(
        "authorization".to_string(),
        format!("Bearer {}", app.admin_key().await),
    )];
    for limit in ["-5", "0", "1001"] {
        refused(
            &app,
            &format!("/api/v1/audit?limit={limit}"),
            &admin,
            &format!("limit must be from 1 to 1000, not {limit}"),
        )
        .await;
    }
    // Too large for any number: still a 400 that names the parameter.
    let (huge, _) = timed(&app, "/api/v1/audit?limit=99999999999999999999", &admin).await;
    assert_eq!(huge.status, StatusCode::BAD_REQUEST, "{}", huge.text());
    assert!(
        huge.json()["message"].as_str().unwrap().contains("limit"),
        "{}",
        huge.text()
    );
    let (ok, _) = timed(&app, "/api/v1/audit?limit=1000", &admin).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());

    let history = "/api/v1/data-sets/file-a-tax-return/transactions-by-channel/history";
    refused(
        &app,
        &format!("{history}?limit=-5"),
        &admin,
        "limit must be from 1 to 100000, not -5",
    )
    .await;
    let (ok, _) = timed(&app, &format!("{history}?limit=100000"), &admin).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
}
both!(list_limits_are_bounded);

async fn pages_given_absurd_views_answer_quickly(app: TestApp) {
    let app = with_demo(app).await;
    for (page, problem) in [
        (
            "/services/file-a-tax-return?period=week&from=0000-01&to=9999-12",
            Some("The first month must be a month from 1900-01 to 2200-12, like 2025-04, not 0000-01."),
        ),
        (
            "/file-a-tax-return?period=week&from=0001-01&to=9998-12",
            Some("The first month must be a month from 1900-01 to 2200-12, like 2025-04, not 0001-01."),
        ),
        (
            "/file-a-tax-return?period=week&from=1901-01&to=2200-12",
            Some("From 1901-01 to 2200-12 is 15654 weeks: at most 1000 can be shown."),
        ),
        (
            "/services/file-a-tax-return?period=week&from=1990-01&to=2025-12",
            Some("From 1990-01 to 2025-12 is 1879 weeks: at most 1000 can be shown."),
        ),
        ("/file-a-tax-return?period=month&from=2025-01&to=2025-06", None),
    ] {
        let (answer, _) = timed(&app, page, &[]).await;
        assert_eq!(answer.status, StatusCode::OK, "{page}");
        let html = answer.text();
        assert!(html.len() < 3_000_000, "{page}: {} bytes", html.len());
        match problem {
            Some(problem) => assert!(html.contains(problem), "{page}: no {problem:?}"),
            None => assert!(!html.contains("govuk-error-message"), "{page}"),
        }
        assert!(!html.contains("cannot be shown"), "{page}: a module failed");
    }
}
both!(pages_given_absurd_views_answer_quickly);

/// A data set `many/{data_type}` of `groups` groups, one record each, and a
/// grouped daily module reading it.
async fn groups(app: &TestApp, data_type: &str, groups: usize, slug: &str) -> Value {
    let token = app
        .data_set(json!({"data_group": "many", "data_type": data_type, "published": true}))
        .await;
    let records: Vec<Value> = (0..groups)
        .map(|i| json!({"_timestamp": "2020-01-01T00:00:00Z", "name": format!("n{i:02}"), "count": i}))
        .collect();
    let path = format!("/data/many/{data_type}");
    let written = app.send(Method::POST, &path, &token, &json!(records)).await;
    assert_eq!(written.status, StatusCode::OK, "{}", written.text());
    json!({"type": "grouped_timeseries", "slug": slug, "title": format!("Module {slug}"),
        "data_set": format!("many/{data_type}"), "query": "period=day&duration=1000&group_by=name&collect=count:sum"})
}

async fn pages_show_at_most_their_bound_of_figures(app: TestApp) {
    // Daily from 2019-06 to 2022-01: 976 days.
    let wide = groups(&app, "twenty", 20, "wide").await;
    let mut modules = vec![wide];
    for i in 0..6 {
        modules.push(groups(&app, &format!("ten{i}"), 10, &format!("ten{i}")).await);
    }
    let admin = app.admin_key().await;
    let dashboard =
        json!({"slug": "crowded", "title": "Crowded", "status": "published", "modules": modules});
    let made = app
        .send(Method::POST, "/api/v1/dashboards", &admin, &dashboard)
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    let view = "?period=day&from=2019-06&to=2022-01";
    let (page, _) = timed(&app, &format!("/crowded{view}"), &[]).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    // 20 groups over 976 days is more than one module shows: its read is
    // refused before it is made (`max_rows`), and the page says so, with how
    // to narrow it.
    let asked = "/data/many/twenty?period=day&start_at=2019-06-01T00:00:00Z&end_at=2022-02-01T00:00:00Z&group_by=name&collect=count:sum";
    refused(&app, &format!("{asked}&max_rows=10000"), &[],
        "This query's answer would hold 19520 rows, more than the 10000 allowed - please narrow it with 'start_at' and 'end_at', 'filter_by' or 'limit'").await;
    refused(
        &app,
        &format!("{asked}&max_rows=0"),
        &[],
        "max_rows must be a positive integer",
    )
    .await;
    let (whole, _) = timed(&app, &format!("{asked}&max_rows=19520"), &[]).await;
    assert_eq!(whole.status, StatusCode::OK);
    assert_eq!(whole.json()["data"].as_array().unwrap().len(), 20);
    assert!(
        html.contains("there are at least 19,520 of them, more than a module shows (at most 10,000). Choose a longer period or a shorter date range, or read them all through the API query behind it."),
        "{}", &html[..html.len().min(3000)]
    );
    // Five modules of 9,760 figures are 48,800: shown; the sixth would take
    // the page past 50,000 (its read, of at most the 1,200 left, is refused
    // before it is made), and says where its figures are.
    let past = "this dashboard already shows as many figures as one page holds (at most 50,000), and these are at least 9,760 more.";
    assert_eq!(
        html.matches("cannot be shown").count(),
        2,
        "the wide module and the sixth"
    );
    assert!(html.contains(past));
    for i in 0..5 {
        assert!(
            html.contains(&format!("id=\"ten{i}-csv\"")),
            "ten{i} is drawn with its downloads"
        );
    }
    assert!(!html.contains("id=\"ten5-csv\""));
    assert!(html.len() < 8_000_000, "{} bytes", html.len());
    // Every chart's data is read by day (a data type the catalogue does not
    // describe): days are offered, and chosen.
    assert!(
        html.contains(r#"<option value="day" selected>Day"#),
        "days offered and chosen"
    );
    // On its own page, the sixth module's figures are shown.
    let (own, _) = timed(&app, &format!("/crowded/ten5{view}"), &[]).await;
    assert_eq!(own.status, StatusCode::OK);
    let own = own.text();
    assert!(!own.contains("cannot be shown"));
    assert!(own.contains("id=\"ten5-csv\""));

    // A dashboard stored with 120 modules (before dashboards were bounded)
    // shows its first 50, and says so; each module keeps its own page.
    let mut old: app::model::Dashboard = serde_json::from_value(dashboard).unwrap();
    old.slug = "crowded-before".into();
    let module = old.modules[1].clone();
    old.modules = (0..120)
        .map(|i| app::model::Module {
            slug: format!("m{i}"),
            ..module.clone()
        })
        .collect();
    let mut w = support::write(&app.store).await;
    server::store::dashboards::save(&mut w, &old, chrono::Utc::now())
        .await
        .unwrap();
    support::done(w).await;
    let (page, _) = timed(
        &app,
        "/crowded-before?period=month&from=2019-06&to=2022-01",
        &[],
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains(
        "This dashboard has 120 modules, more than one page shows: the first 50 are here."
    ));
    assert_eq!(
        html.matches("data-module-type=\"grouped_timeseries\"")
            .count(),
        50
    );
    assert!(html.contains("id=\"m49-csv\"") && !html.contains("id=\"m50-"));
    let (own, _) = timed(
        &app,
        "/crowded-before/m119?period=month&from=2019-06&to=2022-01",
        &[],
    )
    .await;
    assert_eq!(own.status, StatusCode::OK);
    assert!(own.text().contains("id=\"m119-csv\""));
}
both!(pages_show_at_most_their_bound_of_figures);
