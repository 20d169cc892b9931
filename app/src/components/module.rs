//! A dashboard module in the page: its headline, chart, table of the same
//! figures, downloads, freshness and "About the data", for every module type.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::chart::{
    journey_chart, rate_chart, ratings_chart, time_chart, zooms, Chart, TimeStyle, RATINGS,
};
use crate::components::kpi_tile::change_line;
use crate::components::live::{LiveFigure, RankedList};
use crate::components::notes::{chart_notes, ChartFigures};
use crate::components::table_toggle::TableToggle;
use crate::components::view_controls::view_query;
use crate::kpi::{format_date, format_period, format_period_so_far, format_value};
use crate::model::{Freshness, KpiKind, Module, ModuleType, Unit};
use crate::modules::{
    data_url, download_name, table_data, unit, Figures, LatestFigure, LoadedModule, TableData,
    TimeFigures,
};
use crate::notes::chart_series;
use crate::query_string;

/// Whether a rise in the module's figure is good news: its `higher_is_better`
/// option, else true except for costs.
fn higher_is_better(module: &Module) -> bool {
    module
        .options
        .get("higher_is_better")
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(unit(module) != Unit::Pounds)
}

/// How each grouped chart of the page is shown ("Show as"), by module: kept
/// while the page's figures reload, which draws the modules again (a range
/// chosen after "Shares of 100%" showed lines again).
#[derive(Clone, Copy, Debug)]
pub struct ChosenStyles(StoredValue<std::collections::HashMap<String, TimeStyle>>);

impl ChosenStyles {
    /// Keeps the choices of the charts drawn inside the calling component.
    pub fn provide() {
        provide_context(Self(StoredValue::new(Default::default())));
    }
}

/// A headline figure: the value, the period it covers in words, the change on
/// the period before. "No data" when there is no value.
#[component]
pub fn Headline(
    #[prop(into)] figure: Signal<Option<LatestFigure>>,
    unit: Unit,
    higher_is_better: bool,
    /// Words after the period (e.g. the number of responses).
    #[prop(optional, into)]
    extra: Option<Signal<Option<String>>>,
    /// The figure adds records up (a volume: [`crate::modules::adds_up`]),
    /// so periods of different lengths are compared per day.
    #[prop(default = false)]
    volume: bool,
) -> impl IntoView {
    let value = move || figure.with(|f| format_value(f.as_ref().and_then(|f| f.value), unit));
    let period = move || {
        figure.with(
            |f| match f.as_ref().map(|f| (f.period.as_ref(), f.so_far)) {
                Some((Some(p), true)) => format_period_so_far(p),
                Some((Some(p), false)) => format_period(p),
                _ => "No figures yet".to_string(),
            },
        )
    };
    let change = move || {
        figure.with(|f| {
            let f = f.as_ref().filter(|f| !f.so_far)?;
            let now = f.period.as_ref()?;
            let before = crate::kpi::period_before(now);
            let per_day = crate::kpi::per_day(volume, now, &before);
            let change = crate::kpi::change_over(unit, volume, now, f.value, &before, f.previous)?;
            Some(change_line(change, unit, higher_is_better, per_day))
        })
    };
    view! {
        <div class="pulse-headline" aria-live="polite">
            <p class="pulse-kpi__value pulse-headline__value">{value}</p>
            <p class="pulse-kpi__period">{period}{move || extra.and_then(|e| e.get()).map(|e| format!(" · {e}"))}</p>
            {change}
        </div>
    }
}

