//! A dashboard loaded for a page: its modules that read data, and each one's
//! figures (and a year earlier, when asked) fetched through [`crate::api`]
//! with the dashboard's freshness, notes and targets. Not pure: the loaders
//! call the API (in-process on the server, over HTTP in the browser).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::figures::{
    figures, past_page_bound, too_many_rows_to_show, within_module_bound, year_earlier_totals,
    Figures,
};
use super::request::{
    at_most_rows, module_request, scale_note, shown_period, with_year_before_request,
    year_earlier_request,
};
use super::view::ViewParams;
use crate::api::ApiError;
use crate::kpi::{format_count, MAX_MODULES, MAX_MODULE_FIGURES, MAX_PAGE_FIGURES};
use crate::model::{Dashboard, Freshness, Module, ModuleType, PartGap, PeriodKind};

/// A module with its figures (or why there are none), for a page to show.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoadedModule {
    pub slug: String,
    /// The read API request the figures came from (the downloads are its answer).
    pub request: Option<String>,
    pub figures: Result<Figures, String>,
    /// With a year earlier asked for: the total (or rate) of the same period a
    /// year before each period, aligned with the figures' periods.
    pub previous_year: Option<super::YearEarlier>,
    /// Until when its figures are complete ([`crate::kpi::complete_until`]):
    /// periods ending later are "so far".
    #[serde(default = "always")]
    pub complete_until: DateTime<Utc>,
    /// What the chart says about its periods when they are not its data's own
    /// ([`scale_note`]), and of those a gap leaves with no figure ([`gap_note`]).
    #[serde(default)]
    pub scale_note: Option<String>,
    /// The same figures over the year before them and them: what the chart's
    /// unusual figures are judged over (each period against the same period
    /// a year earlier). `None` when they could not be read.
    #[serde(default)]
    pub history: Option<Figures>,
}

fn always() -> DateTime<Utc> {
    DateTime::<Utc>::MAX_UTC
}

