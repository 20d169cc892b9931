//! Summary boards and comparisons: each service's five KPIs per period, from
//! the KPI engine ([`crate::domain::kpis`]) over the standard data sets that the
//! caller may read (published ones, for everyone:
//! [`crate::domain::caller::readable_data_sets`]), so a board of many services needs no
//! record to be read from the database.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use rustc_hash::FxHashMap;

use app::boards::{
    self as rules, Attention, Board, BoardKpi, BoardService, ComparedService, Comparison, Concern,
    Target, Trend, KPIS,
};
use app::kpi::{format_date, format_period, format_value, next_period_start, periods_between};
use app::model::{
    Annotation, KpiKind, Module, ModuleType, Period, PeriodKind, ServiceKpis, ServiceListing,
};
use app::modules::ViewParams;
use chrono::{DateTime, Utc};

use crate::domain::caller::readable_data_sets;
use crate::domain::kpis::{self, coarsest, complete_series, standard, yearly, Standard};
use crate::domain::query::{execute, params};
use crate::domain::services::Headline;
use crate::domain::Ctx;
use crate::error::Result;
use crate::store::{annotations, from_micros, orgs, targets};

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

/// The last `n` periods of `kind` up to the newest with data.
fn recent_periods(
    kind: PeriodKind,
    values: &BTreeMap<DateTime<Utc>, Option<f64>>,
    n: usize,
) -> Vec<Period> {
    let Some(newest) = values.keys().next_back() else {
        return Vec::new();
    };
    let first = *values.keys().next().unwrap_or(newest);
    let mut all = periods_between(kind, first, next_period_start(kind, *newest));
    all.drain(..all.len().saturating_sub(n));
    all
}

/// The last `n` periods of `kind` up to the newest with data, with their values.
fn recent(
    kind: PeriodKind,
    values: &BTreeMap<DateTime<Utc>, Option<f64>>,
    n: usize,
) -> Vec<Option<f64>> {
    recent_periods(kind, values, n)
        .iter()
        .map(|p| values.get(&p.start).copied().flatten())
        .collect()
}

/// A sparkline's values: the last `n` periods' figures, transactions a day in
/// each (a month of 28 days is no dip beside one of 31: the same measure as
/// the trend's, [`pooled`]).
fn spark(
    kpi: KpiKind,
    kind: PeriodKind,
    values: &BTreeMap<DateTime<Utc>, Option<f64>>,
    n: usize,
) -> Vec<Option<f64>> {
    recent_periods(kind, values, n)
        .iter()
        .map(|p| {
            let value = values.get(&p.start).copied().flatten()?;
            Some(if kpi == KpiKind::Transactions {
                value / p.days()
            } else {
                value
            })
        })
        .collect()
}

/// The rows a read API request (`/data/{group}/{type}?...`) of a module of
/// data set `group/type` answers, as the dashboard's page reads them; `None`
/// when the data set cannot be read or the request is refused.
async fn module_rows(
    ctx: &Ctx<'_>,
    data_set: &str,
    request: &str,
) -> Result<Option<Vec<serde_json::Value>>> {
    let Some((group, data_type)) = data_set.split_once('/') else {
        return Ok(None);
    };
    let Some(set) = crate::store::data_sets::find(ctx.store, group, data_type).await? else {
        return Ok(None);
    };
    if !set.queryable {
        return Ok(None);
    }
    let query = request.split_once('?').map(|(_, q)| q).unwrap_or_default();
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    // As the read API reads it: a record covers its type's period in the
    // catalogue, or the one its records' times show.
    let frequency = ctx
        .cache
        .whole(ctx.store, set.id, set.version, &set.data_type)
        .await?
        .frequency;
    let Ok(query) = params::parse(
        &pairs,
        params::Allowances {
            raw_queries_allowed: set.raw_queries_allowed,
            frequency,
        },
    ) else {
        return Ok(None);
    };
    let table = ctx.cache.table(ctx.store, set.id, set.version).await?;
    Ok(execute::execute(&table, &query, ctx.now).ok())
}

