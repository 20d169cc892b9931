//! The dashboard's status and the way to see it as everyone will, and
//! publishing it: the server's workflow publishes the dashboard with the data
//! sets its modules read (`POST /api/v1/dashboards/{slug}/publish`);
//! unpublishing is a save of the dashboard.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::arrange::{save_dashboard, Arrangement, ServiceDataSets};
use crate::api;
use crate::model::{Dashboard, DashboardStatus};

/// Published or a draft, and the link to the preview (the dashboard's page).
#[component]
pub(super) fn Status(draft: RwSignal<Option<Dashboard>>, slug: String) -> impl IntoView {
    let preview = format!("/{slug}");
    view! {
        <p class="govuk-body pulse-build__status">
            {move || match draft.with(|d| d.as_ref().map(|d| d.status)) {
                Some(DashboardStatus::Published) => view! { <strong class="govuk-tag govuk-tag--green" id="dashboard-status">"Published"</strong> }.into_any(),
                _ => view! { <strong class="govuk-tag govuk-tag--grey" id="dashboard-status">"Draft: not published"</strong> }.into_any(),
            }}
            " "
            <a class="govuk-link" href=preview.clone() id="preview-link">"Preview the dashboard"</a>
            <span class="govuk-body-s">" (as everyone will see it once published)"</span>
        </p>
    }
}

/// Publish (or unpublish) the dashboard.
#[component]
pub(super) fn PublishButtons(arrangement: Arrangement, sets: ServiceDataSets) -> impl IntoView {
    let draft = arrangement.draft;
    let publish = move |status: DashboardStatus| publish_as(arrangement, sets, status);
    view! {
        <div class="govuk-button-group">
            <Show when=move || draft.with(|d| d.as_ref().map(|d| d.status) != Some(DashboardStatus::Published))
                fallback=move || view! {
                    <button type="button" class="govuk-button govuk-button--secondary" id="unpublish" data-module="govuk-button"
                        on:click=move |_| publish(DashboardStatus::Unpublished)>"Unpublish"</button>
                }>
                <button type="button" class="govuk-button" id="publish" data-module="govuk-button"
                    on:click=move |_| publish(DashboardStatus::Published)>"Publish the dashboard"</button>
            </Show>
        </div>
    }
}

/// Publishes the dashboard (and the data sets it reads), or saves it with
/// another status.
fn publish_as(arrangement: Arrangement, sets: ServiceDataSets, status: DashboardStatus) {
    let Arrangement {
        draft,
        problem,
        said,
        csrf,
        ..
    } = arrangement;
    let Some(d) = draft.get_untracked() else {
        return;
    };
    let token = csrf.get_value();
    if status != DashboardStatus::Published {
        let mut d = d;
        d.status = status;
        let what = "Unpublished: only your organisation sees the dashboard now.".to_string();
        save_dashboard(d, None, token, draft, problem, said, what);
        return;
    }
    // The server publishes the dashboard and the data sets its modules
    // read in one change, so that everyone can read its figures.
    spawn_local(async move {
        match api::publish_dashboard(&d.slug, token).await {
            Ok(done) => {
                problem.set(None);
                draft.set(Some(done.dashboard));
                sets.refetch();
                let with = if done.published_data_sets.is_empty() {
                    String::new()
                } else {
                    format!(
                        " (with the data sets {})",
                        done.published_data_sets.join(", ")
                    )
                };
                said.set(format!(
                    "Published{with}: everyone can see the dashboard now. Saved."
                ));
            }
            Err(e) => {
                problem.set(Some(format!("Not published: {e}")));
                said.set(format!("Not published: {e}"));
            }
        }
    });
}
