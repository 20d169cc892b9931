//! Organisations, services and dashboards over HTTP, and the dashboard and module
//! pages rendered on the server from the data API, on SQLite and on Postgres.

use axum::http::{Method, StatusCode};
use chrono::{TimeZone, Utc};
use serde_json::{json, Value};

use server::demo;

use crate::support::TestApp;

async fn with_demo(app: TestApp) -> TestApp {
    let until = Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap();
    demo::load(&app.store, 7, until).await.unwrap();
    app
}

async fn organisations_and_services_are_managed_with_an_admin_key(app: TestApp) {
    let app = with_demo(app).await;
    let key = app.admin_key().await;
    let list = app.get("/api/v1/organisations").await;
    assert_eq!(list.status, StatusCode::OK);
    let before = list.json()["organisations"].as_array().unwrap().len();
    assert!(before > 0);

    let department = json!({"slug": "dept-of-tests", "title": "Department of Tests",
        "abbreviation": "DoT", "kind": "department"});
    let anonymous = app
        .request(
            Method::POST,
            "/api/v1/organisations",
            &[("content-type", "application/json")],
            department.to_string().into_bytes(),
        )
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let created = app
        .send(Method::POST, "/api/v1/organisations", &key, &department)
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    assert_eq!(created.json()["abbreviation"], "DoT");
    let again = app
        .send(Method::POST, "/api/v1/organisations", &key, &department)
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    // Bad organisations, each with its reason.
    for (body, message) in [
        (
            json!({"slug": "Bad Slug", "title": "x", "kind": "department"}),
            "lower-case letters",
        ),
        (
            json!({"slug": "orphan", "title": "Orphan", "kind": "agency"}),
            "an agency needs its department",
        ),
        (
            json!({"slug": "lost", "title": "Lost", "kind": "agency", "parent": "nowhere"}),
            "There is no department `nowhere`.",
        ),
        (
            json!({"slug": "odd", "title": "Odd", "kind": "department", "parent": "dept-of-tests"}),
            "a department has no parent",
        ),
        (
            json!({"slug": "odd", "title": "Odd", "kind": "ministry"}),
            "`kind` must be one of `department`, `agency`, not `ministry`.",
        ),
    ] {
        let answer = app
            .send(Method::POST, "/api/v1/organisations", &key, &body)
            .await;
        let expected = if message.starts_with("There is no") {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::BAD_REQUEST
        };
        assert_eq!(answer.status, expected, "{body}");
        let text = answer.json()["message"].as_str().unwrap().to_string();
        assert!(text.contains(message), "{text:?} should say {message:?}");
    }

    let agency = json!({"slug": "test-agency", "title": "Test Agency", "kind": "agency",
        "parent": "dept-of-tests"});
    let created = app
        .send(Method::POST, "/api/v1/organisations", &key, &agency)
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let shown = app.get("/api/v1/organisations/test-agency").await;
    assert_eq!(shown.json()["parent"], "dept-of-tests");

    // A service run by the agency: listed with its department and agency.
    let service = json!({"slug": "test-a-thing", "title": "Test a thing",
        "description": "For tests.", "organisation": "test-agency"});
    let created = app
        .send(Method::POST, "/api/v1/services", &key, &service)
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    assert_eq!(created.json()["department"]["slug"], "dept-of-tests");
    assert_eq!(created.json()["agency"]["slug"], "test-agency");
    let services = app.get("/api/v1/services").await.json();
    assert!(services["services"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["slug"] == "test-a-thing"));
    let unknown_org = app
        .send(
            Method::PUT,
            "/api/v1/services/test-a-thing",
            &key,
            &json!({"slug": "test-a-thing", "title": "Test a thing", "organisation": "nobody"}),
        )
        .await;
    assert_eq!(unknown_org.status, StatusCode::NOT_FOUND);
    assert_eq!(
        unknown_org.json()["message"],
        "There is no organisation `nobody`."
    );
    let moved = app
        .send(
            Method::PUT,
            "/api/v1/services/test-a-thing",
            &key,
            &json!({"slug": "test-a-thing", "title": "Test things", "organisation": "dept-of-tests"}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text());
    assert_eq!(moved.json()["title"], "Test things");
    assert_eq!(moved.json()["agency"], Value::Null);

    // What still has something in it cannot go.
    let busy = app
        .send(
            Method::DELETE,
            "/api/v1/organisations/dept-of-tests",
            &key,
            &json!({}),
        )
        .await;
    assert_eq!(busy.status, StatusCode::CONFLICT);
    assert!(busy.json()["message"]
        .as_str()
        .unwrap()
        .contains("1 service(s) and has 1 agency(ies)"));
    let with_dashboard = app
        .send(
            Method::DELETE,
            "/api/v1/services/file-a-tax-return",
            &key,
            &json!({}),
        )
        .await;
    assert_eq!(with_dashboard.status, StatusCode::CONFLICT);

    for uri in [
        "/api/v1/services/test-a-thing",
        "/api/v1/organisations/test-agency",
        "/api/v1/organisations/dept-of-tests",
    ] {
        let gone = app.send(Method::DELETE, uri, &key, &json!({})).await;
        assert_eq!(gone.status, StatusCode::OK, "{uri}: {}", gone.text());
    }
    let after = app.get("/api/v1/organisations").await.json();
    assert_eq!(after["organisations"].as_array().unwrap().len(), before);
    assert_eq!(
        app.get("/api/v1/organisations/test-agency").await.status,
        StatusCode::NOT_FOUND
    );
}
both!(organisations_and_services_are_managed_with_an_admin_key);

/// The read API's rows for a query.
/// `end_at` at the end of the current period: what a module's relative
/// window asks for, so that the current period is shown.
fn through_now(kind: app::model::PeriodKind) -> String {
    let now = Utc::now();
    let end = app::kpi::next_period_start(kind, app::kpi::period_start(kind, now));
    format!("end_at={}", end.format("%Y-%m-%dT%H:%M:%SZ"))
}

async fn rows(app: &TestApp, uri: &str) -> Vec<Value> {
    let answer = app.get(uri).await;
    assert_eq!(answer.status, StatusCode::OK, "{uri}: {}", answer.text());
    answer.json()["data"].as_array().unwrap().clone()
}

async fn a_dashboard_page_shows_every_module_from_the_data_api(app: TestApp) {
    let app = with_demo(app).await;
    let page = app.get("/file-a-tax-return").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    for module_type in [
        "section",
        "kpi",
        "bar_chart_with_number",
        "grouped_timeseries",
        "single_timeseries",
        "completion_rate",
        "user_satisfaction_graph",
        "journey",
        "table",
    ] {
        assert!(
            html.contains(&format!("data-module-type=\"{module_type}\"")),
            "no {module_type} module"
        );
    }
    assert!(!html.contains("cannot be shown"), "a module failed");

    // The journey's table holds the read API's own sums.
    // (The journey adds up the weeks of its own request, linked beside its
    // downloads, which hold the table itself.)
    assert!(
        html.contains("id=\"journey-json\" href=\"data:application/json;charset=utf-8,"),
        "the journey's JSON download holds its table"
    );
    let link = html
        .split("id=\"journey-api\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the journey's JSON download")
        .replace("&amp;", "&");
    let steps = rows(&app, &link).await;
    let started: f64 = steps
        .iter()
        .filter(|r| r["stage"] == "start")
        .filter_map(|r| r["count:sum"].as_f64())
        .sum();
    let started = app::kpi::format_exact(started);
    assert!(
        html.contains(&format!(">{started}<")),
        "the journey's start count {started} is not on the page"
    );

    // The KPI's headline is the newest quarter's cost, in pounds and pence.
    let quarters = rows(
        &app,
        &format!(
            "/data/file-a-tax-return/cost-per-transaction?period=quarter&duration=8&collect=cost_per_transaction:mean&{}",
            through_now(app::model::PeriodKind::Quarter)
        ),
    )
    .await;
    let latest = quarters
        .iter()
        .rev()
        .find_map(|r| r["cost_per_transaction:mean"].as_f64())
        .unwrap();
    let shown = app::kpi::format_pounds(latest);
    assert!(html.contains(&shown), "the KPI {shown} is not on the page");

    // The downloads hold the table; beside them is the module's own read API
    // request. A relative window asks for the current period with end_at
    // (the read API leaves the unfinished period out without it).
    assert!(html.contains("id=\"transactions-by-channel-csv\" href=\"data:text/csv;charset=utf-8,"));
    let api = format!(
        "href=\"/data/file-a-tax-return/transactions-by-channel?period=month&amp;duration=12&amp;collect=count:sum&amp;apportion=true&amp;{}\"",
        through_now(app::model::PeriodKind::Month)
    );
    assert!(html.contains(&api), "{api}");
    // Freshness: every module says when its data arrived.
    assert!(html.contains("Data last updated"));

    // The view in the URL reaches every time series: by quarter, a year earlier.
    let page = app
        .get("/file-a-tax-return?period=quarter&from=2025-01&to=2025-12&compare=year")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("period=quarter&amp;group_by=channel"));
    assert!(html.contains("start_at=2025-01-01T00:00:00Z&amp;end_at=2026-01-01T00:00:00Z"));
    assert!(html.contains("A year earlier"));
    assert!(!html.contains("cannot be shown"), "a module failed");
    assert!(html.contains(">Jan to Mar 2025<"));
}
both!(a_dashboard_page_shows_every_module_from_the_data_api);

