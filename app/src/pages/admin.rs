//! `/admin/users` and `/admin/audit`, for admins: the people who sign in (create,
//! change role and organisations, deactivate), and the log of every change.
//! Both are views of `/api/v1/users` and `/api/v1/audit`.

use crate::components::scroll_table::ScrollTable;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api;
use crate::components::problem::{ProblemSummary, Warning};
use crate::kpi::format_date;
use crate::model::{Role, SessionState, User, UserChangeRequest};

/// The admin check every admin page makes first: 401 for nobody, 403 for
/// someone who is not an admin.
fn refused(session: &SessionState) -> Option<AnyView> {
    match &session.user {
        None => {
            super::set_status(401);
            Some(
                view! {
                    <h1 class="govuk-heading-xl">"Sign in"</h1>
                    <p class="govuk-body" id="admin-refused">
                        "This page is for admins: "
                        <a class="govuk-link" href="/sign-in">"sign in"</a>" first."
                    </p>
                }
                .into_any(),
            )
        }
        Some(user) if user.role != Role::Admin => {
            super::set_status(403);
            Some(
                view! {
                    <h1 class="govuk-heading-xl">"You cannot see this page"</h1>
                    <p class="govuk-body" id="admin-refused">
                        "Only admins manage users and read the audit log. Ask an admin of Pulse if you need a change."
                    </p>
                }
                .into_any(),
            )
        }
        Some(_) => None,
    }
}

/// An admin page's read, asked only once the session says an admin is
/// signed in ([`super::when_signed_in`]): nobody else's visit asks the API.
async fn when_admin<T, F>(
    session: super::SessionRead,
    read: impl FnOnce() -> F,
) -> Result<T, api::ApiError>
where
    F: std::future::Future<Output = Result<T, api::ApiError>>,
{
    super::when_signed_in(session, |user| async move {
        if user.role == Role::Admin {
            read().await
        } else {
            Err(api::ApiError::Status {
                status: 403,
                message: "This is for admins.".into(),
            })
        }
    })
    .await
}

fn admin_nav(here: &'static str) -> impl IntoView {
    crate::components::navigation::section_nav(
        "Administration",
        &[
            ("/admin/users", "Users"),
            ("/invitations", "Invitations"),
            ("/admin/mail", "E-mail"),
            ("/admin/reminders", "Late data"),
            ("/admin/audit", "Audit log"),
        ],
        here,
    )
}

#[component]
pub fn AdminUsersPage() -> impl IntoView {
    let session = Resource::new(|| (), |_| api::session());
    let version = RwSignal::new(0u32);
    let users = Resource::new(
        move || version.get(),
        move |_| when_admin(session, api::users),
    );
    view! {
        <Title text="Users - Pulse"/>
        <Suspense fallback=|| view! { <p class="govuk-body">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let session = session.await.unwrap_or_default();
                if let Some(refusal) = refused(&session) {
                    return refusal;
                }
                view! { <Users csrf=session.csrf_token.unwrap_or_default() version users/> }.into_any()
            })}
        </Suspense>
    }
}

