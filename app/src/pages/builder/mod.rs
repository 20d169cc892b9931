//! The self-service dashboard builder, for editors:
//!
//! - `/build`: pick one of your services or create one, tick the KPIs to
//!   show; Pulse creates the data sets (from the catalogue's types, so their
//!   schema and auto_ids are set) and an unpublished dashboard with a module
//!   for each KPI. The data sets' write tokens are shown once.
//! - `/build/{dashboard}`: its details and modules — add, remove, reorder (by
//!   dragging, or from the keyboard: arrow keys on a module's handle, or its
//!   move buttons) and change each through a form — the service's data sets
//!   (upload a spreadsheet, a template, a new write token), preview, publish.
//!
//! Every step is a call of `/api/v1` with the session's CSRF token; every
//! change to the dashboard is saved at once (`PUT /api/v1/dashboards/{slug}`).
//!
//! The parts, one concern each:
//!
//! - here: the two pages, who may build ([`EditorsOnly`]) and the part drawn
//!   only in the browser;
//! - `start`: `/build`'s form, which asks for `service` (the service's choice
//!   or a new one) and `kpis` (what to show), and `create` (the one call that
//!   makes the dashboard, and what it made);
//! - `arrange`: `/build/{dashboard}`, the draft and its saving, which its parts
//!   share: `publish` (status, preview link, publishing), `module_list` (the
//!   modules and their moving by drag or keyboard), `module_form` (changing a
//!   module), `add_module`, `data_sets` (uploads, templates, write tokens)
//!   and `details`.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api;
use crate::model::{Role, SessionState, User};

mod add_module;
mod arrange;
mod create;
mod data_sets;
mod details;
mod kpis;
mod module_form;
mod module_list;
mod publish;
mod service;
mod start;

use arrange::Arrange;
use start::Start;

/// The signed-in editor (or admin) and their CSRF token, or a page saying
/// who may build dashboards.
#[component]
fn EditorsOnly(
    next: String,
    heading: &'static str,
    session: crate::pages::SessionRead,
    children: ChildrenFn,
) -> impl IntoView {
    let children = StoredValue::new(children);
    view! {
        <Suspense fallback=move || view! { <Loading heading line="Loading…"/> }>
            {move || {
                let next = next.clone();
                Suspend::new(async move {
                    match session.await {
                        Ok(SessionState { user: Some(user), csrf_token, .. }) if user.role >= Role::Editor => {
                            provide_context(Editor { user, csrf: csrf_token.unwrap_or_default() });
                            children.with_value(|c| c()).into_any()
                        }
                        Ok(SessionState { user: Some(_), .. }) => {
                            super::set_status(403);
                            view! {
                                <h1 class="govuk-heading-xl">{heading}</h1>
                                <p class="govuk-body" id="editors-only">
                                    "Only editors build dashboards. Ask an admin of your organisation to make you an editor; until then, "
                                    <a class="govuk-link" href="/guide/get-a-dashboard">"read how it works"</a>"."
                                </p>
                            }.into_any()
                        }
                        _ => {
                            super::set_status(401);
                            let href = crate::pages::sign_in_href(&next);
                            view! {
                                <h1 class="govuk-heading-xl">{heading}</h1>
                                <p class="govuk-body" id="sign-in-needed">
                                    "You need to "<a class="govuk-link" href=href>"sign in"</a>
                                    " as an editor to build a dashboard. New to Pulse? "
                                    <a class="govuk-link" href="/guide/getting-started">"Start with the guide"</a>"."
                                </p>
                            }.into_any()
                        }
                    }
                })
            }}
        </Suspense>
    }
}

/// What a builder page shows while it loads: its heading (so the page is
/// never without one, for a screen reader arriving early) and a line saying
/// what is being loaded.
#[component]
fn Loading(heading: &'static str, line: &'static str) -> impl IntoView {
    view! {
        <h1 class="govuk-heading-xl">{heading}</h1>
        <p class="govuk-body pulse-loading" role="status">{line}</p>
    }
}

/// The editor at work, provided to the builder's parts.
#[derive(Clone)]
struct Editor {
    user: User,
    csrf: String,
}

fn editor() -> Editor {
    use_context::<Editor>().expect("inside EditorsOnly")
}

#[component]
pub fn BuildPage() -> impl IntoView {
    let session = Resource::new(|| (), |_| api::session());
    let reads = start::Reads::new(session);
    view! {
        <Title text="Build a dashboard - Pulse"/>
        <EditorsOnly next="/build".to_string() heading="Build a dashboard" session>
            <Start reads/>
        </EditorsOnly>
    }
}

// --- /build/{dashboard} ---------------------------------------------------------

/// The arranging page's heading until the dashboard's title is known.
const ARRANGE: &str = "Arrange a dashboard";

#[component]
pub fn BuildDashboardPage() -> impl IntoView {
    let params = use_params_map();
    let slug = params.with_untracked(|p| p.get("dashboard").unwrap_or_default());
    let next = format!("/build/{slug}");
    let slug = StoredValue::new(slug);
    let session = Resource::new(|| (), |_| api::session());
    view! {
        <Title text="Arrange a dashboard - Pulse"/>
        <EditorsOnly next heading=ARRANGE session>
            <InTheBrowser>
                <Arrange slug=slug.get_value()/>
            </InTheBrowser>
        </EditorsOnly>
    }
}

/// Draws its children only once the page is interactive: the server sends a
/// line saying it is loading. The arranging editor does nothing without
/// JavaScript, and drawing it afresh in the browser (rather than hydrating
/// its many reactive parts) keeps hydration simple.
#[component]
fn InTheBrowser(children: ChildrenFn) -> impl IntoView {
    let ready = RwSignal::new(false);
    Effect::new(move |_| ready.set(true));
    view! {
        <Show when=move || ready.get() fallback=|| view! {
            <h1 class="govuk-heading-xl">{ARRANGE}</h1>
            <p class="govuk-body pulse-loading pulse-js-only" role="status">"Loading the builder…"</p>
            <p class="govuk-inset-text pulse-no-js">
                "The dashboard builder needs JavaScript and WebAssembly, which this browser is not running. "
                "Dashboards can also be made through the "
                <a class="govuk-link" href="/guide/api">"API"</a>"."
            </p>
        }>
            {children()}
        </Show>
    }
}
