//! The one KPI engine. Every figure of a service that a page shows (the service
//! page's tiles and chart, the services explorer, boards, compare) comes from
//! here, computed over the service's standard data sets as held in memory
//! ([`crate::domain::query::Cache`]), with the arithmetic of [`app::kpi`].
//!
//! A service's standard data sets are found by convention: group = the
//! service's slug, and the types of [`STANDARD_TYPES`]; only those the caller
//! may read count (published ones for everyone:
//! [`crate::domain::caller::readable_data_sets`]).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use app::kpi::{
    complete_until, completion_rate, is_complete, next_period_start, period_containing,
    periods_between, satisfaction_score, shares,
};
use app::model::{
    ChannelLine, ChannelSeries, Freshness, KpiFigure, KpiKind, Period, PeriodKind, ServiceKpis,
    ServiceListing,
};
use chrono::{DateTime, Duration, Utc};

use crate::domain::query::table::{Cell, Column, Table};
use crate::domain::query::Cache;
use crate::error::Result;
use crate::store::{data_sets::DataSet, from_micros, Store};

/// The standard data types a service's KPIs are computed from.
pub const STANDARD_TYPES: [&str; 4] = [
    "transactions-by-channel",
    "cost-per-transaction",
    "user-satisfaction",
    "completion-rate",
];

/// The data sets a caller may read, by (group, type), from
/// [`crate::domain::caller::readable_data_sets`].
pub type Readable = HashMap<(String, String), DataSet>;

/// A span of time to chart, `[start, end)`, either end open (then the data
/// decides it).
pub type Window = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// A service's standard data sets, where they exist and may be read.
#[derive(Default)]
pub struct Standard {
    pub transactions: Option<Arc<Table>>,
    pub cost: Option<Arc<Table>>,
    pub satisfaction: Option<Arc<Table>>,
    pub completion: Option<Arc<Table>>,
    /// Each present data set's type, expected age and table, for freshness.
    pub watched: Vec<(&'static str, Option<i64>, Arc<Table>)>,
    /// The instant periods are judged complete at ([`app::kpi::complete_until`]).
    pub now: DateTime<Utc>,
    /// Each table's newest whole period's record ([`newest_whole`]), in the
    /// order of [`STANDARD_TYPES`], worked out once.
    wholes: [std::sync::OnceLock<Option<DateTime<Utc>>>; 4],
}

impl Standard {
    fn table_of(&self, kpi: KpiKind) -> Option<&Table> {
        match kpi {
            KpiKind::Transactions | KpiKind::DigitalTakeUp => self.transactions.as_deref(),
            KpiKind::CostPerTransaction => self.cost.as_deref(),
            KpiKind::UserSatisfaction => self.satisfaction.as_deref(),
            KpiKind::CompletionRate => self.completion.as_deref(),
        }
    }