/// A module: everything it shows. `full` is its own page (a sortable table
/// always shown, no link to itself); `level` is its heading's level (2 or 3).
#[component]
pub fn ModuleView(
    module: Module,
    loaded: Option<LoadedModule>,
    freshness: Option<Freshness>,
    #[prop(into)] dashboard: String,
    #[prop(default = false)] full: bool,
    #[prop(default = 2)] level: u8,
) -> impl IntoView {
    let href = format!("/{dashboard}/{}", module.slug);
    let title = module.title.clone();
    let heading = (!full).then(|| {
        let link = view! { <a class="govuk-link pulse-module__link" href=href.clone()>{title.clone()}</a> };
        if level <= 2 {
            view! { <h2 class="govuk-heading-m" id=format!("{}-heading", module.slug)>{link}</h2> }.into_any()
        } else {
            view! { <h3 class="govuk-heading-s" id=format!("{}-heading", module.slug)>{link}</h3> }.into_any()
        }
    });
    // On its own page the module's parts (notes, table) are under this.
    let heading = heading.or_else(|| {
        Some(view! { <h2 class="govuk-visually-hidden">"The figures"</h2> }.into_any())
    });
    let description = (!module.description.is_empty())
        .then(|| view! { <p class="govuk-body">{module.description.clone()}</p> });
    // The table the module shows, offers for download and draws its chart
    // beside: worked out once.
    let table = loaded.as_ref().and_then(|l| {
        let figures = l.figures.as_ref().ok()?;
        Some(table_data(
            &module,
            figures,
            l.previous_year.as_ref(),
            l.complete_until,
        ))
    });
    let body = match (&loaded, table.clone()) {
        (None, _) => {
            view! { <p class="govuk-body">"No figures: the module reads no data."</p> }.into_any()
        }
        (
            Some(LoadedModule {
                figures: Ok(figures),
                previous_year,
                complete_until,
                history,
                request,
                ..
            }),
            Some(table),
        ) => view! {
            <Figured module=module.clone() figures=figures.clone() previous=previous_year.clone()
                complete_until=*complete_until history=history.clone() table
                received=Some(*complete_until) full window=window_words(request.as_deref())/>
        }
        .into_any(),
        // The figures could not be read (with figures, there is a table).
        (Some(LoadedModule { figures, .. }), _) => view! {
            <div class="govuk-inset-text pulse-module__error">
                "These figures cannot be shown: " {figures.as_ref().err().cloned().unwrap_or_default()}
            </div>
        }
        .into_any(),
    };
    let downloads = loaded
        .as_ref()
        .map(|l| downloads(&dashboard, &module, l, table.as_ref()));
    let scale = loaded
        .as_ref()
        .and_then(|l| l.scale_note.clone())
        .map(|note| view! { <p class="govuk-body-s pulse-module__scale">{note}</p> });
    let fresh = freshness.map(|f| view! { <FreshnessLine freshness=f/> });
    let about = (!module.info.is_empty()).then(|| {
        if full {
            view! {
                <h2 class="govuk-heading-m">"About the data"</h2>
                <p class="govuk-body pulse-module__info">{module.info.clone()}</p>
            }
            .into_any()
        } else {
            view! {
                <h4 class="govuk-heading-s govuk-!-margin-bottom-1">"About the data"</h4>
                <p class="govuk-body-s pulse-module__info">{module.info.clone()}</p>
            }
            .into_any()
        }
    });
    // On a dashboard, what is behind the figures is one disclosure per module.
    let data = if full {
        view! { {downloads}{fresh}{about} }.into_any()
    } else {
        view! {
            <details class="govuk-details pulse-module__data" id=format!("{}-data", module.slug)>
                <summary class="govuk-details__summary">
                    <span class="govuk-details__summary-text">
                        "Data and downloads"<span class="govuk-visually-hidden">{format!(": {}", module.title)}</span>
                    </span>
                </summary>
                <div class="govuk-details__text">{fresh}{downloads}{about}</div>
            </details>
        }
        .into_any()
    };
    let type_name = serde_json::to_value(module.module_type)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    view! {
        <section class="pulse-module" id=format!("module-{}", module.slug) data-module-type=type_name
            aria-labelledby=(!full).then(|| format!("{}-heading", module.slug))>
            {heading}
            {description}
            {body}
            {scale}
            {data}
        </section>
    }
}

/// The module's table as CSV and JSON (the same columns, headings and words,
/// named by what they show), and the read API request behind it for
/// developers. The files are in the links themselves, so they download as
/// shown, with or without JavaScript.
fn downloads(
    dashboard: &str,
    module: &Module,
    loaded: &LoadedModule,
    table: Option<&TableData>,
) -> impl IntoView {
    let slug = module.slug.clone();
    let hidden = format!(" of {}", module.title);
    let files = loaded
        .figures
        .as_ref()
        .ok()
        .zip(table)
        .map(|(figures, table)| {
            let csv = data_url("text/csv", &table.to_csv());
            let json = data_url("application/json", &table.to_json(&module.title));
            let (csv_name, json_name) = (
                download_name(dashboard, &slug, figures, "csv"),
                download_name(dashboard, &slug, figures, "json"),
            );
            view! {
                "Download the table: "
                <a class="govuk-link" id=format!("{slug}-csv") href=csv download=csv_name>
                    "CSV"<span class="govuk-visually-hidden">{hidden.clone()}</span></a>
                ", "
                <a class="govuk-link" id=format!("{slug}-json") href=json download=json_name>
                    "JSON"<span class="govuk-visually-hidden">{hidden.clone()}</span></a>
                ". "
            }
        });
    let api = loaded.request.clone().map(|request| {
        view! {
            <a class="govuk-link" id=format!("{slug}-api") href=request>
                "The API query behind it"<span class="govuk-visually-hidden">{hidden.clone()}</span></a>
        }
    });
    view! { <p class="govuk-body-s pulse-downloads">{files}{api}</p> }
}