async fn a_module_page_has_a_sortable_table_and_its_notes(app: TestApp) {
    let app = with_demo(app).await;
    let page = app.get("/file-a-tax-return/transactions-per-month").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("aria-sort=\"none\""));
    assert!(html.contains("About the data"));
    assert!(html.contains("Fictional demo data"));
    let months = rows(
        &app,
        &format!(
            "/data/file-a-tax-return/transactions-by-channel?period=month&duration=6&collect=count:sum&apportion=true&{}",
            through_now(app::model::PeriodKind::Month)
        ),
    )
    .await;
    let mut values: Vec<f64> = months
        .iter()
        .filter_map(|r| r["count:sum"].as_f64())
        // (weeks shared by their days: the table writes each month's whole)
        .map(f64::round)
        .collect();
    values.sort_by(f64::total_cmp);
    // Sorted by the figures, largest first: the first row holds the largest.
    let sorted = app
        .get("/file-a-tax-return/transactions-per-month?sort=1&order=desc")
        .await
        .text();
    assert!(sorted.contains("aria-sort=\"descending\""));
    let largest = app::kpi::format_exact(*values.last().unwrap());
    let smallest = app::kpi::format_exact(values[0]);
    let body = sorted.split("<tbody").nth(1).unwrap();
    assert!(body.find(&largest).unwrap() < body.find(&smallest).unwrap());

    for missing in ["/file-a-tax-return/no-such-module", "/no-such-dashboard"] {
        assert_eq!(
            app.get(missing).await.status,
            StatusCode::NOT_FOUND,
            "{missing}"
        );
    }
}
both!(a_module_page_has_a_sortable_table_and_its_notes);

