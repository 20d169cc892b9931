//! Every page's figures come from the one KPI engine (`server::domain::kpis`):
//! for every demo service, and a service whose data sets are all unpublished,
//! the service page, the explorer, the department's board, compare and the
//! service's dashboard answer exactly what the engine computes, for the public
//! and for an admin, for the same latest complete periods.

use std::collections::HashMap;

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use app::model::{KpiKind, ServiceKpis};
use server::domain::kpis::{self, Readable};
use server::domain::query::Cache;
use server::store::data_sets;

use crate::support;
use crate::support::{call, TestApp};

const UNPUBLISHED: &str = "check-your-state-pension";

fn same(a: &Value, b: Option<f64>, what: &str) {
    match (a.as_f64(), b) {
        (None, None) => {}
        (Some(x), Some(y)) => assert!(
            (x - y).abs() <= 1e-9 * y.abs().max(1.0),
            "{what}: the API says {x}, the engine {y}"
        ),
        _ => panic!("{what}: the API says {a}, the engine {b:?}"),
    }
}

/// A time as a query's parameter (its `+` written out).
fn urlencoding(t: &str) -> String {
    t.replace('+', "%2B")
}

fn figure(k: &ServiceKpis, kpi: KpiKind) -> Option<f64> {
    match kpi {
        KpiKind::Transactions => k.transactions_per_year,
        KpiKind::CostPerTransaction => k.cost_per_transaction,
        KpiKind::DigitalTakeUp => k.digital_take_up,
        KpiKind::UserSatisfaction => k.user_satisfaction,
        KpiKind::CompletionRate => k.completion_rate,
    }
}

async fn get(app: &TestApp, who: &[(String, String)], uri: &str) -> Value {
    let answer = call(app, Method::GET, uri, who, None).await;
    assert_eq!(answer.status, StatusCode::OK, "{uri}: {}", answer.text());
    answer.json()
}