/// The KPI a module shows, as far as its type and data set say.
fn kpi_of(module: &Module) -> Option<KpiKind> {
    let data_type = module.data_set.as_deref()?.split_once('/')?.1;
    Some(match (module.module_type, data_type) {
        (ModuleType::UserSatisfactionGraph, _) => KpiKind::UserSatisfaction,
        (ModuleType::CompletionRate, "transactions-by-channel") => KpiKind::DigitalTakeUp,
        (ModuleType::CompletionRate, _) => KpiKind::CompletionRate,
        (_, "transactions-by-channel") => KpiKind::Transactions,
        (_, "cost-per-transaction") => KpiKind::CostPerTransaction,
        (_, "user-satisfaction") => KpiKind::UserSatisfaction,
        (_, "completion-rate") => KpiKind::CompletionRate,
        _ => return None,
    })
}

/// The unusual figures that no note explains on the published dashboards of
/// service `slug`, exactly as their charts mark them when opened: each
/// chart's figures in the dashboard's default view, judged by
/// [`app::notes::unexplained_figures`] over the year before them too, with
/// the service's `notes` and its data set's freshness. One line per chart and period, naming its series.
///
/// Kept (in `ctx.cache`) for as long as what they come from is the same:
/// the dashboards, the notes, every data set's version and read settings
/// (`data`, [`crate::store::data_sets::fingerprint`]) and the hour.
async fn unexplained_on_dashboards(
    ctx: &Ctx<'_>,
    slug: &str,
    stored: &[(String, String)],
    notes: &[Annotation],
    data: u64,
) -> Result<Vec<(Option<KpiKind>, String)>> {
    let basis = {
        use std::hash::{Hash, Hasher};
        let mut hasher = rustc_hash::FxHasher::default();
        data.hash(&mut hasher);
        app::kpi::period_start(PeriodKind::Hour, ctx.now).hash(&mut hasher);
        stored.hash(&mut hasher);
        let text = |e: serde_json::Error| crate::error::Error::Internal(e.into());
        serde_json::to_string(notes)
            .map_err(text)?
            .hash(&mut hasher);
        hasher.finish()
    };
    if let Some(lines) = ctx.cache.flags.get(slug, basis) {
        return Ok(lines);
    }
    let mut lines = Vec::new();
    for (_, body) in stored {
        let mut dashboard = crate::store::dashboards::parse(body)?;
        let freshness = crate::domain::dashboards::freshness(ctx, &dashboard.slug).await?;
        app::modules::with_frequencies(&mut dashboard.modules, &freshness);
        for module in app::modules::data_modules(&dashboard.modules) {
            // A period counts as filled in once it is complete
            // ([`app::kpi::complete_until`]): a dip in one under way is not news.
            let received = Some(app::modules::complete_until_of(
                module,
                &ViewParams::default(),
                &freshness,
            ));
            let (Some(data_set), Some(request)) = (
                module.data_set.as_deref(),
                app::modules::module_request(module, &ViewParams::default(), ctx.now),
            ) else {
                continue;
            };
            // The figures the page draws: none where a part is missing or
            // a period began before the first record ([`app::modules::gaps_of`]).
            let gaps = app::modules::gaps_of(module, &freshness);
            let until = app::modules::complete_until_of(module, &ViewParams::default(), &freshness);
            let shown = |rows: Vec<serde_json::Value>| {
                let rows = app::modules::without_gaps(module, std::sync::Arc::new(rows), &gaps);
                app::modules::figures(module, &rows, until).ok()
            };
            let Some(rows) = module_rows(ctx, data_set, &request).await? else {
                continue;
            };
            let Some(figures) = shown(rows) else {
                continue;
            };
            let Some((periods, series)) = app::notes::chart_series(&figures) else {
                continue;
            };
            let history = match app::modules::with_year_before_request(&request, &periods) {
                Some(earlier) => module_rows(ctx, data_set, &earlier)
                    .await?
                    .and_then(shown)
                    .as_ref()
                    .and_then(app::notes::chart_series),
                None => None,
            };
            let unit = app::modules::unit(module);
            let found = app::notes::unexplained_figures(
                notes,
                &dashboard.slug,
                &module.slug,
                (&periods, &series),
                history.as_ref().map(|(p, s)| (p.as_slice(), s.as_slice())),
                unit,
                received,
            );
            let mut at: BTreeMap<usize, Vec<String>> = BTreeMap::new();
            for (name, u) in found {
                at.entry(u.index).or_default().push(format!(
                    "{name} {} (about {} expected)",
                    format_value(Some(u.value), unit),
                    format_value(Some(u.expected), unit)
                ));
            }
            for (index, words) in at {
                lines.push((
                    kpi_of(module),
                    format!(
                        "{} on the dashboard {:?}, {}: {}. No note explains it.",
                        module.title,
                        dashboard.title,
                        format_period(&periods[index]),
                        words.join("; ")
                    ),
                ));
            }
        }
    }
    ctx.cache.flags.keep(slug, basis, &lines);
    Ok(lines)
}

