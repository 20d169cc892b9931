//! The HTTP surface driven in-process through the router, over a real SQLite file
//! loaded with the demo data.

use axum::{
    body::Body,
    http::{header, Method, Request, StatusCode},
};
use chrono::{TimeZone, Utc};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use app::model::{ServiceList, ServiceOverview};
use server::{demo, store::Store};

use crate::support;
use crate::support::TestApp;

fn until() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap()
}

async fn with_demo(app: TestApp) -> TestApp {
    demo::load(&app.store, 7, until()).await.unwrap();
    app
}

async fn status_says_the_app_is_up(app: TestApp) {
    let app = with_demo(app).await;
    let support::Answer {
        status,
        headers,
        body,
    } = app.get("/_status").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"status": "ok", "message": "app is up"})
    );
}
both!(status_says_the_app_is_up);

async fn services_are_listed_with_their_department(app: TestApp) {
    let app = with_demo(app).await;
    let support::Answer {
        status,
        headers: _,
        body,
    } = app.get("/api/v1/services").await;
    assert_eq!(status, StatusCode::OK);
    let list: ServiceList = serde_json::from_slice(&body).unwrap();
    assert_eq!(list.services.len(), demo::service_count());
    let tax = list
        .services
        .iter()
        .find(|s| s.slug == "file-a-tax-return")
        .unwrap();
    assert_eq!(tax.department.title, "Department of Revenue and Benefits");
    assert_eq!(tax.agency.as_ref().unwrap().title, "Tax Collection Office");
    // A service run by a department directly has no agency.
    let pension = list
        .services
        .iter()
        .find(|s| s.slug == "check-your-state-pension")
        .unwrap();
    assert!(pension.agency.is_none());
    let departments: std::collections::BTreeSet<_> = list
        .services
        .iter()
        .map(|s| s.department.slug.clone())
        .collect();
    assert!(departments.len() >= 3);
}
both!(services_are_listed_with_their_department);

async fn a_service_overview_has_weekly_channels_and_kpis(app: TestApp) {
    let app = with_demo(app).await;
    let support::Answer {
        status,
        headers: _,
        body,
    } = app.get("/api/v1/services/renew-a-driving-licence").await;
    assert_eq!(status, StatusCode::OK);
    let overview: ServiceOverview = serde_json::from_slice(&body).unwrap();
    let series = &overview.transactions;
    assert_eq!(series.periods.len(), demo::WEEKS as usize);
    let channels: Vec<_> = series.channels.iter().map(|c| c.channel.as_str()).collect();
    assert_eq!(channels, ["digital", "phone", "paper", "face_to_face"]);
    // Every week is a Monday-to-Monday period, consecutive.
    for pair in series.periods.windows(2) {
        assert_eq!(pair[0].end, pair[1].start);
    }
    // The figures are what was stored: the demo generator's own records.
    let until = until();
    let index = demo::service_index("renew-a-driving-licence").unwrap();
    let generated = demo::generate_for(index, 7, until).unwrap();
    let count = |r: &server::store::records::Record| r.fields["count"].as_f64().unwrap();
    let first_digital = generated
        .transactions
        .iter()
        .find(|r| r.fields["channel"] == "digital")
        .unwrap();
    assert_eq!(series.channels[0].values[0], Some(count(first_digital)));
    let stored_total: f64 = generated.transactions.iter().map(count).sum();
    assert_eq!(series.totals().iter().flatten().sum::<f64>(), stored_total);
    let kinds: Vec<_> = overview.kpis.iter().map(|k| k.kpi).collect();
    use app::model::KpiKind::*;
    assert_eq!(
        kinds,
        [
            Transactions,
            CostPerTransaction,
            DigitalTakeUp,
            UserSatisfaction,
            CompletionRate
        ]
    );
    for kpi in &overview.kpis {
        let value = kpi.value.expect("every demo KPI has a latest value");
        assert!(value > 0.0, "{kpi:?}");
        if kpi.kpi.unit() == app::model::Unit::Ratio {
            assert!(value <= 1.0, "{kpi:?}");
        }
    }
    // Each standard data set says how recent it is, by the /_status/data-sets rule.
    let types: Vec<&str> = overview
        .freshness
        .iter()
        .map(|f| f.data_type.as_str())
        .collect();
    assert_eq!(
        types,
        [
            "transactions-by-channel",
            "cost-per-transaction",
            "user-satisfaction",
            "completion-rate"
        ]
    );
    for f in &overview.freshness {
        let age = (Utc::now() - f.newest_record.unwrap()).num_seconds();
        assert_eq!(f.out_of_date, age > f.max_age_expected.unwrap(), "{f:?}");
    }
    // Digital take-up is the latest week's digital share.
    let last = series.periods.len() - 1;
    let expected = series.channels[0].values[last].unwrap() / series.totals()[last].unwrap();
    let take_up = overview
        .kpis
        .iter()
        .find(|k| k.kpi == DigitalTakeUp)
        .unwrap();
    assert!((take_up.value.unwrap() - expected).abs() < 1e-12);
}
both!(a_service_overview_has_weekly_channels_and_kpis);

async fn an_unknown_service_is_a_json_404(app: TestApp) {
    let app = with_demo(app).await;
    let support::Answer {
        status,
        headers: _,
        body,
    } = app.get("/api/v1/services/no-such-service").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["status"], "error");
    assert_eq!(
        body["message"],
        "There is no service called \"no-such-service\"."
    );
}
both!(an_unknown_service_is_a_json_404);

async fn pages_render_on_the_server_from_the_api(app: TestApp) {
    let app = with_demo(app).await;
    let support::Answer {
        status,
        headers,
        body,
    } = app.get("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("Renew a driving licence"), "{html}");
    assert!(html.contains("Department of Transport and Roads"));
    assert!(html.contains("href=\"/services/renew-a-driving-licence\""));
    // A page without charts never loads ECharts.
    assert!(!html.contains("echarts"), "{html}");

    let support::Answer {
        status,
        headers: _,
        body,
    } = app.get("/services/file-a-tax-return").await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("File a tax return"));
    assert!(html.contains("id=\"transactions-table\""));
    assert!(html.contains("Cost per transaction"));
    // A page with a chart fetches ECharts from Pulse itself, not a CDN.
    assert!(html.contains("href=\"/vendor/echarts.min.js\""), "{html}");
    assert!(!html.contains("cdn"));
}
both!(pages_render_on_the_server_from_the_api);

