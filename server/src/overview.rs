//! What a service's page shows: weekly transactions by channel and the latest
//! value of each KPI, computed from the service's data sets with `app::kpi`.
//!
//! The data sets are found by convention: group = the service's slug, and the
//! standard types `transactions-by-channel`, `cost-per-transaction`,
//! `user-satisfaction` and `completion-rate`; only those the caller may read
//! count ([`crate::auth::readable_data_sets`]: published ones for everyone).

use std::collections::{BTreeMap, HashMap};

use app::kpi::{
    completion_rate, digital_take_up, period_containing, periods_between, satisfaction_score,
};
use app::model::{
    ChannelLine, ChannelSeries, Freshness, KpiFigure, KpiKind, PeriodKind, ServiceKpis,
    ServiceListing, ServiceOverview,
};
use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::store::{data_sets::DataSet, orgs, records, records::StoredRecord, Store};

/// The data sets a caller may read, by (group, type), from
/// [`crate::auth::readable_data_sets`].
pub type Readable = HashMap<(String, String), DataSet>;

fn readable_one<'a>(readable: &'a Readable, group: &str, data_type: &str) -> Option<&'a DataSet> {
    readable.get(&(group.to_string(), data_type.to_string()))
}

/// The standard channels, in the order they are shown, with their names.
pub const CHANNELS: [(&str, &str); 4] = [
    ("digital", "Digital"),
    ("phone", "Phone"),
    ("paper", "Paper"),
    ("face_to_face", "Face to face"),
];

fn number(record: &StoredRecord, field: &str) -> Option<f64> {
    record.fields.get(field).and_then(|v| v.as_f64())
}

fn text<'a>(record: &'a StoredRecord, field: &str) -> Option<&'a str> {
    record.fields.get(field).and_then(|v| v.as_str())
}

async fn data_set_records(
    store: &Store,
    readable: &Readable,
    group: &str,
    data_type: &str,
) -> Result<Vec<StoredRecord>> {
    match readable_one(readable, group, data_type) {
        Some(ds) => records::all(store, ds.id).await,
        None => Ok(Vec::new()),
    }
}

/// Sums `value_field` per (period, `group_field` value).
fn sum_by_period_and_group(
    records: &[StoredRecord],
    kind: PeriodKind,
    group_field: &str,
    value_field: &str,
) -> BTreeMap<(DateTime<Utc>, String), f64> {
    let mut sums = BTreeMap::new();
    for r in records {
        let (Some(group), Some(value)) = (text(r, group_field), number(r, value_field)) else {
            continue;
        };
        let start = period_containing(kind, r.timestamp).start;
        *sums.entry((start, group.to_string())).or_insert(0.0) += value;
    }
    sums
}

/// Weekly transactions by channel from the first week with data to the last,
/// zero-filled.
pub fn channel_series(records: &[StoredRecord]) -> ChannelSeries {
    channel_series_by(records, PeriodKind::Week, (None, None))
}

/// A span of time to chart, either end open (then the data decides it).
pub type Window = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// `[first, last)` cut to [`app::kpi::MAX_PERIODS`] periods of `kind`: the
/// newest ones, or the first ones when the end is open (the data decides it)
/// and the start was asked for.
fn at_most_max_periods(
    kind: PeriodKind,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    open_end: bool,
) -> (DateTime<Utc>, DateTime<Utc>) {
    use app::kpi::{next_period_start, period_count, period_start, periods_after, MAX_PERIODS};
    let max = MAX_PERIODS as i32;
    if period_count(kind, first, last) <= i64::from(MAX_PERIODS) {
        return (first, last);
    }
    if open_end {
        let first = period_start(kind, first);
        (first, periods_after(kind, first, max))
    } else {
        let start = period_start(kind, last);
        let last = if start == last {
            last
        } else {
            next_period_start(kind, start)
        };
        (periods_after(kind, last, -max), last)
    }
}