/// Until when a module's figures are complete, from its data set's freshness
/// ([`Freshness::complete_until`], read by the period its request asks for);
/// every period, when its freshness is not known.
pub fn complete_until_of(
    module: &Module,
    view: &ViewParams,
    freshness: &[Freshness],
) -> DateTime<Utc> {
    let Some(f) = module
        .data_set
        .as_deref()
        .and_then(|ds| freshness.iter().find(|f| f.data_set == ds))
    else {
        return always();
    };
    let kind = shown_period(module, view).unwrap_or(PeriodKind::Week);
    f.complete_until(kind).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Where a module's data set holds no whole figures: where its parts
/// (channels, stages, steps) miss periods between periods they have
/// ([`Freshness::gaps`]), and, for figures that add records up
/// ([`super::adds_up`]), before its first record's period (a month begun
/// before the data holds only the weeks sent since: its total would read as
/// a dip; of data whose frequency is not known, before its first record's
/// hour: the service pages show only the catalogue's).
#[derive(Clone, Debug, Default)]
pub struct Gaps {
    pub parts: Vec<PartGap>,
    pub first_whole: Option<DateTime<Utc>>,
}

pub fn gaps_of(module: &Module, freshness: &[Freshness]) -> Gaps {
    let Some(f) = module
        .data_set
        .as_deref()
        .and_then(|ds| freshness.iter().find(|f| f.data_set == ds))
    else {
        return Gaps::default();
    };
    // The first record's period, when the data's frequency is known (the
    // catalogue's, or what its records' times show); else its hour: data of
    // a kind Pulse does not know may be sent by the day, the week or the
    // month, and a period begun before its first record holds only part of
    // what it adds up.
    let first_whole = match f.oldest_record {
        Some(oldest) if super::adds_up(module) => Some(crate::kpi::period_start(
            f.frequency.unwrap_or(PeriodKind::Hour),
            oldest,
        )),
        _ => None,
    };
    Gaps {
        parts: f.gaps.clone(),
        first_whole,
    }
}

/// A read answer's rows with no figures where a part's gap falls: a row of a
/// part (grouped by the part's field) in a period where that part misses a
/// week; a row of a module that reads one part (`filter_by` it) where that
/// one does; a row of every part together where any does. Its period stays,
/// its figures are `null`. So a month in which phone missed a week is no
/// month of digital alone (a take-up near 100%, a fall in transactions): it
/// has no figure, as on the service page ([`crate::model::totals_across`]
/// then leaves no total where a part is missing between periods it has).
pub fn without_gaps(
    module: &Module,
    rows: std::sync::Arc<Vec<serde_json::Value>>,
    gaps: &Gaps,
) -> std::sync::Arc<Vec<serde_json::Value>> {
    if gaps.parts.is_empty() && gaps.first_whole.is_none() {
        return rows;
    }
    let (field, filtered) = parts_read(module);
    let time = |row: &serde_json::Value, key: &str| {
        row.get(key)
            .and_then(serde_json::Value::as_str)
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    let in_gap = |row: &serde_json::Value| {
        let (Some(start), Some(end)) = (time(row, "_start_at"), time(row, "_end_at")) else {
            return false;
        };
        if gaps.first_whole.is_some_and(|first| start < first) {
            return true;
        }
        let part = row
            .get(field)
            .and_then(serde_json::Value::as_str)
            .map(str::to_string)
            .or_else(|| filtered.clone());
        gaps.parts
            .iter()
            .any(|g| g.start < end && start < g.end && part.as_deref().is_none_or(|p| p == g.part))
    };
    if !rows.iter().any(in_gap) {
        return rows;
    }
    let blank = |row: &serde_json::Value| {
        let mut row = row.clone();
        if let Some(fields) = row.as_object_mut() {
            for (key, value) in fields.iter_mut() {
                if !key.starts_with('_') && value.is_number() {
                    *value = serde_json::Value::Null;
                }
            }
        }
        row
    };
    std::sync::Arc::new(
        rows.iter()
            .map(|r| if in_gap(r) { blank(r) } else { r.clone() })
            .collect(),
    )
}

/// The field a module's data set names its parts by (`channel`, `stage`…;
/// empty for data of no parts), and the one part the module reads when it
/// filters by it.
fn parts_read(module: &Module) -> (&'static str, Option<String>) {
    let field = module
        .data_set
        .as_deref()
        .and_then(|ds| ds.split_once('/'))
        .and_then(|(_, data_type)| crate::catalogue::part_field(data_type))
        .unwrap_or("");
    let query = crate::query_string::pairs(&module.query);
    let filtered = crate::query_string::first(&query, "filter_by")
        .and_then(|f| f.split_once(':'))
        .filter(|(f, _)| *f == field)
        .map(|(_, part)| part.to_string());
    (field, filtered)
}

/// What a chart says of the periods [`without_gaps`] left with no figure,
/// among `periods` (those it shows): the one the data began part-way
/// through, and the parts' gaps (at most three named). `None` when no
/// period shown is one.
pub fn gap_note(module: &Module, periods: &[crate::model::Period], gaps: &Gaps) -> Option<String> {
    let mut sentences = Vec::new();
    if let Some(first) = gaps.first_whole {
        if let Some(part_way) = periods.iter().find(|p| p.start < first && first < p.end) {
            sentences.push(format!(
                "{} has no figure: the data begins on {}, part-way through it.",
                crate::kpi::format_period(part_way),
                crate::kpi::format_date(first)
            ));
        }
    }
    let (_, filtered) = parts_read(module);
    let shown: Vec<&PartGap> = gaps
        .parts
        .iter()
        .filter(|g| filtered.as_deref().is_none_or(|p| p == g.part))
        .filter(|g| periods.iter().any(|p| g.start < p.end && p.start < g.end))
        .collect();
    if !shown.is_empty() {
        let mut named: Vec<String> = shown
            .iter()
            .take(3)
            .map(|g| {
                format!(
                    "{} sent no figures for {}",
                    super::options::label_for(module, &g.part),
                    crate::kpi::format_date_range(g.start, g.end)
                )
            })
            .collect();
        if shown.len() > 3 {
            let more = shown.len() - 3;
            named.push(format!(
                "{more} more gap{}",
                if more == 1 { "" } else { "s" }
            ));
        }
        let list = match named.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
            _ => named.concat(),
        };
        sentences.push(format!(
            "{list}: a period holding such a gap shows no figure for the part, nor a total of the parts."
        ));
    }
    (!sentences.is_empty()).then(|| sentences.join(" "))
}

/// A dashboard with the figures of its modules and the freshness of its data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DashboardView {
    pub dashboard: Dashboard,
    pub freshness: Vec<Freshness>,
    /// One per module that reads data (sections' children included), in page order.
    pub modules: Vec<LoadedModule>,
    pub view: ViewParams,
    /// The notes of the dashboard's service the viewer may read, and whether
    /// they may write them.
    #[serde(default)]
    pub notes: crate::model::AnnotationList,
    /// The viewer's CSRF token, when they may write notes.
    #[serde(default)]
    pub csrf: Option<String>,
    /// The targets of the dashboard's service, drawn on its rate charts.
    #[serde(default)]
    pub targets: Vec<crate::boards::Target>,
    /// How many modules the dashboard holds, when that is more than a page
    /// shows ([`MAX_MODULES`]): `dashboard` holds the first of them.
    #[serde(default)]
    pub modules_held: Option<usize>,
    /// Why the view's named range is not shown ([`ViewParams::range_problem`]).
    #[serde(default)]
    pub range_problem: Option<String>,
}

