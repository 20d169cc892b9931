//! `/compare?services=a,b,c&kpi=...&period=...&scale=...`: services side by
//! side on one KPI. The address reproduces the comparison; the controls are a
//! GET form (instant with JavaScript). One chart overlays the services (values,
//! indexed to 100, or shares of the total) with their targets and notes; a
//! table ranks their latest figures, and another holds every figure.

use crate::components::scroll_table::ScrollTable;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::params::ParamsMap;

use crate::api;
use crate::api::ApiError;
use crate::boards::{indexed, ranks, shares, ComparedService, Comparison, Portfolio, Scale, KPIS};
use crate::components::chart::{compare_chart, Chart, ComparedLine, PALETTE};
use crate::components::navigation::use_go;
use crate::components::problem::ProblemSummary;
use crate::components::table_toggle::TableToggle;
use crate::kpi::period_rank;
use crate::kpi::{
    change_over, format_change_in, format_date, format_period, format_value, period_before,
    year_earlier,
};
use crate::model::{KpiKind, Period, PeriodKind, Unit};
use crate::query_string;

const PERIODS: [(PeriodKind, &str); 4] = [
    (PeriodKind::Week, "Weeks"),
    (PeriodKind::Month, "Months"),
    (PeriodKind::Quarter, "Quarters"),
    (PeriodKind::Year, "Years"),
];

/// The comparison's address as a query string, with `changes` applied (an
/// empty value removes a parameter). A service `add`ed (by the form that adds
/// one, which works without JavaScript) joins `services`.
fn query_of(q: &ParamsMap, changes: &[(&str, &str)]) -> String {
    query_string::encode(&query_string::kept(
        &["services", "kpi", "period", "scale"],
        |field| match field {
            "services" => Some(services_of(q)),
            _ => q.get(field),
        },
        changes,
    ))
}

/// The services compared: `services`, then a service `add`ed that is not
/// among them already.
fn services_of(q: &ParamsMap) -> String {
    let services = q.get("services").unwrap_or_default();
    let add = q.get("add").unwrap_or_default();
    let add = add.trim();
    if add.is_empty() || services.split(',').any(|s| s.trim() == add) {
        services
    } else if services.trim().is_empty() {
        add.to_string()
    } else {
        format!("{services},{add}")
    }
}

#[component]
pub fn ComparePage() -> impl IntoView {
    let query = use_query_map();
    // The API is asked for what it knows (not the scale, which is drawn here).
    let api_query = move || query.with(|q| query_of(q, &[("scale", "")]));
    // The scale is drawn here, but a change of it draws the page again.
    let key = move || (api_query(), query.with(|q| q.get("scale")));
    let data = Resource::new(key, |(q, _scale)| async move {
        if query_string::param(&q, "services").is_some() {
            api::compare(q).await.map(Some)
        } else {
            Ok(None)
        }
    });
    provide_context(Going(StoredValue::new(None)));
    provide_context(JustAdded(StoredValue::new(false)));
    provide_context(Asked(StoredValue::new((
        query.with_untracked(asked_in),
        None,
    ))));
    // Every service, for the form that adds one (asked for once).
    provide_context(AllServices(Resource::new(|| (), |_| api::services())));
    // A portfolio's name typed is kept while the comparison is drawn again
    // (a measure or period chosen after it).
    provide_context(PortfolioName(
        RwSignal::new(String::new()),
        Resource::new(|| (), |_| api::session()),
    ));
    view! {
        <Title text="Compare services - Pulse"/>
        <h1 class="govuk-heading-xl">"Compare services"</h1>
        <Transition fallback=|| view! { <p class="govuk-body">"Loading the comparison…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(Some(c)) => view! { <ComparisonView c/> }.into_any(),
                    Ok(None) => view! {
                        <p class="govuk-body-l" id="compare-empty">"Choose services to compare."</p>
                        <p class="govuk-body">
                            "Drag services into the compare tray, or press their Add to comparison buttons, on "
                            <a class="govuk-link" href="/services">"Explore services"</a>
                            " or on any dashboard; then press Compare in the tray."
                        </p>
                        <AddService compared=Vec::new()/>
                    }.into_any(),
                    Err(error) => view! { <ComparisonError error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// Why a comparison could not be drawn, under the page's own heading (so the
/// page keeps one `h1`), with the way on it offers before the way to every
/// service.
#[component]
fn ComparisonError(error: ApiError) -> impl IntoView {
    super::set_status(error.status());
    let missing = error.is_not_found();
    view! {
        <h2 class="govuk-heading-l">
            {if missing { "Page not found" } else { "Sorry, there is a problem" }}
        </h2>
        <p class="govuk-body" id="compare-problem">{error.to_string()}</p>
        {missing.then(|| view! { <CompareTheOthers/> })}
        <p class="govuk-body"><a class="govuk-link" href="/">"See all services"</a></p>
    }
}

/// Where a comparison names a service that does not exist (a hand-made
/// address, or a service gone since the link was kept), a way to compare
/// those that do, the measure and period kept.
#[component]
fn CompareTheOthers() -> impl IntoView {
    let AllServices(all) = expect_context::<AllServices>();
    let query = use_query_map();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let all = all.await.map(|l| l.services).unwrap_or_default();
                let named = query.with_untracked(services_of);
                let mut known: Vec<&crate::model::ServiceListing> = Vec::new();
                for slug in named.split(',').map(str::trim) {
                    match all.iter().find(|s| s.slug == slug) {
                        Some(s) if !known.iter().any(|k| k.slug == s.slug) => known.push(s),
                        _ => {}
                    }
                }
                if known.is_empty() {
                    return ().into_any();
                }
                let slugs = known.iter().map(|s| s.slug.as_str()).collect::<Vec<_>>().join(",");
                let titles = known.iter().map(|s| s.title.clone()).collect::<Vec<_>>();
                let href = query.with_untracked(|q| {
                    query_string::href("/compare", &query_of(q, &[("services", &slugs)]))
                });
                view! {
                    <p class="govuk-body">
                        <a class="govuk-link" id="compare-the-others" href=href>
                            {format!("Compare only {}", crate::kpi::in_words(&titles))}
                        </a>
                    </p>
                }
                .into_any()
            })}
        </Suspense>
    }
}