/// A signed-in page hands the browser the very figures its HTML was made
/// from: the notifications page's list of boards (departments and the
/// person's portfolios) came from two requests, and the second, made once
/// the first came back, could go out without the person's cookie from a
/// copy of the page Leptos makes and drops on the server; the browser then
/// read "no portfolios" beside HTML that listed one, and its WebAssembly
/// panicked while taking over the page (now and then: it was a race).
async fn a_signed_in_page_hands_over_what_it_shows(app: TestApp) {
    let app = support::with_demo_and_people(app).await;
    let editor = support::signed_in(&app, "editor@demo.pulse.example").await;
    const TITLE: &str = "Portfolio of boards to hand over";
    let made = support::call(
        &app,
        Method::POST,
        "/api/v1/portfolios",
        &editor,
        Some(&json!({"title": TITLE, "services": ["file-a-tax-return"]})),
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    let headers: Vec<(&str, &str)> = editor
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    for round in 0..12 {
        let page = app
            .request(Method::GET, "/settings/notifications", &headers, Vec::new())
            .await;
        assert_eq!(page.status, StatusCode::OK);
        let html = page.text();
        // Once as an option of the list, and again in what the browser is
        // handed to take the page over with.
        let list = html
            .split_once("label=\"Portfolios\"")
            .map_or("", |(_, list)| {
                list.split_once("</optgroup>").map_or(list, |l| l.0)
            });
        assert!(
            list.contains(TITLE),
            "round {round}: no option for the portfolio in {}",
            html.split_once("id=\"digest-board\"")
                .map_or(html.as_str(), |h| h.1)
        );
        assert_eq!(
            html.matches(TITLE).count(),
            2,
            "round {round}: the browser is not handed the portfolio it is shown, once"
        );
    }
}
both!(a_signed_in_page_hands_over_what_it_shows);

/// Every signed-in page asks the API for its lists once per page, and hands
/// the browser one copy of each: a list asked for from inside the Suspense
/// that waits for the session was asked again each time Leptos ran that
/// Suspense's children on the server, and each copy was handed over. And a
/// visitor who is not signed in costs no request for lists they are not
/// shown.
async fn signed_in_pages_ask_for_their_lists_once(app: TestApp) {
    let app = support::with_demo_and_people(app).await;
    let editor = support::signed_in(&app, "editor@demo.pulse.example").await;
    let admin = support::signed_in(&app, "admin@demo.pulse.example").await;
    const KEY: &str = "Key handed over once";
    const PERSON: &str = "Person handed over once";
    const INVITED: &str = "handed.over.once@example.test";
    let session = support::call(&app, Method::GET, "/api/v1/session", &editor, None).await;
    let organisation = session.json()["user"]["organisations"][0]
        .as_str()
        .expect("the editor has an organisation")
        .to_string();
    for (who, uri, body) in [
        (
            &editor,
            "/api/v1/api-keys",
            json!({"name": KEY, "scopes": ["read:unpublished"]}),
        ),
        (
            &admin,
            "/api/v1/users",
            json!({"email": "person.handed.over@example.test", "display_name": PERSON,
                "role": "viewer", "organisations": [organisation],
                "password": "a long enough password"}),
        ),
        (
            &editor,
            "/api/v1/invitations",
            json!({"email": INVITED, "role": "viewer", "organisations": [organisation]}),
        ),
    ] {
        let made = support::call(&app, Method::POST, uri, who, Some(&body)).await;
        assert_eq!(made.status, StatusCode::CREATED, "{uri}: {}", made.text());
    }
    for (who, page, shown) in [
        (&editor, "/settings/api-keys", KEY),
        (&admin, "/admin/users", PERSON),
        (&editor, "/invitations", INVITED),
    ] {
        let headers: Vec<(&str, &str)> =
            who.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        for round in 0..3 {
            let answer = app.request(Method::GET, page, &headers, Vec::new()).await;
            assert_eq!(answer.status, StatusCode::OK, "{page}");
            // Shown on the page, and once in what the browser is handed to
            // take the page over with (the page's scripts).
            let html = answer.text();
            let handed: usize = html
                .split("<script")
                .skip(1)
                .map(|script| {
                    script
                        .split("</script>")
                        .next()
                        .unwrap_or("")
                        .matches(shown)
                        .count()
                })
                .sum();
            assert!(
                html.matches(shown).count() > handed,
                "round {round}: {page} does not show {shown:?}"
            );
            assert_eq!(handed, 1, "round {round}: {page} hands {shown:?} over once");
        }
    }
    // Signed out: the page says to sign in, and its lists were never asked
    // for (what the browser is handed says so for each, in Pulse's words,
    // not the API's refusal).
    for (page, lists) in [
        ("/settings/api-keys", 4),
        ("/settings/notifications", 3),
        ("/invitations", 1),
        ("/admin/users", 1),
        ("/build", 2),
    ] {
        let answer = app.get(page).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{page}");
        let html = String::from_utf8(answer.body).unwrap();
        assert_eq!(
            html.matches("Sign in to see this.").count(),
            lists,
            "{page}: its lists answered without asking the API"
        );
    }
}
both!(signed_in_pages_ask_for_their_lists_once);

async fn unknown_pages_are_404s(app: TestApp) {
    let app = with_demo(app).await;
    let support::Answer {
        status,
        headers: _,
        body,
    } = app.get("/services/no-such-service").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(String::from_utf8(body).unwrap().contains("Page not found"));
    let support::Answer {
        status,
        headers: _,
        body: _,
    } = app.get("/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
both!(unknown_pages_are_404s);

/// Every record of every data set, as stored.
async fn everything(store: &Store) -> Vec<server::store::records::StoredRecord> {
    let mut all = Vec::new();
    for data_set in server::store::data_sets::list(store).await.unwrap() {
        all.extend(
            server::store::records::all(store, data_set.id)
                .await
                .unwrap(),
        );
    }
    all
}

async fn loading_the_demo_twice_changes_nothing(app: TestApp) {
    let app = with_demo(app).await;
    let before = everything(&app.store).await;
    let again = demo::load(&app.store, 7, until()).await.unwrap();
    assert_eq!(again.records_stored, 0);
    assert_eq!(again.data_sets_created, 0);
    assert_eq!(again.dashboards_created, 0);
    let after = everything(&app.store).await;
    assert_eq!(before.len(), after.len());
    assert!(before == after);
}
both!(loading_the_demo_twice_changes_nothing);

/// A new service of the demo's department, with a published data set of
/// `data_type` holding `records`.
async fn service_with(app: &TestApp, slug: &str, data_type: &str, records: Vec<Value>) {
    let key = app.admin_key().await;
    let title = slug.replace('-', " ");
    let made = app
        .send(
            Method::POST,
            "/api/v1/services",
            &key,
            &json!({"slug": slug, "title": title, "organisation": "department-of-revenue-and-benefits"}),
        )
        .await;
    assert!(
        made.status == StatusCode::CREATED || made.status == StatusCode::CONFLICT,
        "{}",
        made.text()
    );
    data_set_with(app, slug, data_type, records).await;
}

/// A published data set `slug/data_type` holding `records`.
async fn data_set_with(app: &TestApp, slug: &str, data_type: &str, records: Vec<Value>) {
    let token = app
        .data_set(json!({"data_group": slug, "data_type": data_type,
            "from_type": data_type, "published": true}))
        .await;
    let written = app
        .send(
            Method::POST,
            &format!("/data/{slug}/{data_type}"),
            &token,
            &json!(records),
        )
        .await;
    assert_eq!(written.status, StatusCode::OK, "{}", written.text());
}

/// A service 8 weeks old has no "transactions a year" (8 weeks' worth under
/// that name read as a year, and fell short of annual targets), and the
/// totals it is not in say how many services they are of; its rates weigh
/// in averages by its weeks. A service whose figures stopped long ago is in
/// no total or average, and says when it stopped.
async fn a_year_of_transactions_is_a_year_of_figures(app: TestApp) {
    use chrono::Datelike;
    let app = with_demo(app).await;
    // Its 8 weeks end with the demo's (whose figures run to a fixed day).
    let monday = until().date_naive();
    assert_eq!(monday.weekday(), chrono::Weekday::Mon);
    let records: Vec<Value> = (1..=8)
        .map(|back| {
            json!({"_timestamp": format!("{}T00:00:00Z", monday - chrono::Duration::weeks(back)),
                "channel": "digital", "count": 1000})
        })
        .collect();
    service_with(&app, "a-new-service", "transactions-by-channel", records).await;
    let answer = app.get("/api/v1/service-kpis?name=a%20new%20service").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let list: app::model::ServiceKpiList = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(list.services.len(), 1);
    assert_eq!(list.services[0].transactions_per_year, None);
    assert_eq!(list.services[0].digital_take_up, Some(1.0));
    assert_eq!((list.summary.services, list.summary.counted), (1, 0));
    // Beside the department's other services: in neither the total nor
    // the averages, and said to be left out.
    let board = app
        .get("/api/v1/boards/department-of-revenue-and-benefits")
        .await;
    assert_eq!(board.status, StatusCode::OK, "{}", board.text());
    let summary = &board.json()["summary"];
    assert_eq!(
        summary["counted"].as_u64().unwrap() + 1,
        summary["services"].as_u64().unwrap()
    );
    let page = app.get("/boards/department-of-revenue-and-benefits").await;
    let html = page.text();
    assert!(
        html.contains(&format!(
            "Transactions a year ({} of {} services with a year of figures)",
            summary["counted"], summary["current"]
        )),
        "{html}"
    );
    // Its digital take-up still weighs in the department's average, by its
    // weeks: the average is not the other services' alone.
    assert!(summary["digital_take_up"].as_f64().is_some());
    // A service whose figures stopped years ago shows when, and is in no
    // figure of the summary, which says so.
    let first = chrono::NaiveDate::from_ymd_opt(2018, 3, 5).unwrap();
    let records: Vec<Value> = (0..52)
        .map(|week| {
            json!({"_timestamp": format!("{}T00:00:00Z", first + chrono::Duration::weeks(week)),
                "channel": "digital", "count": 5_000_000})
        })
        .collect();
    service_with(&app, "an-old-service", "transactions-by-channel", records).await;
    let before = summary.clone();
    let answer = app
        .get("/api/v1/service-kpis?name=an%20old%20service")
        .await;
    let list: app::model::ServiceKpiList = serde_json::from_slice(&answer.body).unwrap();
    // Alone, its year is the newest shown: a summary of it is of that year.
    let old = &list.services[0];
    assert_eq!(old.transactions_per_year, Some(52.0 * 5_000_000.0));
    assert_eq!(
        (
            list.summary.current,
            list.summary.stopped,
            list.summary.counted
        ),
        (1, 0, 1)
    );
    assert_eq!(list.summary.transactions_per_year, 52.0 * 5_000_000.0);
    // Beside its department's services, it stopped before them.
    let answer = app
        .get("/api/v1/service-kpis?department=department-of-revenue-and-benefits")
        .await;
    let list: app::model::ServiceKpiList = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(list.summary.stopped, 1);
    assert_eq!(list.summary.current + 1, list.summary.services);
    let board = app
        .get("/api/v1/boards/department-of-revenue-and-benefits")
        .await;
    let summary = &board.json()["summary"];
    assert_eq!(
        summary["services"],
        before["services"].as_u64().unwrap() + 1
    );
    assert_eq!(summary["stopped"], 1);
    for same in [
        "current",
        "counted",
        "transactions_per_year",
        "digital_take_up",
        "total_cost",
    ] {
        assert_eq!(summary[same], before[same], "{same}");
    }
    let page = app.get("/boards/department-of-revenue-and-benefits").await;
    assert!(
        page.text().contains(
            "1 service whose figures stopped more than 4 weeks before the others&#x27; is in no figure here."
        ) || page.text().contains(
            "1 service whose figures stopped more than 4 weeks before the others' is in no figure here."
        ),
        "{}",
        page.text()
    );
    // Its row says when its figures stopped, and none of them is judged; the
    // young service's transactions are not a year's, not "no data".
    assert!(page
        .text()
        .contains("Figures stopped: the last week ends 3 March 2019"));
    assert!(page.text().contains("not a year of figures"));
    let rows = board.json()["services"].as_array().unwrap().clone();
    let old = rows
        .iter()
        .find(|r| r["service"]["slug"] == "an-old-service")
        .unwrap();
    assert!(old["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .all(|k| k["status"].is_null()));
    assert_eq!(old["year_to"], "2019-03-04T00:00:00Z");
    let explorer = app
        .get("/services?department=department-of-revenue-and-benefits")
        .await;
    assert!(
        explorer
            .text()
            .contains("Figures stopped: the last week ends 3 March 2019"),
        "{}",
        explorer.text()
    );
}
both!(a_year_of_transactions_is_a_year_of_figures);

/// A week whose digital figures have come and whose phone ones have not is
/// not yet whole (the service page's take-up is the week before's, not a
/// digital-only 100%), and a satisfaction score of one response says so and
/// is judged against no target on the board.
async fn a_part_sent_week_waits_and_a_rate_of_a_handful_says_so(app: TestApp) {
    use chrono::Datelike;
    let app = with_demo(app).await;
    let key = app.admin_key().await;
    let today = Utc::now().date_naive();
    let monday = today - chrono::Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let week = |back: i64| format!("{}T00:00:00Z", monday - chrono::Duration::weeks(back));
    let mut records = Vec::new();
    for back in 2..=6 {
        records.push(json!({"_timestamp": week(back), "channel": "digital", "count": 600}));
        records.push(json!({"_timestamp": week(back), "channel": "phone", "count": 400}));
    }
    // Last week: the digital figures only, so far.
    records.push(json!({"_timestamp": week(1), "channel": "digital", "count": 650}));
    service_with(
        &app,
        "a-part-sent-service",
        "transactions-by-channel",
        records,
    )
    .await;
    let month = today.with_day(1).unwrap();
    let last_month = (month - chrono::Duration::days(1)).with_day(1).unwrap();
    data_set_with(
        &app,
        "a-part-sent-service",
        "user-satisfaction",
        vec![
            json!({"_timestamp": format!("{last_month}T00:00:00Z"), "rating_1": 0, "rating_2": 0,
            "rating_3": 0, "rating_4": 0, "rating_5": 1, "total": 1}),
        ],
    )
    .await;
    let target = app
        .send(
            Method::POST,
            "/api/v1/targets",
            &key,
            &json!({"service": "a-part-sent-service", "kpi": "user_satisfaction", "value": 0.5,
                "effective_from": "2020-01-01"}),
        )
        .await;
    assert!(target.status.is_success(), "{}", target.text());

    let page = app.get("/api/v1/services/a-part-sent-service").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let overview = page.json();
    let kpi = |name: &str| {
        overview["kpis"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kpi"] == name)
            .cloned()
            .unwrap()
    };
    let take_up = kpi("digital_take_up");
    assert_eq!(take_up["period"]["start"], week(2), "{take_up}");
    assert_eq!(take_up["value"], 0.6);
    assert_eq!(take_up["base"], 1000.0);
    assert_eq!(
        overview["transactions"]["complete_until"],
        week(1),
        "the week of digital figures alone is under way"
    );
    let satisfaction = kpi("user_satisfaction");
    assert_eq!(satisfaction["value"], 1.0);
    assert_eq!(satisfaction["base"], 1.0);
    let html = app.get("/services/a-part-sent-service").await.text();
    assert!(
        html.contains("from 1 response: too few to rely on"),
        "{html}"
    );
    // On the board: shown with its base, and not judged against its target.
    let board = app
        .get("/api/v1/boards/department-of-revenue-and-benefits")
        .await
        .json();
    let row = board["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"]["slug"] == "a-part-sent-service")
        .cloned()
        .unwrap();
    let judged = row["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kpi"] == "user_satisfaction")
        .cloned()
        .unwrap();
    assert_eq!(judged["target"], 0.5);
    assert!(judged["status"].is_null(), "{judged}");
    assert_eq!(judged["base"], 1.0);
    // The board's CSV says what each rate is out of.
    let csv = app
        .get("/api/v1/boards/department-of-revenue-and-benefits?format=csv")
        .await
        .text();
    let heading: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let column = heading
        .iter()
        .position(|h| *h == "user_satisfaction_base")
        .unwrap();
    let line = csv
        .lines()
        .find(|l| l.starts_with("a part sent service,"))
        .unwrap();
    assert_eq!(line.split(',').nth(column), Some("1"), "{csv}");
}
both!(a_part_sent_week_waits_and_a_rate_of_a_handful_says_so);

/// A channel missing one week between weeks it has is a gap on every page, by
/// one rule: the service page's week and month have no phone figure and no
/// total, the comparison no digital take-up for that week (not digital's
/// 100%), the service no "transactions a year"; a dashboard's data sets say
/// where the gap is, and its module shows no figure for phone that month.
async fn a_channel_missing_a_week_leaves_no_figure_on_any_page(app: TestApp) {
    let app = with_demo(app).await;
    let key = app.admin_key().await;
    // A year of weeks, to 23 November 2026.
    let monday = Utc.with_ymd_and_hms(2025, 11, 24, 0, 0, 0).unwrap();
    let gap = Utc.with_ymd_and_hms(2026, 9, 14, 0, 0, 0).unwrap();
    let mut records = Vec::new();
    for week in 0..53 {
        let at = monday + chrono::Duration::weeks(week);
        let stamp = at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        records.push(json!({"_timestamp": stamp, "channel": "digital", "count": 900}));
        if at != gap {
            records.push(json!({"_timestamp": stamp, "channel": "phone", "count": 100}));
        }
    }
    service_with(&app, "a-gap-service", "transactions-by-channel", records).await;

    let months = app
        .get("/api/v1/services/a-gap-service?period=month&from=2026-08&to=2026-10")
        .await
        .json();
    let series = &months["transactions"];
    assert_eq!(series["gaps"], json!([false, true, false]), "{series}");
    let phone = series["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["channel"] == "phone")
        .unwrap();
    assert!(phone["values"][0].is_number() && phone["values"][2].is_number());
    assert_eq!(phone["values"][1], Value::Null, "phone in September");

    let weeks = app
        .get("/api/v1/compare?services=a-gap-service&kpi=digital_take_up&period=week")
        .await
        .json();
    let periods = weeks["periods"].as_array().unwrap();
    let at = |start: &str| periods.iter().position(|p| p["start"] == start).unwrap();
    let values = &weeks["services"][0]["values"];
    assert_eq!(values[at("2026-09-14T00:00:00Z")], Value::Null, "{weeks}");
    assert_eq!(values[at("2026-09-07T00:00:00Z")], json!(0.9));
    // 52 weeks with figures but one without phone's: no year of figures.
    let row = explorer_row(&app, "a-gap-service").await;
    assert!(row.weekly_transactions.is_some());
    assert_eq!(row.transactions_per_year, None);

    // A dashboard of it, by month and by channel.
    let made = app
        .send(
            Method::POST,
            "/api/v1/dashboards",
            &key,
            &json!({"slug": "a-gap-dashboard", "title": "A gap dashboard", "service": "a-gap-service",
                "status": "published",
                "modules": [{"type": "grouped_timeseries", "slug": "by-channel", "title": "By channel",
                    "data_set": "a-gap-service/transactions-by-channel",
                    "query": "period=month&duration=12&group_by=channel&collect=count:sum"}]}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    let freshness = app
        .get("/api/v1/dashboards/a-gap-dashboard/freshness")
        .await
        .json();
    assert_eq!(
        freshness["data_sets"][0]["gaps"],
        json!([{"part": "phone", "start": "2026-09-14T00:00:00Z", "end": "2026-09-21T00:00:00Z"}]),
        "{freshness}"
    );
    let page = app
        .get("/a-gap-dashboard/by-channel?period=month&from=2026-08&to=2026-10")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    // September's row: digital's figure, phone's and the total none.
    let september = html
        .split(">September 2026<")
        .nth(1)
        .and_then(|rest| rest.split("</tr>").next())
        .unwrap_or_else(|| panic!("no September row in:\n{html}"));
    assert_eq!(september.matches("no data").count(), 2, "{september}");
    let august = html
        .split(">August 2026<")
        .nth(1)
        .and_then(|rest| rest.split("</tr>").next())
        .unwrap();
    assert!(!august.contains("no data"), "{august}");
}
both!(a_channel_missing_a_week_leaves_no_figure_on_any_page);

async fn the_explorer_filters_sorts_and_summarises(app: TestApp) {
    let app = with_demo(app).await;
    let support::Answer {
        status,
        headers: _,
        body,
    } = app.get("/api/v1/service-kpis").await;
    assert_eq!(status, StatusCode::OK);
    let all: app::model::ServiceKpiList = serde_json::from_slice(&body).unwrap();
    assert_eq!(all.services.len(), demo::service_count());
    assert!(all.departments.len() >= 3 && !all.agencies.is_empty());
    for s in &all.services {
        assert!(s.transactions_per_year.unwrap() > 0.0, "{s:?}");
        for ratio in [s.digital_take_up, s.user_satisfaction, s.completion_rate] {
            assert!((0.0..=1.0).contains(&ratio.unwrap()), "{s:?}");
        }
    }
    let volume: f64 = all
        .services
        .iter()
        .map(|s| s.transactions_per_year.unwrap())
        .sum();
    assert_eq!(all.summary.transactions_per_year, volume);

    let uri = "/api/v1/service-kpis?department=department-of-transport-and-roads&sort=cost_per_transaction&direction=desc";
    let support::Answer {
        status: _,
        headers: _,
        body,
    } = app.get(uri).await;
    let some: app::model::ServiceKpiList = serde_json::from_slice(&body).unwrap();
    assert_eq!(some.services.len(), 3);
    let costs: Vec<f64> = some
        .services
        .iter()
        .map(|s| s.cost_per_transaction.unwrap())
        .collect();
    assert!(costs.windows(2).all(|w| w[0] >= w[1]), "{costs:?}");
    assert_eq!(some.summary.services, 3);

    let support::Answer {
        status: _,
        headers: _,
        body,
    } = app.get("/api/v1/service-kpis?name=DRIV&format=csv").await;
    let csv = String::from_utf8(body).unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(csv.starts_with("service,department,agency,transactions_per_year"));

    for (query, message) in [
        ("sort=colour", "sort must be one of service, department, transactions_per_year, cost_per_transaction, digital_take_up, user_satisfaction, completion_rate"),
        ("direction=up", "direction must be asc or desc"),
        ("format=xml", "format must be json or csv, not \"xml\""),
    ] {
        let support::Answer { status, headers: _, body } = app.get(&format!("/api/v1/service-kpis?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["message"], message, "{query}");
    }
    let support::Answer {
        status,
        headers: _,
        body: _,
    } = app.get("/api/v1/service-kpis?colour=red").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
both!(the_explorer_filters_sorts_and_summarises);

async fn the_explorer_comes_in_pages_with_totals_over_all(app: TestApp) {
    let app = with_demo(app).await;
    let list = |query: String| {
        let app = &app;
        async move {
            let answer = app.get(&format!("/api/v1/service-kpis?{query}")).await;
            assert_eq!(answer.status, StatusCode::OK, "{query}");
            serde_json::from_slice::<app::model::ServiceKpiList>(&answer.body).unwrap()
        }
    };
    let sort = "sort=transactions_per_year&direction=desc";
    let all = list(sort.into()).await;
    let count = demo::service_count();
    assert_eq!((all.page, all.pages, all.services.len()), (1, 1, count));
    // Pages of 5, in the same order as the whole list; every page's summary
    // covers every service.
    let pages = count.div_ceil(5);
    let mut joined = Vec::new();
    for page in 1..=pages {
        let one = list(format!("{sort}&per_page=5&page={page}")).await;
        assert_eq!((one.page, one.pages), (page, pages));
        assert_eq!(one.summary, all.summary);
        assert_eq!(one.departments, all.departments);
        assert_eq!(one.agency_departments, all.agency_departments);
        assert!(one.services.len() <= 5 && !one.services.is_empty());
        joined.extend(one.services);
    }
    assert_eq!(joined, all.services);
    // Without a page, the first; past the last, none (and still the totals).
    assert_eq!(
        list(format!("{sort}&per_page=5")).await.services,
        all.services[..5]
    );
    let past = list(format!("{sort}&per_page=5&page={}", pages + 1)).await;
    assert!(past.services.is_empty());
    assert_eq!(past.summary, all.summary);
    // Every agency's department.
    for agency in &all.agencies {
        let department = &all.agency_departments[&agency.slug];
        assert!(all.departments.iter().any(|d| &d.slug == department));
    }
    for (query, message) in [
        ("per_page=0", "per_page must be from 1 to 1000"),
        ("per_page=1001", "per_page must be from 1 to 1000"),
        ("per_page=5&page=0", "page must be from 1 to 1000000"),
        ("page=2147483648", "page must be from 1 to 1000000"),
    ] {
        let answer = app.get(&format!("/api/v1/service-kpis?{query}")).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{query}");
        let body: Value = serde_json::from_slice(&answer.body).unwrap();
        assert_eq!(body["message"], message, "{query}");
    }
    let answer = app.get("/api/v1/service-kpis?per_page=many").await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    // Without per_page, one page holds them all (as schemathesis asked).
    let one = list(format!("{sort}&page=1")).await;
    assert_eq!((one.page, one.pages), (1, 1));
    assert_eq!(one.services, all.services);
    let two = list(format!("{sort}&page=2")).await;
    assert_eq!((two.page, two.pages), (2, 1));
    assert!(two.services.is_empty());
    assert_eq!(two.summary, all.summary);
}
both!(the_explorer_comes_in_pages_with_totals_over_all);

/// The explorer's page with more services than one page holds: fifty at a
/// time, GOV.UK's pagination (plain links), the totals over all of them.
#[tokio::test]
async fn the_explorer_page_shows_fifty_services_at_a_time() {
    let app = with_demo(support::test_app(support::Backend::Sqlite).await).await;
    let copies = 60 - demo::service_count();
    demo::load_copies(&app.store, copies, 7, until())
        .await
        .unwrap();
    let page = |uri: &'static str| {
        let app = &app;
        async move {
            let answer = app.get(uri).await;
            assert_eq!(answer.status, StatusCode::OK, "{uri}");
            String::from_utf8(answer.body).unwrap()
        }
    };
    let rows = |html: &str| html.matches("pulse-draggable").count();
    // The number of the page marked current in the pagination.
    let current = |html: &str| {
        let at = html
            .find("govuk-pagination__item--current")
            .expect("a current page");
        let link = &html[at..];
        let link = &link[link.find("<a ").unwrap()..];
        let text = &link[link.find('>').unwrap() + 1..];
        text[..text.find('<').unwrap()].to_string()
    };
    let first = page("/services").await;
    assert_eq!(rows(&first), 50);
    assert!(first.contains("Showing 1 to 50 of 60 services"), "{first}");
    assert!(first.contains(r#"<nav aria-label="Pagination" class="govuk-pagination">"#));
    assert!(
        first.contains(r#"href="/services?page=2" rel="next""#),
        "{first}"
    );
    assert_eq!(current(&first), "1");
    assert!(first.contains(r#"aria-current="page""#));
    assert!(!first.contains(r#"rel="prev""#));
    assert!(
        first.contains("60 services: "),
        "the summary covers every page"
    );
    assert!(first.contains("Download all 60 services as CSV"));
    let second = page("/services?page=2").await;
    assert_eq!(rows(&second), 10);
    assert!(second.contains("Showing 51 to 60 of 60 services"));
    assert!(
        second.contains(r#"href="/services" rel="prev""#),
        "{second}"
    );
    assert_eq!(current(&second), "2");
    assert!(second.contains("60 services: "));
    // Sorting starts again at the first page.
    assert!(
        second.contains(r#"href="/services?sort=service&amp;direction=desc" data-sort="service""#)
    );
    assert!(!second.contains(r#"page=2" data-sort"#), "{second}");
    // Fewer than a page: no pagination.
    let filtered = page("/services?name=copy").await;
    assert_eq!(rows(&filtered), 46);
    assert!(!filtered.contains("govuk-pagination"));
    // Past the last page, and a page that is not a number.
    let past = page("/services?page=9").await;
    assert_eq!(rows(&past), 0);
    assert!(past.contains("There is no page 9: the 60 services fill 2 pages."));
    let past = page("/services?name=copy&page=2").await;
    assert!(past.contains("There is no page 2: the 46 services fit on one page."));
    assert_eq!(rows(&page("/services?page=two").await), 50);
    assert_eq!(rows(&page("/services?page=99999999999999").await), 50);
}

/// The explorer's figures of one service, as the API gives them now.
async fn explorer_row(app: &TestApp, slug: &str) -> app::model::ServiceKpis {
    let answer = app.get("/api/v1/service-kpis").await;
    assert_eq!(answer.status, StatusCode::OK);
    let all: app::model::ServiceKpiList = serde_json::from_slice(&answer.body).unwrap();
    all.services
        .into_iter()
        .find(|s| s.service.slug == slug)
        .expect("listed")
}

async fn the_explorer_follows_every_write(app: TestApp) {
    let app = with_demo(app).await;
    let slug = "file-a-tax-return";
    let before = explorer_row(&app, slug).await;
    // Asked again with nothing changed: the same figures (kept, not redone).
    assert_eq!(explorer_row(&app, slug).await, before);
    let name = "file_a_tax_return_transactions_by_channel";
    let mut w = support::write(&app.store).await;
    let key = server::store::api_keys::create(
        &mut w,
        "tests",
        &[server::store::api_keys::write_scope(name)],
        None,
        None,
        Utc::now(),
    )
    .await
    .unwrap()
    .secret;
    support::done(w).await;
    let uri = "/data/file-a-tax-return/transactions-by-channel";
    // A new channel in the demo's last complete week: a year's transactions
    // grow by its count at once.
    let record = |count: i64| serde_json::json!([{"_timestamp": "2026-11-16T00:00:00Z", "channel": "carrier-pigeon", "count": count}]);
    let answer = app
        .send(axum::http::Method::POST, uri, &key, &record(1_000))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let added = explorer_row(&app, slug).await;
    assert_eq!(
        added.transactions_per_year.unwrap(),
        before.transactions_per_year.unwrap() + 1_000.0
    );
    // Replaced (the same channel and week make the same id): the new count.
    let answer = app
        .send(axum::http::Method::POST, uri, &key, &record(250))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let replaced = explorer_row(&app, slug).await;
    assert_eq!(
        replaced.transactions_per_year.unwrap(),
        before.transactions_per_year.unwrap() + 250.0
    );
    // The digital take-up of that week counts the new channel's transactions.
    assert!(replaced.digital_take_up < before.digital_take_up);
}
both!(the_explorer_follows_every_write);

async fn the_chart_can_show_months_over_chosen_months(app: TestApp) {
    let app = with_demo(app).await;
    let uri = "/api/v1/services/file-a-tax-return?period=month&from=2025-01&to=2025-12";
    let support::Answer {
        status,
        headers: _,
        body,
    } = app.get(uri).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let overview: ServiceOverview = serde_json::from_slice(&body).unwrap();
    let series = &overview.transactions;
    assert_eq!(series.periods.len(), 12);
    assert!(series
        .periods
        .iter()
        .all(|p| p.kind == app::model::PeriodKind::Month));
    assert_eq!(
        series.periods[0].start,
        Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap()
    );
    // January holds the tax deadline: it is the busiest month of the year.
    let totals = series.totals();
    let busiest = totals.iter().flatten().cloned().fold(f64::MIN, f64::max);
    assert_eq!(totals[0], Some(busiest));
    // The months add up to the weekly records' days in 2025: a week that
    // straddles New Year counts its days on each side (computed here from the
    // raw records, not by the engine's own shares).
    let index = demo::service_index("file-a-tax-return").unwrap();
    let generated = demo::generate_for(index, 7, until()).unwrap();
    let first = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    let after = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let in_2025: f64 = generated
        .transactions
        .iter()
        .map(|r| {
            let days = (0..7)
                .map(|d| r.timestamp + chrono::Duration::days(d))
                .filter(|day| *day >= first && *day < after)
                .count();
            r.fields["count"].as_f64().unwrap() * days as f64 / 7.0
        })
        .sum();
    let sum: f64 = totals.iter().flatten().sum();
    assert!((sum - in_2025).abs() < 1e-6 * in_2025, "{sum} {in_2025}");
    // The KPI tiles stay the latest week's.
    assert_eq!(overview.kpis[0].period.kind, app::model::PeriodKind::Week);

    // Months running past today end with the week under way: weeks that
    // have not begun are no periods of the chart, not even "so far" ones.
    let now = Utc::now();
    let far = format!(
        "{}-12",
        now.format("%Y").to_string().parse::<i32>().unwrap() + 1
    );
    let answer = app
        .get(&format!(
            "/api/v1/services/file-a-tax-return?from=2025-01&to={far}"
        ))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let overview: ServiceOverview = serde_json::from_slice(&answer.body).unwrap();
    let last = overview.transactions.periods.last().unwrap();
    assert!(
        last.start <= now && now < last.end,
        "{last:?} is not the week under way"
    );

    for (query, message) in [
        (
            "period=day",
            "period must be week, month, quarter or year, not \"day\"",
        ),
        (
            "from=2025-13",
            "from must be a month from 1900-01 to 2200-12 written YYYY-MM, like 2025-04, not \"2025-13\"",
        ),
    ] {
        let support::Answer { status, body, .. } = app
            .get(&format!("/api/v1/services/file-a-tax-return?{query}"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["message"], message, "{query}");
    }
    let reversed = app
        .get("/api/v1/services/file-a-tax-return?from=2025-06&to=2025-01")
        .await;
    assert_eq!(reversed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reversed.json()["message"], "from must not be after to");
    let support::Answer {
        status,
        headers: _,
        body: _,
    } = app
        .get("/api/v1/services/file-a-tax-return?colour=red")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
both!(the_chart_can_show_months_over_chosen_months);

async fn dashboards_are_read_by_all_and_managed_with_an_admin_key(app: TestApp) {
    let app = with_demo(app).await;
    let support::Answer {
        status,
        headers: _,
        body,
    } = app.get("/api/v1/dashboards").await;
    assert_eq!(status, StatusCode::OK);
    let list: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        list["dashboards"].as_array().unwrap().len(),
        demo::service_count()
    );

    let support::Answer {
        status,
        headers: _,
        body,
    } = app.get("/api/v1/dashboards/file-a-tax-return").await;
    assert_eq!(status, StatusCode::OK);
    let dashboard: app::model::Dashboard = serde_json::from_slice(&body).unwrap();
    // Every module type is used, a section holding two of them.
    let mut types: Vec<String> = Vec::new();
    let mut pending: Vec<&app::model::Module> = dashboard.modules.iter().collect();
    while let Some(m) = pending.pop() {
        types.push(
            serde_json::to_value(m.module_type)
                .unwrap()
                .as_str()
                .unwrap()
                .to_string(),
        );
        pending.extend(m.modules.iter());
    }
    types.sort();
    types.dedup();
    assert_eq!(
        types,
        [
            "bar_chart_with_number",
            "completion_rate",
            "grouped_timeseries",
            "journey",
            "kpi",
            "section",
            "single_timeseries",
            "table",
            "user_satisfaction_graph"
        ]
    );
    // The live service's dashboard has the two others: a live figure and a
    // ranked list.
    let live: app::model::Dashboard = serde_json::from_slice(
        &app.get(&format!("/api/v1/dashboards/{}", demo::LIVE_SERVICE))
            .await
            .body,
    )
    .unwrap();
    let live_types: Vec<app::model::ModuleType> =
        live.modules.iter().map(|m| m.module_type).collect();
    assert!(live_types.contains(&app::model::ModuleType::Realtime));
    assert!(live_types.contains(&app::model::ModuleType::List));

    let mut w = support::write(&app.store).await;
    let admin = server::store::api_keys::create(
        &mut w,
        "tests",
        &["admin".to_string()],
        None,
        None,
        Utc::now(),
    )
    .await
    .unwrap()
    .secret;
    support::done(w).await;
    let send = |method: &str, uri: &str, body: Value| {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", format!("Bearer {admin}"))
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let router = app.router.clone();
        async move {
            let response = router.oneshot(request).await.unwrap();
            let status = response.status();
            let body = response.into_body().collect().await.unwrap().to_bytes();
            (
                status,
                serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null),
            )
        }
    };
    let mut draft = serde_json::to_value(&dashboard).unwrap();
    draft["slug"] = "tax-draft".into();
    draft["status"] = "unpublished".into();
    let (status, _) = send("POST", "/api/v1/dashboards", draft.clone()).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = send("POST", "/api/v1/dashboards", draft.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT);
    // Unpublished: hidden from the public, shown to an admin.
    let support::Answer {
        status,
        headers: _,
        body: _,
    } = app.get("/api/v1/dashboards/tax-draft").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, shown) = send("GET", "/api/v1/dashboards/tax-draft", Value::Null).await;
    assert_eq!(
        (status, shown["status"].clone()),
        (StatusCode::OK, json_str("unpublished"))
    );

    // Modules are checked against their data sets and the read API's rules.
    let mut bad = draft.clone();
    bad["modules"][1]["query"] = "period=fortnight&duration=2".into();
    let (status, body) = send("PUT", "/api/v1/dashboards/tax-draft", bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["message"],
        "module \"transactions-by-channel\": its query is not valid: 'period' must be one of ['hour', 'day', 'week', 'month', 'quarter', 'year']"
    );
    // A live figure and a ranked list say what their type cannot show.
    for (module, message) in [
        (
            serde_json::json!({"type": "realtime", "slug": "now", "title": "Now", "data_set": "file-a-tax-return/transactions-by-channel",
                   "query": "period=week", "options": {"value": "count"}}),
            "module \"now\": a live figure reads the records of its last hours: its query may filter them, but not use period",
        ),
        (
            serde_json::json!({"type": "realtime", "slug": "now", "title": "Now", "data_set": "file-a-tax-return/transactions-by-channel"}),
            "module \"now\": a live figure needs options.value, the field it shows (e.g. \"unique_visitors\")",
        ),
        (
            serde_json::json!({"type": "list", "slug": "top", "title": "Top", "data_set": "file-a-tax-return/transactions-by-channel",
                   "query": "group_by=channel&collect=count:sum", "options": {"link": "javascript:alert(1)//{channel}"}}),
            "module \"top\": options.link must be a web address (https://...) or a path of this site (/...)",
        ),
    ] {
        let mut bad = draft.clone();
        bad["modules"][1] = module;
        let (status, body) = send("PUT", "/api/v1/dashboards/tax-draft", bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["message"], message);
    }
    let mut good = draft.clone();
    good["modules"][1] = serde_json::json!({"type": "list", "slug": "top", "title": "Top channels",
        "data_set": "file-a-tax-return/transactions-by-channel",
        "query": "group_by=channel&collect=count:sum&sort_by=count:sum:descending&limit=2",
        "options": {"link": "/guide/data-types#{channel}"}});
    let (status, body) = send("PUT", "/api/v1/dashboards/tax-draft", good).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut bad = draft.clone();
    bad["modules"][1]["data_set"] = "nope/nothing".into();
    let (status, body) = send("PUT", "/api/v1/dashboards/tax-draft", bad).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body["message"],
        "Module `transactions-by-channel`: there is no data set `nope/nothing`."
    );
    let mut bad = draft.clone();
    bad["modules"][2]["slug"] = "transactions-by-channel".into();
    let (status, body) = send("PUT", "/api/v1/dashboards/tax-draft", bad).await;
    assert_eq!(
        (status, body["message"].clone()),
        (
            StatusCode::CONFLICT,
            json_str(
                "Two modules are called \"transactions-by-channel\": each module's `slug` must be its own."
            )
        )
    );
    // At most 50 modules, sections and the modules in them counted.
    let module = draft["modules"][1].clone();
    let many = |n: usize| {
        let mut d = draft.clone();
        d["modules"] = (0..n)
            .map(|i| {
                let mut m = module.clone();
                m["slug"] = format!("m{i}").into();
                m
            })
            .collect();
        d
    };
    let (status, body) = send("PUT", "/api/v1/dashboards/tax-draft", many(50)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = send("PUT", "/api/v1/dashboards/tax-draft", many(500)).await;
    assert_eq!(
        (status, body["message"].clone()),
        (
            StatusCode::BAD_REQUEST,
            json_str("a dashboard holds at most 50 modules (sections and the modules in them counted); this one has 500. Split it into two dashboards, or show less on this one")
        )
    );
    let mut nested = many(50);
    nested["modules"][0] = serde_json::json!({"type": "section", "slug": "more", "title": "More",
        "modules": [module.clone()]});
    let (status, _) = send("PUT", "/api/v1/dashboards/tax-draft", nested).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let mut bad = draft.clone();
    bad["modules"][0]["type"] = "pie".into();
    let (status, _) = send("PUT", "/api/v1/dashboards/tax-draft", bad).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let mut published = draft.clone();
    published["status"] = "published".into();
    let (status, _) = send("PUT", "/api/v1/dashboards/tax-draft", published).await;
    assert_eq!(status, StatusCode::OK);
    let support::Answer {
        status,
        headers: _,
        body: _,
    } = app.get("/api/v1/dashboards/tax-draft").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = send("DELETE", "/api/v1/dashboards/tax-draft", Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    let support::Answer {
        status,
        headers: _,
        body: _,
    } = app.get("/api/v1/dashboards/tax-draft").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Without a key nothing changes.
    let request = Request::builder()
        .method("DELETE")
        .uri("/api/v1/dashboards/file-a-tax-return")
        .body(Body::empty())
        .unwrap();
    let response = app.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}
both!(dashboards_are_read_by_all_and_managed_with_an_admin_key);

fn json_str(s: &str) -> Value {
    Value::String(s.to_string())
}