/// When the module's data set last received data, with a tag when it is late.
#[component]
fn FreshnessLine(freshness: Freshness) -> impl IntoView {
    let text = match (freshness.last_received, freshness.newest_record) {
        (Some(received), Some(newest)) => format!(
            "Data last updated {}; newest figures dated {}.",
            format_date(received),
            format_date(newest)
        ),
        _ => "No data received yet.".to_string(),
    };
    let tag = if freshness.last_received.is_none() {
        view! { <strong class="govuk-tag govuk-tag--grey pulse-freshness__tag">"No data yet"</strong> }.into_any()
    } else if freshness.out_of_date {
        view! { <strong class="govuk-tag govuk-tag--red pulse-freshness__tag">"Out of date"</strong> }.into_any()
    } else {
        view! { <strong class="govuk-tag govuk-tag--green pulse-freshness__tag">"Up to date"</strong> }.into_any()
    };
    view! { <p class="govuk-body-s pulse-freshness">{text}" "{tag}</p> }
}

/// The part of a module that depends on its type and figures.
#[component]
fn Figured(
    module: Module,
    figures: Figures,
    previous: Option<crate::modules::YearEarlier>,
    complete_until: chrono::DateTime<chrono::Utc>,
    /// The figures over the year before them too, for the unusual-figures rule.
    history: Option<Figures>,
    /// Until when its figures are complete: a dip in a later period is not
    /// judged (it is still filling in).
    received: Option<chrono::DateTime<chrono::Utc>>,
    full: bool,
    /// What a list's values add up over, in words.
    window: String,
    /// The figures' table (`table_data` of them).
    table: TableData,
) -> impl IntoView {
    let slug = module.slug.clone();
    let chart_id = format!("chart-{slug}");
    let unit = unit(&module);
    let better = higher_is_better(&module);
    let table_view = view! {
        <FigureTable table caption=module.title.clone() id=format!("table-{slug}") full/>
    };
    let label = |what: &str| {
        format!(
            "{what} of {}. The same figures are in the table.",
            module.title
        )
    };
    // What notes and unusual figures go on (the time axis and its series).
    let (chart_periods, chart_lines) = chart_series(&figures).unwrap_or_default();
    // A year earlier as a chart draws it: no point for a rate of too few.
    let previous = previous
        .as_ref()
        .map(crate::modules::YearEarlier::relied_on);
    let history = history.as_ref().and_then(chart_series);
    match figures {
        Figures::Kpi(latest) => view! {
            <Headline figure=Some(latest) unit higher_is_better=better volume=crate::modules::adds_up(&module)/>
            {full.then_some(table_view)}
        }
        .into_any(),
        Figures::Time(time) => {
            let default_style = match module.module_type {
                ModuleType::BarChartWithNumber => TimeStyle::Bars,
                _ if option_bool(&module, "percent") => TimeStyle::Percent,
                _ if option_bool(&module, "stacked") => TimeStyle::Stacked,
                _ => TimeStyle::Lines,
            };
            let chosen = use_context::<ChosenStyles>();
            let style_slug = slug.clone();
            let style = RwSignal::new(
                chosen
                    .and_then(|c| c.0.try_with_value(|styles| styles.get(&slug).copied()).flatten())
                    .unwrap_or(default_style),
            );
            let hovered = RwSignal::new(None::<usize>);
            let total = option_bool(&module, "total");
            let headline = {
                let time = time.clone();
                Signal::derive(move || headline_at(&time, hovered.get(), complete_until))
            };
            let option = {
                let time = time.clone();
                // Volumes so far are drawn beside no year earlier.
                let previous = previous.clone().map(|p| {
                    if crate::modules::adds_up(&module) {
                        crate::kpi::comparable_year_earlier(&p, &time.periods, Some(complete_until))
                    } else {
                        p
                    }
                });
                Signal::derive(move || {
                    time_chart(
                        &time,
                        style.get(),
                        unit,
                        total,
                        previous.as_deref(),
                        complete_until,
                    )
                })
            };
            let grouped =
                module.module_type == ModuleType::GroupedTimeseries && time.series.len() > 1;
            let adds = crate::modules::adds_up(&module);
            let periods = time.periods.len();
            let style_id = format!("{slug}-style");
            let chooser = grouped.then(|| view! {
                <div class="govuk-form-group pulse-style">
                    <label class="govuk-label" for=style_id.clone()>"Show as"</label>
                    <select class="govuk-select" id=style_id
                        on:change=move |ev| {
                            if let Some(s) = TimeStyle::parse(&event_target_value(&ev)) {
                                let _ = style.try_set(s);
                                if let Some(c) = chosen {
                                    c.0.try_update_value(|styles| styles.insert(style_slug.clone(), s));
                                }
                            }
                        }>
                        {[(TimeStyle::Lines, "Lines"), (TimeStyle::Stacked, "Stacked"), (TimeStyle::Percent, "Shares of 100%")]
                            .into_iter()
                            .map(|(s, words)| view! {
                                <option value=s.as_str() selected=move || style.get() == s
                                    prop:selected=move || style.get() == s>{words}</option>
                            })
                            .collect_view()}
                    </select>
                </div>
            });
            // A grouped chart's headline is its total.
            let headline_view = (!grouped).then(|| {
                view! {
                    <Headline figure=headline unit higher_is_better=better volume=adds/>
                }
            });
            let what = match default_style {
                TimeStyle::Bars => "Bar chart",
                _ => "Line chart",
            };
            let hover = Callback::new(move |i: Option<usize>| {
                let _ = hovered.try_set(i);
            });
            let axis = chart_periods.clone();
            let notes = chart_notes(
                &slug,
                &chart_id,
                ChartFigures {
                    periods: chart_periods,
                    series: chart_lines,
                    history,
                    unit,
                    received,
                },
                zooms(periods),
                Signal::derive(move || matches!(style.get(), TimeStyle::Lines | TimeStyle::Bars)),
            );
            view! {
                {headline_view}
                {chooser}
                <Chart id=chart_id option label=label(what) on_hover=hover zoom=zooms(periods) periods=axis
                    marks=notes.marks actions=notes.button>{notes.overlay}</Chart>
                {notes.below}
                <TableArea full id=slug.clone()>{table_view}{notes.in_table}</TableArea>
            }
            .into_any()
        }
        Figures::Completion(c) => {
            let rates = c.rates();
            // A completion-rate module may chart another rate (digital take-up).
            let kpi = crate::modules::rate_kpi(&module);
            let time = TimeFigures {
                periods: c.periods.clone(),
                series: vec![crate::modules::Series {
                    key: "rate".into(),
                    label: kpi.title().into(),
                    values: rates.clone(),
                }],
            };
            let hovered = RwSignal::new(None::<usize>);
            let headline = {
                let (periods, started) = (c.periods.clone(), c.started.clone());
                Signal::derive(move || {
                    let figure = headline_at(&time, hovered.get(), complete_until);
                    of_enough(kpi, figure, &periods, &started)
                })
            };
            // What the headline's rate is out of, as a satisfaction score
            // says its responses.
            let base = {
                let (periods, started) = (c.periods.clone(), c.started.clone());
                Signal::derive(move || {
                    let period = headline.get()?.period?;
                    let i = periods.iter().position(|p| *p == period)?;
                    let started = started.get(i).copied().flatten().filter(|s| *s > 0.0)?;
                    crate::kpi::base_words(kpi, started)
                })
            };
            let target = target_line(kpi, &c.periods);
            let target_text = target_words(&target);
            let few: Vec<bool> = (c.started.iter())
                .map(|b| crate::kpi::low_base_words(kpi, *b).is_some())
                .collect();
            let option = Signal::stored(rate_chart(
                &c.periods,
                kpi.title(),
                &rates,
                &few,
                previous.as_deref(),
                &target,
                complete_until,
            ));
            let hover = Callback::new(move |i: Option<usize>| {
                let _ = hovered.try_set(i);
            });
            let axis = chart_periods.clone();
            let notes = chart_notes(
                &slug,
                &chart_id,
                ChartFigures {
                    periods: chart_periods,
                    series: chart_lines,
                    history,
                    unit: Unit::Ratio,
                    received,
                },
                zooms(c.periods.len()),
                Signal::stored(true),
            );
            let over = rates.iter().flatten().filter(|r| **r > 1.0).count();
            let over_text = (over > 0).then(|| {
                view! { <p class="govuk-inset-text" id=format!("{slug}-over")>{over_whole(kpi, over)}</p> }
            });
            view! {
                <Headline figure=headline unit=Unit::Ratio higher_is_better=true extra=base/>
                <Chart id=chart_id option label=label("Line chart") on_hover=hover zoom=zooms(c.periods.len()) periods=axis
                    marks=notes.marks actions=notes.button>{notes.overlay}</Chart>
                {over_text}
                {target_text}
                {notes.below}
                <TableArea full id=slug.clone()>{table_view}{notes.in_table}</TableArea>
            }
            .into_any()
        }
        Figures::Satisfaction(s) => {
            let scores = s.scores();
            let count = s.periods.len();
            // The period whose ratings are broken down: the newest with responses,
            // until a point on the chart or the list chooses another.
            let newest = s
                .periods
                .iter()
                .zip(&s.responses)
                .rposition(|(p, r)| {
                    r.is_some_and(|r| r > 0.0) && crate::kpi::is_complete(p, Some(complete_until))
                })
                .or_else(|| s.responses.iter().rposition(|r| r.is_some_and(|r| r > 0.0)))
                .unwrap_or(count.saturating_sub(1));
            // A period asked for in the address (`{slug}-ratings`, the first
            // day of the period: the list's form, without JavaScript).
            let ratings_key = format!("{slug}-ratings");
            let day = |p: &crate::model::Period| p.start.format("%Y-%m-%d").to_string();
            let asked = use_query_map().with_untracked(|q| q.get(&ratings_key));
            let chosen = asked.and_then(|a| s.periods.iter().position(|p| day(p) == a));
            let selected = RwSignal::new(chosen.unwrap_or(newest));
            let time = TimeFigures {
                periods: s.periods.clone(),
                series: vec![crate::modules::Series {
                    key: "score".into(),
                    label: "Satisfaction score".into(),
                    values: scores.clone(),
                }],
            };
            let headline = {
                let time = time.clone();
                let periods = s.periods.clone();
                let responses = s.responses.clone();
                Signal::derive(move || {
                    let figure = headline_at(&time, Some(selected.get()), complete_until);
                    of_enough(KpiKind::UserSatisfaction, figure, &periods, &responses)
                })
            };
            let responses = {
                let s = s.clone();
                Signal::derive(move || {
                    let r = s.responses.get(selected.get()).copied().flatten().filter(|r| *r > 0.0)?;
                    crate::kpi::base_words(KpiKind::UserSatisfaction, r)
                })
            };
            let target = target_line(KpiKind::UserSatisfaction, &s.periods);
            let target_text = target_words(&target);
            let few: Vec<bool> = (s.responses.iter())
                .map(|r| crate::kpi::low_base_words(KpiKind::UserSatisfaction, *r).is_some())
                .collect();
            let option = Signal::stored(rate_chart(
                &s.periods,
                "Satisfaction score",
                &scores,
                &few,
                previous.as_deref(),
                &target,
                complete_until,
            ));
            let ratings = {
                let s = s.clone();
                Signal::derive(move || {
                    let i = selected.get();
                    // (none for a period nothing was sent for: no bars of 0)
                    let sent = s.responses.get(i).copied().flatten().is_some();
                    ratings_chart(s.ratings.get(i).filter(|_| sent))
                })
            };
            let pick = Callback::new(move |i: usize| {
                if i < count {
                    let _ = selected.try_set(i);
                }
            });
            let select_id = format!("{slug}-period");
            let periods = s.periods.clone();
            let breakdown_label = {
                let periods = periods.clone();
                move || {
                    periods
                        .get(selected.get())
                        .map(|p| format!("Ratings in {}", format_period(p)))
                        .unwrap_or_default()
                }
            };
            let breakdown_rows = {
                let s = s.clone();
                move || {
                    let i = selected.get();
                    let ratings = s.ratings.get(i).copied().unwrap_or([0.0; 5]);
                    // A period nothing was sent for has no counts, not 0s.
                    let sent = s.responses.get(i).copied().flatten().is_some();
                    RATINGS
                        .iter()
                        .zip(ratings)
                        .map(|(name, n)| view! {
                            <tr class="govuk-table__row">
                                <th scope="row" class="govuk-table__header">{*name}</th>
                                <td class="govuk-table__cell govuk-table__cell--numeric">
                                    {if sent { crate::kpi::format_count(n) } else { "no data".to_string() }}
                                </td>
                            </tr>
                        })
                        .collect_view()
                }
            };
            // What the empty breakdown of a period nothing was sent for means.
            let unsent = {
                let (s, periods) = (s.clone(), periods.clone());
                move || {
                    let i = selected.get();
                    let sent = s.responses.get(i).copied().flatten().is_some();
                    periods.get(i).filter(|_| !sent).map(|p| {
                        format!("No ratings were sent for {}.", format_period(p))
                    })
                }
            };
            let axis = chart_periods.clone();
            let notes = chart_notes(
                &slug,
                &chart_id,
                ChartFigures {
                    periods: chart_periods,
                    series: chart_lines,
                    history,
                    unit: Unit::Ratio,
                    received,
                },
                zooms(count),
                Signal::stored(true),
            );
            view! {
                <Headline figure=headline unit=Unit::Ratio higher_is_better=true extra=responses/>
                {crate::components::kpi_tile::definition(KpiKind::UserSatisfaction)}
                <Chart id=chart_id option label=label("Line chart of the satisfaction score") on_pick=pick zoom=zooms(count) periods=axis
                    marks=notes.marks actions=notes.button>{notes.overlay}</Chart>
                {target_text}
                {notes.below}
                // A GET form (the address's other choices kept), which
                // applies as it is chosen once the page runs JavaScript.
                <form method="get" class="pulse-ratings-form" on:submit=|ev| ev.prevent_default()>
                    {use_query_map().with_untracked(|q| {
                        q.into_iter()
                            .filter(|(k, _)| k.as_ref() != ratings_key.as_str())
                            .map(|(k, v)| view! { <input type="hidden" name=k.to_string() value=v.to_string()/> })
                            .collect_view()
                    })}
                    <div class="govuk-form-group">
                        <label class="govuk-label" for=select_id.clone()>"Show the ratings of"</label>
                        <select class="govuk-select" id=select_id name=ratings_key.clone()
                            on:change={
                                let periods = periods.clone();
                                move |ev| {
                                    let value = event_target_value(&ev);
                                    if let Some(i) = periods.iter().position(|p| day(p) == value) {
                                        let _ = selected.try_set(i);
                                    }
                                }
                            }>
                            {periods.iter().enumerate().rev().map(|(i, p)| view! {
                                <option value=day(p) selected=move || selected.get() == i
                                    prop:selected=move || selected.get() == i>{format_period(p)}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    <button type="submit" class="govuk-button govuk-button--secondary pulse-no-js-only">
                        "Show these ratings"<span class="govuk-visually-hidden">{format!(": {}", module.title)}</span>
                    </button>
                </form>
                <h4 class="govuk-heading-s" id=format!("{slug}-ratings-heading")>{breakdown_label.clone()}</h4>
                <p class="govuk-body pulse-said" id=format!("{slug}-ratings-unsent") role="status">{unsent}</p>
                <Chart id=format!("{slug}-ratings") option=ratings zoom=false
                    label=format!("Bar chart of the ratings of {}. The same figures are in the table below it.", module.title)/>
                <table class="govuk-table pulse-ratings" id=format!("{slug}-ratings-table")>
                    <caption class="govuk-visually-hidden">{breakdown_label}</caption>
                    <thead class="govuk-table__head">
                        <tr class="govuk-table__row">
                            <th scope="col" class="govuk-table__header">"Rating"</th>
                            <th scope="col" class="govuk-table__header govuk-table__header--numeric">"Responses"</th>
                        </tr>
                    </thead>
                    <tbody class="govuk-table__body">{breakdown_rows}</tbody>
                </table>
                <TableArea full id=slug.clone()>{table_view}{notes.in_table}</TableArea>
            }
            .into_any()
        }
        Figures::Journey(steps, span, left_out, unsent) => {
            let option = Signal::stored(journey_chart(&steps));
            let when = match span {
                // A step never sent is not 0 people: no journey through it.
                _ if !unsent.is_empty() => format!(
                    "Users at each step are not shown: no figures were sent for {}{}.",
                    crate::kpi::in_words(&unsent),
                    span.map(|(start, end)| format!(", {}", crate::kpi::format_date_range(start, end)))
                        .unwrap_or_default()
                ),
                Some((start, end)) => format!(
                    "Users at each step, {}{}.",
                    crate::kpi::format_date_range(start, end),
                    match left_out {
                        0 => String::new(),
                        1 => " (one period left out: not every step's figures were sent for it)".into(),
                        n => format!(" ({n} periods left out: not every step's figures were sent for them)"),
                    }
                ),
                None => "Users at each step, over all the data sent.".to_string(),
            };
            // No steps to show (a step never sent, or no whole period every
            // step has): the words alone, not an empty chart and table.
            if steps.is_empty() {
                return view! { <p class="pulse-kpi__period pulse-journey__period">{when}</p> }.into_any();
            }
            view! {
                <p class="pulse-kpi__period pulse-journey__period">{when}</p>
                <Chart id=chart_id option zoom=false label=label("Bar chart of the users at each step")/>
                <TableArea full id=slug.clone()>{table_view}</TableArea>
            }
            .into_any()
        }
        Figures::Table { .. } => table_view.into_any(),
        Figures::Live(live) => {
            let figures = RwSignal::new(live);
            let table = {
                let (module, slug) = (module.clone(), slug.clone());
                move || {
                    let table = figures.with(|f| {
                        table_data(&module, &Figures::Live(f.clone()), None, complete_until)
                    });
                    view! {
                        <FigureTable table caption=module.title.clone() id=format!("table-{slug}") full/>
                    }
                }
            };
            view! {
                <LiveFigure module=module.clone() figures/>
                <TableArea full id=slug.clone()>{table}</TableArea>
            }
            .into_any()
        }
        Figures::List(items) => {
            view! { <RankedList module=module.clone() items span=window/> }.into_any()
        }
    }
}

/// The window of a request (its `start_at` and `end_at`) in words: what a
/// list's values add up over.
fn window_words(request: Option<&str>) -> String {
    let pairs = query_string::pairs(
        request
            .and_then(|r| r.split_once('?'))
            .map_or("", |(_, q)| q),
    );
    let at = |key: &str| {
        query_string::first(&pairs, key)
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&chrono::Utc))
    };
    match (at("start_at"), at("end_at")) {
        (Some(start), Some(end)) => format!(
            "Added up over {}.",
            crate::kpi::format_date_range(start, end)
        ),
        (Some(start), None) => format!("Added up since {}.", format_date(start)),
        (None, Some(end)) => format!(
            "Added up until {}.",
            format_date(end - chrono::Duration::days(1))
        ),
        (None, None) => "Added up over all the data sent.".to_string(),
    }
}

fn option_bool(module: &Module, key: &str) -> bool {
    module
        .options
        .get(key)
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false)
}

