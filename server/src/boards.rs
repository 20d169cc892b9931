//! Summary boards and comparisons: each service's five KPIs per period, from
//! its standard data sets that the caller may read (published ones, for
//! everyone: [`crate::auth::readable_data_sets`]) as held in memory
//! ([`crate::query::Cache`]),
//! so a board of many services needs no record to be read from the database.
//!
//! The figures follow the services explorer: a year of transactions (the last
//! 52 weeks with data), the latest quarter's cost per transaction, and the last
//! year's digital take-up, satisfaction and completion rate.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use app::boards::{
    self as rules, Attention, Board, BoardKpi, BoardService, ComparedService, Comparison, Concern,
    Target, KPIS,
};
use app::kpi::{
    completion_rate, digital_take_up, format_date, format_value, next_period_start,
    period_containing, periods_between, satisfaction_score, unusual_points,
};
use app::model::{Annotation, KpiKind, PeriodKind, ServiceKpis, ServiceListing};
use chrono::{DateTime, Duration, Utc};

use crate::auth::{readable_data_sets, Caller};
use crate::error::Result;
use crate::query::table::{Cell, Table};
use crate::routes::AppState;
use crate::store::{annotations, data_sets, from_micros, orgs, targets};

/// The standard data types a service's KPIs are computed from.
pub const STANDARD_TYPES: [&str; 4] = [
    "transactions-by-channel",
    "cost-per-transaction",
    "user-satisfaction",
    "completion-rate",
];

