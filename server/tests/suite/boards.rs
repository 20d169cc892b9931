//! Summary boards, targets, portfolios and comparisons over HTTP, on the demo
//! data, on SQLite and on Postgres: the board's figures agree with the services
//! explorer's, statuses follow the targets in force, the "needs attention" list
//! names stale data, shortfalls and unexplained spikes, and bad input is refused
//! with its reason and nothing written.

use axum::http::{Method, StatusCode};
use chrono::Utc;
use serde_json::{json, Value};

use crate::support;
use crate::support::{call, signed_in, with_demo_and_people, TestApp};

/// Creates a service with an admin key.
/// A department (`slug`, `title`), made with the admin key.
async fn new_department(app: &TestApp, admin_key: &str, (slug, title): (&str, &str)) {
    let created = app
        .send(
            Method::POST,
            "/api/v1/organisations",
            admin_key,
            &json!({"slug": slug, "title": title, "kind": "department"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
}

async fn new_service(app: &TestApp, admin_key: &str, slug: &str, title: &str, organisation: &str) {
    let created = app
        .send(
            Method::POST,
            "/api/v1/services",
            admin_key,
            &json!({"slug": slug, "title": title, "organisation": organisation}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
}

/// Makes and publishes the builder's dashboard of `kpis` for `service`.
async fn publish_dashboard(app: &TestApp, admin_key: &str, service: &str, kpis: &[&str]) {
    let made = app
        .send(
            Method::POST,
            &format!("/api/v1/services/{service}/dashboard"),
            admin_key,
            &json!({ "kpis": kpis }),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    let slug = made.json()["dashboard"]["slug"]
        .as_str()
        .unwrap()
        .to_string();
    let published = app
        .send(
            Method::POST,
            &format!("/api/v1/dashboards/{slug}/publish"),
            admin_key,
            &json!({}),
        )
        .await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.text());
}

/// A department of one service (`slug`, `title` each) whose weekly
/// transactions by channel are `records`, sent through the data API, and its
/// dashboard of them as the builder makes it, published.
async fn one_service_sending(
    app: &TestApp,
    admin_key: &str,
    department: (&str, &str),
    service: (&str, &str),
    settings: Value,
    records: Vec<Value>,
) {
    new_department(app, admin_key, department).await;
    new_service(app, admin_key, service.0, service.1, department.0).await;
    sending(
        app,
        admin_key,
        (service.0, "transactions-by-channel"),
        settings,
        Value::Array(records),
    )
    .await;
    publish_dashboard(app, admin_key, service.0, &["transactions"]).await;
}

/// A published data set (`group`, `data_type`) with `settings`, and
/// `records` written to it through the data API; its bearer token.
async fn sending(
    app: &TestApp,
    admin_key: &str,
    (group, data_type): (&str, &str),
    settings: Value,
    records: Value,
) -> String {
    let mut settings = settings;
    settings["data_group"] = json!(group);
    settings["data_type"] = json!(data_type);
    settings["published"] = json!(true);
    let set = app
        .send(Method::POST, "/api/v1/data-sets", admin_key, &settings)
        .await;
    assert_eq!(set.status, StatusCode::CREATED, "{}", set.text());
    let token = set.json()["bearer_token"].as_str().unwrap().to_string();
    let written = app
        .send(
            Method::POST,
            &format!("/data/{group}/{data_type}"),
            &token,
            &records,
        )
        .await;
    assert_eq!(written.status, StatusCode::OK, "{}", written.text());
    token
}

const DRB: &str = "department-of-revenue-and-benefits";
const KPI_KEYS: [&str; 5] = [
    "transactions",
    "cost_per_transaction",
    "digital_take_up",
    "user_satisfaction",
    "completion_rate",
];
const EXPLORER_KEYS: [&str; 5] = [
    "transactions_per_year",
    "cost_per_transaction",
    "digital_take_up",
    "user_satisfaction",
    "completion_rate",
];

fn close(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * a.abs().max(1.0),
        _ => a == b,
    }
}

async fn a_department_board_agrees_with_the_explorer_and_its_targets(app: TestApp) {
    let app = with_demo_and_people(app).await;
    let board = app.get(&format!("/api/v1/boards/{DRB}")).await;
    assert_eq!(board.status, StatusCode::OK, "{}", board.text());
    let board = board.json();
    assert_eq!(board["title"], "Department of Revenue and Benefits");
    assert_eq!(board["url"], format!("/boards/{DRB}"));
    let explorer = app
        .get(&format!("/api/v1/service-kpis?department={DRB}"))
        .await
        .json();
    let rows = board["services"].as_array().unwrap();
    assert_eq!(rows.len(), explorer["services"].as_array().unwrap().len());
    assert!(rows.len() >= 4, "the department and its agencies' services");
    // Each service's figures are the explorer's.
    for row in rows {
        let slug = row["service"]["slug"].as_str().unwrap();
        let theirs = explorer["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["service"]["slug"] == slug)
            .unwrap();
        let kpis = row["kpis"].as_array().unwrap();
        assert_eq!(
            kpis.iter()
                .map(|k| k["kpi"].as_str().unwrap())
                .collect::<Vec<_>>(),
            KPI_KEYS
        );
        for (kpi, key) in kpis.iter().zip(EXPLORER_KEYS) {
            assert!(
                close(&kpi["value"], &theirs[key]),
                "{slug} {key}: board {} explorer {}",
                kpi["value"],
                theirs[key]
            );
            let spark = kpi["spark"].as_array().unwrap();
            let want = if key == "cost_per_transaction" { 8 } else { 12 };
            assert_eq!(spark.len(), want, "{slug} {key} sparkline");
        }
        assert_eq!(row["dashboard"], format!("/{slug}"));
    }
    // The totals and weighted averages are the explorer's too.
    for key in [
        "services",
        "transactions_per_year",
        "total_cost",
        "digital_take_up",
    ] {
        assert!(
            close(&board["summary"][key], &explorer["summary"][key]),
            "summary {key}: {} against {}",
            board["summary"][key],
            explorer["summary"][key]
        );
    }

    // The demo's targets: 80% digital take-up, 75% completion and 80%
    // satisfaction, 95% digital for the tax return since last April.
    let status_of = |row: &Value, kpi: &str| {
        let k = row["kpis"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kpi"] == kpi)
            .unwrap()
            .clone();
        (
            k["value"].as_f64(),
            k["target"].as_f64(),
            k["status"].clone(),
        )
    };
    let tax = rows
        .iter()
        .find(|r| r["service"]["slug"] == "file-a-tax-return")
        .unwrap();
    let (value, target, status) = status_of(tax, "digital_take_up");
    assert_eq!(target, Some(0.95));
    let value = value.unwrap();
    let expected = if value >= 0.95 {
        "green"
    } else if value >= 0.95 * 0.95 {
        "amber"
    } else {
        "red"
    };
    assert_eq!(status, expected, "digital take-up {value} against 0.95");
    let mut seen = std::collections::BTreeSet::new();
    for row in rows {
        for kpi in ["digital_take_up", "completion_rate", "user_satisfaction"] {
            let (value, target, status) = status_of(row, kpi);
            let (Some(value), Some(target)) = (value, target) else {
                assert!(status.is_null());
                continue;
            };
            let want = if value >= target {
                "green"
            } else if target - value <= 0.05 * target {
                "amber"
            } else {
                "red"
            };
            assert_eq!(status, want, "{kpi} {value} against {target}");
            seen.insert(want);
        }
        // No target, no status.
        let (_, target, status) = status_of(row, "transactions");
        assert!(target.is_none() && status.is_null());
    }
    assert!(
        seen.len() >= 2,
        "the demo shows more than one status: {seen:?}"
    );
    // Every red status is on the "needs attention" list.
    let attention = board["attention"].as_array().unwrap();
    for row in rows {
        for k in row["kpis"].as_array().unwrap() {
            if k["status"] == "red" {
                assert!(
                    attention
                        .iter()
                        .any(|a| a["service"] == row["service"]["slug"]
                            && a["kpi"] == k["kpi"]
                            && a["concern"] == "below_target"),
                    "{} {} is red but not listed",
                    row["service"]["slug"],
                    k["kpi"]
                );
            }
        }
    }
    for a in attention {
        assert!(!a["message"].as_str().unwrap().is_empty());
    }

    // The board as CSV: a heading and a row per service.
    let csv = app.get(&format!("/api/v1/boards/{DRB}?format=csv")).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.header("content-type").starts_with("text/csv"));
    let text = csv.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), rows.len() + 1);
    assert!(lines[0].starts_with("service,department,agency,transactions,transactions_target"));
    assert!(text
        .contains("File a tax return,Department of Revenue and Benefits,Tax Collection Office,"));
    // Each row says the days its year of transactions covers, and whether
    // its figures stopped before the others', as the explorer's CSV does,
    // then the days of each other figure: its latest complete period.
    assert!(lines[0].ends_with(
        ",year_first_day,year_last_day,figures_stopped,\
         cost_per_transaction_first_day,cost_per_transaction_last_day,\
         digital_take_up_first_day,digital_take_up_last_day,\
         user_satisfaction_first_day,user_satisfaction_last_day,\
         completion_rate_first_day,completion_rate_last_day"
    ));
    // The JSON says the same as `from` and `to`: a year of transactions,
    // a quarter's cost, a week's take-up and completion, a month's score.
    let span = |kpi: &str| {
        let k = tax["kpis"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kpi"] == kpi)
            .unwrap();
        let at = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
        let (from, to) = (at(&k["from"]), at(&k["to"]));
        let day = |t: chrono::DateTime<chrono::FixedOffset>| t.format("%Y-%m-%d").to_string();
        (
            (to - from).num_days(),
            format!("{},{}", day(from), day(to - chrono::Duration::days(1))),
        )
    };
    let (year, year_days) = span("transactions");
    assert_eq!((year, year_days.as_str()), (364, "2025-11-24,2026-11-22"));
    let (quarter, cost_days) = span("cost_per_transaction");
    let (week, take_up_days) = span("digital_take_up");
    let (month, satisfaction_days) = span("user_satisfaction");
    let (completion_week, completion_days) = span("completion_rate");
    assert!((90..=92).contains(&quarter), "{quarter} days");
    assert_eq!((week, completion_week), (7, 7));
    assert!((28..=31).contains(&month), "{month} days");
    let row = lines
        .iter()
        .find(|l| l.starts_with("File a tax return,"))
        .unwrap();
    assert!(
        row.ends_with(&format!(
            ",{year_days},no,{cost_days},{take_up_days},{satisfaction_days},{completion_days}"
        )),
        "{row}"
    );

    // An agency's board holds its own services only.
    let agency = app.get("/api/v1/boards/benefits-agency").await.json();
    assert!(agency["services"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["service"]["agency"]["slug"] == "benefits-agency"));
    // Unknown organisations and formats.
    let missing = app.get("/api/v1/boards/no-such-department").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.text().contains("no-such-department"));
    let bad = app.get(&format!("/api/v1/boards/{DRB}?format=xml")).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.text().contains("json or csv"), "{}", bad.text());
}
both!(a_department_board_agrees_with_the_explorer_and_its_targets);

async fn editors_set_targets_and_bad_ones_are_refused_with_nothing_written(app: TestApp) {
    let app = with_demo_and_people(app).await;
    let editor = signed_in(&app, "editor@demo.pulse.example").await;
    let viewer = signed_in(&app, "viewer@demo.pulse.example").await;
    let before = app
        .get("/api/v1/targets?service=pay-business-rates")
        .await
        .json()["targets"]
        .as_array()
        .unwrap()
        .len();
    let target = json!({"service": "pay-business-rates", "kpi": "cost_per_transaction",
        "value": 2.5, "effective_from": "2026-04-01"});
    let refused = call(
        &app,
        Method::POST,
        "/api/v1/targets",
        &viewer,
        Some(&target),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let set = call(
        &app,
        Method::POST,
        "/api/v1/targets",
        &editor,
        Some(&target),
    )
    .await;
    assert_eq!(set.status, StatusCode::CREATED, "{}", set.text());
    assert_eq!(set.json()["set_by"], "Robin Patel");
    // The board now judges the cost against it (lower is better).
    let board = app.get(&format!("/api/v1/boards/{DRB}")).await.json();
    let cost = board["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"]["slug"] == "pay-business-rates")
        .unwrap()["kpis"][1]
        .clone();
    assert_eq!(cost["kpi"], "cost_per_transaction");
    assert_eq!(cost["target"], 2.5);
    let value = cost["value"].as_f64().unwrap();
    let want = if value <= 2.5 {
        "green"
    } else if value <= 2.5 * 1.05 {
        "amber"
    } else {
        "red"
    };
    assert_eq!(cost["status"], want, "cost {value} against 2.5");
    // Another editor of another department may not.
    let other = call(
        &app,
        Method::POST,
        "/api/v1/targets",
        &editor,
        Some(
            &json!({"service": "register-a-birth", "kpi": "completion_rate", "value": 0.9,
            "effective_from": "2026-04-01"}),
        ),
    )
    .await;
    assert_eq!(other.status, StatusCode::FORBIDDEN, "{}", other.text());

    for (body, reason) in [
        (
            json!({"service": "pay-business-rates", "kpi": "digital_take_up", "value": 80,
                "effective_from": "2026-04-01"}),
            "0.8 for 80%",
        ),
        (
            json!({"service": "pay-business-rates", "kpi": "speed", "value": 1,
                "effective_from": "2026-04-01"}),
            "kpi",
        ),
        (
            json!({"service": "pay-business-rates", "kpi": "transactions", "value": -3,
                "effective_from": "2026-04-01"}),
            "zero or more",
        ),
        (
            json!({"service": "pay-business-rates", "kpi": "transactions", "value": 3,
                "effective_from": "April"}),
            "effective_from",
        ),
        (
            json!({"service": "no-such-service", "kpi": "transactions", "value": 3,
                "effective_from": "2026-04-01"}),
            "no-such-service",
        ),
        (
            json!({"service": "pay-business-rates", "kpi": "transactions", "value": 3,
                "effective_from": "2026-04-01", "colour": "red"}),
            "colour",
        ),
    ] {
        let answer = call(&app, Method::POST, "/api/v1/targets", &editor, Some(&body)).await;
        // A service that does not exist is not there (404); the rest is a bad body.
        let expected = if body["service"] == "no-such-service" {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::BAD_REQUEST
        };
        assert_eq!(answer.status, expected, "{body}: {}", answer.text());
        assert!(
            answer.text().contains(reason),
            "{body}: {} should say {reason:?}",
            answer.text()
        );
    }
    let after = app
        .get("/api/v1/targets?service=pay-business-rates")
        .await
        .json()["targets"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(after.len(), before + 1, "only the good target was written");

    // Deleting it.
    let id = set.json()["id"].as_i64().unwrap();
    let gone = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/targets/{id}"),
        &editor,
        None,
    )
    .await;
    assert_eq!(gone.status, StatusCode::OK);
    let again = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/targets/{id}"),
        &editor,
        None,
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}
both!(editors_set_targets_and_bad_ones_are_refused_with_nothing_written);

async fn a_portfolio_is_saved_shared_by_its_link_and_changed_by_its_owner(app: TestApp) {
    let app = with_demo_and_people(app).await;
    let viewer = signed_in(&app, "viewer@demo.pulse.example").await;
    let editor = signed_in(&app, "editor@demo.pulse.example").await;
    let services = [
        "book-a-driving-test",
        "file-a-tax-return",
        "register-a-birth",
    ];
    let saved = call(
        &app,
        Method::POST,
        "/api/v1/portfolios",
        &viewer,
        Some(&json!({"title": "  My services ", "services": services})),
    )
    .await;
    assert_eq!(saved.status, StatusCode::CREATED, "{}", saved.text());
    let id = saved.json()["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 32, "128 random bits");
    assert_eq!(saved.json()["title"], "My services");
    assert_eq!(saved.json()["owner"], "Kathy Morgan");
    // Anyone with the link reads its board, services in the order saved.
    let board = app.get(&format!("/api/v1/boards/portfolio/{id}")).await;
    assert_eq!(board.status, StatusCode::OK, "{}", board.text());
    let board = board.json();
    assert_eq!(board["title"], "My services");
    assert_eq!(board["url"], format!("/boards/portfolio/{id}"));
    assert_eq!(board["portfolio"]["id"], id.as_str());
    let slugs: Vec<&str> = board["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["service"]["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, services);
    assert_eq!(board["summary"]["services"], 3);
    // Listed as the viewer's, not the editor's.
    let mine = call(&app, Method::GET, "/api/v1/portfolios", &viewer, None).await;
    assert_eq!(mine.json()["portfolios"].as_array().unwrap().len(), 1);
    let theirs = call(&app, Method::GET, "/api/v1/portfolios", &editor, None).await;
    assert_eq!(theirs.json()["portfolios"].as_array().unwrap().len(), 0);
    // Only the owner changes it.
    let change = json!({"title": "Renamed", "services": ["file-a-tax-return"]});
    let refused = call(
        &app,
        Method::PUT,
        &format!("/api/v1/portfolios/{id}"),
        &editor,
        Some(&change),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let changed = call(
        &app,
        Method::PUT,
        &format!("/api/v1/portfolios/{id}"),
        &viewer,
        Some(&change),
    )
    .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text());
    assert_eq!(changed.json()["services"], json!(["file-a-tax-return"]));

    // Bad portfolios: each reason named, nothing written.
    for (body, reason) in [
        (
            json!({"title": "", "services": ["file-a-tax-return"]}),
            "title must not be empty",
        ),
        (json!({"title": "X", "services": []}), "at least one"),
        (
            json!({"title": "X", "services": ["file-a-tax-return", "file-a-tax-return"]}),
            "twice",
        ),
        (
            json!({"title": "X", "services": ["file-a-tax-return", "no-such-service"]}),
            "There is no service `no-such-service`.",
        ),
        (json!({"title": "X"}), "services"),
        (
            json!({"title": "X", "services": ["file-a-tax-return"], "x": 1}),
            "x",
        ),
    ] {
        let answer = call(
            &app,
            Method::POST,
            "/api/v1/portfolios",
            &viewer,
            Some(&body),
        )
        .await;
        // A service that does not exist is not there (404); the rest is a bad body.
        let expected = if reason.starts_with("There is no") {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::BAD_REQUEST
        };
        assert_eq!(answer.status, expected, "{body}: {}", answer.text());
        assert!(answer.text().contains(reason), "{body}: {}", answer.text());
    }
    let anonymous = app
        .request(
            Method::POST,
            "/api/v1/portfolios",
            &[("content-type", "application/json")],
            json!({"title": "X", "services": ["file-a-tax-return"]})
                .to_string()
                .into_bytes(),
        )
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let mine = call(&app, Method::GET, "/api/v1/portfolios", &viewer, None).await;
    assert_eq!(mine.json()["portfolios"].as_array().unwrap().len(), 1);

    let gone = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/portfolios/{id}"),
        &viewer,
        None,
    )
    .await;
    assert_eq!(gone.status, StatusCode::OK);
    let board = app.get(&format!("/api/v1/boards/portfolio/{id}")).await;
    assert_eq!(board.status, StatusCode::NOT_FOUND);
}
both!(a_portfolio_is_saved_shared_by_its_link_and_changed_by_its_owner);

async fn a_comparison_aligns_services_and_says_what_is_missing(app: TestApp) {
    let app = with_demo_and_people(app).await;
    let admin_key = app.admin_key().await;
    // A service with no data at all.
    new_service(
        &app,
        &admin_key,
        "an-empty-service",
        "An empty service",
        "benefits-agency",
    )
    .await;
    let answer = app
        .get("/api/v1/compare?services=file-a-tax-return,claim-carers-support,an-empty-service&kpi=digital_take_up&period=month")
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let c = answer.json();
    assert_eq!(c["kpi"], "digital_take_up");
    assert_eq!(c["period"], "month");
    let periods = c["periods"].as_array().unwrap();
    assert!(periods.len() > 24, "months of history: {}", periods.len());
    let services = c["services"].as_array().unwrap();
    assert_eq!(services.len(), 3);
    for (s, target) in services[..2].iter().zip([0.95, 0.8]) {
        let values = s["values"].as_array().unwrap();
        assert_eq!(values.len(), periods.len(), "aligned on the same periods");
        assert!(s["missing"].is_null());
        let latest = values.iter().rev().find(|v| !v.is_null()).unwrap();
        assert_eq!(&s["latest"], latest);
        let rate = latest.as_f64().unwrap();
        assert!((0.0..=1.0).contains(&rate));
        assert!(s["previous"].is_number() && s["year_earlier"].is_number());
        // The demo's targets, as a line over the periods: none before the
        // first, 95% for the tax return since last April (80% before).
        let line = s["target"].as_array().unwrap();
        assert_eq!(line.len(), periods.len());
        assert_eq!(line.last().unwrap(), target);
        assert!(line[0].is_null());
        assert!(line.iter().any(|t| t == 0.8));
    }
    // The year-earlier value is the value twelve months before the latest.
    let values = services[0]["values"].as_array().unwrap();
    let last = values.iter().rposition(|v| !v.is_null()).unwrap();
    assert_eq!(services[0]["year_earlier"], values[last - 12]);
    assert_eq!(services[0]["previous"], values[last - 1]);
    // Public notes of each service come with it; the outage note is the carer's.
    assert!(services[1]["annotations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["tags"] == json!(["outage"])));
    assert!(services[0]["annotations"]
        .as_array()
        .unwrap()
        .iter()
        .all(|n| n["visibility"] == "public"));
    // No data: said, not zeros.
    let empty = &services[2];
    assert!(empty["values"]
        .as_array()
        .unwrap()
        .iter()
        .all(Value::is_null));
    assert!(empty["latest"].is_null());
    assert!(
        empty["missing"]
            .as_str()
            .unwrap()
            .contains("An empty service has no digital take-up figures"),
        "{}",
        empty["missing"]
    );
    // Costs come by quarter whatever is asked for.
    let cost = app
        .get("/api/v1/compare?services=file-a-tax-return&kpi=cost_per_transaction&period=week")
        .await
        .json();
    assert_eq!(cost["period"], "quarter");
    // The defaults: transactions by month.
    let plain = app
        .get("/api/v1/compare?services=file-a-tax-return")
        .await
        .json();
    assert_eq!(plain["kpi"], "transactions");
    assert_eq!(plain["period"], "month");
    // The demo's weeks run to 22 November: November's count is not complete,
    // so the latest month counted is October (a part-month would read as a fall).
    assert_eq!(
        plain["services"][0]["latest_period"]["start"],
        "2026-10-01T00:00:00Z"
    );
    let weekly = app
        .get("/api/v1/compare?services=file-a-tax-return&period=week")
        .await
        .json();
    assert_eq!(
        weekly["services"][0]["latest_period"]["start"],
        "2026-11-16T00:00:00Z"
    );

    for (query, reason) in [
        ("", "at least one service"),
        ("services=,", "at least one service"),
        ("services=a,b,c,d,e,f,g", "at most 6"),
        ("services=file-a-tax-return,file-a-tax-return", "twice"),
        ("services=file-a-tax-return&kpi=speed", "kpi must be one of"),
        ("services=file-a-tax-return&period=day", "period must be"),
        (
            "services=file-a-tax-return,nope",
            "There is no service `nope`.",
        ),
        ("services=file-a-tax-return&colour=red", "colour"),
    ] {
        let answer = app.get(&format!("/api/v1/compare?{query}")).await;
        let expected = if reason.starts_with("There is no") {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::BAD_REQUEST
        };
        assert_eq!(answer.status, expected, "{query}");
        let message = answer.json()["message"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(message.contains(reason), "{query}: {message}");
    }
}
both!(a_comparison_aligns_services_and_says_what_is_missing);

/// Monthly satisfaction ratings, (the month's first day, its ratings 1 to 5)
/// each, as records of the catalogue's `user-satisfaction`.
fn ratings(months: &[(String, [u32; 5])]) -> Value {
    months
        .iter()
        .map(|(month, r)| {
            json!({"_timestamp": format!("{month}T00:00:00Z"), "rating_1": r[0], "rating_2": r[1],
                "rating_3": r[2], "rating_4": r[3], "rating_5": r[4]})
        })
        .collect()
}

/// A service of `department` whose monthly satisfaction ratings are
/// `months` ([`ratings`]), sent through the data API to a published data
/// set; its bearer token.
async fn satisfaction_of(
    app: &TestApp,
    admin_key: &str,
    department: &str,
    slug: &str,
    months: &[(String, [u32; 5])],
) -> String {
    new_service(app, admin_key, slug, &format!("Survey {slug}"), department).await;
    sending(
        app,
        admin_key,
        (slug, "user-satisfaction"),
        json!({}),
        ratings(months),
    )
    .await
}

/// The comparison and boards read rates as the service page and dashboards
/// do: no change from a rate of a handful, no figure for a period begun
/// before the data's first record, and no trend "over the last three
/// complete months" across a month with no figure.
async fn comparisons_and_trends_keep_the_pages_rules(app: TestApp) {
    let app = with_demo_and_people(app).await;
    let admin_key = app.admin_key().await;
    new_department(&app, &admin_key, ("dept-surveys", "Department of surveys")).await;
    const SIXTY: [u32; 5] = [0, 0, 240, 160, 0];
    const EIGHTY: [u32; 5] = [0, 0, 0, 320, 80];
    // 3 responses in February (all "very satisfied"), 400 in March: 100% to
    // 60% is no fall of 40 points; February's score is shown, out of its 3.
    let months = |list: &[(&str, [u32; 5])]| -> Vec<(String, [u32; 5])> {
        list.iter().map(|(m, r)| (m.to_string(), *r)).collect()
    };
    satisfaction_of(
        &app,
        &admin_key,
        "dept-surveys",
        "survey-new",
        &months(&[("2026-02-01", [0, 0, 0, 0, 3]), ("2026-03-01", SIXTY)]),
    )
    .await;
    let by_month = app
        .get("/api/v1/compare?services=survey-new&kpi=user_satisfaction&period=month")
        .await;
    assert_eq!(by_month.status, StatusCode::OK, "{}", by_month.text());
    let s = &by_month.json()["services"][0];
    assert_eq!(s["latest_period"]["start"], "2026-03-01T00:00:00Z", "{s}");
    assert!((s["latest"].as_f64().unwrap() - 0.6).abs() < 1e-9, "{s}");
    assert_eq!(s["base"], 400.0, "{s}");
    assert!(s["previous"].is_null(), "out of 3 responses: {s}");
    let values = s["values"].as_array().unwrap();
    assert_eq!(values[values.len() - 2], 1.0, "{s}");
    // The page says why there is no change, where the API gives none.
    let page = app
        .get("/compare?services=survey-new&kpi=user_satisfaction&period=month")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    let cell = html
        .split("data-column=\"previous\"")
        .nth(1)
        .and_then(|rest| rest.split("</td>").next())
        .unwrap_or_else(|| panic!("no change column in {html}"));
    assert!(cell.contains("too few to compare"), "{cell}");
    // By quarter: January to March began a month before the data, so it is
    // no quarter's score (nor is a half year of it by year).
    for period in ["quarter", "year"] {
        let answer = app
            .get(&format!(
                "/api/v1/compare?services=survey-new&kpi=user_satisfaction&period={period}"
            ))
            .await
            .json();
        let s = &answer["services"][0];
        assert!(s["latest"].is_null(), "{period}: {s}");
        // (Before, January to March read 60.3%, from February's 3 responses
        // and March's 400.)
        assert!(
            s["missing"]
                .as_str()
                .is_some_and(|m| m.contains("has no satisfaction score figures")),
            "{period}: {answer}"
        );
        assert!(
            s["values"].as_array().unwrap().iter().all(Value::is_null),
            "{period}: {s}"
        );
    }

    // 80% each month to July, then 60% in August and October with September
    // not sent: the last six months hold a gap, so there is no trend (the
    // last three months are not what would be compared).
    let mut year: Vec<(String, [u32; 5])> = (1..=10)
        .filter(|m| *m != 9)
        .map(|m| {
            (
                format!("2026-{m:02}-01"),
                if m >= 8 { SIXTY } else { EIGHTY },
            )
        })
        .collect();
    let token = satisfaction_of(&app, &admin_key, "dept-surveys", "survey-gap", &year).await;
    let satisfaction = |board: &Value| {
        let service = board["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["service"]["slug"] == "survey-gap")
            .cloned()
            .unwrap_or_else(|| panic!("{board}"));
        service["kpis"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kpi"] == "user_satisfaction")
            .cloned()
            .unwrap_or_else(|| panic!("{service}"))
    };
    let worsening = |board: &Value| -> Vec<String> {
        board["attention"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["concern"] == "worsening")
            .map(|a| a["message"].as_str().unwrap().to_string())
            .collect()
    };
    let board = app.get("/api/v1/boards/dept-surveys").await.json();
    assert!(satisfaction(&board)["trend"].is_null(), "{board}");
    assert_eq!(worsening(&board), Vec::<String>::new());
    // September sent: the same fall is a trend of the last three months.
    year = vec![("2026-09-01".into(), SIXTY)];
    let written = app
        .send(
            Method::POST,
            "/data/survey-gap/user-satisfaction",
            &token,
            &ratings(&year),
        )
        .await;
    assert_eq!(written.status, StatusCode::OK, "{}", written.text());
    let board = app.get("/api/v1/boards/dept-surveys").await.json();
    assert_eq!(satisfaction(&board)["trend"], "down", "{board}");
    let said = worsening(&board);
    assert!(
        said.len() == 1
            && said[0].contains(" fell 20")
            && said[0].ends_with("over the last three complete months against the three before."),
        "{said:?}"
    );
}
both!(comparisons_and_trends_keep_the_pages_rules);

/// The explorer ranks a rate of a handful after every rate relied on
/// (whichever the direction), and its CSV says what each rate is out of.
async fn the_explorer_ranks_rates_of_too_few_last_and_gives_their_bases(app: TestApp) {
    let app = with_demo_and_people(app).await;
    let admin_key = app.admin_key().await;
    new_department(&app, &admin_key, ("dept-ranks", "Department of ranks")).await;
    // 3 responses all "very satisfied" (100%) and 3 all "very
    // dissatisfied" (0%), against 400 at 60%: either way round, 60% heads
    // the list and the two of 3 follow it.
    let month = |r: [u32; 5]| vec![("2026-09-01".to_string(), r), ("2026-10-01".to_string(), r)];
    for (slug, ratings) in [
        ("rank-few", [0, 0, 0, 0, 3]),
        ("rank-low", [3, 0, 0, 0, 0]),
        ("rank-many", [0, 0, 240, 160, 0]),
    ] {
        satisfaction_of(&app, &admin_key, "dept-ranks", slug, &month(ratings)).await;
    }
    for (direction, order) in [
        ("desc", ["rank-many", "rank-few", "rank-low"]),
        ("asc", ["rank-many", "rank-low", "rank-few"]),
    ] {
        let list = app
            .get(&format!(
                "/api/v1/service-kpis?department=dept-ranks&sort=user_satisfaction&direction={direction}"
            ))
            .await
            .json();
        let got: Vec<&str> = list["services"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["service"]["slug"].as_str().unwrap())
            .collect();
        assert_eq!(got, order, "{direction}: {list}");
    }
    let csv = app
        .get("/api/v1/service-kpis?department=dept-ranks&sort=service&format=csv")
        .await
        .text();
    let lines: Vec<&str> = csv.lines().collect();
    let heading: Vec<&str> = lines[0].split(',').collect();
    let column = |name: &str| {
        heading
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("{name}: {csv}"))
    };
    let cell =
        |row: usize, name: &str| lines[row].split(',').nth(column(name)).unwrap().to_string();
    // Rows by title: "Survey rank-few", "Survey rank-low", "Survey rank-many".
    assert_eq!(cell(1, "user_satisfaction"), "1", "{csv}");
    assert_eq!(cell(1, "user_satisfaction_base"), "3", "{csv}");
    let sixty: f64 = cell(3, "user_satisfaction").parse().unwrap();
    assert!((sixty - 0.6).abs() < 1e-9, "{csv}");
    assert_eq!(cell(3, "user_satisfaction_base"), "400", "{csv}");
    assert_eq!(
        cell(1, "figures_stopped"),
        "no",
        "no transactions, so none stopped: {csv}"
    );
    assert!(heading.contains(&"digital_take_up_base") && heading.contains(&"completion_rate_base"));
}
both!(the_explorer_ranks_rates_of_too_few_last_and_gives_their_bases);

async fn the_attention_list_names_stale_data_and_unexplained_spikes(app: TestApp) {
    let app = with_demo_and_people(app).await;
    let admin_key = app.admin_key().await;
    // A department of one service whose weekly transactions stopped two months
    // ago, after a spike nobody explained; its dashboard, as the builder
    // makes it, published: the board lists what its charts mark.
    let last = Utc::now() - chrono::Duration::weeks(9);
    let last = app::kpi::period_start(app::model::PeriodKind::Week, last);
    let mut records = Vec::new();
    for i in 0..40 {
        let week = last - chrono::Duration::weeks(39 - i);
        let count = if i == 36 { 5000 } else { 1000 + (i % 3) * 10 };
        for (channel, share) in [("digital", 0.7), ("phone", 0.3)] {
            records.push(json!({
                "_timestamp": week.to_rfc3339(),
                "period": "week",
                "channel": channel,
                "count": (count as f64 * share).round(),
            }));
        }
    }
    one_service_sending(
        &app,
        &admin_key,
        ("dept-quiet", "Quiet department"),
        ("quiet-service", "Quiet service"),
        json!({"max_age_expected": 8 * 86400}),
        records,
    )
    .await;

    let board = app.get("/api/v1/boards/dept-quiet").await.json();
    let concerns: Vec<(String, String)> = board["attention"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["concern"].as_str().unwrap().to_string(),
                a["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        concerns
            .iter()
            .any(|(c, m)| c == "out_of_date" && m.starts_with("Transactions data is out of date")),
        "{concerns:?}"
    );
    let spike_week = app::kpi::format_period(&app::kpi::period_containing(
        app::model::PeriodKind::Week,
        last - chrono::Duration::weeks(3),
    ));
    assert!(
        concerns.iter().any(|(c, m)| c == "unexplained_spike"
            && m.starts_with("Transactions by channel on the dashboard \"Quiet service\", ")
            && m.contains(&spike_week)
            && m.contains("Digital 3.5k (about 7")),
        "{concerns:?} should name the week of {spike_week}"
    );

    // A note about it takes the spike off the list.
    let note = app
        .send(
            Method::POST,
            "/api/v1/annotations",
            &admin_key,
            &json!({"service": "quiet-service",
                "starts_at": (last - chrono::Duration::weeks(3)).to_rfc3339(),
                "text": "A mailing went out."}),
        )
        .await;
    assert_eq!(note.status, StatusCode::CREATED, "{}", note.text());
    let board = app.get("/api/v1/boards/dept-quiet").await.json();
    assert!(
        !board["attention"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["concern"] == "unexplained_spike"
                && a["message"].as_str().unwrap().contains(&spike_week)),
        "{board}"
    );
}
both!(the_attention_list_names_stale_data_and_unexplained_spikes);

/// A board judges the figures its services' dashboards draw: weeks one
/// channel has not sent (a gap, no figure on the page) are no unexplained
/// fall, nor is the month they are in, while a spike in whole weeks still is.
async fn the_board_judges_no_figure_where_the_dashboard_draws_none(app: TestApp) {
    let app = with_demo_and_people(app).await;
    let admin_key = app.admin_key().await;
    let last = app::kpi::period_start(
        app::model::PeriodKind::Week,
        Utc::now() - chrono::Duration::weeks(2),
    );
    let week = |i: i64| last - chrono::Duration::weeks(39 - i);
    let (spike, gap) = (22, 30..36);
    let mut records = Vec::new();
    for i in 0..40 {
        let count = if i == spike {
            5000
        } else {
            1000 + (i % 3) * 10
        };
        for (channel, share) in [("digital", 0.1), ("phone", 0.9)] {
            if gap.contains(&i) && channel == "phone" {
                continue;
            }
            records.push(json!({
                "_timestamp": week(i).to_rfc3339(),
                "period": "week",
                "channel": channel,
                "count": (count as f64 * share).round(),
            }));
        }
    }
    one_service_sending(
        &app,
        &admin_key,
        ("dept-gappy", "Gappy department"),
        ("gappy-service", "Gappy service"),
        json!({}),
        records,
    )
    .await;
    let named = |i: i64| {
        app::kpi::format_period(&app::kpi::period_containing(
            app::model::PeriodKind::Week,
            week(i),
        ))
    };
    let lines = unexplained_lines(&app, "dept-gappy", "gappy-service").await;
    assert!(
        lines.iter().any(|m| m.contains(&named(spike))),
        "the spike is named: {lines:#?}"
    );
    // Neither the weeks phone did not send nor the months they fall in.
    for i in gap {
        let month = app::kpi::format_period(&app::kpi::period_containing(
            app::model::PeriodKind::Month,
            week(i),
        ));
        assert!(
            lines
                .iter()
                .all(|m| !m.contains(&named(i)) && !m.contains(&month)),
            "{} (in {month}) has no whole figure to judge: {lines:#?}",
            named(i)
        );
    }
}
both!(the_board_judges_no_figure_where_the_dashboard_draws_none);

/// The unexplained-figure lines of a board's "needs attention" list about
/// `service`.
async fn unexplained_lines(app: &TestApp, board: &str, service: &str) -> Vec<String> {
    let board = app.get(&format!("/api/v1/boards/{board}")).await;
    assert_eq!(board.status, StatusCode::OK, "{}", board.text());
    board.json()["attention"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["concern"] == "unexplained_spike" && a["service"] == service)
        .map(|a| a["message"].as_str().unwrap().to_string())
        .collect()
}

async fn the_board_lists_a_dashboard_s_unexplained_dip_until_a_note_explains_it(app: TestApp) {
    let app = with_demo_and_people(app).await;
    let admin_key = app.admin_key().await;
    // The demo's land registry had an outage 8 weeks before its last week:
    // digital transactions fell to a fifth (the total did not move, so the
    // board's old check of weekly totals missed it), completion fell by
    // almost half, satisfaction by 14 points. Its dashboard marks them; so
    // does its department's board (the office is its agency).
    let service = "register-land-ownership";
    let outage = app::kpi::period_start(app::model::PeriodKind::Week, support::until())
        - chrono::Duration::weeks(8);
    let week = app::kpi::format_period(&app::kpi::period_containing(
        app::model::PeriodKind::Week,
        outage,
    ));
    let month = app::kpi::format_period(&app::kpi::period_containing(
        app::model::PeriodKind::Month,
        outage,
    ));
    let department = "department-for-land-and-environment";
    let lines = unexplained_lines(&app, department, service).await;
    for (chart, period, series) in [
        ("Transactions by channel", &week, "Digital "),
        ("Completion rate", &week, "Completion rate "),
        ("User satisfaction", &month, "Satisfaction score "),
    ] {
        assert!(
            lines
                .iter()
                .any(|m| m.starts_with(chart) && m.contains(period.as_str()) && m.contains(series)),
            "{chart} in {period} should be listed: {lines:#?}"
        );
    }
    // Nothing else about the service: its ordinary weeks are not listed.
    // (The outage week, 28 September to 4 October, is shared between
    // September and October by its days, so monthly charts may mark both.)
    let month_after = app::kpi::format_period(&app::kpi::period_containing(
        app::model::PeriodKind::Month,
        outage + chrono::Duration::days(6),
    ));
    assert!(
        lines.iter().all(|m| m.contains(week.as_str())
            || m.contains(month.as_str())
            || m.contains(month_after.as_str())),
        "{lines:#?}"
    );

    // A note on the outage week explains every chart's figures of that week
    // and the month (a note for the whole service, over the periods it touches).
    let note = app
        .send(
            Method::POST,
            "/api/v1/annotations",
            &admin_key,
            &json!({"service": service,
                "starts_at": (outage + chrono::Duration::days(1)).to_rfc3339(),
                "text": "The online service was down for two days.",
                "visibility": "internal"}),
        )
        .await;
    assert_eq!(note.status, StatusCode::CREATED, "{}", note.text());
    let lines = unexplained_lines(&app, department, service).await;
    assert!(
        lines
            .iter()
            .all(|m| !m.contains(week.as_str()) && !m.contains(month.as_str())),
        "the noted outage is explained: {lines:#?}"
    );
}
both!(the_board_lists_a_dashboard_s_unexplained_dip_until_a_note_explains_it);

/// Figures of another time beside this year's: costs that stopped three
/// years ago are not added to this year's total cost, a 2024 satisfaction score of
/// 100% does not head the explorer's ranking, and a board gives it no
/// trend (nor status).
async fn figures_of_another_time_are_neither_added_ranked_nor_trended(app: TestApp) {
    use app::kpi::period_start;
    use app::model::PeriodKind;
    let app = with_demo_and_people(app).await;
    let admin_key = app.admin_key().await;
    new_department(&app, &admin_key, ("dept-times", "Department of times")).await;
    let at = |t: chrono::DateTime<Utc>| t.to_rfc3339();
    // Both services send 1,000 transactions a week for five years, to the
    // last complete week.
    let last = period_start(PeriodKind::Week, Utc::now()) - chrono::Duration::weeks(1);
    let mut weeks = Vec::new();
    for i in 0..260 {
        let week = last - chrono::Duration::weeks(i);
        for (channel, count) in [("digital", 700), ("phone", 300)] {
            weeks.push(json!({"_timestamp": at(week), "period": "week", "channel": channel, "count": count}));
        }
    }
    // The last four complete quarters (their weeks all sent), and the four
    // that ended three years before them (their weeks sent too).
    let newest_quarter_end = period_start(PeriodKind::Quarter, last);
    let old_quarter_end = newest_quarter_end
        .checked_sub_months(chrono::Months::new(36))
        .unwrap();
    let quarters = |end: chrono::DateTime<Utc>, cost: f64| -> Value {
        let mut records = Vec::new();
        let mut start = end;
        for _ in 0..4 {
            start = period_start(PeriodKind::Quarter, start - chrono::Duration::days(1));
            records.push(json!({"_timestamp": at(start), "cost_per_transaction": cost}));
        }
        Value::Array(records)
    };
    const SIXTY: [u32; 5] = [0, 0, 240, 160, 0];
    const ALL: [u32; 5] = [0, 0, 0, 0, 400];
    let recent_months: Vec<(String, [u32; 5])> = (1..=6)
        .map(|i| {
            let month = period_start(PeriodKind::Month, last);
            let month = month.checked_sub_months(chrono::Months::new(i)).unwrap();
            (month.format("%Y-%m-%d").to_string(), SIXTY)
        })
        .collect();
    // 2024: 60% for three months, then 100% (a rise, long ago).
    let old_months: Vec<(String, [u32; 5])> = (1..=6)
        .map(|m| (format!("2024-{m:02}-01"), if m <= 3 { SIXTY } else { ALL }))
        .collect();
    for (slug, months, costs) in [
        (
            "times-now",
            recent_months,
            quarters(newest_quarter_end, 10.0),
        ),
        ("times-old", old_months, quarters(old_quarter_end, 1.0)),
    ] {
        satisfaction_of(&app, &admin_key, "dept-times", slug, &months).await;
        sending(
            &app,
            &admin_key,
            (slug, "transactions-by-channel"),
            json!({}),
            Value::Array(weeks.clone()),
        )
        .await;
        sending(
            &app,
            &admin_key,
            (slug, "cost-per-transaction"),
            json!({}),
            costs,
        )
        .await;
    }

    let list = app
        .get("/api/v1/service-kpis?department=dept-times&sort=user_satisfaction&direction=desc")
        .await
        .json();
    let slugs: Vec<&str> = (list["services"].as_array().unwrap().iter())
        .map(|s| s["service"]["slug"].as_str().unwrap())
        .collect();
    // 60% this year heads 100% of 2024, whichever the direction.
    assert_eq!(slugs, ["times-now", "times-old"], "{list}");
    let service = |slug: &str| {
        (list["services"].as_array().unwrap().iter())
            .find(|s| s["service"]["slug"] == slug)
            .unwrap()
            .clone()
    };
    // Each has its year of costs (13,000 transactions a quarter, near
    // enough: weeks are shared between quarters by their days) ...
    let (now, old) = (service("times-now"), service("times-old"));
    assert!(
        now["total_cost"].as_f64().unwrap() > 4.0 * 12_000.0 * 10.0,
        "{now}"
    );
    assert!(
        old["total_cost"].as_f64().unwrap() > 4.0 * 12_000.0,
        "{old}"
    );
    // ... but this year's total is the current one's alone.
    assert_eq!(list["summary"]["total_cost"], now["total_cost"], "{list}");
    assert_eq!(list["summary"]["costed"], 1, "{list}");
    let per = list["summary"]["cost_per_transaction"].as_f64().unwrap();
    assert!((per - 10.0).abs() < 1e-9, "{list}");
    let ascending = app
        .get("/api/v1/service-kpis?department=dept-times&sort=user_satisfaction&direction=asc")
        .await
        .json();
    assert_eq!(
        ascending["services"][0]["service"]["slug"], "times-now",
        "{ascending}"
    );

    let board = app.get("/api/v1/boards/dept-times").await.json();
    let kpi = |slug: &str, key: &str| {
        let row = (board["services"].as_array().unwrap().iter())
            .find(|s| s["service"]["slug"] == slug)
            .unwrap_or_else(|| panic!("{slug}: {board}"));
        (row["kpis"].as_array().unwrap().iter())
            .find(|k| k["kpi"] == key)
            .unwrap_or_else(|| panic!("{key}: {board}"))
            .clone()
    };
    let old_score = kpi("times-old", "user_satisfaction");
    assert_eq!(old_score["value"], 1.0, "{old_score}");
    assert!(
        old_score["trend"].is_null() && old_score["change"].is_null(),
        "{old_score}"
    );
    assert!(old_score["status"].is_null(), "{old_score}");
    // The current one's trend is there: steady at 60%.
    assert_eq!(
        kpi("times-now", "user_satisfaction")["trend"],
        "flat",
        "{board}"
    );
    assert_eq!(
        board["summary"]["total_cost"], list["summary"]["total_cost"],
        "{board}"
    );
}
both!(figures_of_another_time_are_neither_added_ranked_nor_trended);