/// The headline of a one-series chart: at the period under the pointer, else
/// the newest with a value.
fn headline_at(
    time: &TimeFigures,
    index: Option<usize>,
    complete_until: chrono::DateTime<chrono::Utc>,
) -> Option<LatestFigure> {
    let values = &time.series.first()?.values;
    match index.filter(|i| *i < values.len()) {
        Some(i) => time.at(values, i, complete_until),
        None => time.latest(values, complete_until).or(Some(LatestFigure {
            value: None,
            previous: None,
            period: time.periods.last().copied(),
            so_far: time
                .periods
                .last()
                .is_some_and(|p| !crate::kpi::is_complete(p, Some(complete_until))),
        })),
    }
}

/// A rate's headline compared with the period before only where both rates
/// are out of enough (`bases`, a period each:
/// [`crate::kpi::previous_if_enough`]).
fn of_enough(
    kpi: KpiKind,
    figure: Option<LatestFigure>,
    periods: &[crate::model::Period],
    bases: &[Option<f64>],
) -> Option<LatestFigure> {
    let mut figure = figure?;
    let i = figure
        .period
        .and_then(|p| periods.iter().position(|q| *q == p));
    let base = |j: Option<usize>| j.and_then(|j| bases.get(j).copied().flatten());
    figure.previous = crate::kpi::previous_if_enough(
        kpi,
        figure.previous,
        base(i),
        base(i.and_then(|i| i.checked_sub(1))),
    );
    Some(figure)
}