async fn unpublished_dashboards_are_for_admins_and_say_so(app: TestApp) {
    let app = with_demo(app).await;
    let key = app.admin_key().await;
    let mut draft = app.get("/api/v1/dashboards/register-a-birth").await.json();
    draft["slug"] = "birth-draft".into();
    draft["status"] = "unpublished".into();
    let created = app
        .send(Method::POST, "/api/v1/dashboards", &key, &draft)
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());

    assert_eq!(app.get("/birth-draft").await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/api/v1/dashboards/birth-draft/freshness")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let auth = format!("Bearer {key}");
    let seen = app
        .request(
            Method::GET,
            "/birth-draft",
            &[("authorization", &auth)],
            Vec::new(),
        )
        .await;
    assert_eq!(seen.status, StatusCode::OK);
    assert!(seen
        .text()
        .contains("This dashboard is not yet published: its figures may change."));
    // A published one has no banner.
    assert!(!app
        .get("/register-a-birth")
        .await
        .text()
        .contains("not yet published"));

    // The app's own paths are not dashboard slugs.
    let mut taken = draft.clone();
    taken["slug"] = "services".into();
    let refused = app
        .send(Method::POST, "/api/v1/dashboards", &key, &taken)
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.json()["message"]
        .as_str()
        .unwrap()
        .contains("taken by Pulse's own pages"));
}
both!(unpublished_dashboards_are_for_admins_and_say_so);