/// A change, or why there is none: "too few to compare" where the period
/// compared with has a figure that the comparison withheld (a rate out of
/// fewer than 30, either one), else "no data".
fn format_change_or_none(unit: Unit, c: Option<f64>, withheld: bool) -> String {
    match c {
        Some(c) => format_change_in(unit, c),
        None if withheld => "too few to compare".into(),
        None => "no data".into(),
    }
}

/// Whether `s` has a figure for the period `then` of its latest that the
/// comparison gave no value to compare with (`given`).
fn withheld(
    c: &Comparison,
    s: &ComparedService,
    then: fn(&Period) -> Period,
    given: Option<f64>,
) -> bool {
    given.is_none()
        && s.latest_period
            .as_ref()
            .map(then)
            .and_then(|back| c.periods.iter().position(|p| p.start == back.start))
            .and_then(|i| s.values.get(i).copied().flatten())
            .is_some()
}

/// The best of `values` (highest, or lowest when lower is better).
fn best(values: &[Option<f64>], higher_is_better: bool) -> Option<f64> {
    values
        .iter()
        .flatten()
        .copied()
        .reduce(|a, b| if (b > a) == higher_is_better { b } else { a })
}

/// The query a choice just made sends the comparison to, until it goes there
/// (on the next frame): a choice made before then starts from it (two made
/// quickly lost the first: the address still had the one before it).
#[derive(Clone, Copy)]
struct Going(StoredValue<Option<String>>);

/// Whether a service was just added by the form: the comparison drawn again
/// gives the keyboard focus back to the form (or, at six services, where the
/// form has gone, to the measure), not to the page.
#[derive(Clone, Copy)]
struct JustAdded(StoredValue<bool>);

impl Going {
    /// The comparison's query when a control is used: where a choice just
    /// made is going, else the page's (while the comparison reloads, the
    /// controls still shown are those drawn before, whose own view of the
    /// URL has gone: then the address bar's).
    fn query(self, query: Memo<ParamsMap>) -> Option<ParamsMap> {
        self.0
            .try_get_value()
            .flatten()
            .map(|q| query_string::pairs(&q).into_iter().collect())
            .or_else(|| query.try_with_untracked(ParamsMap::clone))
            .or_else(crate::components::view_controls::address_query)
    }

    /// Sends the comparison to `next` (a query string).
    fn to(self, go: &impl Fn(String), next: String) {
        self.0.try_set_value(Some(next.clone()));
        go(query_string::href("/compare", &next));
        // Gone there: frames' callbacks run in the order asked for.
        request_animation_frame(move || {
            self.0.try_set_value(None);
        });
    }
}