    /// Until when `kpi`'s figures are complete: see [`app::kpi::complete_until`]
    /// (the data's frequency is the KPI's finest period).
    pub fn complete_until(&self, kpi: KpiKind) -> Option<DateTime<Utc>> {
        // Its data set's place in STANDARD_TYPES: transactions and digital
        // take-up share one.
        let slot = match kpi {
            KpiKind::Transactions | KpiKind::DigitalTakeUp => 0,
            KpiKind::CostPerTransaction => 1,
            KpiKind::UserSatisfaction => 2,
            KpiKind::CompletionRate => 3,
        };
        let table = self.table_of(kpi)?;
        let newest = *self.wholes[slot].get_or_init(|| newest_whole(table, STANDARD_TYPES[slot]));
        complete_until(kpi.finest_period(), newest, self.now)
    }
}

/// How often data set `table` (of `data_type`) is sent: one record per
/// period of the catalogue's frequency, else of the one its records' times
/// show ([`app::kpi::frequency_of`]), if any.
pub fn frequency(table: &Table, data_type: &str) -> Option<PeriodKind> {
    app::catalogue::frequency(data_type).or_else(|| {
        let times: std::collections::BTreeSet<i64> = table.ts.iter().copied().collect();
        let times: Vec<DateTime<Utc>> = times.into_iter().map(from_micros).collect();
        app::kpi::frequency_of(&times)
    })
}

/// The newest record of `table`, of data type `data_type`, whose period has
/// all its parts, where a period comes as one record per channel, stage or
/// step ([`app::catalogue::part_field`]): the oldest of the parts' newest
/// records, of the parts sent for the newest period or the one before.
/// A week whose digital figures have come and whose phone ones have not is
/// not whole (its take-up would read near 100%, its transactions as a
/// fall); a channel that stopped earlier holds nothing back. Otherwise the
/// newest record.
pub fn newest_whole(table: &Table, data_type: &str) -> Option<DateTime<Utc>> {
    let newest = *table.ts.iter().max()?;
    let (Some(column), Some(frequency)) = (
        app::catalogue::part_field(data_type).and_then(|part| table.column(part)),
        app::catalogue::frequency(data_type),
    ) else {
        return Some(from_micros(newest));
    };
    // By the part's name (a record without one is a part of its own).
    let mut parts: HashMap<Option<u32>, i64> = HashMap::new();
    for row in 0..table.len() {
        let name = match column[row] {
            Cell::Str(id) => Some(id),
            _ => None,
        };
        let latest = parts.entry(name).or_insert(i64::MIN);
        *latest = (*latest).max(table.ts[row]);
    }
    let period = |micros: i64| app::kpi::period_start(frequency, from_micros(micros));
    let recent = app::kpi::periods_after(frequency, period(newest), -1);
    parts
        .into_values()
        .filter(|&latest| period(latest) >= recent)
        .min()
        .map(from_micros)
}

/// The standard tables of the service `slug` that `readable` holds.
pub async fn standard(
    store: &Store,
    cache: &Cache,
    readable: &Readable,
    slug: &str,
    now: DateTime<Utc>,
) -> Result<Standard> {
    let mut out = Standard {
        now,
        ..Standard::default()
    };
    for data_type in STANDARD_TYPES {
        let Some(ds) = readable.get(&(slug.to_string(), data_type.to_string())) else {
            continue;
        };
        let table = cache.table(store, ds.id, ds.version).await?;
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

fn number(column: Option<&Column>, row: usize) -> Option<f64> {
    column.and_then(|c| c[row].number())
}

fn is(column: Option<&Column>, row: usize, id: Option<u32>) -> bool {
    matches!((column, id), (Some(c), Some(id)) if c[row] == Cell::Str(id))
}

fn time(table: &Table, row: usize) -> DateTime<Utc> {
    from_micros(table.ts[row])
}

/// Where a data set sent as a record per part (channel, stage:
/// [`app::catalogue::part_field`]) has gaps: per part, the spans of periods
/// of the data's frequency it has no record for while it has records before
/// and after (a gap, not a 0), as `[start, end)`, in order. Worked out from
/// consecutive records, so their number, not the years they span, bounds it.
#[derive(Default)]
struct Parts {
    gaps: BTreeMap<u32, Vec<Span>>,
}

/// `[start, end)`.
type Span = (DateTime<Utc>, DateTime<Utc>);

impl Parts {
    fn of(table: &Table, data_type: &str) -> Parts {
        let (Some(column), Some(frequency)) = (
            app::catalogue::part_field(data_type).and_then(|part| table.column(part)),
            app::catalogue::frequency(data_type),
        ) else {
            return Parts::default();
        };
        let mut seen: BTreeMap<u32, std::collections::BTreeSet<DateTime<Utc>>> = BTreeMap::new();
        for row in 0..table.len() {
            if let Cell::Str(id) = column[row] {
                seen.entry(id)
                    .or_default()
                    .insert(app::kpi::period_start(frequency, time(table, row)));
            }
        }
        let mut parts = Parts::default();
        for (id, starts) in seen {
            let gaps: Vec<Span> = starts
                .iter()
                .zip(starts.iter().skip(1))
                .filter_map(|(a, b)| {
                    let next = next_period_start(frequency, *a);
                    (next < *b).then_some((next, *b))
                })
                .collect();
            if !gaps.is_empty() {
                parts.gaps.insert(id, gaps);
            }
        }
        parts
    }

    /// Whether part `id` (any part: `None`) has a gap in `[start, end)`.
    fn gap_in(&self, id: Option<u32>, start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
        let overlaps = |gaps: &Vec<Span>| {
            // In order: the first that ends after `start`.
            let i = gaps.partition_point(|(_, gap_end)| *gap_end <= start);
            gaps.get(i).is_some_and(|(gap_start, _)| *gap_start < end)
        };
        match id {
            Some(id) => self.gaps.get(&id).is_some_and(overlaps),
            None => self.gaps.values().any(overlaps),
        }
    }

    /// Keeps only the periods of `kind` (by their starts) in which no part has
    /// a gap: a total or rate without a part would read as a fall or a rise.
    fn drop_gaps<T>(&self, kind: PeriodKind, sums: &mut BTreeMap<DateTime<Utc>, T>) {
        if self.gaps.is_empty() {
            return;
        }
        sums.retain(|start, _| !self.gap_in(None, *start, next_period_start(kind, *start)));
    }
}

/// Where each part of `table` (of `data_type`, sent as a record per channel,
/// stage or step) has gaps ([`Parts`]), for dashboards to show no figure
/// there, as the service pages do not.
pub fn part_gaps(table: &Table, data_type: &str) -> Vec<app::model::PartGap> {
    Parts::of(table, data_type)
        .gaps
        .into_iter()
        .flat_map(|(id, gaps)| {
            let part = table.strings[id as usize].clone();
            gaps.into_iter()
                .map(move |(start, end)| app::model::PartGap {
                    part: part.clone(),
                    start,
                    end,
                })
        })
        .collect()
}

/// Adds each row of `table`, sent once per `frequency` period, to the periods
/// of `kind` it covers, shared by days where its period straddles them
/// ([`app::kpi::shares`]): `add(entry, row, share)`. A period begun before
/// the first record's own has none ([`first_whole`]): a quarter of
/// satisfaction begun before its first month is no quarter's score, as a
/// month of transactions begun before their first week is no month's total.
fn by_period<T: Default>(
    table: &Table,
    frequency: PeriodKind,
    kind: PeriodKind,
    mut add: impl FnMut(&mut T, usize, f64),
) -> BTreeMap<DateTime<Utc>, T> {
    let mut sums = BTreeMap::new();
    // Records share their times (a week's, sent once per channel or stage):
    // each time's periods and shares are worked out once.
    let mut shared: rustc_hash::FxHashMap<i64, Vec<(DateTime<Utc>, f64)>> = Default::default();
    for row in 0..table.len() {
        let periods = shared
            .entry(table.ts[row])
            .or_insert_with(|| shares(frequency, time(table, row), kind));
        for &(start, share) in periods.iter() {
            add(sums.entry(start).or_default(), row, share);
        }
    }
    let first = first_whole(table, frequency);
    sums.retain(|start, _| first.is_none_or(|first| *start >= first));
    sums
}

/// Per period start: (all transactions, digital ones: `None` where no digital
/// figure fell in the period), weekly records shared between longer periods
/// by their days.
pub fn transactions_by(
    table: &Table,
    kind: PeriodKind,
) -> BTreeMap<DateTime<Utc>, (f64, Option<f64>)> {
    let (count, channel) = (table.column("count"), table.column("channel"));
    let digital = table.string_id("digital");
    let mut sums = by_period(
        table,
        KpiKind::Transactions.finest_period(),
        kind,
        |entry: &mut (f64, Option<f64>), row, share| {
            let Some(n) = number(count, row) else {
                return;
            };
            entry.0 += n * share;
            if is(channel, row, digital) {
                entry.1 = Some(entry.1.unwrap_or(0.0) + n * share);
            }
        },
    );
    // A period missing a channel's week (between weeks it has) has no figure.
    Parts::of(table, "transactions-by-channel").drop_gaps(kind, &mut sums);
    sums
}

/// The start of the first period a table's figures wholly cover: its first
/// record's period (a week, of data sent by the week). A month (quarter,
/// year) that began before it holds only the weeks sent since, so its total
/// would read as a dip, and its rate is of a part of it: it has none.
fn first_whole(table: &Table, frequency: PeriodKind) -> Option<DateTime<Utc>> {
    let first = table.ts.iter().min()?;
    Some(app::kpi::period_start(frequency, from_micros(*first)))
}

/// Per period start: the counts of ratings 1 to 5.
fn ratings_by(table: &Table, kind: PeriodKind) -> BTreeMap<DateTime<Utc>, [f64; 5]> {
    let columns: Vec<Option<&Column>> = (1..=5)
        .map(|i| table.column(&format!("rating_{i}")))
        .collect();
    by_period(
        table,
        KpiKind::UserSatisfaction.finest_period(),
        kind,
        |entry: &mut [f64; 5], row, share| {
            for (slot, column) in entry.iter_mut().zip(&columns) {
                *slot += number(*column, row).unwrap_or(0.0) * share;
            }
        },
    )
}

/// Per period start: (started, completed), weekly records shared between
/// longer periods by their days.
fn completions_by(table: &Table, kind: PeriodKind) -> BTreeMap<DateTime<Utc>, (f64, f64)> {
    let (count, stage) = (table.column("count"), table.column("stage"));
    let (start_id, end_id) = (table.string_id("start"), table.string_id("end"));
    let mut sums = by_period(
        table,
        KpiKind::CompletionRate.finest_period(),
        kind,
        |entry: &mut (f64, f64), row, share| {
            let n = number(count, row).unwrap_or(0.0) * share;
            if is(stage, row, start_id) {
                entry.0 += n;
            } else if is(stage, row, end_id) {
                entry.1 += n;
            }
        },
    );
    // A week whose completions (or starts) were not sent, between weeks that
    // have them, is no 0% (or over 100%) rate: it has none.
    Parts::of(table, "completion-rate").drop_gaps(kind, &mut sums);
    sums
}

/// The cost per transaction of each quarter: the mean of the quarter's
/// records (one a quarter, as the catalogue asks; several, as a month's each,
/// are averaged as a dashboard's `cost_per_transaction:mean` by quarter
/// averages them, so every page gives a quarter the same figure); by year, the year's four quarters pooled, each weighed by its
/// transactions (`volumes`, by quarter): the year's total cost over its
/// transactions. A year without a cost and transactions for each of its
/// quarters has no figure (one costed quarter is not a year's).
fn costs_by(
    table: &Table,
    volumes: Option<&BTreeMap<DateTime<Utc>, f64>>,
    kind: PeriodKind,
) -> BTreeMap<DateTime<Utc>, Option<f64>> {
    let column = table.column("cost_per_transaction");
    let mut sums: BTreeMap<DateTime<Utc>, (f64, usize)> = BTreeMap::new();
    for row in 0..table.len() {
        let start = period_containing(PeriodKind::Quarter, time(table, row)).start;
        let entry = sums.entry(start).or_default();
        if let Some(cost) = number(column, row) {
            *entry = (entry.0 + cost, entry.1 + 1);
        }
    }
    let quarters = sums
        .into_iter()
        .map(|(k, (sum, n))| (k, (n > 0).then(|| sum / n as f64)));
    if kind != PeriodKind::Year {
        return quarters.collect();
    }
    // Per year: the cost, the transactions and how many quarters have both.
    let mut years: BTreeMap<DateTime<Utc>, (f64, f64, usize)> = BTreeMap::new();
    for (start, value) in quarters {
        let entry = years
            .entry(period_containing(PeriodKind::Year, start).start)
            .or_default();
        let volume = volumes.and_then(|v| v.get(&start)).copied();
        if let (Some(cost), Some(volume)) = (value, volume) {
            entry.0 += cost * volume;
            entry.1 += volume;
            entry.2 += 1;
        }
    }
    years
        .into_iter()
        .map(|(k, (cost, volume, quarters))| {
            (
                k,
                (quarters == 4)
                    .then(|| app::kpi::cost_per_transaction(cost, volume))
                    .flatten(),
            )
        })
        .collect()
}

/// What each period's figure of `kpi` is out of, by period start (periods of
/// `kind`, clamped to the KPI's finest): the transactions (digital take-up,
/// and cost per transaction), the ratings (satisfaction), the starts
/// (completion rate), and for transactions themselves the period's days.
/// Figures over several periods pool by these: a busy month counts for more
/// than a quiet one, and a month of 28 days compares fairly with one of 31.
pub fn bases(data: &Standard, kpi: KpiKind, kind: PeriodKind) -> BTreeMap<DateTime<Utc>, f64> {
    let kind = coarsest(kind, kpi.finest_period());
    match kpi {
        KpiKind::Transactions => series(data, kpi, kind)
            .1
            .into_keys()
            .map(|start| (start, app::kpi::period_containing(kind, start).days()))
            .collect(),
        KpiKind::DigitalTakeUp | KpiKind::CostPerTransaction => data
            .transactions
            .as_deref()
            .map(|t| {
                transactions_by(t, kind)
                    .into_iter()
                    .map(|(k, (all, _))| (k, all))
                    .collect()
            })
            .unwrap_or_default(),
        KpiKind::UserSatisfaction => data
            .satisfaction
            .as_deref()
            .map(|t| {
                ratings_by(t, kind)
                    .into_iter()
                    .map(|(k, ratings)| (k, ratings.iter().sum()))
                    .collect()
            })
            .unwrap_or_default(),
        KpiKind::CompletionRate => data
            .completion
            .as_deref()
            .map(|t| {
                completions_by(t, kind)
                    .into_iter()
                    .map(|(k, (started, _))| (k, started))
                    .collect()
            })
            .unwrap_or_default(),
    }
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
        KpiKind::Transactions => data.transactions.as_deref().map(|t| {
            transactions_by(t, kind)
                .into_iter()
                .map(|(k, (all, _))| (k, Some(all)))
                .collect()
        }),
        KpiKind::DigitalTakeUp => data.transactions.as_deref().map(|t| {
            let until = data.complete_until(KpiKind::DigitalTakeUp);
            transactions_by(t, kind)
                .into_iter()
                .map(|(k, (all, digital))| {
                    let complete = is_complete(&period_containing(kind, k), until);
                    (k, app::kpi::period_take_up(digital, Some(all), complete))
                })
                .collect()
        }),
        KpiKind::UserSatisfaction => data.satisfaction.as_deref().map(|t| {
            ratings_by(t, kind)
                .into_iter()
                .map(|(k, ratings)| (k, satisfaction_score(ratings)))
                .collect()
        }),
        KpiKind::CompletionRate => data.completion.as_deref().map(|t| {
            completions_by(t, kind)
                .into_iter()
                .map(|(k, (started, done))| (k, completion_rate(started, done)))
                .collect()
        }),
        KpiKind::CostPerTransaction => data.cost.as_deref().map(|t| {
            // Each quarter weighed by its transactions once they are all in:
            // a quarter of transactions still coming is no weight (its year
            // then has no figure, as one without a quarter's cost has none).
            let volumes = (kind == PeriodKind::Year).then(|| {
                let until = data.complete_until(KpiKind::Transactions);
                let mut volumes = bases(data, KpiKind::CostPerTransaction, PeriodKind::Quarter);
                volumes.retain(|start, _| {
                    is_complete(&period_containing(PeriodKind::Quarter, *start), until)
                });
                volumes
            });
            costs_by(t, volumes.as_ref(), kind)
        }),
    };
    (kind, values.unwrap_or_default())
}

/// [`series`] over complete periods only ([`Standard::complete_until`]): what
/// every headline, change, sparkline and comparison reads.
pub fn complete_series(
    data: &Standard,
    kpi: KpiKind,
    kind: PeriodKind,
) -> (PeriodKind, BTreeMap<DateTime<Utc>, Option<f64>>) {
    let (kind, mut values) = series(data, kpi, kind);
    let until = data.complete_until(kpi);
    values.retain(|start, _| is_complete(&period_containing(kind, *start), until));
    (kind, values)
}

/// The coarser of two kinds of period.
pub fn coarsest(a: PeriodKind, b: PeriodKind) -> PeriodKind {
    if app::kpi::period_rank(a) >= app::kpi::period_rank(b) {
        a
    } else {
        b
    }
}

/// The order KPIs are shown in.
pub const ORDER: [KpiKind; 5] = [
    KpiKind::Transactions,
    KpiKind::CostPerTransaction,
    KpiKind::DigitalTakeUp,
    KpiKind::UserSatisfaction,
    KpiKind::CompletionRate,
];

/// The latest complete period's value of each KPI that has data, by its
/// finest period (the data's own frequency), with the value of the period just
/// before, in [`ORDER`]: the headline figure of every page. A rate's change
/// is of two rates each out of enough ([`app::kpi::LOW_BASE`]): where either
/// is of a handful there is no figure before to change from (a satisfaction
/// score of 3 responses going to one of 400 is no fall or rise).
pub fn latest(data: &Standard) -> Vec<KpiFigure> {
    ORDER
        .into_iter()
        .filter_map(|kpi| {
            let (kind, values) = complete_series(data, kpi, kpi.finest_period());
            let (start, value) = values.iter().rev().find(|(_, v)| v.is_some())?;
            let period = period_containing(kind, *start);
            let before = app::kpi::periods_after(kind, period.start, -1);
            let bases = (kpi.unit() == app::model::Unit::Ratio).then(|| bases(data, kpi, kind));
            let base_of = |at: &DateTime<Utc>| bases.as_ref().and_then(|b| b.get(at).copied());
            Some(KpiFigure {
                kpi,
                value: *value,
                period,
                previous: app::kpi::previous_if_enough(
                    kpi,
                    values.get(&before).copied().flatten(),
                    base_of(start),
                    base_of(&before),
                ),
                base: base_of(start),
            })
        })
        .collect()
}

/// How many complete quarters a service's total cost adds up.
pub const COST_QUARTERS: usize = 4;

/// A service's headline figures, as the services explorer and boards show
/// them: transactions over the last 52 complete weeks, and the latest complete
/// period's cost per transaction, digital take-up, satisfaction score and
/// completion rate (the same figures, for the same periods, as the service
/// page's tiles: [`latest`]); and the total cost of the last
/// [`COST_QUARTERS`] complete quarters that have both a cost per transaction
/// and complete transactions, each quarter's cost times its transactions,
/// when those quarters follow one another (a year).
pub fn yearly(service: ServiceListing, data: &Standard) -> ServiceKpis {
    let figures = latest(data);
    let value = |kpi: KpiKind| figures.iter().find(|f| f.kpi == kpi).and_then(|f| f.value);
    let (_, weeks) = complete_series(data, KpiKind::Transactions, PeriodKind::Week);
    let year_to = weeks
        .keys()
        .next_back()
        .map(|newest| next_period_start(PeriodKind::Week, *newest));
    let year_from = year_to.map(|to| to - Duration::weeks(52));
    let year: Vec<f64> = year_from
        .map(|from| weeks.range(from..).filter_map(|(_, v)| *v).collect())
        .unwrap_or_default();
    // A year's figure from a whole year of figures: a service 8 weeks old
    // (or with weeks missing) has no "transactions a year", not 8 weeks'
    // worth under that name (nor an annual target to fall short of). Its
    // weeks still weigh its rates in averages over services.
    let transactions_per_year = (year.len() == 52).then(|| year.iter().sum::<f64>());
    let weekly_transactions =
        (!year.is_empty()).then(|| year.iter().sum::<f64>() / year.len() as f64);
    let (_, costs) = complete_series(data, KpiKind::CostPerTransaction, PeriodKind::Quarter);
    let (_, volumes) = complete_series(data, KpiKind::Transactions, PeriodKind::Quarter);
    let costed: Vec<(DateTime<Utc>, f64, f64)> = costs
        .iter()
        .rev()
        .filter_map(|(start, cost)| {
            Some((*start, (*cost)?, volumes.get(start).copied().flatten()?))
        })
        .take(COST_QUARTERS)
        .collect();
    // A year's cost is of four quarters that follow one another.
    let year_of_quarters = costed.len() == COST_QUARTERS
        && costed
            .windows(2)
            .all(|w| next_period_start(PeriodKind::Quarter, w[1].0) == w[0].0);
    let costed = if year_of_quarters { costed } else { Vec::new() };
    let total_cost =
        (!costed.is_empty()).then(|| costed.iter().map(|(_, c, v)| c * v).sum::<f64>());
    ServiceKpis {
        service,
        transactions_per_year,
        year_from,
        year_to,
        weekly_transactions,
        cost_per_transaction: value(KpiKind::CostPerTransaction),
        digital_take_up: value(KpiKind::DigitalTakeUp),
        user_satisfaction: value(KpiKind::UserSatisfaction),
        completion_rate: value(KpiKind::CompletionRate),
        total_cost,
        costed_transactions: (!costed.is_empty()).then(|| costed.iter().map(|(_, _, v)| v).sum()),
        cost_from: costed.last().map(|(start, _, _)| *start),
        cost_to: costed
            .first()
            .map(|(start, _, _)| next_period_start(PeriodKind::Quarter, *start)),
        figures,
    }
}

/// `[first, last)` cut to [`app::kpi::MAX_PERIODS`] periods of `kind`: the
/// newest ones, or the first ones when the end is open (the data decides it)
/// and the start was asked for.
fn at_most_max_periods(
    kind: PeriodKind,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    open_end: bool,
) -> (DateTime<Utc>, DateTime<Utc>) {
    use app::kpi::{period_count, period_start, periods_after, MAX_PERIODS};
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

/// Transactions by channel per period of `kind` over `window`, none where a
/// channel has no figures (a gap, not a 0); an open end is where the data
/// starts or stops. Standard channels come first in their usual order
/// ([`app::catalogue::CHANNELS`]), then any others by name.
pub fn channel_series(table: Option<&Table>, kind: PeriodKind, window: Window) -> ChannelSeries {
    let (from, to) = window;
    let mut sums: BTreeMap<(DateTime<Utc>, u32), f64> = BTreeMap::new();
    if let Some(t) = table {
        let (count, channel) = (t.column("count"), t.column("channel"));
        for row in 0..t.len() {
            let (Some(Cell::Str(c)), Some(n)) = (channel.map(|c| c[row]), number(count, row))
            else {
                continue;
            };
            // A week straddling two months counts in each for its days there.
            for (start, share) in shares(KpiKind::Transactions.finest_period(), time(t, row), kind)
            {
                if from.is_some_and(|f| start < f) || to.is_some_and(|e| start >= e) {
                    continue;
                }
                *sums.entry((start, c)).or_insert(0.0) += n * share;
            }
        }
    }
    // A channel's period that misses one of its weeks (between weeks it has)
    // is a gap, not the part of it sent.
    let parts = table
        .map(|t| Parts::of(t, "transactions-by-channel"))
        .unwrap_or_default();
    let first = table.and_then(|t| first_whole(t, KpiKind::Transactions.finest_period()));
    sums.retain(|(start, c), _| {
        first.is_none_or(|first| *start >= first)
            && !parts.gap_in(Some(*c), *start, next_period_start(kind, *start))
    });
    let first = from.or_else(|| sums.keys().next().map(|k| k.0));
    let last = to.or_else(|| {
        sums.keys()
            .next_back()
            .map(|k| next_period_start(kind, k.0))
    });
    let periods = match (first, last) {
        (Some(first), Some(last)) => {
            let open_end = from.is_some() && to.is_none();
            let (first, last) = at_most_max_periods(kind, first, last, open_end);
            periods_between(kind, first, last)
        }
        _ => Vec::new(),
    };
    // The periods a channel misses a week of, wherever its run is: no total.
    let gaps: Vec<bool> = periods
        .iter()
        .map(|p| parts.gap_in(None, p.start, p.end))
        .collect();
    let gaps = if gaps.contains(&true) {
        gaps
    } else {
        Vec::new()
    };
    let (Some(t), false) = (table, sums.is_empty()) else {
        return ChannelSeries {
            periods,
            channels: Vec::new(),
            complete_until: None,
            gaps,
        };
    };
    let mut present: Vec<(&str, u32)> = sums
        .keys()
        .map(|(_, c)| (t.strings[*c as usize].as_str(), *c))
        .collect();
    present.sort();
    present.dedup();
    let rank = |name: &str| {
        app::catalogue::CHANNELS
            .iter()
            .position(|c| *c == name)
            .unwrap_or(app::catalogue::CHANNELS.len())
    };
    present.sort_by_key(|(name, _)| rank(name));
    let channels = present
        .into_iter()
        .map(|(name, id)| ChannelLine {
            channel: name.to_string(),
            label: app::modules::humanise(name),
            values: periods
                .iter()
                .map(|p| sums.get(&(p.start, id)).copied())
                .collect(),
        })
        .collect();
    ChannelSeries {
        periods,
        channels,
        complete_until: None,
        gaps,
    }
}

/// The total of transactions in the same period a year before each of `periods`
/// ([`app::kpi::year_earlier`]), by the rule of the chart's own total
/// ([`ChannelSeries::totals`]): `None` where nothing was recorded then, or where
/// a channel has a gap inside its run (a total short by that channel would
/// read as a fall).
pub fn year_earlier(table: Option<&Table>, periods: &[Period]) -> Vec<Option<f64>> {
    let (Some(first), Some(last)) = (periods.first(), periods.last()) else {
        return Vec::new();
    };
    let earlier = |p: &Period| app::kpi::year_earlier(p);
    let window = (Some(earlier(first).start), Some(earlier(last).end));
    let series = channel_series(table, first.kind, window);
    let totals = series.totals();
    periods
        .iter()
        .map(|p| {
            let start = earlier(p).start;
            let i = series.periods.iter().position(|q| q.start == start)?;
            totals.get(i).copied().flatten()
        })
        .collect()
}

/// How recent each of the service's standard data sets is.
pub fn freshness(data: &Standard, slug: &str, now: DateTime<Utc>) -> Vec<Freshness> {
    data.watched
        .iter()
        .map(|(data_type, max_age, table)| {
            let mut freshness = super::freshness::freshness(
                slug,
                data_type,
                (*max_age, None),
                table.ts.iter().max().map(|&t| from_micros(t)),
                table.updated_at.iter().max().map(|&t| from_micros(t)),
                now,
            );
            freshness.newest_whole = newest_whole(table, data_type)
                .filter(|whole| Some(*whole) != freshness.newest_record);
            freshness
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::records::StoredRecord;
    use chrono::TimeZone;
    use serde_json::json;

    fn table(rows: &[(i32, u32, u32, serde_json::Value)]) -> Table {
        let records: Vec<StoredRecord> = rows
            .iter()
            .enumerate()
            .map(|(i, (y, m, d, fields))| {
                let timestamp = Utc.with_ymd_and_hms(*y, *m, *d, 0, 0, 0).unwrap();
                StoredRecord {
                    id: i.to_string(),
                    timestamp,
                    updated_at: timestamp,
                    fields: fields.as_object().unwrap().clone(),
                }
            })
            .collect();
        Table::from_records(&records)
    }

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
    }

    #[test]
    fn a_week_is_whole_when_every_channel_sent_lately_has_come() {
        let t = table(&[
            (2026, 11, 2, json!({"channel": "digital", "count": 30})),
            (2026, 11, 2, json!({"channel": "phone", "count": 10})),
            (2026, 11, 9, json!({"channel": "digital", "count": 45})),
            // Paper stopped long ago: it holds nothing back.
            (2026, 6, 1, json!({"channel": "paper", "count": 1})),
        ]);
        let data = Standard {
            transactions: Some(Arc::new(t)),
            now: at(2026, 12, 1),
            ..Standard::default()
        };
        // The week of 9 November has its digital figures, not its phone
        // ones: it is under way, and the latest take-up is the week before's.
        assert_eq!(
            data.complete_until(KpiKind::Transactions),
            Some(at(2026, 11, 9))
        );
        let take_up = latest(&data)
            .into_iter()
            .find(|f| f.kpi == KpiKind::DigitalTakeUp)
            .unwrap();
        assert_eq!(take_up.period.start, at(2026, 11, 2));
        assert_eq!(take_up.value, Some(0.75));
        // Without a channel column, the newest record decides.
        let plain = Standard {
            transactions: Some(Arc::new(table(&[(2026, 11, 9, json!({"count": 4}))]))),
            now: at(2026, 12, 1),
            ..Standard::default()
        };
        assert_eq!(
            plain.complete_until(KpiKind::Transactions),
            Some(at(2026, 11, 16))
        );
    }

    #[test]
    fn a_year_of_costs_is_its_quarters_weighed_by_their_transactions() {
        // Q1 at £10 on 100 transactions, Q2 to Q4 at £2 on 1,000 each: the
        // year's cost over its transactions is 7,000 / 3,100, not the mean
        // of the quarters (£4).
        let cost = table(&[
            (2025, 1, 1, json!({"cost_per_transaction": 10.0})),
            (2025, 4, 1, json!({"cost_per_transaction": 2.0})),
            (2025, 7, 1, json!({"cost_per_transaction": 2.0})),
            (2025, 10, 1, json!({"cost_per_transaction": 2.0})),
            // 2026 has one costed quarter: no year's figure.
            (2026, 1, 1, json!({"cost_per_transaction": 3.0})),
        ]);
        // Weekly transactions: a week wholly inside each quarter, each of a
        // channel of its own (a channel's weeks between would be gaps).
        let transactions = table(&[
            // (Figures from before the year, so that its first quarter is whole.)
            (2024, 12, 30, json!({"channel": "post", "count": 0})),
            (2025, 1, 13, json!({"channel": "digital", "count": 100})),
            (2025, 4, 14, json!({"channel": "phone", "count": 1000})),
            (2025, 7, 14, json!({"channel": "paper", "count": 1000})),
            (
                2025,
                10,
                13,
                json!({"channel": "face_to_face", "count": 1000}),
            ),
            (2026, 1, 12, json!({"channel": "kiosk", "count": 1000})),
        ]);
        let data = Standard {
            cost: Some(Arc::new(cost)),
            transactions: Some(Arc::new(transactions)),
            now: at(2027, 6, 1),
            ..Standard::default()
        };
        let (kind, years) = series(&data, KpiKind::CostPerTransaction, PeriodKind::Year);
        assert_eq!(kind, PeriodKind::Year);
        let y2025 = years[&at(2025, 1, 1)].unwrap();
        assert!((y2025 - 7_000.0 / 3_100.0).abs() < 1e-12, "{y2025}");
        assert_eq!(years[&at(2026, 1, 1)], None);
        // By quarter, each quarter's own figure.
        let (_, quarters) = series(&data, KpiKind::CostPerTransaction, PeriodKind::Quarter);
        assert_eq!(quarters[&at(2025, 1, 1)], Some(10.0));
    }

    #[test]
    fn a_year_earlier_is_52_weeks_or_12_months_back_and_empty_where_no_data() {
        // (Figures from 24 February 2025, so that March is whole.)
        let t = table(&[
            (2025, 2, 24, json!({"channel": "post", "count": 0})),
            (2025, 3, 3, json!({"channel": "digital", "count": 5})),
            (2025, 3, 10, json!({"channel": "digital", "count": 7})),
            (2025, 4, 7, json!({"channel": "phone", "count": 1})),
        ]);
        let months = periods_between(PeriodKind::Month, at(2026, 2, 1), at(2026, 5, 1));
        assert_eq!(
            year_earlier(Some(&t), &months),
            vec![None, Some(12.0), Some(1.0)]
        );
        // The week of 2 March 2026 looks back to the week of 3 March 2025.
        let weeks = periods_between(PeriodKind::Week, at(2026, 3, 2), at(2026, 3, 16));
        assert_eq!(year_earlier(Some(&t), &weeks), vec![Some(5.0), Some(7.0)]);
        assert_eq!(year_earlier(None, &weeks), vec![None, None]);
        assert_eq!(year_earlier(Some(&t), &[]), Vec::<Option<f64>>::new());
    }

    #[test]
    fn a_year_earlier_with_a_channel_missing_inside_its_run_has_no_total() {
        // Phone was sent the weeks either side of 10 March 2025, not that week:
        // digital alone (7) would read as a fall; the year earlier says nothing.
        let t = table(&[
            (2025, 3, 3, json!({"channel": "digital", "count": 5})),
            (2025, 3, 3, json!({"channel": "phone", "count": 50})),
            (2025, 3, 10, json!({"channel": "digital", "count": 7})),
            (2025, 3, 17, json!({"channel": "digital", "count": 6})),
            (2025, 3, 17, json!({"channel": "phone", "count": 40})),
        ]);
        let weeks = periods_between(PeriodKind::Week, at(2026, 3, 2), at(2026, 3, 23));
        assert_eq!(
            year_earlier(Some(&t), &weeks),
            vec![Some(55.0), None, Some(46.0)]
        );
    }

    #[test]
    fn a_channel_or_stage_missing_between_weeks_it_has_leaves_no_figure_anywhere() {
        // Phone's week of 16 March was not sent: that week's transactions
        // would be digital's alone (a take-up of 100%), March's short by a
        // quarter of phone's; both have no figure, on every page.
        // (From 23 February, so that March is whole but for the gap.)
        let mut rows = Vec::new();
        for (month, day) in [(2, 23), (3, 2), (3, 9), (3, 16), (3, 23), (3, 30)] {
            rows.push((
                2026,
                month,
                day,
                json!({"channel": "digital", "count": 900}),
            ));
            if day != 16 {
                rows.push((2026, month, day, json!({"channel": "phone", "count": 100})));
            }
        }
        let t = table(&rows);
        let weeks = transactions_by(&t, PeriodKind::Week);
        assert_eq!(weeks.get(&at(2026, 3, 9)), Some(&(1_000.0, Some(900.0))));
        assert_eq!(weeks.get(&at(2026, 3, 16)), None);
        assert_eq!(weeks.len(), 5);
        let months = transactions_by(&t, PeriodKind::Month);
        assert_eq!(months.get(&at(2026, 3, 1)), None);
        assert!(
            months.contains_key(&at(2026, 4, 1)),
            "April has the rest of 30 March's week"
        );
        // Begun on 2 March, the figures hold all of March: March would have
        // its figure but for the gap. Begun on 9 March, they hold a part of
        // it: no figure for March either.
        let late = table(
            &[9, 16, 23, 30].map(|day| (2026, 3, day, json!({"channel": "digital", "count": 900}))),
        );
        let late_months = transactions_by(&late, PeriodKind::Month);
        assert_eq!(late_months.get(&at(2026, 3, 1)), None, "a part of March");
        assert!(late_months.contains_key(&at(2026, 4, 1)));
        assert_eq!(transactions_by(&late, PeriodKind::Week).len(), 4);
        let whole = table(&[(2026, 6, 1, json!({"channel": "digital", "count": 900}))]);
        assert!(transactions_by(&whole, PeriodKind::Month).contains_key(&at(2026, 6, 1)));
        // The service page's chart by month: phone has no March, nor a total.
        let series = channel_series(Some(&t), PeriodKind::Month, (None, None));
        let line = |series: &ChannelSeries, name: &str| {
            series
                .channels
                .iter()
                .find(|c| c.channel == name)
                .cloned()
                .unwrap()
        };
        assert_eq!(line(&series, "phone").values[0], None, "phone in March");
        assert!(
            line(&series, "digital").values[0].is_some(),
            "digital in March"
        );
        assert_eq!(series.totals()[0], None);
        // Shown from the week of the gap on, phone has figures before it: the
        // week is a gap still, not phone's start.
        let cut = channel_series(
            Some(&t),
            PeriodKind::Week,
            (Some(at(2026, 3, 16)), Some(at(2026, 4, 6))),
        );
        assert_eq!(cut.gaps, vec![true, false, false]);
        assert_eq!(cut.totals(), vec![None, Some(1_000.0), Some(1_000.0)]);

        // Completions not sent for a week between weeks that have them: no
        // 0% that week.
        let mut rows = Vec::new();
        for day in [2, 9, 16, 23] {
            rows.push((2026, 3, day, json!({"stage": "start", "count": 100})));
            if day != 9 {
                rows.push((2026, 3, day, json!({"stage": "end", "count": 80})));
            }
        }
        let t = table(&rows);
        let weeks = completions_by(&t, PeriodKind::Week);
        assert_eq!(weeks.get(&at(2026, 3, 2)), Some(&(100.0, 80.0)));
        assert_eq!(weeks.get(&at(2026, 3, 9)), None);
        assert_eq!(weeks.len(), 3);
    }

    #[test]
    fn channels_have_gaps_where_not_sent_in_the_standard_order_then_by_name() {
        let t = table(&[
            (2026, 11, 2, json!({"channel": "phone", "count": 3})),
            (2026, 11, 2, json!({"channel": "digital", "count": 10})),
            (2026, 11, 16, json!({"channel": "digital", "count": 12})),
            (2026, 11, 16, json!({"channel": "kiosk_visit", "count": 1})),
            (2026, 11, 16, json!({"channel": "digital", "count": "n/a"})),
        ]);
        let series = channel_series(Some(&t), PeriodKind::Week, (None, None));
        assert_eq!(series.periods.len(), 3);
        let lines: Vec<(&str, &str, Vec<Option<f64>>)> = series
            .channels
            .iter()
            .map(|c| (c.channel.as_str(), c.label.as_str(), c.values.clone()))
            .collect();
        assert_eq!(
            lines,
            [
                ("digital", "Digital", vec![Some(10.0), None, Some(12.0)]),
                ("phone", "Phone", vec![Some(3.0), None, None]),
                ("kiosk_visit", "Kiosk visit", vec![None, None, Some(1.0)]),
            ]
        );
        // A window cuts records and fixes the periods, data or not.
        let window = (Some(at(2026, 11, 9)), Some(at(2026, 11, 30)));
        let cut = channel_series(Some(&t), PeriodKind::Week, window);
        assert_eq!(cut.periods.len(), 3);
        assert_eq!(cut.totals(), vec![None, Some(13.0), None]);
        let none = channel_series(None, PeriodKind::Month, window);
        assert_eq!((none.periods.len(), none.channels.len()), (1, 0));
    }

    #[test]
    fn the_latest_figures_are_each_kpi_by_its_finest_period() {
        let data = Standard {
            transactions: Some(Arc::new(table(&[
                (2026, 11, 2, json!({"channel": "digital", "count": 30})),
                (2026, 11, 2, json!({"channel": "phone", "count": 10})),
                (2026, 11, 9, json!({"channel": "digital", "count": 45})),
                (2026, 11, 9, json!({"channel": "phone", "count": 5})),
            ]))),
            cost: Some(Arc::new(table(&[
                (2026, 4, 1, json!({"cost_per_transaction": 4.0})),
                // Two records in one quarter: their mean, as a dashboard's
                // `cost_per_transaction:mean` by quarter gives it.
                (2026, 7, 1, json!({"cost_per_transaction": 3.0})),
                (2026, 8, 1, json!({"cost_per_transaction": 2.5})),
            ]))),
            now: at(2026, 12, 1),
            ..Default::default()
        };
        let figures = latest(&data);
        let got: Vec<(KpiKind, Option<f64>, Option<f64>, PeriodKind)> = figures
            .iter()
            .map(|f| (f.kpi, f.value, f.previous, f.period.kind))
            .collect();
        assert_eq!(
            got,
            [
                (
                    KpiKind::Transactions,
                    Some(50.0),
                    Some(40.0),
                    PeriodKind::Week
                ),
                (
                    KpiKind::CostPerTransaction,
                    Some(2.75),
                    Some(4.0),
                    PeriodKind::Quarter
                ),
                (
                    KpiKind::DigitalTakeUp,
                    Some(0.9),
                    Some(0.75),
                    PeriodKind::Week
                ),
            ]
        );
        assert_eq!(figures[1].period.start, at(2026, 7, 1));
    }

    #[test]
    fn a_total_cost_is_of_four_quarters_that_follow_one_another() {
        use chrono::Datelike;
        let weeks: Vec<(i32, u32, u32, serde_json::Value)> = (0..60)
            .map(|i| {
                let day = at(2025, 9, 1) + Duration::weeks(i);
                let d = day.date_naive();
                (
                    d.year(),
                    d.month(),
                    d.day(),
                    json!({"channel": "digital", "count": 100}),
                )
            })
            .collect();
        let listing = || ServiceListing {
            slug: "s".into(),
            title: "S".into(),
            department: app::model::OrgRef {
                slug: "d".into(),
                title: "D".into(),
                abbreviation: None,
            },
            agency: None,
        };
        let with_costs = |quarters: &[(i32, u32)]| {
            let costs: Vec<(i32, u32, u32, serde_json::Value)> = quarters
                .iter()
                .map(|(y, m)| (*y, *m, 1, json!({"cost_per_transaction": 2.0})))
                .collect();
            let data = Standard {
                transactions: Some(Arc::new(table(&weeks))),
                cost: Some(Arc::new(table(&costs))),
                now: at(2026, 12, 1),
                ..Default::default()
            };
            let year = yearly(listing(), &data);
            (year.total_cost, year.cost_from, year.cost_to)
        };
        // Four quarters in a row: a year's cost, from October 2025 to
        // October 2026 (the quarters of the transactions' weeks).
        let (total, from, to) = with_costs(&[(2025, 10), (2026, 1), (2026, 4), (2026, 7)]);
        assert_eq!((from, to), (Some(at(2025, 10, 1)), Some(at(2026, 10, 1))));
        assert!(total.is_some_and(|t| t > 0.0));
        // January 2026's cost missing: no year's cost, not four quarters
        // over a year and a quarter.
        let (total, from, _) = with_costs(&[(2025, 10), (2026, 4), (2026, 7)]);
        assert_eq!((total, from), (None, None));
    }

    #[test]
    fn a_rate_changes_only_from_a_rate_out_of_enough() {
        let data = |before: (f64, f64)| Standard {
            transactions: Some(Arc::new(table(&[
                (
                    2026,
                    11,
                    2,
                    json!({"channel": "digital", "count": before.0}),
                ),
                (2026, 11, 2, json!({"channel": "phone", "count": before.1})),
                (2026, 11, 9, json!({"channel": "digital", "count": 45})),
                (2026, 11, 9, json!({"channel": "phone", "count": 5})),
            ]))),
            now: at(2026, 12, 1),
            ..Default::default()
        };
        let previous = |before| {
            latest(&data(before))
                .iter()
                .map(|f| (f.kpi, f.previous))
                .collect::<Vec<_>>()
        };
        // 6 of 10 the week before: no change from it to 90% of 50.
        assert_eq!(
            previous((6.0, 4.0)),
            [
                (KpiKind::Transactions, Some(10.0)),
                (KpiKind::DigitalTakeUp, None)
            ]
        );
        // 18 of 30 is enough.
        assert_eq!(
            previous((18.0, 12.0))[1],
            (KpiKind::DigitalTakeUp, Some(0.6))
        );
    }
}