impl DashboardView {
    pub fn loaded(&self, slug: &str) -> Option<&LoadedModule> {
        self.modules.iter().find(|m| m.slug == slug)
    }

    /// The freshness of a module's data set.
    pub fn freshness_of(&self, module: &Module) -> Option<&Freshness> {
        let data_set = module.data_set.as_deref()?;
        self.freshness.iter().find(|f| f.data_set == data_set)
    }
}

/// Gives each module the frequency its data set's freshness says
/// ([`Module::frequency`]): for a data type the catalogue does not know, what
/// its records' times show.
pub fn with_frequencies(modules: &mut [Module], freshness: &[Freshness]) {
    for m in modules {
        m.frequency = m
            .data_set
            .as_deref()
            .and_then(|ds| freshness.iter().find(|f| f.data_set == ds))
            .and_then(|f| f.frequency);
        with_frequencies(&mut m.modules, freshness);
    }
}

/// Every module of a dashboard that reads data, sections' children in place.
pub fn data_modules(modules: &[Module]) -> Vec<&Module> {
    let mut out = Vec::new();
    for m in modules {
        if m.module_type == ModuleType::Section {
            out.extend(data_modules(&m.modules));
        } else {
            out.push(m);
        }
    }
    out
}

/// How many modules there are: modules, sections and the modules in them.
pub fn count_modules(modules: &[Module]) -> usize {
    modules.iter().map(|m| 1 + count_modules(&m.modules)).sum()
}

/// Keeps the first `room` modules in page order, sections and the modules in
/// them counted; `room` is what is left.
fn keep_first(modules: &mut Vec<Module>, room: &mut usize) {
    let mut kept = 0;
    for m in modules.iter_mut() {
        if *room == 0 {
            break;
        }
        *room -= 1;
        kept += 1;
        keep_first(&mut m.modules, room);
    }
    modules.truncate(kept);
}

/// The module with this slug, anywhere in the dashboard.
pub fn find_module<'a>(modules: &'a [Module], slug: &str) -> Option<&'a Module> {
    modules.iter().find_map(|m| {
        if m.slug == slug {
            Some(m)
        } else {
            find_module(&m.modules, slug)
        }
    })
}

