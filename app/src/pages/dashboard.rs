//! A dashboard (`/{dashboard}`) and a module's own page (`/{dashboard}/{module}`).
//!
//! Both read the dashboard through `/api/v1/dashboards/{slug}` and each module's
//! figures through the read API, with the view (period, months, a year earlier)
//! from the page's URL.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::ApiErrorView;
use crate::components::module::{ChosenStyles, ModuleView};
use crate::components::notes::{provide_notes, NotesHome};
use crate::components::problem::Warning;
use crate::components::view_controls::{current_view, ViewControls, ViewDraft};
use crate::kpi::{format_count, MAX_MODULES};
use crate::model::{Dashboard, DashboardStatus, Module, ModuleType};
use crate::modules::{is_time_series, load_dashboard, offered_periods, DashboardView};

/// `/{dashboard}`: every module of a dashboard.
#[component]
pub fn DashboardPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let key = move || {
        (
            params.read().get("dashboard").unwrap_or_default(),
            query.with(current_view),
        )
    };
    // Kept while the figures reload (the controls and notes are drawn with
    // them).
    ViewDraft::provide();
    NotesHome::provide();
    ChosenStyles::provide();
    let data = Resource::new(key, |(slug, view)| load_dashboard(slug, view, None));
    view! {
        <Transition fallback=|| view! { <p class="govuk-body">"Loading the dashboard…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => view! { <DashboardBody view/> }.into_any(),
                    Err(error) => view! { <ApiErrorView error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// `/{dashboard}/{module}`: one module with its table always shown and sortable.
#[component]
pub fn ModulePage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let key = move || {
        let p = params.read();
        (
            p.get("dashboard").unwrap_or_default(),
            p.get("module").unwrap_or_default(),
            query.with(current_view),
        )
    };
    // Kept while the figures reload (the controls and notes are drawn with
    // them).
    ViewDraft::provide();
    NotesHome::provide();
    ChosenStyles::provide();
    let data = Resource::new(key, |(slug, module, view)| {
        load_dashboard(slug, view, Some(module))
    });
    view! {
        <Transition fallback=|| view! { <p class="govuk-body">"Loading the module…"</p> }>
            {move || Suspend::new(async move {
                let module = params.read_untracked().get("module").unwrap_or_default();
                match data.await {
                    Ok(view) => view! { <ModuleBody view module/> }.into_any(),
                    Err(error) => view! { <ApiErrorView error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The banner of a dashboard that is not published yet.
#[component]
fn Unpublished(status: DashboardStatus, slug: String) -> impl IntoView {
    (status != DashboardStatus::Published).then(|| {
        let state = if status == DashboardStatus::InReview {
            "in review"
        } else {
            "not yet published"
        };
        view! {
            <div class="govuk-notification-banner pulse-unpublished" role="region"
                aria-labelledby="unpublished-title" data-module="govuk-notification-banner">
                <div class="govuk-notification-banner__header">
                    <h2 class="govuk-notification-banner__title" id="unpublished-title">"Important"</h2>
                </div>
                <div class="govuk-notification-banner__content">
                    <p class="govuk-notification-banner__heading">
                        {format!("This dashboard is {state}: its figures may change.")}
                    </p>
                    <p class="govuk-body">
                        "Only signed-in people of its organisation can see it until it is published. Editors change and publish it in "
                        <a class="govuk-notification-banner__link" href=format!("/build/{slug}") id="back-to-builder">"the builder"</a>"."
                    </p>
                </div>
            </div>
        }
    })
}

fn breadcrumbs(dashboard: &Dashboard, module: Option<&Module>) -> impl IntoView {
    let last = module.map(|_| {
        view! {
            <li class="govuk-breadcrumbs__list-item">
                <a class="govuk-breadcrumbs__link" href=format!("/{}", dashboard.slug)>{dashboard.title.clone()}</a>
            </li>
        }
    });
    view! {
        <nav class="govuk-breadcrumbs" aria-label="Breadcrumb">
            <ol class="govuk-breadcrumbs__list">
                <li class="govuk-breadcrumbs__list-item">
                    <a class="govuk-breadcrumbs__link" href="/">"Services"</a>
                </li>
                {last}
            </ol>
        </nav>
    }
}

#[component]
fn DashboardBody(view: DashboardView) -> impl IntoView {
    provide_notes(&view);
    let d = view.dashboard.clone();
    let slug = d.slug.clone();
    let range_problem = view.range_problem.clone();
    let time_series = crate::modules::data_modules(&d.modules)
        .iter()
        .filter(|m| is_time_series(m.module_type))
        .count();
    // Headline KPIs first, in a row of tiles; then the other modules in a
    // grid (two columns on wide screens), each in the editor's order.
    let (kpis, others): (Vec<&Module>, Vec<&Module>) = d
        .modules
        .iter()
        .partition(|m| m.module_type == ModuleType::Kpi);
    let kpi_row = (!kpis.is_empty()).then(|| {
        let tiles = kpis
            .iter()
            .map(|m| module_view(&view, m, &slug, 2))
            .collect_view();
        view! { <div class="pulse-kpi-row">{tiles}</div> }
    });
    let freshness = freshness_summary(&view);
    let modules = others
        .into_iter()
        .map(|m| {
            if m.module_type == ModuleType::Section {
                let children = m
                    .modules
                    .iter()
                    .map(|c| module_view(&view, c, &slug, 3))
                    .collect_view();
                view! {
                    <section class="pulse-section" id=format!("module-{}", m.slug) data-module-type="section"
                        aria-labelledby=format!("{}-heading", m.slug)>
                        <h2 class="govuk-heading-l" id=format!("{}-heading", m.slug)>{m.title.clone()}</h2>
                        {(!m.description.is_empty()).then(|| view! { <p class="govuk-body">{m.description.clone()}</p> })}
                        <div class="pulse-section__modules">{children}</div>
                    </section>
                }
                .into_any()
            } else {
                module_view(&view, m, &slug, 2)
            }
        })
        .collect_view();
    let links = d
        .service_url
        .iter()
        .map(|url| (url.clone(), "Visit this service".to_string()))
        .chain(d.links.iter().map(|l| (l.url.clone(), l.title.clone())))
        .map(|(url, title)| view! { <li><a class="govuk-link" href=url>{title}</a></li> })
        .collect_view();
    let notes = [
        ("Notes on costs", d.costs.clone()),
        ("Other notes", d.other_notes.clone()),
        ("Customer type", d.customer_type.clone().unwrap_or_default()),
        (
            "Business model",
            d.business_model.clone().unwrap_or_default(),
        ),
    ]
    .into_iter()
    .filter(|(_, text)| !text.is_empty())
    .map(|(key, text)| {
        view! {
            <div class="govuk-summary-list__row">
                <dt class="govuk-summary-list__key">{key}</dt>
                <dd class="govuk-summary-list__value">{text}</dd>
            </div>
        }
    })
    .collect_view();
    view! {
        <Title text=format!("{} - Pulse", d.title)/>
        {breadcrumbs(&d, None)}
        <Unpublished status=d.status slug=d.slug.clone()/>
        <span class="govuk-caption-l">{d.strapline.clone()}</span>
        <h1 class="govuk-heading-xl">{d.title.clone()}</h1>
        {(!d.tagline.is_empty()).then(|| view! { <p class="govuk-body-l">{d.tagline.clone()}</p> })}
        {(!d.description.is_empty()).then(|| view! { <p class="govuk-body">{d.description.clone()}</p> })}
        <ul class="govuk-list pulse-links">{links}</ul>
        {d.service.clone().map(|service| view! { <ServiceCard slug=service title=d.title.clone()/> })}
        {(time_series > 0).then(|| view! {
            <ViewControls action=format!("/{slug}") id="view" what="figures" all=true one_chart=time_series == 1
                periods=offered_periods(&crate::modules::data_modules(&d.modules))
                range_problem=range_problem/>
        })}
        {view.modules_held.map(|held| view! {
            <Warning id="modules-held">
                {format!(
                    "This dashboard has {} modules, more than one page shows: the first {MAX_MODULES} are here. Its editors can split it into smaller dashboards.",
                    format_count(held as f64),
                )}
            </Warning>
        })}
        {freshness}
        {kpi_row}
        <div class="pulse-modules">{modules}</div>
        <h2 class="govuk-heading-l">"About this dashboard"</h2>
        <dl class="govuk-summary-list" id="dashboard-notes">{notes}</dl>
    }
}

/// How recent the dashboard's data is, said once: every data set up to date
/// (and when the newest arrived), or which are late, each once, by the
/// modules that show it (as people know them).
fn freshness_summary(view: &DashboardView) -> Option<impl IntoView> {
    if view.freshness.is_empty() {
        return None;
    }
    let modules = crate::modules::data_modules(&view.dashboard.modules);
    let late: Vec<String> = view
        .freshness
        .iter()
        .filter(|f| f.out_of_date || f.last_received.is_none())
        .map(|f| {
            let titles: Vec<&str> = modules
                .iter()
                .filter(|m| m.data_set.as_deref() == Some(f.data_set.as_str()))
                .map(|m| m.title.as_str())
                .collect();
            if titles.is_empty() {
                f.data_set.clone()
            } else {
                shown_by(&titles)
            }
        })
        .collect();
    let newest = view.freshness.iter().filter_map(|f| f.last_received).max();
    let newest = newest
        .map(|t| {
            format!(
                " The newest data arrived on {}.",
                crate::kpi::format_date(t)
            )
        })
        .unwrap_or_default();
    let (tag, text) = if late.is_empty() {
        (
            view! { <strong class="govuk-tag govuk-tag--green">"Up to date"</strong> }.into_any(),
            format!("Every data set on this dashboard is up to date.{newest}"),
        )
    } else {
        (
            view! { <strong class="govuk-tag govuk-tag--red">"Out of date"</strong> }.into_any(),
            format!(
                "{} of this dashboard's {} data sets {} late or missing, so {} may not show the latest figures: {}.{newest} Each module's “Data and downloads” says more.",
                late.len(),
                view.freshness.len(),
                if late.len() == 1 { "is" } else { "are" },
                if late.len() == 1 { "the modules that show it" } else { "the modules that show them" },
                late.join("; "),
            ),
        )
    };
    Some(
        view! { <p class="govuk-body-s pulse-freshness-summary" id="freshness-summary">{tag}" "{text}</p> },
    )
}

/// The modules that show one data set, as a sentence names them: "A", "A and
/// B", "A, B and C", or the first two and how many more.
fn shown_by(titles: &[&str]) -> String {
    match titles {
        [] => String::new(),
        [one] => (*one).to_string(),
        [first @ .., last] if titles.len() <= 3 => format!("{} and {last}", first.join(", ")),
        [a, b, rest @ ..] => format!("{a}, {b} and {} other modules", rest.len()),
    }
}

fn module_view(view: &DashboardView, m: &Module, dashboard: &str, level: u8) -> AnyView {
    let loaded = view.loaded(&m.slug).cloned();
    let freshness = view.freshness_of(m).cloned();
    view! {
        <ModuleView module=m.clone() loaded freshness dashboard=dashboard.to_string() level/>
    }
    .into_any()
}

#[component]
fn ModuleBody(view: DashboardView, module: String) -> impl IntoView {
    provide_notes(&view);
    let d = view.dashboard.clone();
    let Some(m) = crate::modules::find_module(&d.modules, &module).cloned() else {
        return view! {
            <ApiErrorView error=crate::api::ApiError::Status {
                status: 404,
                message: format!("The dashboard {:?} has no module {module:?}.", d.slug),
            }/>
        }
        .into_any();
    };
    let action = format!("/{}/{}", d.slug, m.slug);
    let controls = is_time_series(m.module_type).then(|| {
        view! { <ViewControls action id="view" what="figures" all=true one_chart=true periods=offered_periods(&[&m])
            range_problem=view.range_problem.clone()/> }
    });
    view! {
        <Title text=format!("{} - {} - Pulse", m.title, d.title)/>
        {breadcrumbs(&d, Some(&m))}
        <Unpublished status=d.status slug=d.slug.clone()/>
        <span class="govuk-caption-l">{d.title.clone()}</span>
        <h1 class="govuk-heading-xl">{m.title.clone()}</h1>
        {controls}
        <ModuleView module=m.clone() loaded=view.loaded(&m.slug).cloned()
            freshness=view.freshness_of(&m).cloned() dashboard=d.slug.clone() full=true/>
    }
    .into_any()
}

/// The dashboard's service as a card to drag into the compare tray, with its
/// "Add to comparison" button.
#[component]
fn ServiceCard(slug: String, title: String) -> impl IntoView {
    use crate::components::tray::{drag_end, drag_start, use_tray, AddToCompare, DragHandle};
    let tray = use_tray();
    let drag = tray.map(|t| (drag_start(t, slug.clone(), title.clone()), drag_end(t)));
    let (start, end) = match drag {
        Some((start, end)) => (Some(start), Some(end)),
        None => (None, None),
    };
    view! {
        <div class="pulse-service-card pulse-draggable" draggable="true" data-slug=slug.clone()
            on:dragstart=move |ev| if let Some(f) = &start { f(ev) }
            on:dragend=move |ev| if let Some(f) = &end { f(ev) }>
            <DragHandle slug=slug.clone() title=title.clone()/>
            <span class="govuk-body pulse-service-card__text">
                {format!("Compare {title} with other services: drag this card into the compare tray, or use the button.")}
            </span>
            <AddToCompare slug=slug.clone() title/>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::shown_by;

    #[test]
    fn a_late_data_sets_modules_are_named_once_and_briefly() {
        assert_eq!(shown_by(&["Transactions"]), "Transactions");
        assert_eq!(shown_by(&["A", "B"]), "A and B");
        assert_eq!(shown_by(&["A", "B", "C"]), "A, B and C");
        assert_eq!(shown_by(&["A", "B", "C", "D"]), "A, B and 2 other modules");
        let fifty: Vec<String> = (1..=50).map(|i| format!("Module {i}")).collect();
        let fifty: Vec<&str> = fifty.iter().map(String::as_str).collect();
        assert_eq!(shown_by(&fifty), "Module 1, Module 2 and 48 other modules");
    }
}