/// One line of a board's attention list about unexplained figures: the KPI
/// (when the chart shows one) and what it says.
type Line = (Option<KpiKind>, String);

/// A service's lines, and the fingerprint of what they came from.
type Kept = (u64, Vec<Line>);

/// Each service's unexplained unusual figures (`unexplained_on_dashboards`),
/// with a fingerprint of what they came from.
#[derive(Clone, Debug, Default)]
pub struct Flags {
    held: Arc<Mutex<FxHashMap<String, Kept>>>,
}

impl Flags {
    fn get(&self, slug: &str, basis: u64) -> Option<Vec<Line>> {
        let held = self.held.lock().expect("flags lock");
        held.get(slug)
            .filter(|(b, _)| *b == basis)
            .map(|(_, lines)| lines.clone())
    }

    fn keep(&self, slug: &str, basis: u64, lines: &[Line]) {
        let mut held = self.held.lock().expect("flags lock");
        held.insert(slug.to_string(), (basis, lines.to_vec()));
    }
}

/// The last `n` periods' values of `kpi` (as [`recent`] has them) with what
/// each is out of ([`kpis::bases`]), for [`rules::trend`] to pool: volumes
/// per day, weighted by days; rates weighted by their bases. Values whose
/// base is not known (a cost without transactions) are pooled evenly, all
/// of them, rather than some weighed and some not.
fn pooled(
    data: &Standard,
    kpi: KpiKind,
    kind: PeriodKind,
    values: &BTreeMap<DateTime<Utc>, Option<f64>>,
    n: usize,
) -> Vec<Option<(f64, f64)>> {
    let bases = kpis::bases(data, kpi, kind);
    let bases: BTreeMap<DateTime<Utc>, Option<f64>> = values
        .keys()
        .map(|k| (*k, bases.get(k).copied().filter(|b| *b > 0.0)))
        .collect();
    let values = recent(kind, values, n);
    let bases = recent(kind, &bases, n);
    let known = values
        .iter()
        .zip(&bases)
        .all(|(v, b)| v.is_none() || b.is_some());
    values
        .into_iter()
        .zip(bases)
        .map(|(value, base)| {
            let value = value?;
            Some(match (kpi, base.filter(|_| known)) {
                (KpiKind::Transactions, Some(days)) => (value / days, days),
                (_, Some(base)) => (value, base),
                (_, None) => (value, 1.0),
            })
        })
        .collect()
}

/// A KPI's sparkline: the period it is by, its recent values, and its trend.
type Spark = (KpiKind, PeriodKind, Vec<Option<f64>>, Option<(Trend, f64)>);

/// What a board shows of a service that its data alone decides: each KPI's
/// sparkline (the period it is by, its recent values) and trend, and when
/// each standard data set's newest record is from. Kept
/// (`ctx.cache.boards`) by what it came from, as the headline figures are
/// ([`crate::domain::services::Headline`]), so a board's requests make no
/// pass over records until a data set changes or the hour turns.
#[derive(Clone, Debug)]
pub struct Worked {
    kpis: Vec<Spark>,
    newest: Vec<(&'static str, Option<DateTime<Utc>>)>,
}

impl Worked {
    fn of(data: &Standard) -> Worked {
        let kpis = KPIS
            .into_iter()
            .map(|kpi| {
                let (kind, values) = complete_series(data, kpi, PeriodKind::Month);
                let n = if kind == PeriodKind::Quarter {
                    SPARK_QUARTERS
                } else {
                    SPARK_MONTHS
                };
                let spark = spark(kpi, kind, &values, n);
                let trend = rules::trend(&pooled(data, kpi, kind, &values, n), kpi.unit());
                (kpi, kind, spark, trend)
            })
            .collect();
        let newest = data
            .watched
            .iter()
            .map(|(data_type, _, table)| {
                (*data_type, table.ts.iter().max().map(|&t| from_micros(t)))
            })
            .collect();
        Worked { kpis, newest }
    }
}

fn title_of(data_type: &str) -> &'static str {
    match data_type {
        "transactions-by-channel" => "Transactions",
        "cost-per-transaction" => "Cost per transaction",
        "user-satisfaction" => "User satisfaction",
        _ => "Completion",
    }
}