/// On a dashboard, the table is behind "Show as a table" (shown without
/// JavaScript, where the chart is not drawn); on a module's own page it is
/// always shown.
#[component]
fn TableArea(full: bool, id: String, children: Children) -> impl IntoView {
    if full {
        children().into_any()
    } else {
        view! {
            <TableToggle id=format!("{id}-show-table")>
                <div class="pulse-table-scroll">{children()}</div>
            </TableToggle>
        }
        .into_any()
    }
}

/// A table of figures; on a module's page its headings sort it (links that keep
/// the sort in the URL, so they work without JavaScript too).
#[component]
pub fn FigureTable(table: TableData, caption: String, id: String, full: bool) -> impl IntoView {
    let query = use_query_map();
    let sort = move || {
        query.with(|q| {
            let column = q.get("sort").and_then(|s| s.parse::<usize>().ok());
            let ascending = q.get("order").as_deref() != Some("desc");
            (column, ascending)
        })
    };
    let table = StoredValue::new(table);
    let headers = move || {
        let (column, ascending) = sort();
        table.with_value(|t| {
            t.headers
                .iter()
                .enumerate()
                .map(|(i, h)| {
                    let numeric = t.numeric.get(i).copied().unwrap_or(false);
                    let class = if numeric {
                        "govuk-table__header govuk-table__header--numeric"
                    } else {
                        "govuk-table__header"
                    };
                    if !full {
                        return view! { <th scope="col" class=class>{h.clone()}</th> }.into_any();
                    }
                    let here = column == Some(i);
                    let aria = match (here, ascending) {
                        (true, true) => "ascending",
                        (true, false) => "descending",
                        _ => "none",
                    };
                    let next = if here && ascending { "desc" } else { "asc" };
                    let href = query.with(|q| {
                        query_string::href(
                            "",
                            &view_query(q, &[("sort", &i.to_string()), ("order", next)]),
                        )
                    });
                    view! {
                        <th scope="col" class=class aria-sort=aria>
                            <a class="govuk-link pulse-sort" href=href>{h.clone()}</a>
                        </th>
                    }
                    .into_any()
                })
                .collect_view()
        })
    };
    let rows = move || {
        let (column, ascending) = sort();
        table.with_value(|t| {
            let rows = match (full, column) {
                (true, Some(c)) => t.sorted(c, ascending),
                _ => t.rows.clone(),
            };
            rows.into_iter()
                .map(|row| {
                    let cells = row
                        .into_iter()
                        .enumerate()
                        .map(|(i, cell)| {
                            if i == 0 {
                                view! { <th scope="row" class="govuk-table__header">{cell.shown()}</th> }.into_any()
                            } else if t.numeric.get(i).copied().unwrap_or(false) {
                                view! { <td class="govuk-table__cell govuk-table__cell--numeric">{cell.shown()}</td> }.into_any()
                            } else {
                                view! { <td class="govuk-table__cell">{cell.shown()}</td> }.into_any()
                            }
                        })
                        .collect_view();
                    view! { <tr class="govuk-table__row">{cells}</tr> }
                })
                .collect_view()
        })
    };
    let caption_id = format!("{id}-caption");
    let region = format!("{caption}: table");
    view! {
        <div class="pulse-table-scroll" role="region" aria-label=region tabindex="0">
            <table class="govuk-table pulse-figures" id=id>
                <caption class="govuk-table__caption govuk-table__caption--s" id=caption_id>{caption}</caption>
                <thead class="govuk-table__head"><tr class="govuk-table__row">{headers}</tr></thead>
                <tbody class="govuk-table__body">{rows}</tbody>
            </table>
        </div>
    }
}