#[component]
fn Users(
    csrf: String,
    version: RwSignal<u32>,
    users: Resource<Result<Vec<User>, api::ApiError>>,
) -> impl IntoView {
    let csrf = StoredValue::new(csrf);
    let problem = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    // Organisations typed and not saved, by person: the list is drawn again
    // after every change, which would put another row's back as saved.
    let typed = StoredValue::new(std::collections::HashMap::<i64, String>::new());

    let change = move |id: i64, change: UserChangeRequest| {
        let saves_organisations = change.organisations.is_some();
        let body = api::body(&change);
        let token = csrf.get_value();
        spawn_local(async move {
            match api::send_json::<User>("PATCH", format!("/api/v1/users/{id}"), body, token).await
            {
                Ok(user) => {
                    problem.set(None);
                    done.set(Some(format!(
                        "{} is now {} of {} and {}.",
                        user.display_name,
                        user.role.as_str(),
                        if user.organisations.is_empty() {
                            "no organisation".to_string()
                        } else {
                            user.organisations.join(", ")
                        },
                        if user.active { "active" } else { "deactivated" }
                    )));
                    if saves_organisations {
                        typed.try_update_value(|t| t.remove(&id));
                    }
                    version.update(|v| *v += 1);
                }
                Err(e) => {
                    problem.set(Some(e.to_string()));
                    // The row shows what is stored again (a role refused).
                    version.update(|v| *v += 1);
                }
            }
        });
    };
    view! {
        {admin_nav("/admin/users")}
        <h1 class="govuk-heading-xl">"Users"</h1>
        <ProblemSummary problem id="users-problem"/>
        {move || done.get().map(|d| view! { <div class="govuk-inset-text" id="users-done" role="status">{d}</div> })}
        <Suspense fallback=|| view! { <p class="govuk-body">"Loading the users…"</p> }>
            {move || Suspend::new(async move {
                let list = users.await.unwrap_or_default();
                view! {
                    <ScrollTable label="Users"><table class="govuk-table" id="users">
                        <caption class="govuk-table__caption govuk-table__caption--m">"Everyone who can sign in"</caption>
                        <thead class="govuk-table__head"><tr class="govuk-table__row">
                            <th scope="col" class="govuk-table__header">"Name"</th>
                            <th scope="col" class="govuk-table__header">"Email"</th>
                            <th scope="col" class="govuk-table__header">"Organisations"</th>
                            <th scope="col" class="govuk-table__header">"Role"</th>
                            <th scope="col" class="govuk-table__header">"Status"</th>
                        </tr></thead>
                        <tbody class="govuk-table__body">
                            {list.into_iter().map(|u| {
                                let id = u.id;
                                let role_id = format!("role-{id}");
                                let active = u.active;
                                view! {
                                    <tr class="govuk-table__row" data-user=u.email.clone()>
                                        <th scope="row" class="govuk-table__header">{u.display_name.clone()}</th>
                                        <td class="govuk-table__cell">{u.email.clone()}</td>
                                        <td class="govuk-table__cell">
                                            {
                                                let orgs_id = format!("orgs-{id}");
                                                let current = RwSignal::new(
                                                    typed
                                                        .try_with_value(|t| t.get(&id).cloned())
                                                        .flatten()
                                                        .unwrap_or_else(|| u.organisations.join(", ")),
                                                );
                                                view! {
                                                    <label class="govuk-visually-hidden" for=orgs_id.clone()>{format!("Organisations of {}", u.display_name)}</label>
                                                    <input class="govuk-input pulse-orgs" id=orgs_id type="text" spellcheck="false" bind:value=current
                                                        on:input=move |ev| {
                                                            typed.try_update_value(|t| t.insert(id, event_target_value(&ev)));
                                                        }/>
                                                    <button type="button" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0"
                                                        id=format!("save-orgs-{id}")
                                                        on:click=move |_| {
                                                            let orgs: Vec<String> = current
                                                                .get_untracked()
                                                                .split(',')
                                                                .map(|s| s.trim().to_string())
                                                                .filter(|s| !s.is_empty())
                                                                .collect();
                                                            change(id, UserChangeRequest { organisations: Some(orgs), ..Default::default() })
                                                        }>
                                                        "Save"<span class="govuk-visually-hidden">{format!(" the organisations of {}", u.display_name)}</span>
                                                    </button>
                                                }
                                            }
                                        </td>
                                        <td class="govuk-table__cell">
                                            <label class="govuk-visually-hidden" for=role_id.clone()>{format!("Role of {}", u.display_name)}</label>
                                            <select class="govuk-select" id=role_id
                                                on:change=move |ev| change(id, UserChangeRequest { role: Role::parse(&event_target_value(&ev)), ..Default::default() })>
                                                {["viewer", "editor", "admin"].into_iter().map(|r| view! {
                                                    <option value=r selected=u.role.as_str() == r prop:selected=u.role.as_str() == r>{r}</option>
                                                }).collect_view()}
                                            </select>
                                        </td>
                                        <td class="govuk-table__cell">
                                            {if active {
                                                view! { <strong class="govuk-tag govuk-tag--green">"Active"</strong> }.into_any()
                                            } else {
                                                view! { <strong class="govuk-tag govuk-tag--grey">"Deactivated"</strong> }.into_any()
                                            }}
                                            " "
                                            <button type="button" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0"
                                                id=format!("toggle-{id}")
                                                on:click=move |_| change(id, UserChangeRequest { active: Some(!active), ..Default::default() })>
                                                {if active { "Deactivate" } else { "Reactivate" }}
                                            </button>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table></ScrollTable>
                }
            })}
        </Suspense>
        <h2 class="govuk-heading-l">"Add someone"</h2>
        <p class="govuk-body">
            "People join Pulse by invitation: they get an e-mail with a link to set their own password, so nobody else ever knows it. "
            <a class="govuk-link" href="/invitations" id="invite-link">"Invite someone"</a>
        </p>
    }
}

#[component]
pub fn AdminAuditPage() -> impl IntoView {
    let query = use_query_map();
    let session = Resource::new(|| (), |_| api::session());
    let filter = move || query.with(|q| q.get("filter").unwrap_or_default());
    let entries = Resource::new(filter, move |filter| {
        when_admin(session, move || api::audit(filter))
    });
    view! {
        <Title text="Audit log - Pulse"/>
        <Suspense fallback=|| view! { <p class="govuk-body">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let session = session.await.unwrap_or_default();
                if let Some(refusal) = refused(&session) {
                    return refusal;
                }
                let list = entries.await.unwrap_or_default();
                view! {
                    {admin_nav("/admin/audit")}
                    <h1 class="govuk-heading-xl">"Audit log"</h1>
                    <form method="get" action="/admin/audit" class="pulse-filters">
                        <div class="govuk-form-group">
                            <label class="govuk-label" for="audit-filter">"Who, what or which"</label>
                            <div class="govuk-hint" id="audit-filter-hint">"For example, key.revoke, dashboard or an email address"</div>
                            <input class="govuk-input" id="audit-filter" name="filter" type="search"
                                aria-describedby="audit-filter-hint" value=filter prop:value=filter/>
                        </div>
                        <button class="govuk-button govuk-button--secondary" type="submit">"Filter"</button>
                    </form>
                    <div class="pulse-table-scroll" role="region" aria-label="Audit log" tabindex="0">
                        <table class="govuk-table" id="audit">
                            <thead class="govuk-table__head"><tr class="govuk-table__row">
                                <th scope="col" class="govuk-table__header">"When"</th>
                                <th scope="col" class="govuk-table__header">"Who"</th>
                                <th scope="col" class="govuk-table__header">"How"</th>
                                <th scope="col" class="govuk-table__header">"What"</th>
                                <th scope="col" class="govuk-table__header">"Which"</th>
                                <th scope="col" class="govuk-table__header">"Details"</th>
                            </tr></thead>
                            <tbody class="govuk-table__body">
                                {list.into_iter().map(|e| view! {
                                    <tr class="govuk-table__row">
                                        <td class="govuk-table__cell">{format!("{}, {}", format_date(e.at), e.at.format("%H:%M:%S"))}</td>
                                        <td class="govuk-table__cell">{e.actor}</td>
                                        <td class="govuk-table__cell">{e.via}</td>
                                        <td class="govuk-table__cell"><code>{e.action}</code></td>
                                        <td class="govuk-table__cell">{e.target}</td>
                                        <td class="govuk-table__cell pulse-secret">{e.detail.to_string()}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
                .into_any()
            })}
        </Suspense>
    }
}

/// `/admin/mail`: whether Pulse sends e-mail, and what became of the latest
/// messages (a view of `/api/v1/mail`).
#[component]
pub fn AdminMailPage() -> impl IntoView {
    let session = Resource::new(|| (), |_| api::session());
    let status = Resource::new(
        || (),
        move |_| {
            when_admin(session, || {
                api::get_json::<crate::model::MailStatus>("/api/v1/mail".into())
            })
        },
    );
    view! {
        <Title text="E-mail - Pulse"/>
        <Suspense fallback=|| view! { <p class="govuk-body">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let session = session.await.unwrap_or_default();
                if let Some(refusal) = refused(&session) {
                    return refusal;
                }
                let status = status.await.unwrap_or_default();
                let state = if status.elsewhere {
                    "Pulse sends e-mail through the SMTP server of another instance on this database; this one has none (--smtp-url) and leaves its messages to it.".to_string()
                } else if status.enabled {
                    format!("Pulse sends e-mail from {} through the SMTP server it was given.", status.from)
                } else {
                    "E-mail is off: no SMTP server is set (--smtp-url), so messages are written to the server's log instead.".to_string()
                };
                view! {
                    {admin_nav("/admin/mail")}
                    <h1 class="govuk-heading-xl">"E-mail"</h1>
                    <p class="govuk-body" id="mail-state">{state}</p>
                    <ScrollTable label="E-mail sent"><table class="govuk-table" id="mail">
                        <caption class="govuk-table__caption govuk-table__caption--m">"The latest 100 messages"</caption>
                        <thead class="govuk-table__head"><tr class="govuk-table__row">
                            <th scope="col" class="govuk-table__header">"Written"</th>
                            <th scope="col" class="govuk-table__header">"To"</th>
                            <th scope="col" class="govuk-table__header">"Subject"</th>
                            <th scope="col" class="govuk-table__header">"What became of it"</th>
                        </tr></thead>
                        <tbody class="govuk-table__body">
                            {status.messages.into_iter().map(|m| {
                                let outcome = match (m.sent_at, m.failed_at) {
                                    (Some(at), _) if m.last_error.is_empty() => format!("Sent {}, {}", format_date(at), at.format("%H:%M")),
                                    (Some(_), _) => m.last_error.clone(),
                                    (None, Some(_)) => format!("Not sent, given up after {} attempts: {}", m.attempts, m.last_error),
                                    (None, None) if m.attempts > 0 => format!("Not sent yet ({} attempts): {}", m.attempts, m.last_error),
                                    (None, None) => "Waiting to be sent".to_string(),
                                };
                                view! {
                                    <tr class="govuk-table__row">
                                        <td class="govuk-table__cell">{format!("{}, {}", format_date(m.created_at), m.created_at.format("%H:%M"))}</td>
                                        <td class="govuk-table__cell">{m.to}</td>
                                        <td class="govuk-table__cell">{m.subject}</td>
                                        <td class="govuk-table__cell">{outcome}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table></ScrollTable>
                }
                .into_any()
            })}
        </Suspense>
    }
}

/// `/admin/reminders`: each watched data set, whether it is late, the
/// reminders its editors were sent and who gets them; admins pause and
/// resume them (a view of `/api/v1/reminders`).
#[component]
pub fn AdminRemindersPage() -> impl IntoView {
    let session = Resource::new(|| (), |_| api::session());
    let version = RwSignal::new(0u32);
    let list = Resource::new(
        move || version.get(),
        move |_| {
            when_admin(session, || {
                api::get_json::<crate::model::ReminderList>("/api/v1/reminders".into())
            })
        },
    );
    view! {
        <Title text="Late data - Pulse"/>
        <Suspense fallback=|| view! { <p class="govuk-body">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let session = session.await.unwrap_or_default();
                if let Some(refusal) = refused(&session) {
                    return refusal;
                }
                view! { <Reminders csrf=session.csrf_token.unwrap_or_default() version list/> }.into_any()
            })}
        </Suspense>
    }
}

#[component]
fn Reminders(
    csrf: String,
    version: RwSignal<u32>,
    list: Resource<Result<crate::model::ReminderList, api::ApiError>>,
) -> impl IntoView {
    use crate::model::{LateDataReminders, ReminderChange};
    let csrf = StoredValue::new(csrf);
    let problem = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    // The button pressed, to give the focus back to once the table is drawn again.
    let refocus = StoredValue::new(None::<String>);
    let button_id = |data_set: &str| format!("reminders-{}", data_set.replace('/', "-"));
    let change = move |data_set: String, paused: bool| {
        let body = api::body(&ReminderChange { paused });
        let token = csrf.get_value();
        spawn_local(async move {
            let path = format!("/api/v1/reminders/{data_set}");
            match api::send_json::<LateDataReminders>("PUT", path, body, token).await {
                Ok(entry) => {
                    problem.set(None);
                    refocus.set_value(Some(button_id(&entry.data_set)));
                    done.set(Some(if entry.paused {
                        format!("Reminders about {} are paused.", entry.data_set)
                    } else {
                        format!("Reminders about {} are on again.", entry.data_set)
                    }));
                    version.update(|v| *v += 1);
                }
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    let when = |t: chrono::DateTime<chrono::Utc>| format_date(t);
    view! {
        {admin_nav("/admin/reminders")}
        <h1 class="govuk-heading-xl">"Late data"</h1>
        <p class="govuk-body">
            "When a data set's newest figures are older than expected, Pulse e-mails the editors of its service once, again a week later if the figures have still not come, and once more when they come. Pulse checks every minute."
        </p>
        <ProblemSummary problem id="reminders-problem"/>
        {move || done.get().map(|d| view! { <div class="govuk-inset-text" id="reminders-done" role="status">{d}</div> })}
        <Suspense fallback=|| view! { <p class="govuk-body">"Loading the data sets…"</p> }>
            {move || Suspend::new(async move {
                let list = list.await.unwrap_or_default();
                if let Some(id) = refocus.get_value() {
                    refocus.set_value(None);
                    crate::components::navigation::focus_soon(vec![id]);
                }
                let off = (!list.mail_enabled).then(|| view! {
                    <Warning>"E-mail is off: reminders are written to the server's log instead of sent."</Warning>
                });
                let late = list.data_sets.iter().filter(|d| d.late).count();
                view! {
                    {off}
                    <p class="govuk-body" id="reminders-summary">
                        {format!("{} of {} watched data sets are late.", late, list.data_sets.len())}
                    </p>
                    <ScrollTable label="Late data"><table class="govuk-table" id="reminders">
                        <caption class="govuk-table__caption govuk-table__caption--m">"Watched data sets"</caption>
                        <thead class="govuk-table__head"><tr class="govuk-table__row">
                            <th scope="col" class="govuk-table__header">"Data set"</th>
                            <th scope="col" class="govuk-table__header">"Expected every"</th>
                            <th scope="col" class="govuk-table__header">"Newest figures"</th>
                            <th scope="col" class="govuk-table__header">"State"</th>
                            <th scope="col" class="govuk-table__header">"Reminders"</th>
                            <th scope="col" class="govuk-table__header">"Sent to"</th>
                            <th scope="col" class="govuk-table__header"><span class="govuk-visually-hidden">"Action"</span></th>
                        </tr></thead>
                        <tbody class="govuk-table__body">
                            {list.data_sets.into_iter().map(|d| {
                                let state = match (d.paused, d.late) {
                                    (true, _) => view! { <strong class="govuk-tag govuk-tag--grey">"Paused"</strong> }.into_any(),
                                    (false, true) => view! { <strong class="govuk-tag govuk-tag--red">"Late"</strong> }.into_any(),
                                    (false, false) => view! { <strong class="govuk-tag govuk-tag--green">"In date"</strong> }.into_any(),
                                };
                                let reminders = match (d.late_since, d.reminders_sent, d.last_reminded_at) {
                                    (Some(since), 0, _) => format!("Late since {}; none sent", when(since)),
                                    (Some(since), n, Some(last)) => format!(
                                        "Late since {}; {} sent, the last on {}",
                                        when(since), n, when(last)
                                    ),
                                    _ => match d.received_at {
                                        Some(at) => format!("None needed (in date again on {})", when(at)),
                                        None => "None needed".to_string(),
                                    },
                                };
                                let paused_by = d.paused_at.map(|at| format!(" (paused by {} on {})", d.paused_by, when(at)));
                                let what = crate::catalogue::find(&d.data_type)
                                    .map_or_else(|| d.data_type.clone(), |t| t.title);
                                let title = match &d.service_title {
                                    Some(t) => format!("{t}: {what}"),
                                    None => d.data_set.clone(),
                                };
                                let name = d.data_set.clone();
                                let paused = d.paused;
                                view! {
                                    <tr class="govuk-table__row">
                                        <td class="govuk-table__cell">
                                            <a class="govuk-link" href=format!("/data-sets/{}", d.data_set)>{title}</a>
                                        </td>
                                        <td class="govuk-table__cell">{crate::kpi::span_words(d.max_age_expected)}</td>
                                        <td class="govuk-table__cell">{d.newest_record.map_or_else(|| "None yet".to_string(), when)}</td>
                                        <td class="govuk-table__cell">{state}</td>
                                        <td class="govuk-table__cell">{reminders}{paused_by}</td>
                                        <td class="govuk-table__cell">{if d.recipients.is_empty() { "Nobody".to_string() } else { d.recipients.join(", ") }}</td>
                                        <td class="govuk-table__cell">
                                            <button type="button" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0" id=button_id(&d.data_set)
                                                on:click=move |_| change(name.clone(), !paused)>
                                                {if paused { "Resume" } else { "Pause" }}
                                                <span class="govuk-visually-hidden">{format!(" reminders about {}", d.data_set)}</span>
                                            </button>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table></ScrollTable>
                }
                .into_any()
            })}
        </Suspense>
    }
}
