//! The services explorer: every service's headline figures, filtered by name
//! (as you type), department and agency, sortable by any column, with totals and
//! transaction-weighted averages for what the filters show, and a CSV of it.
//! Filters, sort and page live in the URL, and the page works without
//! JavaScript: the filters are a GET form, the column headings and pages are
//! links. Fifty services a page; the totals and the CSV cover every page.

use crate::components::pagination::Pagination;
use crate::components::scroll_table::ScrollTable;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;

use super::ApiErrorView;
use crate::api;
use crate::components::kpi_tile::{low_base_note, old_note, stopped_note};
use crate::components::navigation::use_go;
use crate::components::tray::{drag_end, drag_start, use_tray, AddToCompare, DragHandle};
use crate::kpi::{format_number, format_percent, format_pounds};
use crate::model::{KpiKind, KpiSummary, ServiceKpiList, ServiceKpis};
use crate::modules::csv_request;
use crate::query_string;

const FIELDS: [&str; 6] = ["name", "department", "agency", "sort", "direction", "page"];

/// Services on one page of the explorer.
pub const PER_PAGE: usize = 50;

/// The explorer's state as a query string, in a fixed order, leaving out
/// blanks (and the first page, and a page that is not a number), with
/// `changes` applied.
fn explorer_query(q: &ParamsMap, changes: &[(&str, &str)]) -> String {
    let value = |field: &str| match field {
        "page" => q
            .get("page")
            .and_then(|p| p.trim().parse::<usize>().ok())
            // (The API's pages run to a million.)
            .filter(|&p| (2..=1_000_000).contains(&p))
            .map(|p| p.to_string()),
        _ => q.get(field),
    };
    query_string::encode(&query_string::kept(&FIELDS, value, changes))
}

/// The API's query for one page of the explorer.
fn page_query(explorer: &str) -> String {
    let per_page = format!("per_page={PER_PAGE}");
    if explorer.is_empty() {
        per_page
    } else {
        format!("{explorer}&{per_page}")
    }
}

fn or_dash(value: Option<f64>, format: fn(f64) -> String) -> String {
    value.map(format).unwrap_or_else(|| "no data".to_string())
}