/// Transactions by channel per period of `kind`, zero-filled, over `window`
/// (`[start, end)`); an open end is where the data starts or stops.
pub fn channel_series_by(
    records: &[StoredRecord],
    kind: PeriodKind,
    window: Window,
) -> ChannelSeries {
    let (from, to) = window;
    let inside: Vec<StoredRecord> = records
        .iter()
        .filter(|r| from.is_none_or(|f| r.timestamp >= f) && to.is_none_or(|t| r.timestamp < t))
        .cloned()
        .collect();
    let sums = sum_by_period_and_group(&inside, kind, "channel", "count");
    let first = from.or_else(|| sums.keys().next().map(|k| k.0));
    let last = to.or_else(|| {
        sums.keys()
            .next_back()
            .map(|k| app::kpi::next_period_start(kind, k.0))
    });
    let periods = match (first, last) {
        (Some(first), Some(last)) => {
            let open_end = from.is_some() && to.is_none();
            let (first, last) = at_most_max_periods(kind, first, last, open_end);
            periods_between(kind, first, last)
        }
        _ => Vec::new(),
    };
    if sums.is_empty() {
        return ChannelSeries {
            periods,
            channels: Vec::new(),
        };
    }
    let mut present: Vec<String> = sums.keys().map(|(_, c)| c.clone()).collect();
    present.sort();
    present.dedup();
    // Standard channels first in their usual order, then any others by name.
    let mut order: Vec<(String, String)> = CHANNELS
        .iter()
        .filter(|(key, _)| present.iter().any(|p| p == key))
        .map(|(key, label)| (key.to_string(), label.to_string()))
        .collect();
    for p in &present {
        if !CHANNELS.iter().any(|(key, _)| key == p) {
            order.push((p.clone(), p.replace('_', " ")));
        }
    }
    let channels = order
        .into_iter()
        .map(|(channel, label)| {
            let values = periods
                .iter()
                .map(|p| {
                    sums.get(&(p.start, channel.clone()))
                        .copied()
                        .unwrap_or(0.0)
                })
                .collect();
            ChannelLine {
                channel,
                label,
                values,
            }
        })
        .collect();
    ChannelSeries { periods, channels }
}

/// The latest and previous values of a per-period figure.
fn latest_two(
    kpi: KpiKind,
    kind: PeriodKind,
    values: &BTreeMap<DateTime<Utc>, Option<f64>>,
) -> Option<KpiFigure> {
    let mut newest = values.iter().rev();
    let (start, value) = newest.next()?;
    let previous = newest.next().and_then(|(_, v)| *v);
    Some(KpiFigure {
        kpi,
        value: *value,
        period: period_containing(kind, *start),
        previous,
    })
}