async fn freshness_covers_each_data_set_a_dashboard_reads(app: TestApp) {
    let app = with_demo(app).await;
    let answer = app
        .get("/api/v1/dashboards/file-a-tax-return/freshness")
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    let body = answer.json();
    let sets: Vec<&str> = body["data_sets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["data_set"].as_str().unwrap())
        .collect();
    assert_eq!(
        sets,
        [
            "file-a-tax-return/completion-rate",
            "file-a-tax-return/cost-per-transaction",
            "file-a-tax-return/transactions-by-channel",
            "file-a-tax-return/user-satisfaction",
        ]
    );
    for f in body["data_sets"].as_array().unwrap() {
        assert!(f["newest_record"].is_string(), "{f}");
        assert!(f["last_received"].is_string(), "{f}");
        assert!(f["out_of_date"].is_boolean(), "{f}");
    }
}
both!(freshness_covers_each_data_set_a_dashboard_reads);

/// Daily data of a kind the catalogue does not know, from a Wednesday to a
/// Saturday, shown by week: its first and last weeks hold only some of their
/// days, so the dashboard shows no figure for the first and says the last is
/// so far (each was a whole week's figure, a dip, before), as its records'
/// times say they come daily.
async fn data_of_an_unknown_kind_is_judged_by_how_often_its_records_come(app: TestApp) {
    let key = app.admin_key().await;
    let token = app
        .data_set(json!({"data_group": "exp", "data_type": "visits-by-day", "published": true}))
        .await;
    // 60 days from Wednesday 29 December 2021 to Saturday 26 February 2022.
    let first = chrono::NaiveDate::from_ymd_opt(2021, 12, 29).unwrap();
    let records: Vec<Value> = (0..60)
        .map(|i| {
            let day = first + chrono::Duration::days(i);
            json!({"_timestamp": format!("{day}T00:00:00Z"), "count": 100})
        })
        .collect();
    let written = app
        .send(
            Method::POST,
            "/data/exp/visits-by-day",
            &token,
            &json!(records),
        )
        .await;
    assert_eq!(written.status, StatusCode::OK, "{}", written.text());
    let dashboard = json!({"slug": "visits", "title": "Visits", "status": "published", "modules": [
        {"type": "single_timeseries", "slug": "by-week", "title": "Visits by week",
         "data_set": "exp/visits-by-day",
         "query": "period=week&start_at=2021-12-27T00:00:00Z&end_at=2022-02-28T00:00:00Z&collect=count:sum"}]});
    let made = app
        .send(Method::POST, "/api/v1/dashboards", &key, &dashboard)
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    let freshness = app.get("/api/v1/dashboards/visits/freshness").await.json();
    assert_eq!(freshness["data_sets"][0]["frequency"], "day", "{freshness}");
    let rows = table_rows(&app.get("/visits").await.text());
    // Newest first: the week of 21 February, six days of it, so far; whole
    // weeks of 700; the week of 27 December (five days of it) with none.
    assert!(
        rows[1].starts_with("21 to 27 February 2022 so far 600"),
        "{rows:?}"
    );
    assert!(
        rows[2].starts_with("14 to 20 February 2022 700"),
        "{rows:?}"
    );
    let oldest = rows.last().unwrap();
    assert!(
        oldest.starts_with("27 December 2021 to 2 January 2022 no data"),
        "{rows:?}"
    );
}
both!(data_of_an_unknown_kind_is_judged_by_how_often_its_records_come);

/// The text of each row of a page's tables, tags taken out.
fn table_rows(html: &str) -> Vec<String> {
    html.split("<tr class=\"govuk-table__row\">")
        .skip(1)
        .map(|row| {
            let mut text = String::new();
            let mut inside = false;
            for c in row.split("</tr>").next().unwrap_or_default().chars() {
                match c {
                    '<' => inside = true,
                    '>' => {
                        inside = false;
                        text.push(' ');
                    }
                    c if !inside => text.push(c),
                    _ => {}
                }
            }
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        })
        .collect()
}

/// Weekly data of a kind the catalogue does not know, shown by month, is
/// shared between months by its days, as the catalogue's is: a month of five
/// Mondays is no busier than one of four. The data API does it with
/// `apportion=true`, and refuses it for records whose times show no period.
async fn weeks_of_an_unknown_kind_are_shared_between_months_by_their_days(app: TestApp) {
    let key = app.admin_key().await;
    let token = app
        .data_set(json!({"data_group": "exp", "data_type": "visits-by-week", "published": true}))
        .await;
    // 9 Mondays, 3 January to 28 February 2022: 700 a week, 100 a day.
    let first = chrono::NaiveDate::from_ymd_opt(2022, 1, 3).unwrap();
    let records: Vec<Value> = (0..9)
        .map(|i| {
            let monday = first + chrono::Duration::weeks(i);
            json!({"_timestamp": format!("{monday}T00:00:00Z"), "count": 700})
        })
        .collect();
    let written = app
        .send(
            Method::POST,
            "/data/exp/visits-by-week",
            &token,
            &json!(records),
        )
        .await;
    assert_eq!(written.status, StatusCode::OK, "{}", written.text());
    let by_month = "/data/exp/visits-by-week?period=month&collect=count:sum\
        &start_at=2022-01-01T00:00:00Z&end_at=2022-04-01T00:00:00Z";
    let counts = |answer: Value| -> Vec<f64> {
        answer["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row["count:sum"].as_f64().unwrap_or(0.0))
            .collect()
    };
    // As Backdrop: January holds five Mondays, February four.
    let plain = app.get(by_month).await;
    assert_eq!(plain.status, StatusCode::OK, "{}", plain.text());
    assert_eq!(counts(plain.json()), [3500.0, 2800.0, 0.0]);
    // Shared by days: the week of 31 January gives one day to January and
    // six to February; the week of 28 February one to February.
    let shared = app.get(&format!("{by_month}&apportion=true")).await;
    assert_eq!(shared.status, StatusCode::OK, "{}", shared.text());
    assert_eq!(counts(shared.json()), [2900.0, 2800.0, 600.0]);
    // Records at times of no period: how long each covers is not known.
    let odd = app
        .data_set(
            json!({"data_group": "exp", "data_type": "visits-at-odd-times", "published": true}),
        )
        .await;
    let written = app
        .send(
            Method::POST,
            "/data/exp/visits-at-odd-times",
            &odd,
            &json!([{"_timestamp": "2022-01-03T05:17:00Z", "count": 5},
                    {"_timestamp": "2022-01-10T09:41:00Z", "count": 6}]),
        )
        .await;
    assert_eq!(written.status, StatusCode::OK, "{}", written.text());
    let refused = app
        .get("/data/exp/visits-at-odd-times?period=month&duration=2&collect=count:sum&apportion=true")
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.json()["message"]
            .as_str()
            .unwrap()
            .contains("needs to know how long a record covers"),
        "{}",
        refused.text()
    );

    // A dashboard shows it by month as the API shares it.
    let module = json!({"type": "single_timeseries", "slug": "by-month", "title": "Visits by month",
        "data_set": "exp/visits-by-week",
        "query": "period=month&start_at=2022-01-01T00:00:00Z&end_at=2022-04-01T00:00:00Z&collect=count:sum"});
    // How often records come is worked out, never sent.
    let mut told = module.clone();
    told["frequency"] = json!("week");
    let refused = app
        .send(
            Method::POST,
            "/api/v1/dashboards",
            &key,
            &json!({"slug": "visits", "title": "Visits", "status": "published", "modules": [told]}),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::BAD_REQUEST,
        "{}",
        refused.text()
    );
    assert!(refused.text().contains("frequency"), "{}", refused.text());
    let made = app
        .send(
            Method::POST,
            "/api/v1/dashboards",
            &key,
            &json!({"slug": "visits", "title": "Visits", "status": "published", "modules": [module]}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    let stored = app.get("/api/v1/dashboards/visits").await.json();
    assert!(stored["modules"][0].get("frequency").is_none(), "{stored}");
    let freshness = app.get("/api/v1/dashboards/visits/freshness").await.json();
    assert_eq!(
        freshness["data_sets"][0]["frequency"], "week",
        "{freshness}"
    );
    let html = app.get("/visits").await.text();
    assert!(
        html.contains("Weekly figures added up by month"),
        "the chart says its weeks are shared"
    );
    let rows = table_rows(&html);
    // Newest first: March, a week's day of it so far; February's 28 days;
    // January begun before the first record, with no figure.
    assert!(rows[1].starts_with("March 2022 so far 600"), "{rows:?}");
    assert!(rows[2].starts_with("February 2022 2,800"), "{rows:?}");
    assert!(rows[3].starts_with("January 2022 no data"), "{rows:?}");
}
both!(weeks_of_an_unknown_kind_are_shared_between_months_by_their_days);

/// Weekly figures of a kind the catalogue does not know, watched with the
/// default expected age (Backdrop's day), are out of date as Pulse's own
/// weekly types are: on time while the newest week is the last one ended,
/// or the one before within three days, and late after that, alike on the
/// dashboard, in `/_status/data-sets` and in the reminders admins see.
async fn weekly_figures_sent_on_time_are_not_called_late(app: TestApp) {
    let key = app.admin_key().await;
    let token = app
        .data_set(json!({"data_group": "exp", "data_type": "visits-by-week", "published": true}))
        .await;
    let module = json!({"type": "single_timeseries", "slug": "visits", "title": "Visits",
        "data_set": "exp/visits-by-week", "query": "period=week&duration=12&collect=count:sum"});
    let made = app
        .send(
            Method::POST,
            "/api/v1/dashboards",
            &key,
            &json!({"slug": "exp-visits", "title": "Visits", "status": "published",
                "modules": [module]}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    // Eight weeks to the one that ended last Monday (sent on time).
    let this_week = app::kpi::period_start(app::model::PeriodKind::Week, Utc::now());
    // Sent with POST; PUT of none empties the data set.
    let send = |method: Method, weeks: std::ops::Range<i64>| {
        let records: Vec<Value> = weeks
            .map(|i| {
                let monday = this_week - chrono::Duration::weeks(i);
                json!({"_timestamp": monday.to_rfc3339(), "count": 700})
            })
            .collect();
        let (app, token) = (&app, &token);
        async move {
            let written = app
                .send(method, "/data/exp/visits-by-week", token, &json!(records))
                .await;
            assert_eq!(written.status, StatusCode::OK, "{}", written.text());
        }
    };
    let judged = || async {
        let freshness = app
            .get("/api/v1/dashboards/exp-visits/freshness")
            .await
            .json();
        let status = app.get("/_status/data-sets").await.json();
        let reminders = app
            .send(Method::GET, "/api/v1/reminders", &key, &Value::Null)
            .await;
        assert_eq!(reminders.status, StatusCode::OK, "{}", reminders.text());
        let reminders = reminders.json();
        let ours = reminders["data_sets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["data_set"] == "exp/visits-by-week")
            .cloned()
            .unwrap_or_else(|| panic!("{reminders}"));
        let listed = status["data_sets"]
            .as_array()
            .is_some_and(|l| l.iter().any(|d| d["name"] == "exp_visits_by_week"));
        (freshness["data_sets"][0].clone(), listed, ours)
    };
    send(Method::POST, 1..9).await;
    let (freshness, listed, reminder) = judged().await;
    assert_eq!(freshness["frequency"], "week", "{freshness}");
    assert_eq!(freshness["out_of_date"], false, "{freshness}");
    assert_eq!(freshness["max_age_expected"], 17 * 86_400, "{freshness}");
    assert!(!listed);
    assert_eq!(reminder["late"], false, "{reminder}");
    assert_eq!(reminder["max_age_expected"], 17 * 86_400, "{reminder}");
    // Three weeks not sent since: late everywhere.
    send(Method::PUT, 0..0).await;
    send(Method::POST, 4..9).await;
    let (freshness, listed, reminder) = judged().await;
    assert_eq!(freshness["out_of_date"], true, "{freshness}");
    assert!(listed);
    assert_eq!(reminder["late"], true, "{reminder}");
}
both!(weekly_figures_sent_on_time_are_not_called_late);

/// The page's freshness summary names each late data set once, by the
/// modules that show it: a data set behind 50 modules is not 50 names.
async fn a_late_data_set_is_named_once_by_the_modules_that_show_it(app: TestApp) {
    let key = app.admin_key().await;
    let mut modules = Vec::new();
    for (data_type, max_age, titles) in [
        ("late", Some(86_400), vec!["A", "B", "C", "D", "E"]),
        ("fresh", None, vec!["F"]),
    ] {
        let token = app
            .data_set(json!({"data_group": "sets", "data_type": data_type,
                "published": true, "max_age_expected": max_age}))
            .await;
        let written = app
            .send(
                Method::POST,
                &format!("/data/sets/{data_type}"),
                &token,
                &json!([{"_timestamp": "2020-01-06T00:00:00Z", "count": 3}]),
            )
            .await;
        assert_eq!(written.status, StatusCode::OK, "{}", written.text());
        for title in titles {
            modules.push(
                json!({"type": "single_timeseries", "slug": title.to_lowercase(),
                "title": title, "data_set": format!("sets/{data_type}"),
                "query": "period=week&duration=4&collect=count:sum"}),
            );
        }
    }
    let made = app
        .send(
            Method::POST,
            "/api/v1/dashboards",
            &key,
            &json!({"slug": "sets", "title": "Sets", "status": "published", "modules": modules}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    let page = app.get("/sets").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    let summary = html
        .split("id=\"freshness-summary\"")
        .nth(1)
        .and_then(|rest| rest.split("</p>").next())
        .expect("a freshness summary");
    assert!(
        summary.contains(
            "1 of this dashboard's 2 data sets is late or missing, so the modules that show it may not show the latest figures: A, B and 3 other modules."
        ),
        "{summary}"
    );
    assert!(
        !summary.contains("; ") && !summary.contains("F."),
        "{summary}"
    );
    // Weekly data is not offered by day.
    assert!(html.contains(r#"<option value="week""#) && !html.contains(r#"<option value="day""#));
}
both!(a_late_data_set_is_named_once_by_the_modules_that_show_it);

/// A completion rate over 100% (more finished in a week than started in it:
/// people who started the week before) is shown as the data set holds it,
/// and said under the chart, not left for a reader to take for a figure of
/// those who started.
async fn a_rate_over_its_whole_is_said_under_its_chart(app: TestApp) {
    use chrono::Datelike;
    let key = app.admin_key().await;
    let token = app
        .data_set(json!({"data_group": "flow", "data_type": "completion", "published": true}))
        .await;
    let today = chrono::Utc::now().date_naive();
    let monday = today - chrono::Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let week = |back: i64| format!("{}T00:00:00Z", monday - chrono::Duration::weeks(back));
    let records = json!([
        {"_timestamp": week(3), "stage": "start", "count": 100},
        {"_timestamp": week(3), "stage": "end", "count": 80},
        {"_timestamp": week(2), "stage": "start", "count": 50},
        {"_timestamp": week(2), "stage": "end", "count": 60},
    ]);
    let written = app
        .send(Method::POST, "/data/flow/completion", &token, &records)
        .await;
    assert_eq!(written.status, StatusCode::OK, "{}", written.text());
    let module = json!({"type": "completion_rate", "slug": "done", "title": "Done",
        "data_set": "flow/completion", "query": "period=week&duration=4&group_by=stage&collect=count:sum",
        "options": {"start": "start", "end": "end"}});
    let made = app
        .send(
            Method::POST,
            "/api/v1/dashboards",
            &key,
            &json!({"slug": "flow", "title": "Flow", "status": "published", "modules": [module]}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    let html = app.get("/flow").await.text();
    assert!(html.contains("120.0%"), "the rate as held");
    assert!(
        html.contains("1 period shown has more completions than starts, so a rate over 100%: people who started in one period finished in the next."),
        "{html}"
    );
}
both!(a_rate_over_its_whole_is_said_under_its_chart);