/// The period the person asked for: the address's when the page was
/// opened (unless it is only the measure's own, below), then each one
/// chosen. A measure collected by coarser periods is shown by them (costs
/// by quarter), and a measure chosen after it by the one asked for again
/// (satisfaction by months after costs, not by the costs' quarters). With
/// it, the period the controls last sent the comparison to: an address
/// with another (Back, Forward) is read again for what it asks.
#[derive(Clone, Copy)]
struct Asked(StoredValue<(Option<PeriodKind>, Option<PeriodKind>)>);

/// The period named `key`, one a comparison is shown by.
fn period_of(key: &str) -> Option<PeriodKind> {
    PERIODS
        .iter()
        .find(|(k, _)| k.as_str() == key)
        .map(|(k, _)| *k)
}

/// The period an address asks for: none where it is the measure's finest
/// and coarser than months, the default (what choosing costs gives: a
/// comparison of costs kept, or opened again, is not asked for by quarter).
fn asked_in(q: &ParamsMap) -> Option<PeriodKind> {
    let finest = (q.get("kpi").and_then(|k| KpiKind::from_key(&k)))
        .unwrap_or(KpiKind::Transactions)
        .finest_period();
    q.get("period")
        .and_then(|p| period_of(&p))
        .filter(|p| !(*p == finest && period_rank(*p) > period_rank(PeriodKind::Month)))
}

/// The period a comparison of a measure collected by `finest` periods is
/// shown by: the one asked for (else months), or `finest` where that is
/// coarser.
fn period_shown(asked: Option<PeriodKind>, finest: PeriodKind) -> PeriodKind {
    let asked = asked.unwrap_or(PeriodKind::Month);
    if period_rank(finest) > period_rank(asked) {
        finest
    } else {
        asked
    }
}

/// Every service (`GET /api/v1/services`), for [`AddService`].
#[derive(Clone, Copy)]
struct AllServices(Resource<Result<crate::model::ServiceList, crate::api::ApiError>>);

/// A GET form that adds a service to the comparison (the others and the
/// controls' choices kept), one not compared yet: how a comparison is made
/// without JavaScript, and from the comparison itself with it (then without
/// loading the page again).
#[component]
fn AddService(compared: Vec<String>) -> impl IntoView {
    let AllServices(all) = expect_context::<AllServices>();
    let going = expect_context::<Going>();
    let JustAdded(just_added) = expect_context::<JustAdded>();
    let query = use_query_map();
    let go = use_go(false);
    let compared = std::sync::Arc::new(compared);
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let compared = compared.clone();
                let go = go.clone();
                Suspend::new(async move {
                    let mut choices: Vec<_> = all
                        .await
                        .map(|l| l.services)
                        .unwrap_or_default()
                        .into_iter()
                        .filter(|s| !compared.contains(&s.slug))
                        .collect();
                    choices.sort_by(|a, b| a.title.cmp(&b.title));
                    if just_added.try_get_value() == Some(true) {
                        just_added.try_set_value(false);
                        crate::components::navigation::focus_soon(vec![
                            "compare-add-service".into(),
                            "compare-kpi".into(),
                        ]);
                    }
                    if compared.len() >= crate::boards::COMPARE_LIMIT || choices.is_empty() {
                        return ().into_any();
                    }
                    let kept = query.with_untracked(|q| query_string::pairs(&query_of(q, &[])));
                    let submit = move |ev: leptos::ev::SubmitEvent| {
                        ev.prevent_default();
                        let Some(add) = crate::components::form_value(&ev, "#compare-add-service") else {
                            return;
                        };
                        if let Some(mut q) = going.query(query) {
                            just_added.try_set_value(true);
                            q.insert("add", add);
                            going.to(&go, query_of(&q, &[]));
                        }
                    };
                    view! {
                        <form method="get" action="/compare" class="pulse-compare-add" id="compare-add" on:submit=submit>
                            {kept.into_iter().map(|(k, v)| view! { <input type="hidden" name=k value=v/> }).collect_view()}
                            <div class="govuk-form-group">
                                <label class="govuk-label" for="compare-add-service">"Add a service"</label>
                                <div class="govuk-hint" id="compare-add-hint">{format!(
                                    "One at a time, up to {} services.", crate::boards::COMPARE_LIMIT
                                )}</div>
                                <select class="govuk-select" id="compare-add-service" name="add" aria-describedby="compare-add-hint">
                                    {choices.into_iter().map(|s| view! { <option value=s.slug>{s.title}</option> }).collect_view()}
                                </select>
                            </div>
                            <button type="submit" class="govuk-button govuk-button--secondary" id="compare-add-button">"Add to the comparison"</button>
                        </form>
                    }
                    .into_any()
                })
            }}
        </Suspense>
    }
}