/// Loads a module's figures (and a year earlier, when asked) through the API;
/// `complete_until` from [`complete_until_of`]; `room`, the figures its page
/// has room for ([`MAX_PAGE_FIGURES`] less those before it, when known).
pub async fn load_module(
    module: Module,
    view: ViewParams,
    complete_until: DateTime<Utc>,
    gaps: Gaps,
    room: usize,
) -> LoadedModule {
    let request = module_request(&module, &view, super::request::now());
    let slug = module.slug.clone();
    let scale_note = scale_note(&module, &view);
    let Some(path) = request.clone() else {
        return LoadedModule {
            slug,
            request,
            figures: Err("the module has no data set (write it as group/type)".into()),
            previous_year: None,
            complete_until,
            scale_note,
            history: None,
        };
    };
    // The page reads no more rows than it can show figures (each row is one
    // at least), nor more than it has room for; the year before them too, for
    // the unusual-figures rule, at most twice the module's bound.
    let most = room.clamp(1, MAX_MODULE_FIGURES);
    let figures = match crate::api::data_rows(at_most_rows(&path, most)).await {
        Ok(rows) => figures_of(&module, &without_gaps(&module, rows, &gaps), complete_until)
            .and_then(|f| within_module_bound(module.module_type, f)),
        Err(e) => Err(match rows_refused_by(&e) {
            Some(rows) if rows <= MAX_MODULE_FIGURES => {
                past_page_bound(&format!("at least {}", format_count(rows as f64)))
            }
            Some(rows) => too_many_rows_to_show(module.module_type, rows),
            None => api_message(&e),
        }),
    };
    let periods = match &figures {
        Ok(Figures::Time(t)) => Some(t.periods.clone()),
        Ok(Figures::Completion(c)) => Some(c.periods.clone()),
        Ok(Figures::Satisfaction(s)) => Some(s.periods.clone()),
        _ => None,
    };
    let history = match periods
        .as_deref()
        .and_then(|p| with_year_before_request(&path, p))
        .map(|request| at_most_rows(&request, 2 * MAX_MODULE_FIGURES))
    {
        Some(request) => crate::api::data_rows(request).await.ok().and_then(|rows| {
            figures_of(&module, &without_gaps(&module, rows, &gaps), complete_until).ok()
        }),
        None => None,
    };
    // The periods left with no figure by a gap say why, after what the
    // chart says of its periods.
    let scale_note = match periods.as_deref().and_then(|p| gap_note(&module, p, &gaps)) {
        Some(gaps) => Some(match scale_note {
            Some(scale) => format!("{scale} {gaps}"),
            None => gaps,
        }),
        None => scale_note,
    };
    let previous_year = match (view.compare, periods) {
        (true, Some(periods)) => match year_earlier_request(&path, &periods)
            .map(|request| at_most_rows(&request, MAX_MODULE_FIGURES))
        {
            Some(earlier) => crate::api::data_rows(earlier)
                .await
                .ok()
                .map(|rows| year_earlier_totals(&module, &without_gaps(&module, rows, &gaps)))
                .filter(|v| v.values.len() == periods.len()),
            None => None,
        },
        _ => None,
    };
    LoadedModule {
        slug,
        request,
        figures,
        previous_year,
        complete_until,
        scale_note,
        history,
    }
}

/// [`figures`] of a read answer's rows. On the server, where every view of a
/// dashboard reads the same answers (kept parsed: `api::data_rows`), each
/// module's figures of an answer are worked out once and kept while the
/// answer is.
fn figures_of(
    module: &Module,
    rows: &std::sync::Arc<Vec<serde_json::Value>>,
    complete_until: DateTime<Utc>,
) -> Result<Figures, String> {
    #[cfg(feature = "ssr")]
    {
        kept_figures::figures_of(module, rows, complete_until)
    }
    #[cfg(not(feature = "ssr"))]
    {
        figures(module, rows, complete_until)
    }
}

#[cfg(feature = "ssr")]
mod kept_figures {
    use std::collections::HashMap;
    use std::hash::{Hash, Hasher};
    use std::sync::{Arc, LazyLock, Mutex};

    use chrono::{DateTime, Utc};
    use serde_json::Value;

    use super::{figures, Figures, Module};

    /// The rows (held, so their address names them while kept), the module
    /// as written (its hash finds it) and the complete-until instant.
    type Key = (usize, u64, DateTime<Utc>);

    /// Figures kept at most: a few views of every module of the dashboards
    /// being read.
    const MOST: usize = 512;

    type Kept = HashMap<Key, (Arc<Vec<Value>>, String, Result<Figures, String>)>;

    static KEPT: LazyLock<Mutex<Kept>> = LazyLock::new(Mutex::default);