/// A service's standard data sets, where they exist and may be read.
#[derive(Default)]
pub struct Standard {
    pub transactions: Option<Arc<Table>>,
    pub cost: Option<Arc<Table>>,
    pub satisfaction: Option<Arc<Table>>,
    pub completion: Option<Arc<Table>>,
    /// Each present data set's type, expected age and table, for freshness.
    watched: Vec<(&'static str, Option<i64>, Arc<Table>)>,
}

/// The standard tables of the service `slug`.
pub async fn standard(
    state: &AppState,
    published: &HashMap<(String, String), data_sets::DataSet>,
    slug: &str,
) -> Result<Standard> {
    let mut out = Standard::default();
    for data_type in STANDARD_TYPES {
        let Some(ds) = published.get(&(slug.to_string(), data_type.to_string())) else {
            continue;
        };
        let table = state.cache.table(&state.store, ds.id).await?;
        out.watched
            .push((data_type, ds.max_age_expected, table.clone()));
        let slot = match data_type {
            "transactions-by-channel" => &mut out.transactions,
            "cost-per-transaction" => &mut out.cost,
            "user-satisfaction" => &mut out.satisfaction,
            _ => &mut out.completion,
        };
        *slot = Some(table);
    }
    Ok(out)
}

fn number(column: Option<&[Cell]>, row: usize) -> Option<f64> {
    column.and_then(|c| c[row].number())
}

fn is(column: Option<&[Cell]>, row: usize, id: Option<u32>) -> bool {
    matches!((column, id), (Some(c), Some(id)) if c[row] == Cell::Str(id))
}

/// Per period start: (all transactions, digital ones).
fn transactions_by(table: &Table, kind: PeriodKind) -> BTreeMap<DateTime<Utc>, (f64, f64)> {
    let (count, channel) = (table.column("count"), table.column("channel"));
    let digital = table.string_id("digital");
    let mut sums = BTreeMap::new();
    for row in 0..table.len() {
        let Some(n) = number(count, row) else {
            continue;
        };
        let start = period_containing(kind, from_micros(table.ts[row])).start;
        let entry: &mut (f64, f64) = sums.entry(start).or_default();
        entry.0 += n;
        if is(channel, row, digital) {
            entry.1 += n;
        }
    }
    sums
}

/// Per period start: (ratings 1 to 5, responses).
fn ratings_by(table: &Table, kind: PeriodKind) -> BTreeMap<DateTime<Utc>, ([f64; 5], f64)> {
    let columns: Vec<Option<&[Cell]>> = (1..=5)
        .map(|i| table.column(&format!("rating_{i}")))
        .collect();
    let total = table.column("total");
    let mut sums = BTreeMap::new();
    for row in 0..table.len() {
        let start = period_containing(kind, from_micros(table.ts[row])).start;
        let entry: &mut ([f64; 5], f64) = sums.entry(start).or_default();
        for (slot, column) in entry.0.iter_mut().zip(&columns) {
            *slot += number(*column, row).unwrap_or(0.0);
        }
        entry.1 += number(total, row).unwrap_or(0.0);
    }
    sums
}

/// Per period start: (started, completed).
fn completions_by(table: &Table, kind: PeriodKind) -> BTreeMap<DateTime<Utc>, (f64, f64)> {
    let (count, stage) = (table.column("count"), table.column("stage"));
    let (start_id, end_id) = (table.string_id("start"), table.string_id("end"));
    let mut sums = BTreeMap::new();
    for row in 0..table.len() {
        let n = number(count, row).unwrap_or(0.0);
        let start = period_containing(kind, from_micros(table.ts[row])).start;
        let entry: &mut (f64, f64) = sums.entry(start).or_default();
        if is(stage, row, start_id) {
            entry.0 += n;
        } else if is(stage, row, end_id) {
            entry.1 += n;
        }
    }
    sums
}

/// The cost per transaction of each quarter (the newest record of a quarter
/// wins), then averaged into years when `kind` is a year.
fn costs_by(table: &Table, kind: PeriodKind) -> BTreeMap<DateTime<Utc>, Option<f64>> {
    let column = table.column("cost_per_transaction");
    let mut quarters: BTreeMap<DateTime<Utc>, (i64, Option<f64>)> = BTreeMap::new();
    for row in 0..table.len() {
        let start = period_containing(PeriodKind::Quarter, from_micros(table.ts[row])).start;
        let entry = quarters.entry(start).or_insert((i64::MIN, None));
        if table.ts[row] >= entry.0 {
            *entry = (table.ts[row], number(column, row));
        }
    }
    if kind != PeriodKind::Year {
        return quarters.into_iter().map(|(k, (_, v))| (k, v)).collect();
    }
    let mut years: BTreeMap<DateTime<Utc>, (f64, f64)> = BTreeMap::new();
    for (start, (_, value)) in quarters {
        if let Some(v) = value {
            let entry = years
                .entry(period_containing(PeriodKind::Year, start).start)
                .or_default();
            entry.0 += v;
            entry.1 += 1.0;
        }
    }
    years
        .into_iter()
        .map(|(k, (sum, n))| (k, Some(sum / n)))
        .collect()
}

/// `kpi` per period of `kind` (clamped to the KPI's finest period), by period
/// start; only periods with data are present.
pub fn series(
    data: &Standard,
    kpi: KpiKind,
    kind: PeriodKind,
) -> (PeriodKind, BTreeMap<DateTime<Utc>, Option<f64>>) {
    let kind = coarsest(kind, kpi.finest_period());
    let values = match kpi {
        // A count of a period the data does not yet cover to its end (the
        // month under way) would read as a fall: such a period is left out.
        KpiKind::Transactions => data.transactions.as_deref().map(|t| {
            let covered =
                t.ts.iter()
                    .max()
                    .map(|&newest| period_containing(PeriodKind::Week, from_micros(newest)).end);
            transactions_by(t, kind)
                .into_iter()
                .filter(|(start, _)| covered.is_some_and(|c| next_period_start(kind, *start) <= c))
                .map(|(k, (all, _))| (k, Some(all)))
                .collect()
        }),
        KpiKind::DigitalTakeUp => data.transactions.as_deref().map(|t| {
            transactions_by(t, kind)
                .into_iter()
                .map(|(k, (all, digital))| (k, digital_take_up(Some(digital), Some(all))))
                .collect()
        }),
        KpiKind::UserSatisfaction => data.satisfaction.as_deref().map(|t| {
            ratings_by(t, kind)
                .into_iter()
                .map(|(k, (ratings, total))| (k, satisfaction_score(ratings, total)))
                .collect()
        }),
        KpiKind::CompletionRate => data.completion.as_deref().map(|t| {
            completions_by(t, kind)
                .into_iter()
                .map(|(k, (started, done))| (k, completion_rate(started, done)))
                .collect()
        }),
        KpiKind::CostPerTransaction => data.cost.as_deref().map(|t| costs_by(t, kind)),
    };
    (kind, values.unwrap_or_default())
}

fn rank(kind: PeriodKind) -> u8 {
    match kind {
        PeriodKind::Hour => 0,
        PeriodKind::Day => 1,
        PeriodKind::Week => 2,
        PeriodKind::Month => 3,
        PeriodKind::Quarter => 4,
        PeriodKind::Year => 5,
    }
}

/// The coarser of two kinds of period.
pub fn coarsest(a: PeriodKind, b: PeriodKind) -> PeriodKind {
    if rank(a) >= rank(b) {
        a
    } else {
        b
    }
}

/// A service's headline figures (as the services explorer shows them).
pub fn yearly(service: ServiceListing, data: &Standard) -> ServiceKpis {
    let weekly = data
        .transactions
        .as_deref()
        .map(|t| transactions_by(t, PeriodKind::Week))
        .unwrap_or_default();
    // The last 52 weeks from the newest week with data (weeks without records
    // count as none).
    let newest = weekly.keys().next_back().copied();
    let year_start = newest.map(|n| n - Duration::weeks(51));
    let in_year = |t: &DateTime<Utc>| year_start.is_none_or(|s| *t >= s);
    let (mut all, mut digital) = (0.0, 0.0);
    for (_, (a, d)) in weekly.iter().filter(|(k, _)| in_year(k)) {
        all += a;
        digital += d;
    }
    let has_weeks = !weekly.is_empty();
    let has_digital = data
        .transactions
        .as_deref()
        .and_then(|t| t.string_id("digital"))
        .is_some();
    let (mut started, mut completed) = (0.0, 0.0);
    if let Some(t) = data.completion.as_deref() {
        let (count, stage) = (t.column("count"), t.column("stage"));
        let (s, e) = (t.string_id("start"), t.string_id("end"));
        for row in 0..t.len() {
            if !in_year(&from_micros(t.ts[row])) {
                continue;
            }
            let n = number(count, row).unwrap_or(0.0);
            if is(stage, row, s) {
                started += n;
            } else if is(stage, row, e) {
                completed += n;
            }
        }
    }
    let mut ratings = [0.0; 5];
    let mut responses = 0.0;
    if let Some(t) = data.satisfaction.as_deref() {
        if let Some(newest) = t.ts.iter().max() {
            let since = newest - Duration::days(365).num_microseconds().unwrap_or(0);
            let columns: Vec<Option<&[Cell]>> =
                (1..=5).map(|i| t.column(&format!("rating_{i}"))).collect();
            let total = t.column("total");
            for row in (0..t.len()).filter(|&r| t.ts[r] > since) {
                for (slot, column) in ratings.iter_mut().zip(&columns) {
                    *slot += number(*column, row).unwrap_or(0.0);
                }
                responses += number(total, row).unwrap_or(0.0);
            }
        }
    }
    let cost = data
        .cost
        .as_deref()
        .and_then(|t| costs_by(t, PeriodKind::Quarter).into_iter().next_back())
        .and_then(|(_, v)| v);
    ServiceKpis {
        service,
        transactions_per_year: has_weeks.then_some(all),
        cost_per_transaction: cost,
        digital_take_up: digital_take_up(has_digital.then_some(digital), has_weeks.then_some(all)),
        user_satisfaction: satisfaction_score(ratings, responses),
        completion_rate: completion_rate(started, completed),
    }
}

fn value_of(kpis: &ServiceKpis, kpi: KpiKind) -> Option<f64> {
    match kpi {
        KpiKind::Transactions => kpis.transactions_per_year,
        KpiKind::CostPerTransaction => kpis.cost_per_transaction,
        KpiKind::DigitalTakeUp => kpis.digital_take_up,
        KpiKind::UserSatisfaction => kpis.user_satisfaction,
        KpiKind::CompletionRate => kpis.completion_rate,
    }
}

/// How many recent periods a sparkline shows: 12 months, or 8 quarters of costs.
const SPARK_MONTHS: usize = 12;
const SPARK_QUARTERS: usize = 8;

/// The last `n` periods of `kind` up to the newest with data, with their values.
fn recent(
    kind: PeriodKind,
    values: &BTreeMap<DateTime<Utc>, Option<f64>>,
    n: usize,
) -> Vec<Option<f64>> {
    let Some(newest) = values.keys().next_back() else {
        return Vec::new();
    };
    let first = *values.keys().next().unwrap_or(newest);
    let all = periods_between(kind, first, next_period_start(kind, *newest));
    all[all.len().saturating_sub(n)..]
        .iter()
        .map(|p| values.get(&p.start).copied().flatten())
        .collect()
}

/// How long after a spike an explanation still counts as near it.
const NOTE_REACH: i64 = 7;

/// The weeks of the last quarter whose transactions stood out and that no note
/// covers.
fn unexplained_spikes(data: &Standard, notes: &[&Annotation]) -> Vec<DateTime<Utc>> {
    let Some(table) = data.transactions.as_deref() else {
        return Vec::new();
    };
    let weekly = transactions_by(table, PeriodKind::Week);
    let (Some(first), Some(last)) = (weekly.keys().next(), weekly.keys().next_back()) else {
        return Vec::new();
    };
    let weeks = periods_between(
        PeriodKind::Week,
        *first,
        next_period_start(PeriodKind::Week, *last),
    );
    let values: Vec<Option<f64>> = weeks
        .iter()
        .map(|p| Some(weekly.get(&p.start).map(|v| v.0).unwrap_or(0.0)))
        .collect();
    let recent_from = weeks.len().saturating_sub(13);
    unusual_points(&values, PeriodKind::Week)
        .into_iter()
        .filter(|u| u.index >= recent_from)
        .map(|u| weeks[u.index])
        .filter(|week| {
            !notes.iter().any(|n| {
                let end = n.ends_at.unwrap_or(n.starts_at);
                n.starts_at < week.end + Duration::days(NOTE_REACH)
                    && end >= week.start - Duration::days(NOTE_REACH)
            })
        })
        .map(|week| week.start)
        .collect()
}

fn title_of(data_type: &str) -> &'static str {
    match data_type {
        "transactions-by-channel" => "Transactions",
        "cost-per-transaction" => "Cost per transaction",
        "user-satisfaction" => "User satisfaction",
        _ => "Completion",
    }
}