/// The target line of `kpi` over `periods` from the dashboard's service's
/// targets (none where none was in force).
fn target_line(kpi: KpiKind, periods: &[crate::model::Period]) -> Vec<Option<f64>> {
    let targets = use_context::<crate::components::notes::ServiceTargets>().unwrap_or_default();
    crate::boards::target_line(&targets.0, kpi, periods)
}

/// The target in force at the chart's end, in words beside the chart (its
/// dashed line is in the chart).
fn target_words(line: &[Option<f64>]) -> Option<impl IntoView> {
    let last = line.last().copied().flatten()?;
    Some(view! {
        <p class="govuk-body-s pulse-target-note">
            {format!("Target: {} (the green dashed line; set by the service's editors).", crate::kpi::format_percent(last))}
        </p>
    })
}

/// Why a rate of a part over its whole is over 100% (`over` of the periods
/// shown): said under the chart, the figures shown as the data set holds them.
fn over_whole(kpi: crate::model::KpiKind, over: usize) -> String {
    let periods = if over == 1 {
        "1 period shown has".to_string()
    } else {
        format!("{over} periods shown have")
    };
    match kpi {
        crate::model::KpiKind::CompletionRate => format!(
            "{periods} more completions than starts, so a rate over 100%: people who started in one period finished in the next. The figures are as the data set holds them."
        ),
        _ => format!(
            "{periods} a rate over 100%: the data set's part is more than its whole there. The figures are as the data set holds them."
        ),
    }
}