    pub(super) fn figures_of(
        module: &Module,
        rows: &Arc<Vec<Value>>,
        complete_until: DateTime<Utc>,
    ) -> Result<Figures, String> {
        let Ok(written) = serde_json::to_string(module) else {
            return figures(module, rows, complete_until);
        };
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        written.hash(&mut hasher);
        let key = (Arc::as_ptr(rows) as usize, hasher.finish(), complete_until);
        {
            let kept = KEPT.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((held, same, found)) = kept.get(&key) {
                if Arc::ptr_eq(held, rows) && *same == written {
                    return found.clone();
                }
            }
        }
        let found = figures(module, rows, complete_until);
        // An answer not kept parsed (`api::data_rows` parses a large one each
        // time) is never met again: keeping its figures would keep it too, a
        // few megabytes a view until there were 512 (a page of five such
        // modules viewed 15 times took the server from 80 MB to 1.1 GB).
        if Arc::strong_count(rows) < 2 {
            return found;
        }
        let mut kept = KEPT.lock().unwrap_or_else(|p| p.into_inner());
        if kept.len() >= MOST {
            // Answers no longer kept parsed are never met again: forget
            // their figures first, then everything.
            kept.retain(|_, (held, _, _)| Arc::strong_count(held) > 1);
            if kept.len() >= MOST {
                kept.clear();
            }
        }
        kept.insert(key, (rows.clone(), written, found.clone()));
        found
    }
}

/// How many rows a read refused for holding more than it asked for would
/// have held ([`crate::kpi::too_many_rows`]).
fn rows_refused_by(e: &ApiError) -> Option<usize> {
    match e {
        ApiError::Status {
            status: 400,
            message,
        } => crate::kpi::rows_refused(message),
        _ => None,
    }
}