/// A board of `services`, titled `title`, at `url`. Unexplained spikes count
/// every note, internal ones too (a note explains whoever may read it).
pub async fn board(
    state: &AppState,
    caller: &Caller,
    title: String,
    url: String,
    services: Vec<ServiceListing>,
    now: DateTime<Utc>,
) -> Result<Board> {
    let published = readable_data_sets(state, caller).await?;
    let all_targets = targets::list(&state.store, None).await?;
    let notes = annotations::list(
        &state.store,
        &annotations::Filter {
            from: Some(now - Duration::weeks(60)),
            ..Default::default()
        },
    )
    .await?;
    let dashboards = crate::store::dashboards::published_by_service(&state.store).await?;
    let today = now.date_naive();
    let mut rows = Vec::new();
    let mut headline = Vec::new();
    let mut attention = Vec::new();
    for service in services {
        let slug = service.slug.clone();
        let data = standard(state, &published, &slug).await?;
        let figures = yearly(service.clone(), &data);
        let targets: Vec<&Target> = all_targets.iter().filter(|t| t.service == slug).collect();
        let mut kpis = Vec::new();
        for kpi in KPIS {
            let value = value_of(&figures, kpi);
            let (kind, values) = series(&data, kpi, PeriodKind::Month);
            let spark = recent(
                kind,
                &values,
                if kind == PeriodKind::Quarter {
                    SPARK_QUARTERS
                } else {
                    SPARK_MONTHS
                },
            );
            let trend = rules::trend(&spark);
            let target = targets
                .iter()
                .filter(|t| t.kpi == kpi && t.effective_from <= today)
                .max_by_key(|t| (t.effective_from, t.id))
                .map(|t| t.value);
            let status = rules::status(kpi, value, target);
            let name = kpi.title();
            if status == Some(app::boards::Rag::Red) {
                attention.push(Attention {
                    service: slug.clone(),
                    service_title: service.title.clone(),
                    concern: Concern::BelowTarget,
                    kpi: Some(kpi),
                    message: format!(
                        "{name} is {} against a target of {}.",
                        format_value(value, kpi.unit()),
                        format_value(target, kpi.unit())
                    ),
                });
            }
            if let Some((direction, change)) = trend {
                if rules::worsening(kpi, direction) && change.abs() >= 0.05 {
                    attention.push(Attention {
                        service: slug.clone(),
                        service_title: service.title.clone(),
                        concern: Concern::Worsening,
                        kpi: Some(kpi),
                        message: format!(
                            "{name} {} {:.0}% over the last three {}s against the three before.",
                            if direction == app::boards::Trend::Up {
                                "rose"
                            } else {
                                "fell"
                            },
                            change.abs() * 100.0,
                            if kind == PeriodKind::Quarter {
                                "quarter"
                            } else {
                                "month"
                            },
                        ),
                    });
                }
            }
            kpis.push(BoardKpi {
                kpi,
                value,
                spark,
                trend: trend.map(|t| t.0),
                change: trend.map(|t| t.1),
                target,
                status,
            });
        }
        for (data_type, max_age, table) in &data.watched {
            let newest = table.ts.iter().max().map(|&t| from_micros(t));
            let fresh =
                crate::overview::freshness_from(&slug, data_type, *max_age, newest, None, now);
            if fresh.out_of_date {
                attention.push(Attention {
                    service: slug.clone(),
                    service_title: service.title.clone(),
                    concern: Concern::OutOfDate,
                    kpi: None,
                    message: format!(
                        "{} data is out of date: the newest is from {}.",
                        title_of(data_type),
                        newest.map(format_date).unwrap_or_default()
                    ),
                });
            }
        }
        let service_notes: Vec<&Annotation> = notes
            .iter()
            .map(|n| &n.annotation)
            .filter(|n| n.service == slug)
            .collect();
        for week in unexplained_spikes(&data, &service_notes) {
            attention.push(Attention {
                service: slug.clone(),
                service_title: service.title.clone(),
                concern: Concern::UnexplainedSpike,
                kpi: Some(KpiKind::Transactions),
                message: format!(
                    "Transactions in the week of {} stand out and no note explains them.",
                    format_date(week)
                ),
            });
        }
        rows.push(BoardService {
            service,
            kpis,
            dashboard: dashboards.get(&slug).map(|d| format!("/{d}")),
        });
        headline.push(figures);
    }
    Ok(Board {
        title,
        url,
        summary: app::kpi::summarise(&headline),
        services: rows,
        attention,
        portfolio: None,
    })
}