/// A board of `services`, titled `title`, at `url`. Its "needs attention" list
/// names every unusual figure that no note explains on its services'
/// published dashboards (see `unexplained_on_dashboards`), counting every
/// note, internal ones too (a note explains whoever may read it).
pub async fn board(
    ctx: &Ctx<'_>,
    title: String,
    url: String,
    services: Vec<ServiceListing>,
) -> Result<Board> {
    let now = ctx.now;
    let published = readable_data_sets(ctx.store, ctx.caller).await?;
    let all_targets = targets::list(ctx.store, None).await?;
    let notes = annotations::list(ctx.store, &annotations::Filter::default()).await?;
    let dashboards = crate::store::dashboards::published_bodies_by_service(ctx.store).await?;
    let read_basis = crate::store::data_sets::fingerprint(ctx.store).await?;
    let today = now.date_naive();
    let hour = app::kpi::period_start(PeriodKind::Hour, now);
    let mut rows = Vec::new();
    let mut headline = Vec::new();
    let mut attention = Vec::new();
    for service in services {
        let slug = service.slug.clone();
        let key = Headline::key(&published, &slug, hour);
        let (mut figures, worked) =
            match (ctx.cache.headlines.get(&key), ctx.cache.boards.get(&key)) {
                (Some(figures), Some(worked)) => (figures, worked),
                (figures, worked) => {
                    let data = standard(ctx.store, ctx.cache, &published, &slug, now).await?;
                    let figures = figures.unwrap_or_else(|| {
                        let figures = yearly(service.clone(), &data);
                        ctx.cache.headlines.keep(key.clone(), &figures);
                        figures
                    });
                    let worked = worked.unwrap_or_else(|| {
                        let worked = Worked::of(&data);
                        ctx.cache.boards.keep(key, &worked);
                        worked
                    });
                    (figures, worked)
                }
            };
        figures.service = service.clone();
        let targets: Vec<&Target> = all_targets.iter().filter(|t| t.service == slug).collect();
        let mut kpis = Vec::new();
        for (kpi, kind, spark, trend) in worked.kpis {
            let value = value_of(&figures, kpi);
            let span = app::kpi::figure_span(&figures, kpi);
            // The target in force on the figure's last day, as its chart's
            // target line and alerts have it (a target set since is not one
            // the figure's period was meant to meet); today's without one.
            let judged_on = span.map_or(today, |(_, end)| {
                (end - chrono::Duration::seconds(1)).date_naive()
            });
            let target = targets
                .iter()
                .filter(|t| t.kpi == kpi && t.effective_from <= judged_on)
                .max_by_key(|t| (t.effective_from, t.id))
                .map(|t| t.value);
            let base = figures
                .figures
                .iter()
                .find(|f| f.kpi == kpi)
                .and_then(|f| f.base);
            // A rate of a handful is not judged against a target.
            let status = rules::status(kpi, value, target)
                .filter(|_| app::kpi::low_base_words(kpi, base).is_none());
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
                if rules::worsening(kpi, direction)
                    && change.abs() >= rules::attention_band(kpi.unit())
                {
                    attention.push(Attention {
                        service: slug.clone(),
                        service_title: service.title.clone(),
                        concern: Concern::Worsening,
                        kpi: Some(kpi),
                        message: format!(
                            "{name} {} {} over the last three complete {}s against the three before.",
                            if direction == app::boards::Trend::Up {
                                "rose"
                            } else {
                                "fell"
                            },
                            app::kpi::format_change_in(kpi.unit(), change.abs())
                                .trim_start_matches('+'),
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
                from: span.map(|s| s.0),
                to: span.map(|s| s.1),
                spark,
                trend: trend.map(|t| t.0),
                change: trend.map(|t| t.1),
                target,
                status,
                base,
            });
        }
        for (data_type, newest) in worked.newest {
            let max_age = published
                .get(&(slug.clone(), data_type.to_string()))
                .and_then(|ds| ds.max_age_expected);
            let fresh = crate::domain::freshness::freshness(
                &slug,
                data_type,
                (max_age, None),
                newest,
                None,
                now,
            );
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
        let service_notes: Vec<Annotation> = notes
            .iter()
            .map(|n| &n.annotation)
            .filter(|n| n.service == slug)
            .cloned()
            .collect();
        for (kpi, message) in unexplained_on_dashboards(
            ctx,
            &slug,
            dashboards.get(&slug).map(Vec::as_slice).unwrap_or_default(),
            &service_notes,
            read_basis,
        )
        .await?
        {
            attention.push(Attention {
                service: slug.clone(),
                service_title: service.title.clone(),
                concern: Concern::UnexplainedSpike,
                kpi,
                message,
            });
        }
        rows.push(BoardService {
            service,
            kpis,
            year_to: figures.year_to,
            weekly_transactions: figures.weekly_transactions,
            dashboard: dashboards
                .get(&slug)
                .and_then(|d| d.first())
                .map(|(d, _)| format!("/{d}")),
        });
        headline.push(figures);
    }
    let summary = app::kpi::summarise(&headline);
    // A service whose figures stopped before the others' is judged against
    // no target, and has no trend: its figures are of another time (its
    // lateness still needs attention).
    let stopped: Vec<String> = headline
        .iter()
        .filter(|s| app::kpi::has_stopped(s, summary.year_to))
        .map(|s| s.service.slug.clone())
        .collect();
    // Nor is a figure of a service whose others are current but which is
    // itself of another time (a satisfaction score of two years ago).
    let stale: Vec<(String, KpiKind)> = headline
        .iter()
        .flat_map(|s| {
            app::boards::KPIS
                .into_iter()
                .filter(|&kpi| app::kpi::figure_is_stale(s, kpi, summary.year_to))
                .map(|kpi| (s.service.slug.clone(), kpi))
        })
        .collect();
    let of_another_time = |service: &String, kpi: Option<KpiKind>| {
        stopped.contains(service) || kpi.is_some_and(|kpi| stale.contains(&(service.clone(), kpi)))
    };
    for row in &mut rows {
        for kpi in &mut row.kpis {
            // Nor has it a trend, coloured good or bad beside today's: the
            // last three periods of 2022 against the three before are not
            // how the service is going.
            if of_another_time(&row.service.slug, Some(kpi.kpi)) {
                kpi.status = None;
                kpi.trend = None;
                kpi.change = None;
            }
        }
    }
    attention.retain(|a| {
        !(of_another_time(&a.service, a.kpi)
            && matches!(a.concern, Concern::BelowTarget | Concern::Worsening))
    });
    Ok(Board {
        title,
        url,
        summary,
        services: rows,
        attention,
        portfolio: None,
    })
}

/// The board at `/boards/{name}`: an organisation's (`name` is its slug:
/// its own services and its agencies'), or a portfolio's
/// (`portfolio/{id}`: the services it holds that still exist).
pub async fn named(ctx: &Ctx<'_>, name: &str) -> Result<Board> {
    if let Some(id) = name.strip_prefix("portfolio/") {
        let stored = crate::domain::portfolios::find(ctx, id).await?;
        let all = orgs::list_services(ctx.store).await?;
        let services = stored
            .portfolio
            .services
            .iter()
            .filter_map(|slug| all.iter().find(|s| &s.slug == slug).cloned())
            .collect();
        let mut board = board(
            ctx,
            stored.portfolio.title.clone(),
            format!("/boards/portfolio/{id}"),
            services,
        )
        .await?;
        board.portfolio = Some(stored.portfolio);
        return Ok(board);
    }
    let organisation = orgs::find_org(ctx.store, name).await?.ok_or_else(|| {
        crate::error::Error::NotFound(format!("There is no organisation {name:?}."))
    })?;
    let services = services_of(ctx, name).await?;
    board(
        ctx,
        organisation.title.clone(),
        format!("/boards/{name}"),
        services,
    )
    .await
}

/// The services of an organisation: its own and those of its agencies.
pub async fn services_of(ctx: &Ctx<'_>, org: &str) -> Result<Vec<ServiceListing>> {
    Ok(orgs::list_services(ctx.store)
        .await?
        .iter()
        .filter(|s| s.department.slug == org || s.agency.as_ref().is_some_and(|a| a.slug == org))
        .cloned()
        .collect())
}

/// A comparison of `services` on `kpi` by `kind`, with each service's notes
/// that `may_read` allows.
pub async fn compare(
    ctx: &Ctx<'_>,
    services: Vec<ServiceListing>,
    kpi: KpiKind,
    kind: PeriodKind,
    may_read: impl Fn(&annotations::Stored) -> bool,
) -> Result<Comparison> {
    let published = readable_data_sets(ctx.store, ctx.caller).await?;
    let kind = coarsest(kind, kpi.finest_period());
    let mut each = Vec::new();
    for service in services {
        let data = standard(ctx.store, ctx.cache, &published, &service.slug, ctx.now).await?;
        let values = complete_series(&data, kpi, kind).1;
        let missing = if values.values().all(Option::is_none) {
            Some(format!(
                "{} has no {} figures{}.",
                service.title,
                kpi.title().to_lowercase(),
                match kpi {
                    KpiKind::CostPerTransaction if data.cost.is_none() => {
                        " (no published cost-per-transaction data set)"
                    }
                    KpiKind::CostPerTransaction if kind == PeriodKind::Year => {
                        " by year (a year's cost per transaction needs a cost and \
                         transactions for each of its quarters)"
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
        // What a rate is out of, so one of a handful is not ranked.
        let bases = if kpi.unit() == app::model::Unit::Ratio {
            kpis::bases(&data, kpi, kind)
        } else {
            BTreeMap::new()
        };
        each.push((service, values, missing, bases));
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
    let all_targets = targets::list(ctx.store, None).await?;
    let notes = match window {
        Some((from, to)) => annotations::list(
            ctx.store,
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
        .map(|(service, values, missing, bases)| {
            let aligned: Vec<Option<f64>> = periods
                .iter()
                .map(|p| values.get(&p.start).copied().flatten())
                .collect();
            let latest_index = aligned.iter().rposition(Option::is_some);
            let latest = latest_index.and_then(|i| aligned[i]);
            let base = latest_index.and_then(|i| bases.get(&periods[i].start).copied());
            // What the latest is compared with: no rate of a handful, nor one
            // beside a latest of a handful ([`app::kpi::previous_if_enough`],
            // as the service page's tiles and the dashboards' headlines).
            let enough = |start: DateTime<Utc>, value: Option<f64>| {
                app::kpi::previous_if_enough(kpi, value, base, bases.get(&start).copied())
            };
            let previous = latest_index
                .and_then(|i| i.checked_sub(1))
                .and_then(|i| enough(periods[i].start, aligned[i]));
            let year_earlier = latest_index.and_then(|i| {
                let back = app::kpi::year_earlier(&periods[i]);
                enough(back.start, values.get(&back.start).copied().flatten())
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
            let bases = if bases.is_empty() {
                Vec::new()
            } else {
                periods
                    .iter()
                    .map(|p| bases.get(&p.start).copied())
                    .collect()
            };
            ComparedService {
                base,
                bases,
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn month(m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, m, 1, 0, 0, 0).unwrap()
    }

    #[test]
    fn a_transactions_sparkline_is_a_day_in_each_month_and_rates_are_as_they_are() {
        // February's 2,800 over 28 days and March's 3,100 over 31 are the same
        // 100 a day: no dip for February. January has no figure: a gap.
        let values: BTreeMap<DateTime<Utc>, Option<f64>> = [
            (month(1), None),
            (month(2), Some(2_800.0)),
            (month(3), Some(3_100.0)),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            spark(KpiKind::Transactions, PeriodKind::Month, &values, 12),
            vec![None, Some(100.0), Some(100.0)]
        );
        assert_eq!(
            spark(KpiKind::Transactions, PeriodKind::Month, &values, 2),
            vec![Some(100.0), Some(100.0)]
        );
        let rates: BTreeMap<DateTime<Utc>, Option<f64>> =
            [(month(2), Some(0.8)), (month(3), Some(0.9))]
                .into_iter()
                .collect();
        assert_eq!(
            spark(KpiKind::DigitalTakeUp, PeriodKind::Month, &rates, 12),
            vec![Some(0.8), Some(0.9)]
        );
        assert!(spark(
            KpiKind::Transactions,
            PeriodKind::Month,
            &BTreeMap::new(),
            12
        )
        .is_empty());
    }
}