fn api_message(e: &ApiError) -> String {
    match e {
        ApiError::Status { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// The modules as a page shows them: in page order, each one's figures when
/// they fit within [`MAX_PAGE_FIGURES`] with those shown before them; when
/// not, why not (a module's own page shows its figures).
fn within_page_bound(mut modules: Vec<LoadedModule>) -> Vec<LoadedModule> {
    let mut shown = 0;
    for m in &mut modules {
        let Ok(figures) = &m.figures else { continue };
        let count = figures.count();
        if shown + count <= MAX_PAGE_FIGURES {
            shown += count;
        } else {
            m.figures = Err(past_page_bound(&format_count(count as f64)));
            m.previous_year = None;
            m.history = None;
        }
    }
    modules
}

/// Loads a dashboard, its data sets' freshness and every module's figures (or
/// only the module `only`), the modules' requests in parallel.
pub async fn load_dashboard(
    slug: String,
    view: ViewParams,
    only: Option<String>,
) -> Result<DashboardView, ApiError> {
    let mut dashboard = crate::api::dashboard(&slug).await?;
    // One stored before dashboards were bounded shows as much as a page
    // holds (each of its modules is on its own page still).
    let held = count_modules(&dashboard.modules);
    let modules_held = (only.is_none() && held > MAX_MODULES).then(|| {
        let mut room = MAX_MODULES;
        keep_first(&mut dashboard.modules, &mut room);
        held
    });
    let freshness = crate::api::dashboard_freshness(&slug).await?;
    with_frequencies(&mut dashboard.modules, &freshness);
    // A named range becomes months now: "All the data" from the oldest figure.
    let oldest = freshness.iter().filter_map(|f| f.oldest_record).min();
    let range_problem = view.range_problem(super::request::now(), oldest);
    let view = view.resolved(super::request::now(), oldest);
    let wanted: Vec<Module> = data_modules(&dashboard.modules)
        .into_iter()
        .filter(|m| only.as_deref().is_none_or(|o| o == m.slug))
        .cloned()
        .collect();
    if let Some(only) = &only {
        if wanted.is_empty() {
            return Err(ApiError::Status {
                status: 404,
                message: format!("The dashboard {slug:?} has no module {only:?}."),
            });
        }
    }
    // On the server, one module at a time in page order, each reading no
    // more than the page still has room for: a page's reads never hold more
    // than one module's (50 modules read at once, each 9,760 figures, held
    // 600 MB). In the browser, all at once.
    #[cfg(feature = "ssr")]
    let modules = {
        let mut loaded = Vec::with_capacity(wanted.len());
        let mut room = MAX_PAGE_FIGURES;
        for m in wanted {
            let until = complete_until_of(&m, &view, &freshness);
            let gaps = gaps_of(&m, &freshness);
            let module = load_module(m, view.clone(), until, gaps, room).await;
            if let Ok(figures) = &module.figures {
                room -= figures.count().min(room);
            }
            loaded.push(module);
        }
        loaded
    };
    #[cfg(not(feature = "ssr"))]
    let modules = futures_util::future::join_all(wanted.into_iter().map(|m| {
        let until = complete_until_of(&m, &view, &freshness);
        let gaps = gaps_of(&m, &freshness);
        load_module(m, view.clone(), until, gaps, MAX_PAGE_FIGURES)
    }))
    .await;
    let modules = within_page_bound(modules);
    let notes = match &dashboard.service {
        Some(service) => crate::api::annotations(service).await?,
        None => crate::model::AnnotationList::default(),
    };
    let csrf = if notes.may_annotate {
        crate::api::session().await?.csrf_token
    } else {
        None
    };
    let targets = match &dashboard.service {
        Some(service) => crate::api::targets_of(service).await?.targets,
        None => Vec::new(),
    };
    Ok(DashboardView {
        dashboard,
        modules_held,
        freshness,
        modules,
        view,
        notes,
        csrf,
        targets,
        range_problem,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::figures::tests::daily;

    fn loaded(slug: &str, figures: Figures) -> LoadedModule {
        LoadedModule {
            slug: slug.into(),
            request: Some(format!("/data/{slug}")),
            figures: Ok(figures.clone()),
            previous_year: Some(super::super::YearEarlier {
                values: vec![None; 3],
                ..Default::default()
            }),
            complete_until: always(),
            scale_note: None,
            history: Some(figures),
        }
    }

    #[test]
    fn a_parts_gap_leaves_its_periods_with_no_figures_but_in_place() {
        use crate::modules::fixtures::{module, t};
        use serde_json::json;
        let month = |start: &str, end: &str, extra: serde_json::Value| {
            let mut row = json!({
                "_start_at": format!("{start}T00:00:00+00:00"),
                "_end_at": format!("{end}T00:00:00+00:00"),
            });
            row.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            row
        };
        // Phone missed the week of 12 October.
        let gaps = Gaps {
            parts: vec![PartGap {
                part: "phone".into(),
                start: t("2026-10-12T00:00:00Z"),
                end: t("2026-10-19T00:00:00Z"),
            }],
            first_whole: None,
        };
        let by_channel = module(
            ModuleType::GroupedTimeseries,
            "period=month&group_by=channel&collect=count:sum",
            json!({}),
        );
        let rows = std::sync::Arc::new(vec![
            month(
                "2026-09-01",
                "2026-10-01",
                json!({"channel": "phone", "count:sum": 430}),
            ),
            month(
                "2026-10-01",
                "2026-11-01",
                json!({"channel": "digital", "count:sum": 3986}),
            ),
            month(
                "2026-10-01",
                "2026-11-01",
                json!({"channel": "phone", "count:sum": 343}),
            ),
        ]);
        let kept = without_gaps(&by_channel, rows.clone(), &gaps);
        assert_eq!(kept[0], rows[0]);
        assert_eq!(kept[1], rows[1], "digital missed nothing");
        assert_eq!(kept[2]["count:sum"], serde_json::Value::Null);
        assert_eq!(kept[2]["channel"], "phone");
        assert_eq!(kept[2]["_start_at"], rows[2]["_start_at"]);
        // Every channel together: October has no figure; digital alone: it has.
        let total = module(
            ModuleType::GroupedTimeseries,
            "period=month&collect=count:sum",
            json!({}),
        );
        let rows = std::sync::Arc::new(vec![month(
            "2026-10-01",
            "2026-11-01",
            json!({"count:sum": 4329}),
        )]);
        assert_eq!(
            without_gaps(&total, rows.clone(), &gaps)[0]["count:sum"],
            serde_json::Value::Null
        );
        let digital = module(
            ModuleType::GroupedTimeseries,
            "period=month&filter_by=channel:digital&collect=count:sum",
            json!({}),
        );
        assert_eq!(without_gaps(&digital, rows.clone(), &gaps)[0], rows[0]);
        // No gaps, or data of no parts: the answer as it is.
        assert!(std::sync::Arc::ptr_eq(
            &without_gaps(&total, rows.clone(), &Gaps::default()),
            &rows
        ));
        // Figures from 9 September: September is no month of figures.
        let from_ninth = Gaps {
            parts: Vec::new(),
            first_whole: Some(t("2026-09-07T00:00:00Z")),
        };
        let months = std::sync::Arc::new(vec![
            month("2026-09-01", "2026-10-01", json!({"count:sum": 3000})),
            month("2026-10-01", "2026-11-01", json!({"count:sum": 4329})),
        ]);
        let kept = without_gaps(&total, months.clone(), &from_ninth);
        assert_eq!(kept[0]["count:sum"], serde_json::Value::Null);
        assert_eq!(kept[1], months[1]);
    }

    #[test]
    fn the_periods_a_gap_leaves_with_no_figure_say_why() {
        use crate::model::Period;
        use crate::modules::fixtures::{module, t};
        let year = |y: i32| Period {
            kind: PeriodKind::Year,
            start: t(&format!("{y}-01-01T00:00:00Z")),
            end: t(&format!("{}-01-01T00:00:00Z", y + 1)),
        };
        let total = module(
            ModuleType::GroupedTimeseries,
            "period=year&collect=count:sum",
            serde_json::json!({"labels": {"phone": "By phone"}}),
        );
        // Weekly figures from Monday 6 January 2025, shown by year.
        let from_sixth = Gaps {
            parts: Vec::new(),
            first_whole: Some(t("2025-01-06T00:00:00Z")),
        };
        assert_eq!(
            gap_note(&total, &[year(2025), year(2026)], &from_sixth).as_deref(),
            Some("Jan to Dec 2025 has no figure: the data begins on 6 January 2025, part-way through it.")
        );
        // Shown from 2026 only, or from a first whole year: nothing to say.
        assert_eq!(gap_note(&total, &[year(2026)], &from_sixth), None);
        let from_new_year = Gaps {
            parts: Vec::new(),
            first_whole: Some(t("2025-01-01T00:00:00Z")),
        };
        assert_eq!(gap_note(&total, &[year(2025)], &from_new_year), None);
        // Four gaps of phone and one of post: three named (by the module's
        // labels), the rest counted; a gap outside the periods shown is not.
        let gap = |part: &str, start: &str, end: &str| PartGap {
            part: part.into(),
            start: t(&format!("{start}T00:00:00Z")),
            end: t(&format!("{end}T00:00:00Z")),
        };
        let gaps = Gaps {
            parts: vec![
                gap("phone", "2024-03-04", "2024-03-11"),
                gap("phone", "2025-03-03", "2025-03-17"),
                gap("post", "2025-05-05", "2025-05-12"),
                gap("phone", "2025-07-07", "2025-07-14"),
                gap("phone", "2025-09-01", "2025-09-08"),
            ],
            first_whole: None,
        };
        assert_eq!(
            gap_note(&total, &[year(2025)], &gaps).as_deref(),
            Some(
                "By phone sent no figures for 3 to 16 March 2025, Post sent no figures for \
                 5 to 11 May 2025, By phone sent no figures for 7 to 13 July 2025 and 1 more \
                 gap: a period holding such a gap shows no figure for the part, nor a total \
                 of the parts."
            )
        );
        // A module of post alone names post's gap alone.
        let post = module(
            ModuleType::GroupedTimeseries,
            "period=year&filter_by=channel:post&collect=count:sum",
            serde_json::json!({}),
        );
        assert_eq!(
            gap_note(&post, &[year(2025)], &gaps).as_deref(),
            Some(
                "Post sent no figures for 5 to 11 May 2025: a period holding such a gap \
                 shows no figure for the part, nor a total of the parts."
            )
        );
    }

    #[test]
    fn figures_begun_before_the_first_record_are_no_whole_figures_whatever_the_data_type() {
        use crate::modules::fixtures::{module, t};
        let sums = |data_set: &str| Module {
            data_set: Some(data_set.into()),
            ..module(
                ModuleType::SingleTimeseries,
                "period=week&collect=count:sum",
                serde_json::json!({}),
            )
        };
        let freshness = |data_set: &str, frequency: Option<PeriodKind>| Freshness {
            data_set: data_set.into(),
            data_type: data_set.split('/').nth(1).unwrap_or_default().into(),
            last_received: None,
            newest_record: None,
            newest_whole: None,
            // Daily figures from Wednesday 29 December 2021.
            oldest_record: Some(t("2021-12-29T00:00:00Z")),
            max_age_expected: None,
            out_of_date: false,
            frequency,
            checked_at: t("2026-11-30T00:00:00Z"),
            gaps: Vec::new(),
        };
        // A type of the catalogue, sent by the week: from its first week.
        let weekly = gaps_of(
            &sums("renew/transactions-by-channel"),
            &[freshness(
                "renew/transactions-by-channel",
                Some(PeriodKind::Week),
            )],
        );
        assert_eq!(weekly.first_whole, Some(t("2021-12-27T00:00:00Z")));
        // A type Pulse does not know: the week of 27 December holds its
        // first record's day and the four after, not seven: no whole figure.
        let unknown = gaps_of(
            &sums("renew/visits-by-day"),
            &[freshness("renew/visits-by-day", None)],
        );
        assert_eq!(unknown.first_whole, Some(t("2021-12-29T00:00:00Z")));
        // A mean or a level is whole however little went into it.
        let mean = Module {
            query: "period=week&collect=seconds:mean".into(),
            ..sums("renew/visits-by-day")
        };
        assert_eq!(
            gaps_of(&mean, &[freshness("renew/visits-by-day", None)]).first_whole,
            None
        );
    }

    #[test]
    fn a_page_keeps_the_first_modules_sections_and_theirs_counted() {
        use crate::modules::fixtures::module;
        let named = |slug: &str, children: Vec<Module>| Module {
            slug: slug.into(),
            modules: children,
            ..module(ModuleType::Section, "", serde_json::json!({}))
        };
        let mut modules = vec![
            named("a", vec![]),
            named(
                "s",
                vec![
                    named("s1", vec![]),
                    named("s2", vec![]),
                    named("s3", vec![]),
                ],
            ),
            named("b", vec![]),
        ];
        assert_eq!(count_modules(&modules), 6);
        let mut room = 3;
        keep_first(&mut modules, &mut room);
        // a, the section and its first module.
        assert_eq!(count_modules(&modules), 3);
        assert_eq!(room, 0);
        assert_eq!(modules.len(), 2);
        assert_eq!(modules[1].modules.len(), 1);
        assert_eq!(modules[1].modules[0].slug, "s1");
    }

    #[test]
    fn a_page_shows_figures_in_page_order_while_they_fit_its_bound() {
        let ten = || daily(10, 1000);
        let modules = vec![
            loaded("a", ten()),
            loaded("b", ten()),
            loaded("c", ten()),
            loaded("d", ten()),
            loaded("e", daily(9, 1000)),
            loaded("f", daily(6, 1000)),
            loaded("g", daily(1, 1000)),
            loaded("h", daily(1, 1)),
        ];
        let shown = within_page_bound(modules.clone());
        // a to e make 49,000, shown whole.
        assert_eq!(shown[..5], modules[..5]);
        // f's 6,000 would take the page past 50,000: said, and nothing of it sent.
        let f = &shown[5];
        assert_eq!(f.figures, Err(past_page_bound("6,000")));
        assert_eq!((f.history.as_ref(), f.previous_year.as_ref()), (None, None));
        assert_eq!(f.request, modules[5].request);
        let said = f.figures.as_ref().unwrap_err();
        assert!(
            said.contains("at most 50,000") && said.contains("6,000 more"),
            "{said}"
        );
        // g's 1,000 still fit (50,000 in all); h's one does not.
        assert_eq!(shown[6], modules[6]);
        assert_eq!(shown[7].figures, Err(past_page_bound("1")));
    }
}