#[component]
fn ComparisonView(c: Comparison) -> impl IntoView {
    let query = use_query_map();
    let going = expect_context::<Going>();
    let Asked(asked) = expect_context::<Asked>();
    let go = use_go(false);
    let scale = query
        .with_untracked(|q| q.get("scale").and_then(|s| Scale::from_key(&s)))
        .unwrap_or_default();
    // Shares of a total only make sense for counts.
    let scale = if scale == Scale::Share && c.kpi != KpiKind::Transactions {
        Scale::Absolute
    } else {
        scale
    };
    let kpi = c.kpi;
    let unit = kpi.unit();
    let raw: Vec<Vec<Option<f64>>> = c.services.iter().map(|s| s.values.clone()).collect();
    // Rates of a handful in each period: drawn apart, and no index's base.
    let few: Vec<Vec<bool>> = (c.services.iter())
        .map(|s| {
            (s.bases.iter())
                .map(|b| crate::kpi::low_base_words(kpi, *b).is_some())
                .collect()
        })
        .collect();
    let (scaled, chart_unit, axis): (Vec<Vec<Option<f64>>>, Unit, &str) = match scale {
        Scale::Absolute => (raw.clone(), unit, ""),
        Scale::Indexed => (
            indexed(&raw, &c.periods, kpi == KpiKind::Transactions, &few),
            Unit::Number,
            "Index (first shared = 100)",
        ),
        Scale::Share => (shares(&raw), Unit::Ratio, "Share of the total"),
    };
    // Notes, numbered in time order across services.
    let mut notes: Vec<(usize, usize, crate::model::Annotation)> = Vec::new();
    for (s, service) in c.services.iter().enumerate() {
        for n in &service.annotations {
            // Found among the periods, not worked out: no date arithmetic on
            // a note's time, which may be any a key once stored.
            let at = n.starts_at;
            if let Some(i) = c.periods.iter().position(|p| p.start <= at && at < p.end) {
                notes.push((s, i, n.clone()));
            }
        }
    }
    notes.sort_by_key(|(_, _, n)| n.starts_at);
    let lines: Vec<ComparedLine> = c
        .services
        .iter()
        .zip(&scaled)
        .enumerate()
        .map(|(s, (service, values))| ComparedLine {
            name: service.service.title.clone(),
            values: values.clone(),
            few: few[s].clone(),
            target: if scale == Scale::Absolute {
                service.target.clone()
            } else {
                Vec::new()
            },
            pins: notes
                .iter()
                .enumerate()
                .filter(|(_, (x, _, _))| *x == s)
                .map(|(number, (_, at, _))| (*at, number + 1))
                .collect(),
        })
        .collect();
    let option = compare_chart(&c.periods, chart_unit, axis, &lines);
    let names: Vec<String> = c.services.iter().map(|s| s.service.title.clone()).collect();
    let label = format!(
        "{} by {} for {}: the figures are in the tables below.",
        kpi.title(),
        c.period.as_str(),
        names.join(", ")
    );

    // The side-by-side table. Services are ranked and marked best only
    // among those whose latest figures are of the same, newest period.
    let same_period = c.of_the_latest_period();
    let ranked = |values: &[Option<f64>]| -> Vec<Option<f64>> {
        values
            .iter()
            .zip(&same_period)
            .map(|(v, same)| v.filter(|_| *same))
            .collect()
    };
    let latest: Vec<Option<f64>> = c.services.iter().map(|s| s.latest).collect();
    // Volumes of periods of different lengths compared per day.
    let change = |s: &ComparedService, then: fn(&Period) -> Period, earlier: Option<f64>| {
        let now = s.latest_period.as_ref()?;
        change_over(
            unit,
            c.kpi == KpiKind::Transactions,
            now,
            s.latest,
            &then(now),
            earlier,
        )
    };
    let on_previous: Vec<Option<f64>> = c
        .services
        .iter()
        .map(|s| change(s, period_before, s.previous))
        .collect();
    let on_year: Vec<Option<f64>> = c
        .services
        .iter()
        .map(|s| change(s, year_earlier, s.year_earlier))
        .collect();
    let up = kpi.higher_is_better();
    let rank = ranks(&ranked(&latest), up);
    // Why those with figures are not ranked: too few, or of another time.
    let few = |s: &ComparedService| crate::kpi::low_base_words(kpi, s.base);
    let unranked = c
        .services
        .iter()
        .zip(&same_period)
        .filter(|(s, same)| s.latest.is_some() && !**same && few(s).is_none())
        .count();
    let (latest, by_previous, by_year) = (ranked(&latest), ranked(&on_previous), ranked(&on_year));
    let (best_latest, best_previous, best_year) = (
        best(&latest, up),
        best(&by_previous, up),
        best(&by_year, up),
    );
    // Best of one is no ranking: a column marks a best only among two or
    // more of its figures.
    let several = same_period.iter().filter(|same| **same).count() > 1;
    let two = |values: &[Option<f64>]| values.iter().flatten().count() > 1;
    let (several_previous, several_year) = (two(&by_previous), two(&by_year));
    // A volume is not a performance: the busiest service is not the "best".
    let judged = kpi != KpiKind::Transactions;
    let mark = move |is_best: bool| {
        (judged && is_best).then(
            || view! { " "<strong class="govuk-tag govuk-tag--green pulse-best">"Best"</strong> },
        )
    };
    let rows = c
        .services
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let colour = PALETTE[i % PALETTE.len()];
            let when = s
                .latest_period
                .as_ref()
                .map(|p| format!(" ({})", format_period(p)))
                .unwrap_or_default();
            view! {
                <tr class="govuk-table__row" data-slug=s.service.slug.clone()>
                    <th scope="row" class="govuk-table__header">
                        <span class="pulse-swatch" style=format!("background:{colour}") aria-hidden="true"></span>
                        <a class="govuk-link" href=format!("/services/{}", s.service.slug)>{s.service.title.clone()}</a>
                    </th>
                    <td class="govuk-table__cell govuk-table__cell--numeric" data-column="latest">
                        {format_value(s.latest, unit)}<span class="govuk-body-s">{when}</span>
                        {crate::components::kpi_tile::low_base_note(kpi, s.base)}
                        {mark(several && latest[i].is_some() && latest[i] == best_latest)}
                    </td>
                    <td class="govuk-table__cell govuk-table__cell--numeric" data-column="previous">
                        {format_change_or_none(unit, on_previous[i], withheld(&c, s, period_before, s.previous))}
                        {mark(several_previous && by_previous[i].is_some() && by_previous[i] == best_previous)}
                    </td>
                    <td class="govuk-table__cell govuk-table__cell--numeric" data-column="year">
                        {format_change_or_none(unit, on_year[i], withheld(&c, s, year_earlier, s.year_earlier))}
                        {mark(several_year && by_year[i].is_some() && by_year[i] == best_year)}
                    </td>
                    <td class="govuk-table__cell govuk-table__cell--numeric" data-column="rank">
                        {rank[i].filter(|_| several).map(|r| r.to_string()).unwrap_or_else(|| "–".into())}
                        {mark(several && rank[i] == Some(1))}
                    </td>
                </tr>
            }
        })
        .collect_view();
    let missing = c
        .services
        .iter()
        .filter_map(|s| s.missing.clone())
        .map(|m| view! { <div class="govuk-inset-text pulse-missing">{m}</div> })
        .collect_view();
    let note_list = (!notes.is_empty()).then(|| {
        view! {
            <h2 class="govuk-heading-m">"Notes on the chart"</h2>
            <ol class="govuk-list govuk-list--number" id="compare-notes">
                {notes.iter().map(|(s, _, n)| view! {
                    <li>
                        <strong>{c.services[*s].service.title.clone()}</strong>
                        {format!(", {}: ", format_date(n.starts_at))}
                        {n.text.clone()}
                    </li>
                }).collect_view()}
            </ol>
        }
    });
    let axis = c.periods.clone();
    // Every figure, a column per service.
    let figure_rows = c
        .periods
        .iter()
        .enumerate()
        .map(|(p, period)| {
            view! {
                <tr class="govuk-table__row">
                    <th scope="row" class="govuk-table__header">{format_period(period)}</th>
                    {scaled.iter().zip(&c.services).map(|(values, service)| {
                        let value = values.get(p).copied().flatten();
                        // A rate of too few is given with its words, as a
                        // dashboard's table gives it.
                        let words = value
                            .and_then(|_| crate::kpi::low_base_words(kpi, service.bases.get(p).copied().flatten()))
                            .map(|w| format!(" ({w})"));
                        view! {
                            <td class="govuk-table__cell govuk-table__cell--numeric">
                                {format_value(value, chart_unit)}{words}
                            </td>
                        }
                    }).collect_view()}
                </tr>
            }
        })
        .collect_view();

    // The controls: a GET form; with JavaScript a change applies at once.
    let services = query.with_untracked(services_of);
    let apply = move |field: &'static str| {
        let go = go.clone();
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            // (from where a choice just made is going: see `Going`)
            if let Some(q) = going.query(query) {
                // A measure comes by the periods it is collected by at the
                // finest (costs by quarter, satisfaction by month), in the
                // address too, else by the period last asked for (see
                // `Asked`): whichever is chosen (a period chosen on the
                // controls drawn before a measure chosen just now too).
                let mut changes = vec![(field, value.clone())];
                let shown = q
                    .get("period")
                    .and_then(|p| period_of(&p))
                    .unwrap_or(PeriodKind::Month);
                let (mut wanted, sent) = asked.try_get_value().unwrap_or_default();
                if sent.is_some_and(|sent| sent != shown) {
                    wanted = asked_in(&q);
                }
                if field == "period" {
                    wanted = period_of(&value);
                }
                if field == "kpi" || field == "period" {
                    let kpi = if field == "kpi" {
                        Some(value.clone())
                    } else {
                        q.get("kpi")
                    };
                    let finest = (kpi.and_then(|k| KpiKind::from_key(&k)))
                        .unwrap_or(KpiKind::Transactions)
                        .finest_period();
                    let period = period_shown(wanted, finest);
                    changes.retain(|(f, _)| *f != "period");
                    if period != shown || field == "period" {
                        changes.push(("period", period.as_str().to_string()));
                    }
                    asked.try_set_value((wanted, Some(period)));
                }
                let changes: Vec<(&str, &str)> =
                    changes.iter().map(|(f, v)| (*f, v.as_str())).collect();
                going.to(&go, query_of(&q, &changes));
            }
        }
    };
    // Only the periods the measure is collected by.
    let period_options = PERIODS
        .iter()
        .filter(|(k, _)| period_rank(*k) >= period_rank(kpi.finest_period()))
        .map(|(k, label)| {
            view! { <option value=k.as_str() selected=*k == c.period prop:selected=*k == c.period>{*label}</option> }
        })
        .collect_view();
    let scales = Scale::ALL
        .into_iter()
        .filter(|s| *s != Scale::Share || kpi == KpiKind::Transactions)
        .map(|s| {
            let id = format!("scale-{}", s.key());
            view! {
                <div class="govuk-radios__item">
                    <input class="govuk-radios__input" id=id.clone() name="scale" type="radio" value=s.key()
                        checked=s == scale on:change=apply("scale")/>
                    <label class="govuk-label govuk-radios__label" for=id>{s.label()}</label>
                </div>
            }
        })
        .collect_view();
    let slugs: Vec<String> = c.services.iter().map(|s| s.service.slug.clone()).collect();
    view! {
        <p class="govuk-body-l" id="compare-summary" aria-live="polite">
            {format!("{} of {} by {}.", kpi.title(), names.join(", "), c.period.as_str())}
        </p>
        <form method="get" action="/compare" class="pulse-compare-controls" id="compare-controls">
            <input type="hidden" name="services" value=services/>
            <div class="govuk-form-group">
                <label class="govuk-label" for="compare-kpi">"Measure"</label>
                <select class="govuk-select" id="compare-kpi" name="kpi" on:change=apply("kpi")>
                    {KPIS.into_iter().map(|k| view! { <option value=k.key() selected=k == kpi prop:selected=k == kpi>{k.title()}</option> }).collect_view()}
                </select>
            </div>
            <div class="govuk-form-group">
                <label class="govuk-label" for="compare-period">"Periods"</label>
                <select class="govuk-select" id="compare-period" name="period" on:change=apply("period")>{period_options}</select>
            </div>
            <div class="govuk-form-group">
                <fieldset class="govuk-fieldset">
                    <legend class="govuk-fieldset__legend govuk-fieldset__legend--s">"Show"</legend>
                    <div class="govuk-radios govuk-radios--small govuk-radios--inline">{scales}</div>
                </fieldset>
            </div>
            <button type="submit" class="govuk-button pulse-no-js-only">"Update"</button>
        </form>
        <AddService compared=slugs.clone()/>
        {missing}
        <Chart option=Signal::derive(move || option.clone()) label id="compare-chart" periods=axis/>
        {note_list}
        <ScrollTable label="Latest figures side by side"><table class="govuk-table" id="compare-table">
            <caption class="govuk-table__caption govuk-table__caption--m">{format!("{}: latest figures side by side", kpi.title())}</caption>
            <thead class="govuk-table__head">
                <tr class="govuk-table__row">
                    <th scope="col" class="govuk-table__header">"Service"</th>
                    <th scope="col" class="govuk-table__header govuk-table__header--numeric">"Latest"</th>
                    <th scope="col" class="govuk-table__header govuk-table__header--numeric">"Change on the period before"</th>
                    <th scope="col" class="govuk-table__header govuk-table__header--numeric">"Change on a year earlier"</th>
                    <th scope="col" class="govuk-table__header govuk-table__header--numeric">"Rank"</th>
                </tr>
            </thead>
            <tbody class="govuk-table__body">{rows}</tbody>
        </table></ScrollTable>
        {(scale == Scale::Indexed).then(|| view! {
            <p class="govuk-body-s" id="compare-indexed">{
                if kpi == KpiKind::Transactions && c.period != PeriodKind::Week {
                    "The chart is indexed to 100 at the first period every service has figures for, each service's transactions a day, so months of different lengths compare."
                } else if unit == Unit::Ratio {
                    "The chart is indexed to 100 at the first period every service has a rate out of 30 or more for (a rate out of fewer is no base)."
                } else {
                    "The chart is indexed to 100 at the first period every service has figures for."
                }
            }</p>
        })}
        {(unit == Unit::Number && c.period != PeriodKind::Week).then(|| view! {
            <p class="govuk-body-s" id="compare-per-day">
                "Months, quarters and years differ in length, so their changes are of the transactions a day on average."
            </p>
        })}
        {(unranked > 0).then(|| view! {
            <p class="govuk-body-s" id="compare-unranked">{
                if several {
                    format!(
                        "{unranked} {} latest figures are of an earlier period than the others' {} not ranked: figures of different periods are not compared.",
                        if unranked == 1 { "service whose" } else { "services whose" },
                        if unranked == 1 { "is" } else { "are" },
                    )
                } else {
                    "The services' latest figures are of different periods, so none is ranked: figures of different periods are not compared.".to_string()
                }
            }</p>
        })}
        <TableToggle id="compare-figures" show="Show every figure as a table" hide="Hide the table of every figure">
            <div class="pulse-table-scroll">
                <table class="govuk-table">
                    <caption class="govuk-table__caption govuk-table__caption--s">{format!("{} by {}", kpi.title(), c.period.as_str())}</caption>
                    <thead class="govuk-table__head">
                        <tr class="govuk-table__row">
                            <th scope="col" class="govuk-table__header">"Period"</th>
                            {names.iter().map(|n| view! { <th scope="col" class="govuk-table__header govuk-table__header--numeric">{n.clone()}</th> }).collect_view()}
                        </tr>
                    </thead>
                    <tbody class="govuk-table__body">{figure_rows}</tbody>
                </table>
            </div>
        </TableToggle>
        <SavePortfolio slugs/>
    }
}