fn transactions_kpis(series: &ChannelSeries) -> Vec<KpiFigure> {
    let totals = series.totals();
    let digital = series.channels.iter().find(|c| c.channel == "digital");
    let mut volume = BTreeMap::new();
    let mut take_up = BTreeMap::new();
    for (i, period) in series.periods.iter().enumerate() {
        volume.insert(period.start, Some(totals[i]));
        take_up.insert(
            period.start,
            digital_take_up(digital.map(|d| d.values[i]), Some(totals[i])),
        );
    }
    [
        latest_two(KpiKind::Transactions, PeriodKind::Week, &volume),
        latest_two(KpiKind::DigitalTakeUp, PeriodKind::Week, &take_up),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn cost_kpi(records: &[StoredRecord]) -> Option<KpiFigure> {
    let mut by_quarter: BTreeMap<DateTime<Utc>, Option<f64>> = BTreeMap::new();
    for r in records {
        let start = period_containing(PeriodKind::Quarter, r.timestamp).start;
        by_quarter.insert(start, number(r, "cost_per_transaction"));
    }
    latest_two(
        KpiKind::CostPerTransaction,
        PeriodKind::Quarter,
        &by_quarter,
    )
}

fn satisfaction_kpi(records: &[StoredRecord]) -> Option<KpiFigure> {
    // Ratings are summed per month before the score is computed.
    let mut sums: BTreeMap<DateTime<Utc>, ([f64; 5], f64)> = BTreeMap::new();
    for r in records {
        let start = period_containing(PeriodKind::Month, r.timestamp).start;
        let entry = sums.entry(start).or_insert(([0.0; 5], 0.0));
        for (i, slot) in entry.0.iter_mut().enumerate() {
            *slot += number(r, &format!("rating_{}", i + 1)).unwrap_or(0.0);
        }
        entry.1 += number(r, "total").unwrap_or(0.0);
    }
    let scores = sums
        .into_iter()
        .map(|(start, (ratings, total))| (start, satisfaction_score(ratings, total)))
        .collect();
    latest_two(KpiKind::UserSatisfaction, PeriodKind::Month, &scores)
}

fn completion_kpi(records: &[StoredRecord]) -> Option<KpiFigure> {
    let sums = sum_by_period_and_group(records, PeriodKind::Week, "stage", "count");
    let mut weeks: BTreeMap<DateTime<Utc>, (f64, f64)> = BTreeMap::new();
    for ((start, stage), value) in sums {
        let entry = weeks.entry(start).or_insert((0.0, 0.0));
        match stage.as_str() {
            "start" => entry.0 += value,
            "end" => entry.1 += value,
            _ => {}
        }
    }
    let rates = weeks
        .into_iter()
        .map(|(start, (started, completed))| (start, completion_rate(started, completed)))
        .collect();
    latest_two(KpiKind::CompletionRate, PeriodKind::Week, &rates)
}

/// How recent a data set's records are; stale as `/_status/data-sets` counts it.
pub fn freshness(
    data_type: &str,
    max_age_expected: Option<i64>,
    records: &[StoredRecord],
    now: DateTime<Utc>,
) -> Freshness {
    freshness_from(
        "",
        data_type,
        max_age_expected,
        records.iter().map(|r| r.timestamp).max(),
        records.iter().map(|r| r.updated_at).max(),
        now,
    )
}

/// A data set's freshness from its newest record's `_timestamp` and the time the
/// newest record was written.
pub fn freshness_from(
    group: &str,
    data_type: &str,
    max_age_expected: Option<i64>,
    newest_record: Option<DateTime<Utc>>,
    last_received: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Freshness {
    let out_of_date = match (newest_record, max_age_expected) {
        (Some(newest), Some(age)) => (now - newest).num_seconds() > age,
        _ => false,
    };
    Freshness {
        data_set: if group.is_empty() {
            String::new()
        } else {
            format!("{group}/{data_type}")
        },
        data_type: data_type.to_string(),
        last_received,
        newest_record,
        max_age_expected,
        out_of_date,
    }
}

/// The service's standard data sets that exist and may be read, with their
/// records.
async fn standard_data(
    store: &Store,
    readable: &Readable,
    slug: &str,
) -> Result<Vec<(&'static str, Option<i64>, Vec<StoredRecord>)>> {
    let mut out = Vec::new();
    for data_type in [
        "transactions-by-channel",
        "cost-per-transaction",
        "user-satisfaction",
        "completion-rate",
    ] {
        if let Some(ds) = readable_one(readable, slug, data_type) {
            out.push((
                data_type,
                ds.max_age_expected,
                records::all(store, ds.id).await?,
            ));
        }
    }
    Ok(out)
}

/// The total of transactions in the same period a year before each of `periods`
/// (52 weeks before a week), or `None` where nothing was recorded then.
pub fn year_earlier(records: &[StoredRecord], periods: &[app::model::Period]) -> Vec<Option<f64>> {
    use chrono::Datelike;
    let back = |p: &app::model::Period| match p.kind {
        PeriodKind::Week | PeriodKind::Day | PeriodKind::Hour => (
            p.start - chrono::Duration::weeks(52),
            p.end - chrono::Duration::weeks(52),
        ),
        _ => (
            p.start.with_year(p.start.year() - 1).unwrap_or(p.start),
            p.end.with_year(p.end.year() - 1).unwrap_or(p.end),
        ),
    };
    periods
        .iter()
        .map(|p| {
            let (start, end) = back(p);
            let mut total = None;
            for r in records
                .iter()
                .filter(|r| r.timestamp >= start && r.timestamp < end)
            {
                if let Some(count) = number(r, "count") {
                    *total.get_or_insert(0.0) += count;
                }
            }
            total
        })
        .collect()
}

/// The overview of the service with this slug, its chart per `kind` over `window`,
/// with the totals of a year earlier when `compare_year`, from the `readable`
/// data sets.
pub async fn service_overview(
    store: &Store,
    readable: &Readable,
    slug: &str,
    kind: PeriodKind,
    window: Window,
    compare_year: bool,
) -> Result<ServiceOverview> {
    let (service, description) = orgs::find_service(store, slug)
        .await?
        .ok_or_else(|| Error::NotFound(format!("There is no service called {slug:?}.")))?;
    let data = standard_data(store, readable, slug).await?;
    let records = |wanted: &str| {
        data.iter()
            .find(|(t, _, _)| *t == wanted)
            .map(|(_, _, r)| r.as_slice())
            .unwrap_or(&[])
    };
    let weekly = channel_series(records("transactions-by-channel"));
    let mut kpis = transactions_kpis(&weekly);
    let transactions = if kind == PeriodKind::Week && window == (None, None) {
        weekly
    } else {
        channel_series_by(records("transactions-by-channel"), kind, window)
    };
    kpis.extend(cost_kpi(records("cost-per-transaction")));
    kpis.extend(satisfaction_kpi(records("user-satisfaction")));
    kpis.extend(completion_kpi(records("completion-rate")));
    let previous_year = compare_year
        .then(|| year_earlier(records("transactions-by-channel"), &transactions.periods));
    let now = Utc::now();
    let freshness = data
        .iter()
        .map(|(t, age, r)| Freshness {
            data_set: format!("{slug}/{t}"),
            ..freshness(t, *age, r, now)
        })
        .collect();
    let order = |k: KpiKind| match k {
        KpiKind::Transactions => 0,
        KpiKind::CostPerTransaction => 1,
        KpiKind::DigitalTakeUp => 2,
        KpiKind::UserSatisfaction => 3,
        KpiKind::CompletionRate => 4,
    };
    kpis.sort_by_key(|f| order(f.kpi));
    let dashboards = crate::store::dashboards::published_for_service(store, slug)
        .await?
        .into_iter()
        .map(|d| app::model::Link {
            url: format!("/{}", d.slug),
            title: d.title,
        })
        .collect();
    Ok(ServiceOverview {
        service,
        description,
        transactions,
        kpis,
        freshness,
        previous_year,
        dashboards,
    })
}

/// A service's figures over the last year of its data (see [`ServiceKpis`]).
fn yearly_kpis(
    service: ServiceListing,
    transactions: &ChannelSeries,
    costs: &[StoredRecord],
    ratings: &[StoredRecord],
    completion: &[StoredRecord],
) -> ServiceKpis {
    let weeks = transactions.periods.len();
    let from = weeks.saturating_sub(52);
    let totals = transactions.totals();
    let year: f64 = totals[from..].iter().sum();
    let digital: Option<f64> = transactions
        .channels
        .iter()
        .find(|c| c.channel == "digital")
        .map(|c| c.values[from..].iter().sum());
    let year_start = transactions.periods.get(from).map(|p| p.start);
    let in_year = |r: &&StoredRecord| year_start.is_none_or(|start| r.timestamp >= start);
    let mut started = 0.0;
    let mut completed = 0.0;
    for r in completion.iter().filter(in_year) {
        match text(r, "stage") {
            Some("start") => started += number(r, "count").unwrap_or(0.0),
            Some("end") => completed += number(r, "count").unwrap_or(0.0),
            _ => {}
        }
    }
    let newest_rating = ratings.iter().map(|r| r.timestamp).max();
    let mut counts = [0.0; 5];
    let mut responses = 0.0;
    for r in ratings
        .iter()
        .filter(|r| newest_rating.is_some_and(|n| r.timestamp > n - chrono::Duration::days(365)))
    {
        for (i, slot) in counts.iter_mut().enumerate() {
            *slot += number(r, &format!("rating_{}", i + 1)).unwrap_or(0.0);
        }
        responses += number(r, "total").unwrap_or(0.0);
    }
    ServiceKpis {
        service,
        transactions_per_year: (weeks > 0).then_some(year),
        cost_per_transaction: cost_kpi(costs).and_then(|k| k.value),
        digital_take_up: digital_take_up(digital, (weeks > 0).then_some(year)),
        user_satisfaction: satisfaction_score(counts, responses),
        completion_rate: completion_rate(started, completed),
    }
}

/// Every service's figures over the last year of its `readable` data.
pub async fn service_kpis(store: &Store, readable: &Readable) -> Result<Vec<ServiceKpis>> {
    let mut out = Vec::new();
    for service in orgs::list_services(store).await? {
        let slug = service.slug.clone();
        let records = |t| data_set_records(store, readable, &slug, t);
        let transactions = channel_series(&records("transactions-by-channel").await?);
        let costs = records("cost-per-transaction").await?;
        let ratings = records("user-satisfaction").await?;
        let completion = records("completion-rate").await?;
        out.push(yearly_kpis(
            service,
            &transactions,
            &costs,
            &ratings,
            &completion,
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::Map;

    fn at(day: u32) -> StoredRecord {
        let t = Utc.with_ymd_and_hms(2026, 11, day, 0, 0, 0).unwrap();
        StoredRecord {
            id: day.to_string(),
            timestamp: t,
            updated_at: t + chrono::Duration::hours(1),
            fields: Map::new(),
        }
    }

    #[test]
    fn a_year_earlier_is_52_weeks_or_12_months_back_and_empty_where_no_data() {
        let record = |y: i32, m: u32, d: u32, count: i64| StoredRecord {
            id: format!("{y}{m}{d}"),
            timestamp: Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap(),
            updated_at: Utc::now(),
            fields: serde_json::json!({"count": count})
                .as_object()
                .unwrap()
                .clone(),
        };
        let records = [
            record(2025, 3, 3, 5),
            record(2025, 3, 10, 7),
            record(2025, 4, 7, 1),
        ];
        let months = app::kpi::periods_between(
            PeriodKind::Month,
            Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap(),
        );
        assert_eq!(
            year_earlier(&records, &months),
            vec![None, Some(12.0), Some(1.0)]
        );
        // The week of 2 March 2026 looks back to the week of 3 March 2025.
        let weeks = app::kpi::periods_between(
            PeriodKind::Week,
            Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2026, 3, 16, 0, 0, 0).unwrap(),
        );
        assert_eq!(year_earlier(&records, &weeks), vec![Some(5.0), Some(7.0)]);
    }

    #[test]
    fn data_is_out_of_date_when_its_newest_record_is_older_than_expected() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
        let week = Some(8 * 86_400);
        let fresh = freshness("transactions-by-channel", week, &[at(2), at(16)], now);
        assert!(!fresh.out_of_date);
        assert_eq!(fresh.newest_record, Some(at(16).timestamp));
        assert_eq!(fresh.last_received, Some(at(16).updated_at));
        let stale = freshness("transactions-by-channel", week, &[at(2), at(9)], now);
        assert!(stale.out_of_date);
        // Not watched, or empty: never out of date.
        assert!(!freshness("x1", None, &[at(1)], now).out_of_date);
        assert!(!freshness("x1", week, &[], now).out_of_date);
    }
}
