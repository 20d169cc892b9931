//! `/build/{dashboard}`, step 2: the dashboard loaded into a draft that
//! every part of the page changes (see `publish`, `module_list`,
//! `module_form`, `add_module`, `data_sets` and `details`), each change saved
//! at once (`PUT /api/v1/dashboards/{slug}`).

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::add_module::AddModule;
use super::data_sets::DataSets;
use super::details::Details;
use super::module_list::ModuleList;
use super::publish::{PublishButtons, Status};
use super::{editor, Editor};
use crate::api::{self, ApiError};
use crate::components::problem::ProblemSummary;
use crate::model::{Dashboard, DataSet};

/// A change to the dashboard being built.
pub(super) type Edit = Box<dyn FnOnce(&mut Dashboard)>;

/// The dashboard being arranged and what the page says of it, shared by the
/// page's parts.
#[derive(Clone, Copy)]
pub(super) struct Arrangement {
    /// The dashboard as shown.
    pub(super) draft: RwSignal<Option<Dashboard>>,
    /// Why the last change was not saved.
    pub(super) problem: RwSignal<Option<String>>,
    /// What the last change did (said to screen readers).
    pub(super) said: RwSignal<String>,
    pub(super) csrf: StoredValue<String>,
    /// Every change: applied to the draft, and the whole dashboard saved.
    pub(super) change: Callback<(String, Edit)>,
}

impl Arrangement {
    fn new(dashboard: Dashboard, csrf: String) -> Arrangement {
        let draft = RwSignal::new(Some(dashboard));
        let problem = RwSignal::new(None::<String>);
        let said = RwSignal::new(String::new());
        let csrf = StoredValue::new(csrf);
        // Every change: apply it to the draft and save the whole dashboard.
        let change = Callback::new(move |(what, f): (String, Edit)| {
            let Some(mut d) = draft.get_untracked() else {
                return;
            };
            let previous = Some(d.clone());
            f(&mut d);
            draft.set(Some(d.clone()));
            save_dashboard(d, previous, csrf.get_value(), draft, problem, said, what);
        });
        Arrangement {
            draft,
            problem,
            said,
            csrf,
            change,
        }
    }
}

/// The service's data sets, fetched again when publishing has changed them.
#[derive(Clone, Copy)]
pub(super) struct ServiceDataSets {
    service: StoredValue<String>,
    version: RwSignal<u32>,
    /// Every data set the editor may see.
    pub(super) all: Resource<Result<Vec<DataSet>, ApiError>>,
}

impl ServiceDataSets {
    fn new(service: String) -> ServiceDataSets {
        let version = RwSignal::new(0u32);
        ServiceDataSets {
            service: StoredValue::new(service),
            version,
            all: Resource::new(move || version.get(), |_| api::data_sets()),
        }
    }

    /// The service's data sets, as far as fetched.
    pub(super) fn mine(self) -> Vec<DataSet> {
        let service = self.service.get_value();
        self.all
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .filter(|d| d.data_group == service)
            .collect::<Vec<DataSet>>()
    }

    /// Fetches them again.
    pub(super) fn refetch(self) {
        self.version.update(|v| *v += 1);
    }
}

/// Saves the whole dashboard; when the API refuses, the draft goes back to
/// `previous` and the reason is shown.
pub(super) fn save_dashboard(
    d: Dashboard,
    previous: Option<Dashboard>,
    csrf: String,
    draft: RwSignal<Option<Dashboard>>,
    problem: RwSignal<Option<String>>,
    said: RwSignal<String>,
    what: String,
) {
    // The draft as this save leaves it: the answer replaces it only if no
    // change was made since (that change has its own answer coming).
    let sent_from = draft.get_untracked();
    spawn_local(async move {
        let path = format!("/api/v1/dashboards/{}", api::encode_component(&d.slug));
        match api::send_json::<Dashboard>("PUT", path, api::body(&d), csrf).await {
            Ok(saved) => {
                problem.set(None);
                // Redrawn only when the answer differs from what is shown:
                // the list is not redrawn under the person (their focus stays
                // where it is, and a key pressed meanwhile is not lost).
                // (the person may have left the page meanwhile, and the
                // draft gone with it)
                let Some(current) = draft.try_get_untracked() else {
                    return;
                };
                if current == sent_from && current.as_ref() != Some(&saved) {
                    draft.set(Some(saved));
                }
                said.set(format!("{what} Saved."));
            }
            Err(e) => {
                // Back to before this change only while nothing was changed
                // since: a later change's own save answers for the rest.
                let Some(current) = draft.try_get_untracked() else {
                    return;
                };
                if previous.is_some() && current == sent_from {
                    draft.set(previous);
                }
                problem.set(Some(format!("Not saved: {e}")));
                said.set(format!("Not saved: {e}"));
            }
        }
    });
}

#[component]
pub(super) fn Arrange(slug: String) -> impl IntoView {
    let Editor { csrf, .. } = editor();
    let csrf = StoredValue::new(csrf);
    let loaded = Resource::new(
        {
            let slug = slug.clone();
            move || slug.clone()
        },
        |slug| async move { api::dashboard(&slug).await },
    );
    view! {
        <Suspense fallback=|| view! { <super::Loading heading=super::ARRANGE line="Loading the dashboard…"/> }>
            {move || Suspend::new(async move {
                match loaded.await {
                    Ok(d) => view! { <Arranger dashboard=d csrf=csrf.get_value()/> }.into_any(),
                    Err(e) => view! { <crate::pages::ApiErrorView error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The arranging page: its title and status, then the modules, the form that
/// adds one, the data sets and the dashboard's details.
#[component]
fn Arranger(dashboard: Dashboard, csrf: String) -> impl IntoView {
    let slug = dashboard.slug.clone();
    let sets = ServiceDataSets::new(dashboard.service.clone().unwrap_or_default());
    let arrangement = Arrangement::new(dashboard, csrf);
    let Arrangement {
        draft,
        problem,
        said,
        ..
    } = arrangement;
    view! {
        <div class="govuk-breadcrumbs">
            <ol class="govuk-breadcrumbs__list">
                <li class="govuk-breadcrumbs__list-item"><a class="govuk-breadcrumbs__link" href="/build">"Build a dashboard"</a></li>
            </ol>
        </div>
        <span class="govuk-caption-l">"Step 2 of 2: arrange, fill and publish"</span>
        <h1 class="govuk-heading-xl">{move || draft.with(|d| d.as_ref().map(|d| d.title.clone()).unwrap_or_default())}</h1>
        <ProblemSummary problem id="arrange-problem"/>
        <Status draft slug/>
        <p class="govuk-body-s" role="status" aria-live="polite" id="builder-said">{move || said.get()}</p>
        <PublishButtons arrangement sets/>
        <ModuleList arrangement/>
        <AddModule arrangement sets/>
        <DataSets problem csrf=arrangement.csrf sets/>
        <Details arrangement/>
    }
}