/// The name typed for a portfolio, kept by the page, and the page's session
/// (asked for once for the page: the form is drawn inside the comparison's
/// Transition, whose children run more than once on the server).
#[derive(Clone, Copy)]
struct PortfolioName(RwSignal<String>, crate::pages::SessionRead);

/// Saves the compared services as a portfolio (signed-in people).
#[component]
fn SavePortfolio(slugs: Vec<String>) -> impl IntoView {
    let PortfolioName(name, session) = expect_context::<PortfolioName>();
    // Kept by the handler, not in reactive state, and the name read from the
    // page: the form may be one drawn before the comparison reloaded, whose
    // state has gone (its Save panicked then).
    let slugs = std::sync::Arc::new(slugs);
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let slugs = slugs.clone();
                Suspend::new(async move {
                let Some((_, csrf)) = session.await.ok().and_then(|s| s.user.map(|u| (u, s.csrf_token.unwrap_or_default()))) else {
                    return view! {
                        <p class="govuk-body"><a class="govuk-link" href="/sign-in">"Sign in"</a>" to save these services as a portfolio board."</p>
                    }.into_any();
                };
                let problem = RwSignal::new(None::<String>);
                let navigate = use_navigate();
                let submit = move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    // Read when sent: what was typed before the page became
                    // interactive counts too.
                    let title = crate::components::form_value(&ev, "#portfolio-title").unwrap_or_default();
                    let body = api::body(&crate::boards::NewPortfolio { title, services: slugs.to_vec() });
                    let token = csrf.clone();
                    let navigate = navigate.clone();
                    spawn_local(async move {
                        match api::send_json::<Portfolio>("POST", "/api/v1/portfolios".into(), body, token).await {
                            Ok(p) => navigate(&format!("/boards/portfolio/{}", p.id), Default::default()),
                            Err(e) => problem.set(Some(e.to_string())),
                        }
                    });
                };
                view! {
                    <p class="govuk-inset-text pulse-no-js" id="save-portfolio-needs-js">
                        "Saving these services as a portfolio board needs JavaScript and WebAssembly, which this browser is not running."
                    </p>
                    <form class="pulse-save-portfolio pulse-js-only" id="save-portfolio" on:submit=submit novalidate>
                        <h2 class="govuk-heading-m">"Save as a portfolio"</h2>
                        <ProblemSummary problem id="portfolio-problem"/>
                        <div class="govuk-form-group">
                            <label class="govuk-label" for="portfolio-title">"Portfolio name"</label>
                            <div class="govuk-hint" id="portfolio-title-hint">"Its board has a link you can share."</div>
                            <input class="govuk-input govuk-!-width-two-thirds" id="portfolio-title" type="text"
                                aria-describedby="portfolio-title-hint"
                                prop:value=move || name.try_get().unwrap_or_default()
                                on:input=move |ev| { let _ = name.try_set(event_target_value(&ev)); }/>
                        </div>
                        <button type="submit" class="govuk-button" id="portfolio-save">"Save portfolio"</button>
                    </form>
                }.into_any()
            })}}
        </Suspense>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(query: &str) -> ParamsMap {
        let mut q = ParamsMap::new();
        for (k, v) in query_string::pairs(query) {
            q.insert(k, v);
        }
        q
    }

    #[test]
    fn a_measure_is_shown_by_the_period_asked_for_unless_it_is_coarser() {
        use PeriodKind::*;
        // Opened on costs by quarter: quarters are the measure's, not asked.
        assert_eq!(
            asked_in(&params("kpi=cost_per_transaction&period=quarter")),
            None
        );
        assert_eq!(
            asked_in(&params("kpi=cost_per_transaction&period=year")),
            Some(Year)
        );
        assert_eq!(
            asked_in(&params("kpi=transactions&period=quarter")),
            Some(Quarter)
        );
        assert_eq!(
            asked_in(&params("kpi=user_satisfaction&period=month")),
            Some(Month)
        );
        assert_eq!(asked_in(&params("period=week")), Some(Week));
        assert_eq!(asked_in(&params("period=fortnight")), None);
        // Satisfaction after costs: months again; transactions after weeks
        // were asked for: weeks; costs: quarters at the finest.
        assert_eq!(period_shown(None, Month), Month);
        assert_eq!(period_shown(None, Week), Month);
        assert_eq!(period_shown(Some(Week), Week), Week);
        assert_eq!(period_shown(Some(Week), Month), Month);
        assert_eq!(period_shown(Some(Week), Quarter), Quarter);
        assert_eq!(period_shown(Some(Year), Quarter), Year);
    }

    #[test]
    fn a_service_added_joins_those_compared_once() {
        assert_eq!(services_of(&params("services=a,b&add=c")), "a,b,c");
        assert_eq!(services_of(&params("services=a,b&add=b")), "a,b");
        assert_eq!(services_of(&params("add=c")), "c");
        assert_eq!(services_of(&params("services=a&add=")), "a");
        // The controls' address keeps the added service and drops `add`.
        assert_eq!(
            query_of(
                &params("services=a&add=c&kpi=digital_take_up"),
                &[("period", "week")]
            ),
            "services=a,c&kpi=digital_take_up&period=week"
        );
    }
}