#[component]
pub fn ServicesPage() -> impl IntoView {
    let query = use_query_map();
    let search = move || query.with(|q| page_query(&explorer_query(q, &[])));
    let data = Resource::new(search, api::service_kpis);
    let current = move |field: &str| query.with(|q| q.get(field).unwrap_or_default());
    // The filter choices do not change with the filters (and come with any
    // page: the shortest is asked for).
    let choices = Resource::new(|| (), |_| api::service_kpis("per_page=1".into()));
    let go = use_go(true);
    // Every filter applies as it is chosen (the button is for pages without
    // JavaScript), showing the first page of what it finds; a new department
    // clears an agency that is not one of its own.
    let apply = move |changes: &[(&str, &str)]| {
        let changes: Vec<(&str, &str)> = changes.iter().copied().chain([("page", "")]).collect();
        if let Some(qs) = query.try_with_untracked(|q| explorer_query(q, &changes)) {
            go(query_string::href("/services", &qs));
        }
    };
    let on_name = {
        let apply = apply.clone();
        move |ev: leptos::ev::Event| apply(&[("name", &event_target_value(&ev))])
    };
    let on_department = {
        let apply = apply.clone();
        move |ev: leptos::ev::Event| {
            apply(&[("department", &event_target_value(&ev)), ("agency", "")])
        }
    };
    let on_agency = move |ev: leptos::ev::Event| apply(&[("agency", &event_target_value(&ev))]);
    view! {
        <Title text="Explore services - Pulse"/>
        <h1 class="govuk-heading-xl">"Explore services"</h1>
        <form method="get" action="/services" class="pulse-filters" role="search">
            <div class="govuk-form-group">
                <label class="govuk-label" for="filter-name">"Service name contains"</label>
                <input class="govuk-input pulse-filters__name" id="filter-name" name="name" type="search"
                    autocomplete="off" value=move || current("name") prop:value=move || current("name") on:input=on_name/>
            </div>
            <Suspense fallback=|| ()>
                {move || {
                    let (on_department, on_agency) = (on_department.clone(), on_agency.clone());
                    Suspend::new(async move {
                    let list = choices.await.ok();
                    // Which department each agency belongs to.
                    let parents = list
                        .as_ref()
                        .map(|l| l.agency_departments.clone())
                        .unwrap_or_default();
                    let (departments, agencies) = list
                        .map(|l| (l.departments, l.agencies))
                        .unwrap_or_default();

                    view! {
                        <div class="govuk-form-group pulse-filters__select">
                            <label class="govuk-label" for="filter-department">"Department"</label>
                            <select class="govuk-select" id="filter-department" name="department" on:change=on_department>
                                <option value="">"All departments"</option>
                                {departments.into_iter().map(|d| {
                                    let selected = current("department") == d.slug;
                                    view! { <option value=d.slug selected=selected prop:selected=selected>{d.title}</option> }
                                }).collect_view()}
                            </select>
                        </div>
                        <div class="govuk-form-group pulse-filters__select">
                            <label class="govuk-label" for="filter-agency">"Agency"</label>
                            <select class="govuk-select" id="filter-agency" name="agency" on:change=on_agency>
                                <option value="">"All agencies"</option>
                                {
                                    let department = current("department");
                                    agencies
                                        .into_iter()
                                        // Only the chosen department's agencies.
                                        .filter(|a| {
                                            department.is_empty()
                                                || parents.get(&a.slug) == Some(&department)
                                        })
                                        .map(|a| {
                                            let selected = current("agency") == a.slug;
                                            view! { <option value=a.slug selected=selected prop:selected=selected>{a.title}</option> }
                                        })
                                        .collect_view()
                                }
                            </select>
                        </div>
                    }
                })
                }}
            </Suspense>
            <input type="hidden" name="sort" value=move || current("sort")/>
            <input type="hidden" name="direction" value=move || current("direction")/>
            <button class="govuk-button pulse-no-js-only" type="submit" id="apply-filters">"Apply filters"</button>
        </form>
        <Transition fallback=|| view! { <p class="govuk-body">"Loading the services…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(list) => view! { <Explorer list/> }.into_any(),
                    Err(error) => view! { <ApiErrorView error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn summary_text(s: &KpiSummary) -> String {
    let mut parts = vec![format!(
        "{} service{}: {} transactions a year{}",
        s.services,
        if s.services == 1 { "" } else { "s" },
        crate::kpi::format_year_total(s),
        crate::kpi::counted_words(s)
    )];
    if s.total_cost > 0.0 {
        parts.push(format!(
            "costing {} over the last four complete quarters of cost data (each quarter's cost per transaction times its transactions){}",
            format_pounds(s.total_cost),
            crate::kpi::costed_words(s)
        ));
    }
    if let Some(cost) = s.cost_per_transaction {
        parts.push(format!(
            "cost per transaction {} over the same quarters",
            format_pounds(cost)
        ));
    }
    for (label, kpi, value) in [
        ("digital take-up", KpiKind::DigitalTakeUp, s.digital_take_up),
        (
            "satisfaction score",
            KpiKind::UserSatisfaction,
            s.user_satisfaction,
        ),
        (
            "completion rate",
            KpiKind::CompletionRate,
            s.completion_rate,
        ),
    ] {
        if let Some(v) = value {
            parts.push(format!(
                "{label} {} ({})",
                format_percent(v),
                crate::kpi::averaged_over(kpi)
            ));
        }
    }
    format!("{}.", parts.join("; "))
}

#[component]
fn Explorer(list: ServiceKpiList) -> impl IntoView {
    let query = use_query_map();
    let sort = query.with_untracked(|q| q.get("sort").unwrap_or_else(|| "service".into()));
    let descending = query.with_untracked(|q| q.get("direction").as_deref() == Some("desc"));
    // Every page's services.
    let qs = query.with_untracked(|q| explorer_query(q, &[("page", "")]));
    let csv = csv_request(&api::service_kpis_path(&qs));
    let (page, pages, total) = (list.page, list.pages, list.summary.services);
    // The newest year of figures among every service the filters show: a
    // row whose figures stopped before it says when.
    let newest = list.summary.year_to;
    let shown = list.services.len();
    let page_href = move |n: usize| {
        let n = if n > 1 { n.to_string() } else { String::new() };
        query.with_untracked(|q| {
            query_string::href("/services", &explorer_query(q, &[("page", &n)]))
        })
    };
    let range = if shown > 0 {
        let first = (page - 1) * PER_PAGE + 1;
        format!(
            "Showing {} to {} of {total} services",
            first,
            first + shown - 1
        )
    } else if total > 0 && pages == 1 {
        format!("There is no page {page}: the {total} services fit on one page.")
    } else if total > 0 {
        format!("There is no page {page}: the {total} services fill {pages} pages.")
    } else {
        String::new()
    };
    let csv_label = if pages > 1 {
        format!("Download all {total} services as CSV")
    } else {
        "Download these rows as CSV".to_string()
    };
    let heading = {
        let sort = sort.clone();
        move |column: &'static str, label: &'static str, numeric: bool| {
            let active = sort == column;
            // Numbers sort largest first on a first click; names A to Z.
            let next_desc = if active { !descending } else { numeric };
            let direction = if next_desc { "desc" } else { "asc" };
            let href = query.with_untracked(|q| {
                query_string::href(
                    "/services",
                    &explorer_query(
                        q,
                        &[("sort", column), ("direction", direction), ("page", "")],
                    ),
                )
            });
            let aria = match (active, descending) {
                (false, _) => "none",
                (true, false) => "ascending",
                (true, true) => "descending",
            };
            let class = if numeric {
                "govuk-table__header govuk-table__header--numeric"
            } else {
                "govuk-table__header"
            };
            view! {
                <th scope="col" class=class aria-sort=aria>
                    <a class="govuk-link pulse-sort" href=href data-sort=column>{label}</a>
                </th>
            }
        }
    };
    let tray = use_tray();
    let rows = list
        .services
        .into_iter()
        .map(|s: ServiceKpis| {
            let href = format!("/services/{}", s.service.slug);
            let (slug, title) = (s.service.slug.clone(), s.service.title.clone());
            let drag = tray.map(|t| (drag_start(t, slug.clone(), title.clone()), drag_end(t)));
            let (start, end) = match drag {
                Some((start, end)) => (Some(start), Some(end)),
                None => (None, None),
            };
            // A service whose figures stopped says when, beside figures of
            // that time; one with weeks but not a year of them says so.
            let stopped = stopped_note(s.year_to, newest);
            // A rate of a handful says what it is out of, and a figure of
            // another time than the others' says when it is of (as a
            // board's): neither is ranked among the others.
            let base = |kpi: KpiKind| {
                let figure = s.figures.iter().find(|f| f.kpi == kpi);
                let base = figure.and_then(|f| f.base);
                let old = figure.and_then(|f| old_note(f.period.start, f.period.end, newest));
                (low_base_note(kpi, base), old)
            };
            let (cost_base, take_up_base, satisfaction_base, completion_base) = (
                base(KpiKind::CostPerTransaction),
                base(KpiKind::DigitalTakeUp),
                base(KpiKind::UserSatisfaction),
                base(KpiKind::CompletionRate),
            );
            let year = match (s.transactions_per_year, s.weekly_transactions) {
                (Some(v), _) => format_number(v),
                (None, Some(_)) => "not a year of figures".to_string(),
                (None, None) => "no data".to_string(),
            };
            view! {
                <tr class="govuk-table__row pulse-draggable" data-slug=s.service.slug.clone() draggable="true"
                    on:dragstart=move |ev| if let Some(f) = &start { f(ev) }
                    on:dragend=move |ev| if let Some(f) = &end { f(ev) }>
                    <th scope="row" class="govuk-table__header">
                        <DragHandle slug=slug.clone() title=title.clone()/>
                        <a class="govuk-link" href=href>{s.service.title}</a>
                        {stopped}
                    </th>
                    <td class="govuk-table__cell">{s.service.department.title}</td>
                    <td class="govuk-table__cell govuk-table__cell--numeric">{year}</td>
                    <td class="govuk-table__cell govuk-table__cell--numeric">{or_dash(s.cost_per_transaction, format_pounds)}{cost_base}</td>
                    <td class="govuk-table__cell govuk-table__cell--numeric">{or_dash(s.digital_take_up, format_percent)}{take_up_base}</td>
                    <td class="govuk-table__cell govuk-table__cell--numeric">{or_dash(s.user_satisfaction, format_percent)}{satisfaction_base}</td>
                    <td class="govuk-table__cell govuk-table__cell--numeric">{or_dash(s.completion_rate, format_percent)}{completion_base}</td>
                    <td class="govuk-table__cell"><AddToCompare slug title/></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <p class="govuk-body-l" id="explorer-summary" aria-live="polite">{summary_text(&list.summary)}</p>
        <p class="govuk-body">
            "Drag services (or use their Add to comparison buttons) into the tray to compare up to six side by side. "
            <a class="govuk-link" id="explorer-csv" href=csv download="services.csv">{csv_label}</a>
        </p>
        {(pages > 1 || (shown == 0 && total > 0)).then(|| view! {
            <p class="govuk-body" id="explorer-range">{range}</p>
        })}
        <ScrollTable label="Services and their figures"><table class="govuk-table" id="explorer">
            <caption class="govuk-table__caption govuk-table__caption--m">
                "Services and their figures: transactions in the last 52 complete weeks; the other figures for the latest complete period of their data (a week, a month for satisfaction, a quarter for cost)"
            </caption>
            <thead class="govuk-table__head">
                <tr class="govuk-table__row">
                    {heading("service", "Service", false)}
                    {heading("department", "Department", false)}
                    {heading("transactions_per_year", "Transactions a year", true)}
                    {heading("cost_per_transaction", "Cost per transaction", true)}
                    {heading("digital_take_up", "Digital take-up", true)}
                    {heading("user_satisfaction", "Satisfaction score", true)}
                    {heading("completion_rate", "Completion rate", true)}
                    <th scope="col" class="govuk-table__header"><span class="govuk-visually-hidden">"Comparison"</span></th>
                </tr>
            </thead>
            <tbody class="govuk-table__body">{rows}</tbody>
        </table></ScrollTable>
        <Pagination page pages href=page_href/>
    }
}