/// The pages' figures against the engine's, for a caller who may read `readable`.
async fn pages_agree_with_the_engine(app: &TestApp, who: &[(String, String)], readable: &Readable) {
    let cache = Cache::default();
    let explorer = get(app, who, "/api/v1/service-kpis").await;
    let services = explorer["services"].as_array().unwrap();
    assert!(services.len() >= 10, "the demo's services");
    let mut boards: HashMap<String, Value> = HashMap::new();
    let mut with_figures = 0;
    for row in services {
        let shown: ServiceKpis = serde_json::from_value(row.clone()).unwrap();
        let listing = shown.service.clone();
        let slug = listing.slug.clone();
        let data = kpis::standard(&app.store, &cache, readable, &slug, chrono::Utc::now())
            .await
            .unwrap();
        let yearly = kpis::yearly(listing.clone(), &data);
        let department = listing.department.slug.clone();
        if !boards.contains_key(&department) {
            let board = get(app, who, &format!("/api/v1/boards/{department}")).await;
            boards.insert(department.clone(), board);
        }
        let board_row = boards[&department]["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["service"]["slug"] == slug)
            .unwrap_or_else(|| panic!("{slug} is not on its department's board"))
            .clone();
        let page = get(app, who, &format!("/api/v1/services/{slug}")).await;
        for kpi in kpis::ORDER {
            let key = kpi.key();
            let engine = figure(&yearly, kpi);
            same(
                &json!(figure(&shown, kpi)),
                engine,
                &format!("explorer {slug} {key}"),
            );
            let on_board = board_row["kpis"]
                .as_array()
                .unwrap()
                .iter()
                .find(|k| k["kpi"] == key)
                .unwrap();
            same(&on_board["value"], engine, &format!("board {slug} {key}"));
            // Compare, by the KPI's own period: its latest value is the
            // engine's newest complete period with a value, the service page's
            // tile.
            let finest = kpi.finest_period();
            let compared = get(
                app,
                who,
                &format!(
                    "/api/v1/compare?services={slug}&kpi={key}&period={}",
                    finest.as_str()
                ),
            )
            .await;
            let (_, series) = kpis::complete_series(&data, kpi, finest);
            let newest = series.iter().rev().find(|(_, v)| v.is_some());
            let c = &compared["services"][0];
            same(
                &c["latest"],
                newest.and_then(|(_, v)| *v),
                &format!("compare {slug} {key}"),
            );
            if let Some((start, _)) = newest {
                assert_eq!(
                    c["latest_period"]["start"],
                    json!(start),
                    "compare {slug} {key}"
                );
            }
        }
        // The service page's tiles are the engine's latest figures.
        let tiles: Vec<app::model::KpiFigure> =
            serde_json::from_value(page["kpis"].clone()).unwrap();
        assert_eq!(tiles, kpis::latest(&data), "service page {slug}");
        // Its weekly chart's 52 complete weeks add up to the explorer's year.
        let chart: app::model::ChannelSeries =
            serde_json::from_value(page["transactions"].clone()).unwrap();
        let totals = chart.totals();
        let year: f64 = chart
            .periods
            .iter()
            .zip(&totals)
            .filter(|(p, _)| {
                yearly.year_from.is_some_and(|f| p.start >= f)
                    && yearly.year_to.is_some_and(|t| p.end <= t)
            })
            .filter_map(|(_, v)| *v)
            .sum();
        // A year of figures only when all 52 weeks have them.
        if yearly.transactions_per_year.is_some() {
            same(
                &json!(year),
                yearly.transactions_per_year,
                &format!("service page chart {slug}"),
            );
        }
        // Its dashboard's headlines: each module's latest complete period and
        // value, as the page computes them from /data, are the engine's.
        if let Some(link) = page["dashboards"].as_array().and_then(|d| d.first()) {
            let dashboard = link["url"]
                .as_str()
                .unwrap()
                .trim_start_matches('/')
                .to_string();
            dashboard_agrees(app, who, &dashboard, &data, readable).await;
        }
        if yearly.transactions_per_year.is_some() {
            with_figures += 1;
        }
    }
    assert!(with_figures >= 9, "most demo services have figures");
}

/// The headline of each KPI-reading module of `dashboard`, computed as the
/// page does (its request to /data, its figures, its latest complete period by
/// its data set's freshness), against the engine's latest complete period at
/// the module's period.
async fn dashboard_agrees(
    app: &TestApp,
    who: &[(String, String)],
    dashboard: &str,
    data: &kpis::Standard,
    readable: &Readable,
) {
    use app::modules::{self, Figures, ViewParams};
    let d: app::model::Dashboard =
        serde_json::from_value(get(app, who, &format!("/api/v1/dashboards/{dashboard}")).await)
            .unwrap();
    let freshness: app::model::FreshnessList = serde_json::from_value(
        get(
            app,
            who,
            &format!("/api/v1/dashboards/{dashboard}/freshness"),
        )
        .await,
    )
    .unwrap();
    let view = ViewParams::default();
    let mut checked = 0;
    for module in modules::data_modules(&d.modules) {
        let data_type = module
            .data_set
            .as_deref()
            .and_then(|ds| ds.split_once('/'))
            .map(|(_, t)| t.to_string())
            .unwrap_or_default();
        // Only the data sets the engine may read for this caller (/data still
        // answers Backdrop's clients for unpublished ones, with a warning).
        let key = module
            .data_set
            .as_deref()
            .and_then(|ds| ds.split_once('/'))
            .map(|(g, t)| (g.to_string(), t.to_string()));
        if !key.is_some_and(|k| readable.contains_key(&k)) {
            continue;
        }
        let Some(request) = modules::module_request(module, &view, chrono::Utc::now()) else {
            continue;
        };
        let answer = call(app, Method::GET, &request, who, None).await;
        if answer.status != StatusCode::OK {
            // An unpublished data set is not there for the public.
            assert_eq!(answer.status, StatusCode::NOT_FOUND, "{request}");
            continue;
        }
        let rows = answer.json()["data"].as_array().unwrap().clone();
        let until = modules::complete_until_of(module, &view, &freshness.data_sets);
        let figures = modules::figures(module, &rows, until).unwrap();
        let (kpi, values, periods) = match (&figures, data_type.as_str()) {
            (Figures::Time(t), "transactions-by-channel") => {
                (KpiKind::Transactions, t.totals(), t.periods.clone())
            }
            (Figures::Completion(c), _) => {
                (modules::rate_kpi(module), c.rates(), c.periods.clone())
            }
            (Figures::Satisfaction(s), _) => {
                (KpiKind::UserSatisfaction, s.scores(), s.periods.clone())
            }
            (Figures::Kpi(k), "cost-per-transaction") => {
                let (kind, values) = kpis::complete_series(
                    data,
                    KpiKind::CostPerTransaction,
                    app::model::PeriodKind::Quarter,
                );
                let newest = values.iter().rev().find(|(_, v)| v.is_some());
                same(
                    &json!(k.value),
                    newest.and_then(|(_, v)| *v),
                    &format!("{dashboard} {}", module.slug),
                );
                assert_eq!(
                    k.period.map(|p| p.start),
                    newest.map(|(s, _)| *s),
                    "{dashboard} {} ({kind:?})",
                    module.slug
                );
                checked += 1;
                continue;
            }
            _ => continue,
        };
        let Some(i) = app::kpi::latest_complete(&periods, &values, Some(until)) else {
            continue;
        };
        let kind = periods[i].kind;
        let (_, engine) = kpis::complete_series(data, kpi, kind);
        let newest = engine.iter().rev().find(|(_, v)| v.is_some());
        assert_eq!(
            Some(periods[i].start),
            newest.map(|(s, _)| *s),
            "{dashboard} {}: the latest complete {kind:?}",
            module.slug
        );
        // Shared weeks of counts are rounded to whole numbers by /data: a
        // count within half a transaction per channel, a rate within 0.01
        // points (it is shown to 0.1).
        let (shown, engine) = (values[i].unwrap(), newest.and_then(|(_, v)| *v).unwrap());
        let tolerance = if kpi == KpiKind::Transactions {
            2.0
        } else {
            1e-4
        };
        assert!(
            (shown - engine).abs() <= tolerance,
            "{dashboard} {} {kind:?}: the dashboard says {shown}, the engine {engine}",
            module.slug
        );
        checked += 1;
    }
    // Every dashboard with data the caller may read shows a checked headline.
    let reads_any = modules::data_modules(&d.modules).iter().any(|m| {
        m.data_set
            .as_deref()
            .and_then(|ds| ds.split_once('/'))
            .is_some_and(|(g, t)| readable.contains_key(&(g.to_string(), t.to_string())))
    });
    assert!(
        checked >= 1 || !reads_any,
        "{dashboard}: no headline was checked"
    );
}

async fn every_page_shows_the_engines_figures(app: TestApp) {
    let app = support::with_demo_and_people(app).await;
    let admin_key = app.admin_key().await;
    let admin = vec![("authorization".to_string(), format!("Bearer {admin_key}"))];
    assert!(support::unpublish_service(&app, &admin, UNPUBLISHED).await >= 4);
    // A second cost in a quarter (a month's, sent beside the quarter's own):
    // every page gives the quarter the mean of the two, as a dashboard's
    // `cost_per_transaction:mean` by quarter does.
    let costs = "/data-sets/file-a-tax-return/cost-per-transaction";
    let token = call(
        &app,
        Method::POST,
        &format!("/api/v1{costs}/token"),
        &admin,
        Some(&json!({})),
    )
    .await;
    assert_eq!(token.status, StatusCode::OK, "{}", token.text());
    let token = token.json()["bearer_token"].as_str().unwrap().to_string();
    // In the quarter the service page shows (whatever today is), a month in.
    let cost = |service: &Value| -> Value {
        service["kpis"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kpi"] == "cost_per_transaction")
            .unwrap()
            .clone()
    };
    let before = cost(&get(&app, &[], "/api/v1/services/file-a-tax-return").await);
    let (from, to) = (
        before["period"]["start"].as_str().unwrap().to_string(),
        before["period"]["end"].as_str().unwrap().to_string(),
    );
    let start = chrono::DateTime::parse_from_rfc3339(&from).unwrap();
    let month_in = (start + chrono::Duration::days(40)).to_rfc3339();
    let second = json!({"_timestamp": month_in, "cost_per_transaction": 9.99});
    let written = app
        .send(
            Method::POST,
            "/data/file-a-tax-return/cost-per-transaction",
            &token,
            &second,
        )
        .await;
    assert_eq!(written.status, StatusCode::OK, "{}", written.text());
    let after = cost(&get(&app, &[], "/api/v1/services/file-a-tax-return").await);
    assert_eq!(after["period"], before["period"]);
    let quarter = get(
        &app,
        &[],
        &format!(
            "/data/file-a-tax-return/cost-per-transaction?start_at={}&end_at={}",
            urlencoding(&from),
            urlencoding(&to)
        ),
    )
    .await;
    let records: Vec<f64> = quarter["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["cost_per_transaction"].as_f64().unwrap())
        .collect();
    assert_eq!(records.len(), 2, "{quarter}");
    same(
        &after["value"],
        Some(records.iter().sum::<f64>() / 2.0),
        "the service page's cost of a quarter of two records",
    );
    let all: Readable = data_sets::list(&app.store)
        .await
        .unwrap()
        .into_iter()
        .map(|d| ((d.data_group.clone(), d.data_type.clone()), d))
        .collect();
    let published: Readable = all
        .iter()
        .filter(|(_, d)| d.published)
        .map(|(k, d)| (k.clone(), d.clone()))
        .collect();
    assert!(published.len() + 4 <= all.len());
    pages_agree_with_the_engine(&app, &[], &published).await;
    pages_agree_with_the_engine(&app, &admin, &all).await;
    // The unpublished service: nothing for the public, everything for an admin.
    let public = get(&app, &[], &format!("/api/v1/services/{UNPUBLISHED}")).await;
    assert_eq!(public["kpis"], json!([]));
    let inside = get(&app, &admin, &format!("/api/v1/services/{UNPUBLISHED}")).await;
    assert_eq!(inside["kpis"].as_array().unwrap().len(), 5);
}
both!(every_page_shows_the_engines_figures);