/// The services of an organisation: its own and those of its agencies.
pub async fn services_of(state: &AppState, org: &str) -> Result<Vec<ServiceListing>> {
    Ok(orgs::list_services(&state.store)
        .await?
        .into_iter()
        .filter(|s| s.department.slug == org || s.agency.as_ref().is_some_and(|a| a.slug == org))
        .collect())
}

/// A comparison of `services` on `kpi` by `kind`, with each service's notes
/// that `may_read` allows.
pub async fn compare(
    state: &AppState,
    caller: &Caller,
    services: Vec<ServiceListing>,
    kpi: KpiKind,
    kind: PeriodKind,
    may_read: impl Fn(&annotations::Stored) -> bool,
) -> Result<Comparison> {
    let published = readable_data_sets(state, caller).await?;
    let kind = coarsest(kind, kpi.finest_period());
    let mut each = Vec::new();
    for service in services {
        let data = standard(state, &published, &service.slug).await?;
        let values = series(&data, kpi, kind).1;
        let missing = if values.values().all(Option::is_none) {
            Some(format!(
                "{} has no {} figures{}.",
                service.title,
                kpi.title().to_lowercase(),
                match kpi {
                    KpiKind::CostPerTransaction if data.cost.is_none() => {
                        " (no published cost-per-transaction data set)"
                    }
                    KpiKind::UserSatisfaction if data.satisfaction.is_none() => {
                        " (no published user-satisfaction data set)"
                    }
                    KpiKind::CompletionRate if data.completion.is_none() => {
                        " (no published completion-rate data set)"
                    }
                    KpiKind::Transactions | KpiKind::DigitalTakeUp
                        if data.transactions.is_none() =>
                    {
                        " (no published transactions-by-channel data set)"
                    }
                    _ => "",
                }
            ))
        } else {
            None
        };
        each.push((service, values, missing));
    }
    let first = each.iter().filter_map(|e| e.1.keys().next()).min().copied();
    let last = each
        .iter()
        .filter_map(|e| e.1.keys().next_back())
        .max()
        .copied();
    let periods = match (first, last) {
        (Some(f), Some(l)) => {
            // The newest MAX_PERIODS periods at most.
            let end = next_period_start(kind, l);
            let oldest = app::kpi::periods_after(kind, end, -(app::kpi::MAX_PERIODS as i32));
            periods_between(kind, f.max(oldest), end)
        }
        _ => Vec::new(),
    };
    let window = periods
        .first()
        .zip(periods.last())
        .map(|(f, l)| (f.start, l.end));
    let all_targets = targets::list(&state.store, None).await?;
    let notes = match window {
        Some((from, to)) => annotations::list(
            &state.store,
            &annotations::Filter {
                from: Some(from),
                to: Some(to),
                ..Default::default()
            },
        )
        .await?
        .into_iter()
        .filter(|n| may_read(n))
        .map(|n| n.annotation)
        .collect(),
        None => Vec::new(),
    };
    let services = each
        .into_iter()
        .map(|(service, values, missing)| {
            let aligned: Vec<Option<f64>> = periods
                .iter()
                .map(|p| values.get(&p.start).copied().flatten())
                .collect();
            let latest_index = aligned.iter().rposition(Option::is_some);
            let latest = latest_index.and_then(|i| aligned[i]);
            let previous = latest_index
                .and_then(|i| i.checked_sub(1))
                .and_then(|i| aligned[i]);
            let year_earlier = latest_index.and_then(|i| {
                let back = app::kpi::year_earlier(&periods[i]);
                values.get(&back.start).copied().flatten()
            });
            let targets: Vec<Target> = all_targets
                .iter()
                .filter(|t| t.service == service.slug && t.kpi == kpi)
                .cloned()
                .collect();
            let target = if targets.is_empty() {
                Vec::new()
            } else {
                rules::target_line(&targets, kpi, &periods)
            };
            let annotations = notes
                .iter()
                .filter(|n| n.service == service.slug && n.module.is_none())
                .cloned()
                .collect();
            ComparedService {
                latest_period: latest_index.map(|i| periods[i]),
                service,
                values: aligned,
                latest,
                previous,
                year_earlier,
                missing,
                target,
                annotations,
            }
        })
        .collect();
    Ok(Comparison {
        kpi,
        period: kind,
        periods,
        services,
    })
}
