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

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use serde_json::Value;

use crate::api::{self, ApiError};
use crate::catalogue::{self, CHOICES, MODULE_TYPES};
use crate::components::problem::ProblemSummary;
use crate::model::{
    Dashboard, DashboardStatus, DataSet, Module, ModuleType, Organisation, Role, ServiceListing,
    SessionState, User,
};

/// The signed-in editor (or admin) and their CSRF token, or a page saying
/// who may build dashboards.
#[component]
fn EditorsOnly(next: String, children: ChildrenFn) -> impl IntoView {
    let session = Resource::new(|| (), |_| api::session());
    let children = StoredValue::new(children);
    view! {
        <Suspense fallback=|| view! { <p class="govuk-body">"Loading…"</p> }>
            {move || {
                let next = next.clone();
                Suspend::new(async move {
                    match session.await {
                        Ok(SessionState { user: Some(user), csrf_token }) if user.role >= Role::Editor => {
                            provide_context(Editor { user, csrf: csrf_token.unwrap_or_default() });
                            children.with_value(|c| c()).into_any()
                        }
                        Ok(SessionState { user: Some(_), .. }) => {
                            super::set_status(403);
                            view! {
                                <h1 class="govuk-heading-xl">"Build a dashboard"</h1>
                                <p class="govuk-body" id="editors-only">
                                    "Only editors build dashboards. Ask an admin of your organisation to make you an editor; until then, "
                                    <a class="govuk-link" href="/guide/get-a-dashboard">"read how it works"</a>"."
                                </p>
                            }.into_any()
                        }
                        _ => {
                            super::set_status(401);
                            let href = format!("/sign-in?next={}", api::encode_component(&next));
                            view! {
                                <h1 class="govuk-heading-xl">"Build a dashboard"</h1>
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

/// The editor at work, provided to the builder's parts.
#[derive(Clone)]
struct Editor {
    user: User,
    csrf: String,
}

fn editor() -> Editor {
    use_context::<Editor>().expect("inside EditorsOnly")
}

/// Whether a service belongs to one of the editor's organisations.
fn theirs(user: &User, s: &ServiceListing) -> bool {
    user.role == Role::Admin
        || user.organisations.contains(&s.department.slug)
        || s.agency
            .as_ref()
            .is_some_and(|a| user.organisations.contains(&a.slug))
}

async fn organisations() -> Result<Vec<Organisation>, ApiError> {
    let answer: crate::model::OrganisationList =
        api::get_json("/api/v1/organisations".into()).await?;
    Ok(answer.organisations)
}

#[component]
pub fn BuildPage() -> impl IntoView {
    view! {
        <Title text="Build a dashboard - Pulse"/>
        <EditorsOnly next="/build".to_string()>
            <Start/>
        </EditorsOnly>
    }
}

/// What creating a dashboard made: its address, and each new data set's
/// write token (shown once).
#[derive(Clone, Debug, Default)]
struct Created {
    slug: String,
    tokens: Vec<(String, String)>,
    existing: Vec<String>,
}

#[component]
fn Start() -> impl IntoView {
    let Editor { user, csrf } = editor();
    let user = StoredValue::new(user);
    let csrf = StoredValue::new(csrf);
    let services = Resource::new(|| (), |_| api::services());
    let orgs = Resource::new(|| (), |_| organisations());
    let choice = RwSignal::new(String::new());
    let kpis = RwSignal::new(
        CHOICES
            .iter()
            .filter(|c| c.key != "journey")
            .map(|c| c.key.to_string())
            .collect::<Vec<_>>(),
    );
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let created = RwSignal::new(None::<Created>);
    let new_title = NodeRef::<leptos::html::Input>::new();
    let new_org = NodeRef::<leptos::html::Select>::new();
    let new_description = NodeRef::<leptos::html::Textarea>::new();
    let address = NodeRef::<leptos::html::Input>::new();

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let chosen = choice.get_untracked();
        let keys = kpis.get_untracked();
        let new = chosen == "new";
        let title = new_title
            .get_untracked()
            .map(|i| i.value())
            .unwrap_or_default();
        let org = new_org
            .get_untracked()
            .map(|s| s.value())
            .unwrap_or_default();
        let description = new_description
            .get_untracked()
            .map(|t| t.value())
            .unwrap_or_default();
        let wanted_address = address
            .get_untracked()
            .map(|i| i.value())
            .unwrap_or_default();
        let listed = services.get_untracked().and_then(Result::ok);
        let token = csrf.get_value();
        if chosen.is_empty() {
            problem.set(Some(
                "Choose the service the dashboard is for, or “A new service”.".into(),
            ));
            return;
        }
        if new && title.trim().is_empty() {
            problem.set(Some("Enter the new service's name.".into()));
            return;
        }
        if new && org.is_empty() {
            problem.set(Some(
                "Choose the organisation that runs the new service.".into(),
            ));
            return;
        }
        if keys.is_empty() {
            problem.set(Some(
                "Tick at least one thing for the dashboard to show.".into(),
            ));
            return;
        }
        let (service, service_title) = if new {
            (catalogue::slug_of(&title), title.trim().to_string())
        } else {
            let title = listed
                .as_ref()
                .and_then(|l| l.services.iter().find(|s| s.slug == chosen))
                .map(|s| s.title.clone())
                .unwrap_or_else(|| chosen.clone());
            (chosen.clone(), title)
        };
        if service.is_empty() {
            problem.set(Some("The service's name needs letters or digits.".into()));
            return;
        }
        let slug = if wanted_address.trim().is_empty() {
            service.clone()
        } else {
            catalogue::slug_of(&wanted_address)
        };
        busy.set(true);
        problem.set(None);
        spawn_local(async move {
            let result = create_all(
                new,
                &service,
                &service_title,
                &org,
                &description,
                &slug,
                &keys,
                token,
            )
            .await;
            busy.set(false);
            match result {
                Ok(made) => created.set(Some(made)),
                Err(e) => problem.set(Some(e)),
            }
        });
    };

    view! {
        <span class="govuk-caption-l">"Step 1 of 2: choose"</span>
        <h1 class="govuk-heading-xl">"Build a dashboard"</h1>
        <ProblemSummary problem id="build-problem"/>
        <Show when=move || created.get().is_some() fallback=move || view! {
            <p class="govuk-body-l">"Pick your service, tick what the dashboard should show, and Pulse makes the data sets and the charts. You can change everything afterwards, and nothing is public until you publish."</p>
            <form on:submit=submit class="pulse-build" novalidate>
                <Suspense fallback=|| view! { <p class="govuk-body">"Loading your services…"</p> }>
                    {move || Suspend::new(async move {
                        let mine: Vec<ServiceListing> = services
                            .await
                            .map(|l| l.services)
                            .unwrap_or_default()
                            .into_iter()
                            .filter(|s| user.with_value(|u| theirs(u, s)))
                            .collect();
                        let my_orgs: Vec<Organisation> = orgs
                            .await
                            .unwrap_or_default()
                            .into_iter()
                            .filter(|o| user.with_value(|u| u.role == Role::Admin || u.organisations.contains(&o.slug)))
                            .collect();
                        let radios: Vec<_> = mine
                            .into_iter()
                            .map(|s| {
                                let id = format!("service-{}", s.slug);
                                let value = s.slug.clone();
                                let v2 = value.clone();
                                view! {
                                    <div class="govuk-radios__item">
                                        <input class="govuk-radios__input" id=id.clone() name="service" type="radio" value=value
                                            on:change=move |_| choice.set(v2.clone())/>
                                        <label class="govuk-label govuk-radios__label" for=id>{s.title}</label>
                                    </div>
                                }
                            })
                            .collect();
                        let options: Vec<_> = my_orgs
                            .into_iter()
                            .map(|o| view! { <option value=o.slug.clone()>{o.title}</option> })
                            .collect();
                        view! {
                            <div class="govuk-form-group">
                                <fieldset class="govuk-fieldset">
                                    <legend class="govuk-fieldset__legend govuk-fieldset__legend--m">
                                        <h2 class="govuk-fieldset__heading">"Which service is the dashboard for?"</h2>
                                    </legend>
                                    <div class="govuk-radios" data-module="govuk-radios">
                                        {radios}
                                        <div class="govuk-radios__divider">"or"</div>
                                        <div class="govuk-radios__item">
                                            <input class="govuk-radios__input" id="service-new" name="service" type="radio" value="new"
                                                on:change=move |_| choice.set("new".into())/>
                                            <label class="govuk-label govuk-radios__label" for="service-new">"A new service"</label>
                                        </div>
                                    </div>
                                </fieldset>
                            </div>
                            <div class="govuk-inset-text pulse-build__new" hidden=move || choice.get() != "new">
                                <div class="govuk-form-group">
                                    <label class="govuk-label" for="new-title">"The service's name"</label>
                                    <div class="govuk-hint" id="new-title-hint">"As its users know it, such as “Apply for a fishing licence”."</div>
                                    <input class="govuk-input" id="new-title" type="text" node_ref=new_title aria-describedby="new-title-hint"/>
                                </div>
                                <div class="govuk-form-group">
                                    <label class="govuk-label" for="new-org">"Organisation that runs it"</label>
                                    <select class="govuk-select" id="new-org" node_ref=new_org>{options}</select>
                                </div>
                                <div class="govuk-form-group">
                                    <label class="govuk-label" for="new-description">"What it does (optional)"</label>
                                    <textarea class="govuk-textarea" id="new-description" rows="2" node_ref=new_description></textarea>
                                </div>
                            </div>
                        }
                    })}
                </Suspense>
                <div class="govuk-form-group">
                    <fieldset class="govuk-fieldset" aria-describedby="kpis-hint">
                        <legend class="govuk-fieldset__legend govuk-fieldset__legend--m">
                            <h2 class="govuk-fieldset__heading">"What should the dashboard show?"</h2>
                        </legend>
                        <div class="govuk-hint" id="kpis-hint">"Pulse makes a data set of the right type for each, and a chart."</div>
                        <div class="govuk-checkboxes" data-module="govuk-checkboxes">
                            {CHOICES.iter().map(|c| {
                                let key = c.key.to_string();
                                let id = format!("kpi-{}", c.key);
                                let hint = format!("{id}-hint");
                                let k1 = key.clone();
                                let k2 = key.clone();
                                view! {
                                    <div class="govuk-checkboxes__item">
                                        <input class="govuk-checkboxes__input" id=id.clone() name="kpis" type="checkbox" value=key
                                            aria-describedby=hint.clone()
                                            prop:checked=move || kpis.with(|k| k.contains(&k1))
                                            on:change=move |ev| {
                                                let on = event_target_checked(&ev);
                                                kpis.update(|k| {
                                                    k.retain(|x| x != &k2);
                                                    if on { k.push(k2.clone()); }
                                                });
                                            }/>
                                        <label class="govuk-label govuk-checkboxes__label" for=id>{c.title}</label>
                                        <div class="govuk-hint govuk-checkboxes__hint" id=hint>{c.hint}</div>
                                    </div>
                                }
                            }).collect::<Vec<_>>()}
                        </div>
                    </fieldset>
                </div>
                <div class="govuk-form-group">
                    <label class="govuk-label govuk-label--s" for="address">"The dashboard's address (optional)"</label>
                    <div class="govuk-hint" id="address-hint">"Pulse uses the service's short name if you leave this empty."</div>
                    <div class="govuk-input__wrapper">
                        <div class="govuk-input__prefix" aria-hidden="true">"/"</div>
                        <input class="govuk-input govuk-input--width-20" id="address" type="text" node_ref=address aria-describedby="address-hint"/>
                    </div>
                </div>
                <button type="submit" class="govuk-button" id="create-dashboard" data-module="govuk-button" disabled=move || busy.get()>
                    {move || if busy.get() { "Creating…" } else { "Create the dashboard" }}
                </button>
            </form>
        }>
            {move || created.get().map(|c| view! { <CreatedPanel created=c/> })}
        </Show>
    }
}

/// Makes the dashboard with one call (`POST /api/v1/services/{slug}/dashboard`):
/// the service (if new), a data set per data type needed (kept where it
/// exists) and the dashboard itself, all or nothing.
#[allow(clippy::too_many_arguments)]
async fn create_all(
    new: bool,
    service: &str,
    service_title: &str,
    org: &str,
    description: &str,
    slug: &str,
    keys: &[String],
    csrf: String,
) -> Result<Created, String> {
    use crate::model::{NewServiceDetails, ServiceDashboard, ServiceDashboardRequest};
    let request = ServiceDashboardRequest {
        kpis: keys.to_vec(),
        dashboard: Some(slug.to_string()),
        new_service: new.then(|| NewServiceDetails {
            title: service_title.to_string(),
            description: description.trim().to_string(),
            organisation: org.to_string(),
        }),
    };
    let path = format!(
        "/api/v1/services/{}/dashboard",
        api::encode_component(service)
    );
    let made: ServiceDashboard = api::send_json("POST", path, api::body(&request), csrf)
        .await
        .map_err(|e| format!("The dashboard could not be made: {e}"))?;
    Ok(Created {
        slug: made.dashboard.slug,
        tokens: made
            .tokens
            .into_iter()
            .map(|t| (t.data_set, t.bearer_token))
            .collect(),
        existing: made.existing,
    })
}

#[component]
fn CreatedPanel(created: Created) -> impl IntoView {
    let next = format!("/build/{}", created.slug);
    let tokens: Vec<_> = created
        .tokens
        .iter()
        .map(|(name, token)| {
            let id = format!("token-{}", name.replace('/', "-"));
            view! {
                <div class="govuk-summary-list__row">
                    <dt class="govuk-summary-list__key">{name.clone()}</dt>
                    <dd class="govuk-summary-list__value"><code class="pulse-token" id=id>{token.clone()}</code></dd>
                </div>
            }
        })
        .collect();
    let existing = (!created.existing.is_empty()).then(|| {
        view! {
            <p class="govuk-body">
                {format!("These data sets already existed and are used as they are: {}.", created.existing.join(", "))}
            </p>
        }
    });
    let has_tokens = !created.tokens.is_empty();
    view! {
        <div class="govuk-panel govuk-panel--confirmation pulse-build__done" id="dashboard-created">
            <h2 class="govuk-panel__title">"Dashboard created"</h2>
            <div class="govuk-panel__body">{format!("At /{}, not yet published", created.slug)}</div>
        </div>
        {has_tokens.then(|| view! {
            <h2 class="govuk-heading-m">"Write tokens: copy them now"</h2>
            <div class="govuk-warning-text">
                <span class="govuk-warning-text__icon" aria-hidden="true">"!"</span>
                <strong class="govuk-warning-text__text">
                    <span class="govuk-visually-hidden">"Warning"</span>
                    "Each data set's token is shown only this once. Your developers send data with it (see "
                    <a class="govuk-link" href="/guide/send-data">"Send data"</a>
                    "). You can make a new one later."
                </strong>
            </div>
            <dl class="govuk-summary-list" id="write-tokens">{tokens}</dl>
        })}
        {existing}
        <a class="govuk-button" href=next id="arrange-modules" data-module="govuk-button">"Continue: arrange, fill and publish"</a>
    }
}

// --- /build/{dashboard} ---------------------------------------------------------

#[component]
pub fn BuildDashboardPage() -> impl IntoView {
    let params = use_params_map();
    let slug = params.with_untracked(|p| p.get("dashboard").unwrap_or_default());
    let next = format!("/build/{slug}");
    let slug = StoredValue::new(slug);
    view! {
        <Title text="Arrange a dashboard - Pulse"/>
        <EditorsOnly next>
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
        <Show when=move || ready.get() fallback=|| view! { <p class="govuk-body" id="builder-loading">"Loading the builder…"</p> }>
            {children()}
        </Show>
    }
}

/// Saves the whole dashboard; when the API refuses, the draft goes back to
/// `previous` and the reason is shown.
fn save_dashboard(
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
                let current = draft.get_untracked();
                if current == sent_from && current.as_ref() != Some(&saved) {
                    draft.set(Some(saved));
                }
                said.set(format!("{what} Saved."));
            }
            Err(e) => {
                if previous.is_some() {
                    draft.set(previous);
                }
                problem.set(Some(format!("Not saved: {e}")));
                said.set(format!("Not saved: {e}"));
            }
        }
    });
}

#[component]
fn Arrange(slug: String) -> impl IntoView {
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
        <Suspense fallback=|| view! { <p class="govuk-body">"Loading the dashboard…"</p> }>
            {move || Suspend::new(async move {
                match loaded.await {
                    Ok(d) => view! { <Arranger dashboard=d csrf=csrf.get_value()/> }.into_any(),
                    Err(e) => view! { <super::ApiErrorView error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// A unique module slug for a title among the dashboard's modules.
fn unique_slug(modules: &[Module], title: &str) -> String {
    let base = match catalogue::slug_of(title) {
        s if s.is_empty() => "module".to_string(),
        s => s,
    };
    let mut slug = base.clone();
    let mut n = 2;
    while modules.iter().any(|m| m.slug == slug) {
        slug = format!("{base}-{n}");
        n += 1;
    }
    slug
}

#[component]
fn Arranger(dashboard: Dashboard, csrf: String) -> impl IntoView {
    let slug = dashboard.slug.clone();
    let service = dashboard.service.clone().unwrap_or_default();
    let draft = RwSignal::new(Some(dashboard));
    let problem = RwSignal::new(None::<String>);
    let said = RwSignal::new(String::new());
    let csrf = StoredValue::new(csrf);
    let editing = RwSignal::new(None::<String>);
    let dragging = RwSignal::new(None::<usize>);
    let data_sets_version = RwSignal::new(0u32);
    let data_sets = Resource::new(move || data_sets_version.get(), |_| api::data_sets());
    let service_for_sets = service.clone();
    let mine = move || {
        data_sets
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .filter(|d| d.data_group == service_for_sets)
            .collect::<Vec<DataSet>>()
    };
    let mine = StoredValue::new(mine);
    let new_token = RwSignal::new(None::<(String, String)>);

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
    // `follow` moves the focus to the moved module's handle once redrawn
    // (for the keys and buttons that moved it; a mouse drop leaves it be).
    let move_module = move |from: usize, to: usize, follow: bool| {
        let Some(d) = draft.get_untracked() else {
            return;
        };
        if from >= d.modules.len() || to >= d.modules.len() || from == to {
            return;
        }
        let title = d.modules[from].title.clone();
        let what = format!(
            "Moved “{title}” to position {} of {}.",
            to + 1,
            d.modules.len()
        );
        change.run((
            what,
            Box::new(move |d: &mut Dashboard| {
                let m = d.modules.remove(from);
                d.modules.insert(to, m);
            }),
        ));
        // Focus follows the module moved (its handle, once redrawn), unless
        // the person has put it somewhere outside the list meanwhile (the
        // list is redrawn in place, so the focus may still be on the row the
        // module left).
        #[cfg(feature = "hydrate")]
        if follow {
            set_timeout(
                move || {
                    use wasm_bindgen::JsCast;
                    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
                        return;
                    };
                    let lost = doc.active_element().is_none_or(|e| {
                        !e.is_connected()
                            || e.tag_name() == "BODY"
                            || e.closest(".pulse-build__modules").ok().flatten().is_some()
                    });
                    if let Some(el) = doc
                        .get_element_by_id(&format!("handle-{to}"))
                        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
                        .filter(|_| lost)
                    {
                        let _ = el.focus();
                    }
                },
                std::time::Duration::from_millis(30),
            );
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = follow;
    };

    let publish = move |status: DashboardStatus| {
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
            let path = format!(
                "/api/v1/dashboards/{}/publish",
                api::encode_component(&d.slug)
            );
            match api::send_json::<crate::model::PublishedDashboard>("POST", path, None, token)
                .await
            {
                Ok(done) => {
                    problem.set(None);
                    draft.set(Some(done.dashboard));
                    data_sets_version.update(|v| *v += 1);
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
    };

    // The details form.
    let title_input = NodeRef::<leptos::html::Input>::new();
    let description_input = NodeRef::<leptos::html::Textarea>::new();
    let save_details = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let title = title_input
            .get_untracked()
            .map(|i| i.value())
            .unwrap_or_default();
        let description = description_input
            .get_untracked()
            .map(|t| t.value())
            .unwrap_or_default();
        if title.trim().is_empty() {
            problem.set(Some("Enter the dashboard's title.".into()));
            return;
        }
        change.run((
            "Details changed.".into(),
            Box::new(move |d: &mut Dashboard| {
                d.title = title.trim().to_string();
                d.description = description.trim().to_string();
            }),
        ));
    };

    // The add-a-module form.
    let add_type = NodeRef::<leptos::html::Select>::new();
    let add_set = NodeRef::<leptos::html::Select>::new();
    let add_title = NodeRef::<leptos::html::Input>::new();
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let t = add_type
            .get_untracked()
            .map(|s| s.value())
            .and_then(|v| catalogue::module_type_named(&v));
        let set = add_set
            .get_untracked()
            .map(|s| s.value())
            .unwrap_or_default();
        let title = add_title
            .get_untracked()
            .map(|i| i.value())
            .unwrap_or_default();
        let Some(t) = t else {
            problem.set(Some("Choose what kind of module to add.".into()));
            return;
        };
        if set.is_empty() {
            problem.set(Some("Choose the data set the module shows.".into()));
            return;
        }
        if title.trim().is_empty() {
            problem.set(Some("Enter the module's title.".into()));
            return;
        }
        if let Some(i) = add_title.get_untracked() {
            i.set_value("");
        }
        change.run((
            format!("Added “{}”.", title.trim()),
            Box::new(move |d: &mut Dashboard| {
                let slug = unique_slug(&d.modules, &title);
                d.modules
                    .push(catalogue::new_module(t, &set, &slug, title.trim()));
            }),
        ));
    };

    let preview = format!("/{slug}");
    let rotate = move |name: String| {
        let token = csrf.get_value();
        spawn_local(async move {
            let path = format!("/api/v1/data-sets/{name}/token");
            match api::send_json::<crate::model::DataSetToken>("POST", path, None, token).await {
                Ok(answer) => new_token.set(Some((name, answer.bearer_token))),
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };

    view! {
        <div class="govuk-breadcrumbs">
            <ol class="govuk-breadcrumbs__list">
                <li class="govuk-breadcrumbs__list-item"><a class="govuk-breadcrumbs__link" href="/build">"Build a dashboard"</a></li>
            </ol>
        </div>
        <span class="govuk-caption-l">"Step 2 of 2: arrange, fill and publish"</span>
        <h1 class="govuk-heading-xl">{move || draft.with(|d| d.as_ref().map(|d| d.title.clone()).unwrap_or_default())}</h1>
        <ProblemSummary problem id="arrange-problem"/>
        <p class="govuk-body pulse-build__status">
            {move || match draft.with(|d| d.as_ref().map(|d| d.status)) {
                Some(DashboardStatus::Published) => view! { <strong class="govuk-tag govuk-tag--green" id="dashboard-status">"Published"</strong> }.into_any(),
                _ => view! { <strong class="govuk-tag govuk-tag--grey" id="dashboard-status">"Draft: not published"</strong> }.into_any(),
            }}
            " "
            <a class="govuk-link" href=preview.clone() id="preview-link">"Preview the dashboard"</a>
            <span class="govuk-body-s">" (as everyone will see it once published)"</span>
        </p>
        <p class="govuk-body-s" role="status" aria-live="polite" id="builder-said">{move || said.get()}</p>
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

        <h2 class="govuk-heading-l" id="modules-heading">"Modules"</h2>
        <p class="govuk-body" id="modules-hint">"In the order the dashboard shows them. Drag a module by its handle to move it, or focus the handle and press the up and down arrow keys."</p>
        <ol class="pulse-build__modules" aria-labelledby="modules-heading" aria-describedby="modules-hint">
            {move || {
                let modules = draft.with(|d| d.as_ref().map(|d| d.modules.clone()).unwrap_or_default());
                let n = modules.len();
                modules.into_iter().enumerate().map(|(i, m)| {
                    let title = m.title.clone();
                    let slug = m.slug.clone();
                    let words = catalogue::module_type_words(m.module_type);
                    let data_set = m.data_set.clone().unwrap_or_else(|| format!("{} modules", m.modules.len()));
                    let label = format!("Move “{title}” (position {} of {n}): up and down arrow keys", i + 1);
                    let is_editing = {
                        let slug = slug.clone();
                        move || editing.get().as_deref() == Some(slug.as_str())
                    };
                    let slug_for_edit = slug.clone();
                    let is_editing_too = is_editing.clone();
                    let title_for_remove = title.clone();
                    let module_for_form = m.clone();
                    view! {
                        <li class="pulse-build__module" draggable="true" data-slug=slug.clone()
                            on:dragstart=move |ev: leptos::ev::DragEvent| {
                                #[cfg(feature = "hydrate")]
                                if let Some(dt) = ev.data_transfer() {
                                    let _ = dt.set_data("text/plain", &i.to_string());
                                    dt.set_effect_allowed("move");
                                }
                                #[cfg(not(feature = "hydrate"))]
                                let _ = ev;
                                dragging.set(Some(i));
                            }
                            on:dragend=move |_| dragging.set(None)
                            on:dragover=move |ev: leptos::ev::DragEvent| ev.prevent_default()
                            on:drop=move |ev: leptos::ev::DragEvent| {
                                ev.prevent_default();
                                if let Some(from) = dragging.get_untracked() {
                                    dragging.set(None);
                                    move_module(from, i, false);
                                }
                            }>
                            <div class="pulse-build__module-row">
                                <button type="button" class="pulse-build__handle" id=format!("handle-{i}") aria-label=label
                                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                                        match ev.key().as_str() {
                                            "ArrowUp" if i > 0 => { ev.prevent_default(); move_module(i, i - 1, true); }
                                            "ArrowDown" if i + 1 < n => { ev.prevent_default(); move_module(i, i + 1, true); }
                                            _ => {}
                                        }
                                    }>"⠿"</button>
                                <div class="pulse-build__module-text">
                                    <span class="govuk-body govuk-!-font-weight-bold pulse-build__module-title">{title.clone()}</span>
                                    <span class="govuk-body-s pulse-build__module-kind">{format!("{words} · {data_set}")}</span>
                                </div>
                                <div class="pulse-build__module-actions">
                                    <button type="button" class="govuk-button govuk-button--secondary pulse-build__small" disabled={i == 0}
                                        on:click=move |_| move_module(i, i.saturating_sub(1), true)>"Move up"<span class="govuk-visually-hidden">{format!(" “{title}”")}</span></button>
                                    <button type="button" class="govuk-button govuk-button--secondary pulse-build__small" disabled={i + 1 >= n}
                                        on:click=move |_| move_module(i, i + 1, true)>"Move down"<span class="govuk-visually-hidden">{format!(" “{}”", m.title)}</span></button>
                                    <button type="button" class="govuk-button govuk-button--secondary pulse-build__small"
                                        aria-expanded=move || is_editing().to_string()
                                        on:click=move |_| editing.update(|e| {
                                            *e = if e.as_deref() == Some(slug_for_edit.as_str()) { None } else { Some(slug_for_edit.clone()) };
                                        })>"Change"<span class="govuk-visually-hidden">{format!(" “{}”", m.title)}</span></button>
                                    <button type="button" class="govuk-button govuk-button--warning pulse-build__small"
                                        on:click=move |_| {
                                            let t = title_for_remove.clone();
                                            change.run((
                                                format!("Removed “{t}”."),
                                                Box::new(move |d: &mut Dashboard| { d.modules.remove(i); }),
                                            ));
                                        }>"Remove"<span class="govuk-visually-hidden">{format!(" “{}”", m.title)}</span></button>
                                </div>
                            </div>
                            <Show when=is_editing_too>
                                <ModuleForm module=module_for_form.clone() index=i change editing/>
                            </Show>
                        </li>
                    }
                }).collect::<Vec<_>>()
            }}
        </ol>

        <h2 class="govuk-heading-m" id="add-heading">"Add a module"</h2>
        <form on:submit=add class="pulse-build__add" aria-labelledby="add-heading">
            <div class="govuk-form-group">
                <label class="govuk-label" for="add-type">"Kind of module"</label>
                <select class="govuk-select" id="add-type" node_ref=add_type>
                    {MODULE_TYPES.iter().map(|(t, words)| view! {
                        <option value=catalogue::module_type_name(*t)>{*words}</option>
                    }).collect::<Vec<_>>()}
                </select>
            </div>
            <div class="govuk-form-group">
                <label class="govuk-label" for="add-set">"Data set it shows"</label>
                // The options come with the data sets; the select is drawn
                // whole (markers of a suspended part inside it would not survive
                // the HTML parser).
                <Suspense fallback=|| view! { <select class="govuk-select" id="add-set" disabled></select> }>
                    {move || Suspend::new(async move {
                        let _ = data_sets.await;
                        let options = mine.with_value(|m| m()).into_iter().map(|d| {
                            let name = format!("{}/{}", d.data_group, d.data_type);
                            view! { <option value=name.clone()>{name.clone()}</option> }
                        }).collect::<Vec<_>>();
                        view! { <select class="govuk-select" id="add-set" node_ref=add_set>{options}</select> }
                    })}
                </Suspense>
            </div>
            <div class="govuk-form-group">
                <label class="govuk-label" for="add-title">"Title"</label>
                <input class="govuk-input govuk-input--width-30" id="add-title" type="text" node_ref=add_title/>
            </div>
            <button type="submit" class="govuk-button govuk-button--secondary" id="add-module" data-module="govuk-button">"Add the module"</button>
        </form>

        <h2 class="govuk-heading-l">"Data"</h2>
        <p class="govuk-body">"Send figures through the API (see "<a class="govuk-link" href="/guide/send-data">"Send data"</a>"), or upload a spreadsheet here."</p>
        {move || new_token.get().map(|(name, token)| view! {
            <div class="govuk-inset-text" id="new-token">
                {format!("New write token for {name} (shown once; the old one no longer works): ")}
                <code class="pulse-token">{token}</code>
            </div>
        })}
        <Suspense fallback=|| view! { <p class="govuk-body">"Loading the data sets…"</p> }>
            {move || Suspend::new(async move {
                let _ = data_sets.await;
                let sets = mine.with_value(|m| m());
                if sets.is_empty() {
                    return view! { <p class="govuk-body">"This service has no data sets yet."</p> }.into_any();
                }
                let rows: Vec<_> = sets.into_iter().map(|d| {
                    let name = format!("{}/{}", d.data_group, d.data_type);
                    let upload = format!("/data-sets/{name}");
                    let template = format!("/api/v1/data-types/{}/template.csv", d.data_type);
                    let has_template = catalogue::find(&d.data_type).is_some();
                    let n2 = name.clone();
                    view! {
                        <tr class="govuk-table__row">
                            <th scope="row" class="govuk-table__header"><code>{name.clone()}</code></th>
                            <td class="govuk-table__cell">{if d.published { "Published" } else { "Not published" }}</td>
                            <td class="govuk-table__cell">
                                <a class="govuk-link" href=upload>"Upload a spreadsheet"<span class="govuk-visually-hidden">{format!(" to {name}")}</span></a>
                                {has_template.then(|| view! { " · " <a class="govuk-link" href=template.clone()>"CSV template"</a> })}
                                " · "
                                <button type="button" class="pulse-link-button" on:click=move |_| rotate(n2.clone())>
                                    "New write token"<span class="govuk-visually-hidden">{format!(" for {name}")}</span>
                                </button>
                            </td>
                        </tr>
                    }
                }).collect();
                view! {
                    <table class="govuk-table" id="data-sets">
                        <caption class="govuk-table__caption govuk-table__caption--s">"The service's data sets"</caption>
                        <thead class="govuk-table__head"><tr class="govuk-table__row">
                            <th scope="col" class="govuk-table__header">"Data set"</th>
                            <th scope="col" class="govuk-table__header">"Status"</th>
                            <th scope="col" class="govuk-table__header">"Actions"</th>
                        </tr></thead>
                        <tbody class="govuk-table__body">{rows}</tbody>
                    </table>
                }.into_any()
            })}
        </Suspense>

        <h2 class="govuk-heading-m" id="details-heading">"Details"</h2>
        <form on:submit=save_details aria-labelledby="details-heading">
            <div class="govuk-form-group">
                <label class="govuk-label" for="dashboard-title">"Title"</label>
                <input class="govuk-input" id="dashboard-title" type="text" node_ref=title_input
                    value=draft.with_untracked(|d| d.as_ref().map(|d| d.title.clone()).unwrap_or_default())/>
            </div>
            <div class="govuk-form-group">
                <label class="govuk-label" for="dashboard-description">"What the service does"</label>
                // A textarea's text is set as a property: markers in its
                // server-rendered content would be shown as text.
                <textarea class="govuk-textarea" id="dashboard-description" rows="3" node_ref=description_input
                    prop:value=draft.with_untracked(|d| d.as_ref().map(|d| d.description.clone()).unwrap_or_default())>
                </textarea>
            </div>
            <button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button">"Save the details"</button>
        </form>
    }
}

/// A change to the dashboard being built.
type Edit = Box<dyn FnOnce(&mut Dashboard)>;

/// The form that changes one module: its words, and the period and span its
/// query reads.
#[component]
fn ModuleForm(
    module: Module,
    index: usize,
    change: Callback<(String, Edit)>,
    editing: RwSignal<Option<String>>,
) -> impl IntoView {
    let id = |f: &str| format!("module-{}-{f}", module.slug);
    let title = NodeRef::<leptos::html::Input>::new();
    let description = NodeRef::<leptos::html::Textarea>::new();
    let info = NodeRef::<leptos::html::Textarea>::new();
    let period = NodeRef::<leptos::html::Select>::new();
    let duration = NodeRef::<leptos::html::Input>::new();
    let format = NodeRef::<leptos::html::Select>::new();
    let timed = crate::query_string::param(&module.query, "period").is_some();
    let current_period = crate::query_string::param(&module.query, "period").unwrap_or_default();
    let current_duration =
        crate::query_string::param(&module.query, "duration").unwrap_or_default();
    let formats = matches!(
        module.module_type,
        ModuleType::Kpi
            | ModuleType::SingleTimeseries
            | ModuleType::BarChartWithNumber
            | ModuleType::GroupedTimeseries
    );
    let current_format = module
        .options
        .get("format")
        .and_then(Value::as_str)
        .unwrap_or("number")
        .to_string();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let new_title = title.get_untracked().map(|i| i.value()).unwrap_or_default();
        let new_description = description
            .get_untracked()
            .map(|t| t.value())
            .unwrap_or_default();
        let new_info = info.get_untracked().map(|t| t.value()).unwrap_or_default();
        let new_period = period.get_untracked().map(|s| s.value());
        let new_duration = duration.get_untracked().map(|i| i.value());
        let new_format = format.get_untracked().map(|s| s.value());
        if new_title.trim().is_empty() {
            return;
        }
        if let Some(d) = &new_duration {
            if !d.is_empty() && d.parse::<u32>().map_or(true, |n| n == 0 || n > 520) {
                return;
            }
        }
        editing.set(None);
        change.run((
            format!("Changed “{}”.", new_title.trim()),
            Box::new(move |d: &mut Dashboard| {
                let Some(m) = d.modules.get_mut(index) else {
                    return;
                };
                m.title = new_title.trim().to_string();
                m.description = new_description.trim().to_string();
                m.info = new_info.trim().to_string();
                if let Some(p) = new_period {
                    m.query = crate::query_string::with_param(&m.query, "period", &p);
                }
                if let Some(n) = new_duration {
                    m.query = crate::query_string::with_param(&m.query, "duration", &n);
                }
                if let (Some(f), Some(options)) = (new_format, m.options.as_object_mut()) {
                    if f == "number" {
                        options.remove("format");
                    } else {
                        options.insert("format".into(), Value::String(f));
                    }
                }
            }),
        ));
    };
    let periods = ["week", "month", "quarter", "year"];
    view! {
        <form class="pulse-build__module-form" on:submit=submit>
            <div class="govuk-form-group">
                <label class="govuk-label" for=id("title")>"Title"</label>
                <input class="govuk-input" id=id("title") type="text" node_ref=title value=module.title.clone() required/>
            </div>
            <div class="govuk-form-group">
                <label class="govuk-label" for=id("description")>"Description (under the title)"</label>
                <textarea class="govuk-textarea" id=id("description") rows="2" node_ref=description prop:value=module.description.clone()></textarea>
            </div>
            <div class="govuk-form-group">
                <label class="govuk-label" for=id("info")>"About the data"</label>
                <textarea class="govuk-textarea" id=id("info") rows="2" node_ref=info prop:value=module.info.clone()></textarea>
            </div>
            {timed.then(|| view! {
                <div class="govuk-form-group">
                    <label class="govuk-label" for=id("period")>"One point per"</label>
                    <select class="govuk-select" id=id("period") node_ref=period>
                        {periods.iter().map(|p| view! { <option value=*p selected={*p == current_period}>{*p}</option> }).collect::<Vec<_>>()}
                    </select>
                </div>
                <div class="govuk-form-group">
                    <label class="govuk-label" for=id("duration")>"How many periods (1 to 520)"</label>
                    <input class="govuk-input govuk-input--width-4" id=id("duration") type="number" min="1" max="520" inputmode="numeric"
                        node_ref=duration value=current_duration.clone()/>
                </div>
            })}
            {formats.then(|| view! {
                <div class="govuk-form-group">
                    <label class="govuk-label" for=id("format")>"Show values as"</label>
                    <select class="govuk-select" id=id("format") node_ref=format>
                        {[("number", "numbers"), ("pounds", "pounds"), ("percent", "percentages (of 1)")].iter().map(|(v, w)| view! {
                            <option value=*v selected={*v == current_format}>{*w}</option>
                        }).collect::<Vec<_>>()}
                    </select>
                </div>
            })}
            <button type="submit" class="govuk-button" data-module="govuk-button">"Save the module"</button>
            " "
            <button type="button" class="govuk-button govuk-button--secondary" on:click=move |_| editing.set(None)>"Cancel"</button>
        </form>
    }
}
