//! `/settings/api-keys`: a signed-in person's API keys (made, shown once,
//! revoked, rotated), their password and their sessions; admins also see and
//! revoke everyone's keys. Every change is a call of `/api/v1` with the
//! session's CSRF token.

use crate::components::scroll_table::ScrollTable;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;

use crate::api::{self, ApiError};
use crate::components::problem::{ProblemSummary, Warning};
use crate::kpi::format_date;
use crate::model::{ApiKey, KeyRequest, KeyStatus, NewKey, PasswordChange, Role, User};

#[component]
pub fn ApiKeysPage() -> impl IntoView {
    let session = Resource::new(|| (), |_| api::session());
    let reads = Reads::new(session);
    view! {
        <Title text="API keys - Pulse"/>
        <Suspense fallback=|| view! { <p class="govuk-body">"Loading your settings…"</p> }>
            {move || Suspend::new(async move {
                match session.await {
                    Ok(crate::model::SessionState { user: Some(user), csrf_token, .. }) => {
                        view! { <Settings user csrf=csrf_token.unwrap_or_default() reads/> }.into_any()
                    }
                    _ => {
                        super::set_status(401);
                        view! {
                            <h1 class="govuk-heading-xl">"API keys"</h1>
                            <p class="govuk-body" id="sign-in-needed">
                                "You need to "
                                <a class="govuk-link" href=super::sign_in_href("/settings/api-keys")>"sign in"</a>
                                " to manage your API keys."
                            </p>
                        }
                        .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// What the page reads from the API: asked for once for the page, and only
/// for someone signed in ([`super::when_signed_in`]).
#[derive(Clone, Copy)]
struct Reads {
    version: RwSignal<u32>,
    keys: Resource<Result<Vec<ApiKey>, ApiError>>,
    everyone: Resource<Result<Vec<ApiKey>, ApiError>>,
    sessions: Resource<Result<Vec<crate::model::SessionInfo>, ApiError>>,
    two_factor: super::two_factor::Reads,
}

impl Reads {
    fn new(session: super::SessionRead) -> Reads {
        let version = RwSignal::new(0u32);
        Reads {
            version,
            keys: Resource::new(
                move || version.get(),
                move |_| super::when_signed_in(session, |_| api::api_keys(false)),
            ),
            everyone: Resource::new(
                move || version.get(),
                move |_| {
                    super::when_signed_in(session, |user| async move {
                        if user.role == Role::Admin {
                            api::api_keys(true).await
                        } else {
                            Ok(Vec::new())
                        }
                    })
                },
            ),
            sessions: Resource::new(
                move || version.get(),
                move |_| super::when_signed_in(session, |_| api::sessions()),
            ),
            two_factor: super::two_factor::Reads::new(session),
        }
    }
}

/// The scopes a person may put on a key, with what each allows.
fn grantable(role: Role) -> Vec<(&'static str, &'static str)> {
    let mut scopes = vec![(
        "read:unpublished",
        "Read unpublished dashboards and data of your organisations",
    )];
    if role >= Role::Editor {
        scopes.push(("dashboards:write", "Create and change dashboards"));
        scopes.push(("annotations:write", "Add and change annotations"));
    }
    if role == Role::Admin {
        scopes.push(("admin", "Everything an admin can do"));
    }
    scopes
}

fn message(e: &ApiError) -> String {
    e.to_string()
}

#[component]
fn Settings(user: User, csrf: String, reads: Reads) -> impl IntoView {
    let Reads {
        version,
        keys,
        everyone,
        sessions,
        two_factor,
    } = reads;
    let admin = user.role == Role::Admin;
    let new_key = RwSignal::new(None::<NewKey>);
    let problem = RwSignal::new(None::<String>);
    let csrf = StoredValue::new(csrf);

    // The form to make a key.
    let name = RwSignal::new(String::new());
    let chosen = RwSignal::new(vec!["read:unpublished".to_string()]);
    let data_sets = RwSignal::new(String::new());
    let days = RwSignal::new("90".to_string());
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut scopes = chosen.get_untracked();
        scopes.extend(
            data_sets
                .get_untracked()
                .split([',', ' ', '\n'])
                .filter(|s| !s.is_empty())
                .map(|s| crate::model::Scope::WriteDataSet(s.to_string()).to_string()),
        );
        let body = api::body(&KeyRequest {
            name: name.get_untracked(),
            scopes,
            expires_in_days: Some(days.get_untracked().parse::<i64>().unwrap_or(90)),
        });
        let token = csrf.get_value();
        spawn_local(async move {
            match api::send_json::<NewKey>("POST", "/api/v1/api-keys".into(), body, token).await {
                Ok(made) => {
                    problem.set(None);
                    new_key.set(Some(made));
                    name.set(String::new());
                    version.update(|v| *v += 1);
                }
                Err(e) => problem.set(Some(message(&e))),
            }
        });
    };
    let act = move |action: &'static str, id: i64| {
        let token = csrf.get_value();
        spawn_local(async move {
            let path = format!("/api/v1/api-keys/{id}/{action}");
            let result = if action == "rotate" {
                api::send_json::<NewKey>("POST", path, None, token)
                    .await
                    .map(|made| new_key.set(Some(made)))
            } else {
                api::send_json::<ApiKey>("POST", path, None, token)
                    .await
                    .map(|_| new_key.set(None))
            };
            match result {
                Ok(()) => {
                    problem.set(None);
                    version.update(|v| *v += 1);
                }
                Err(e) => problem.set(Some(message(&e))),
            }
        });
    };

    // The form to change the password.
    let current_password = RwSignal::new(String::new());
    let new_password = RwSignal::new(String::new());
    let password_note = RwSignal::new(None::<(bool, String)>);
    let change_password = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = api::body(&PasswordChange {
            current_password: current_password.get_untracked(),
            new_password: new_password.get_untracked(),
        });
        let token = csrf.get_value();
        spawn_local(async move {
            match api::send_json::<crate::model::Done>(
                "PUT",
                "/api/v1/session/password".into(),
                body,
                token,
            )
            .await
            {
                Ok(answer) => {
                    current_password.set(String::new());
                    new_password.set(String::new());
                    password_note.set(Some((true, answer.message)));
                    version.update(|v| *v += 1);
                }
                Err(e) => password_note.set(Some((false, message(&e)))),
            }
        });
    };

    let scopes = grantable(user.role);
    let may_write_data = user.role >= Role::Editor;
    view! {
        {super::notifications::settings_nav("/settings/api-keys")}
        <span class="govuk-caption-l">{format!("{} · {}", user.display_name, user.email)}</span>
        <h1 class="govuk-heading-xl">"API keys"</h1>
        <p class="govuk-body">
            "A key lets a program use Pulse's API as you: send it as "
            <code>"Authorization: Bearer <key>"</code>
            ". Give each program its own key, with only the scopes it needs."
        </p>
        <ProblemSummary problem id="key-problem"/>
        {move || new_key.get().map(|made| {
            let copy_by_hand = RwSignal::new(false);
            let secret = made.secret.clone();
            let copy = move |_| {
                if !copy_to_clipboard(&secret, "new-secret") {
                    copy_by_hand.set(true);
                }
            };
            view! {
                <div class="govuk-notification-banner govuk-notification-banner--success" role="alert"
                    aria-labelledby="new-key-title" id="new-key">
                    <div class="govuk-notification-banner__header">
                        <h2 class="govuk-notification-banner__title" id="new-key-title">"Your new key"</h2>
                    </div>
                    <div class="govuk-notification-banner__content">
                        <p class="govuk-notification-banner__heading">{format!("The key “{}” is ready:", made.key.name)}</p>
                        <p class="govuk-body pulse-secret" id="new-secret">{made.secret.clone()}</p>
                        <Warning>"This key will not be shown again. Copy it now and keep it somewhere safe."</Warning>
                        <button type="button" class="govuk-button govuk-button--secondary" id="copy-secret" on:click=copy>
                            "Copy the key"
                        </button>
                        {move || copy_by_hand.get().then(|| view! {
                            <p class="govuk-body" id="copy-by-hand" role="status">
                                "This browser lets a page copy only over HTTPS: the key is selected above, so copy it with Ctrl+C (⌘C on a Mac)."
                            </p>
                        })}
                    </div>
                </div>
            }
        })}
        <h2 class="govuk-heading-l">"Your keys"</h2>
        <Suspense fallback=|| view! { <p class="govuk-body">"Loading your keys…"</p> }>
            {move || Suspend::new(async move {
                match keys.await {
                    Ok(list) => view! { <KeyTable keys=list act owner_column=false/> }.into_any(),
                    Err(e) => view! { <p class="govuk-body">{message(&e)}</p> }.into_any(),
                }
            })}
        </Suspense>
        <h2 class="govuk-heading-l">"Create a key"</h2>
        <form id="create-key" on:submit=create novalidate>
            <div class="govuk-form-group">
                <label class="govuk-label govuk-label--s" for="key-name">"Name"</label>
                <div class="govuk-hint" id="key-name-hint">"What the key is for, for example “nightly upload”"</div>
                <input class="govuk-input govuk-!-width-one-half" id="key-name" type="text" aria-describedby="key-name-hint"
                    bind:value=name/>
            </div>
            <div class="govuk-form-group">
                <fieldset class="govuk-fieldset">
                    <legend class="govuk-fieldset__legend govuk-fieldset__legend--s">"What it may do"</legend>
                    <div class="govuk-checkboxes govuk-checkboxes--small">
                        {scopes.into_iter().map(|(scope, words)| {
                            let id = format!("scope-{}", scope.replace(':', "-"));
                            view! {
                                <div class="govuk-checkboxes__item">
                                    <input class="govuk-checkboxes__input" type="checkbox" id=id.clone() value=scope
                                        checked=move || chosen.with(|c| c.iter().any(|s| s == scope))
                                        prop:checked=move || chosen.with(|c| c.iter().any(|s| s == scope))
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            chosen.update(|c| {
                                                c.retain(|s| s != scope);
                                                if on { c.push(scope.to_string()); }
                                            });
                                        }/>
                                    <label class="govuk-label govuk-checkboxes__label" for=id>
                                        {words}" "<code>{scope}</code>
                                    </label>
                                </div>
                            }
                        }).collect_view()}
                    </div>
                </fieldset>
            </div>
            {may_write_data.then(|| view! {
                <div class="govuk-form-group">
                    <label class="govuk-label govuk-label--s" for="key-data-sets">"Data sets it may write (optional)"</label>
                    <div class="govuk-hint" id="key-data-sets-hint">"Their names, separated by commas, for example register_a_birth_transactions_by_channel"</div>
                    <input class="govuk-input" id="key-data-sets" type="text" aria-describedby="key-data-sets-hint"
                        bind:value=data_sets/>
                </div>
            })}
            <div class="govuk-form-group">
                <label class="govuk-label govuk-label--s" for="key-expiry">"Expires after"</label>
                <select class="govuk-select" id="key-expiry" bind:value=days>
                    <option value="30">"30 days"</option>
                    <option value="90" selected>"90 days"</option>
                    <option value="180">"180 days"</option>
                    <option value="365">"365 days"</option>
                </select>
            </div>
            <button type="submit" class="govuk-button" id="create-key-button">"Create key"</button>
        </form>
        {admin.then(|| view! {
            <h2 class="govuk-heading-l">"Everyone's keys"</h2>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    everyone.await.ok().map(|list| view! { <KeyTable keys=list act owner_column=true/> })
                })}
            </Suspense>
        })}
        <h2 class="govuk-heading-l" id="password-heading">"Change your password"</h2>
        {move || password_note.get().map(|(ok, text)| {
            let class = if ok { "govuk-inset-text" } else { "govuk-error-message" };
            view! { <p class=class id="password-note">{text}</p> }
        })}
        <form id="change-password" on:submit=change_password novalidate>
            <div class="govuk-form-group">
                <label class="govuk-label govuk-label--s" for="current-password">"Current password"</label>
                <input class="govuk-input govuk-!-width-one-half" id="current-password" type="password"
                    autocomplete="current-password" bind:value=current_password/>
            </div>
            <div class="govuk-form-group">
                <label class="govuk-label govuk-label--s" for="new-password">"New password"</label>
                <div class="govuk-hint" id="new-password-hint">"At least 12 characters"</div>
                <input class="govuk-input govuk-!-width-one-half" id="new-password" type="password"
                    autocomplete="new-password" aria-describedby="new-password-hint" bind:value=new_password/>
            </div>
            <button type="submit" class="govuk-button govuk-button--secondary">"Change password"</button>
        </form>
        <super::two_factor::TwoFactorSettings csrf=csrf.get_value() admin reads=two_factor/>
        {may_write_data.then(|| view! {
            <h2 class="govuk-heading-l">"Invite people"</h2>
            <p class="govuk-body">
                "Invite colleagues to your organisations as viewers or editors: they get an e-mail with a link to set their own password. "
                <a class="govuk-link" href="/invitations" id="invitations-link">"Invite people"</a>
            </p>
        })}
        <h2 class="govuk-heading-l">"Where you are signed in"</h2>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                sessions.await.ok().map(|list| view! {
                    <ScrollTable label="Sessions"><table class="govuk-table" id="sessions">
                        <caption class="govuk-table__caption govuk-table__caption--s">"Your sessions"</caption>
                        <thead class="govuk-table__head"><tr class="govuk-table__row">
                            <th scope="col" class="govuk-table__header">"Signed in"</th>
                            <th scope="col" class="govuk-table__header">"Last used"</th>
                            <th scope="col" class="govuk-table__header">"From"</th>
                            <th scope="col" class="govuk-table__header">"Browser"</th>
                        </tr></thead>
                        <tbody class="govuk-table__body">
                            {list.into_iter().map(|s| view! {
                                <tr class="govuk-table__row">
                                    <td class="govuk-table__cell">{format_date(s.created_at)}{s.current.then_some(" (this one)")}</td>
                                    <td class="govuk-table__cell">{format_date(s.last_seen_at)}</td>
                                    <td class="govuk-table__cell">{s.address}</td>
                                    <td class="govuk-table__cell">{s.user_agent.chars().take(60).collect::<String>()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table></ScrollTable>
                })
            })}
        </Suspense>
        <form method="post" action="/api/v1/session/sign-out-everywhere">
            <input type="hidden" name="csrf_token" value=csrf.get_value()/>
            <button type="submit" class="govuk-button govuk-button--warning" id="sign-out-everywhere">"Sign out everywhere"</button>
        </form>
    }
}

fn status_tag(status: KeyStatus) -> impl IntoView {
    let class = match status {
        KeyStatus::Active => "govuk-tag govuk-tag--green",
        KeyStatus::ExpiringSoon => "govuk-tag govuk-tag--yellow",
        KeyStatus::Expired => "govuk-tag govuk-tag--grey",
        KeyStatus::Revoked => "govuk-tag govuk-tag--red",
    };
    view! { <strong class=class>{status.words()}</strong> }
}

/// Keys as a table, with revoke and rotate behind a confirmation.
#[component]
fn KeyTable<F>(keys: Vec<ApiKey>, act: F, owner_column: bool) -> impl IntoView
where
    F: Fn(&'static str, i64) + Copy + Send + Sync + 'static,
{
    if keys.is_empty() {
        return view! { <p class="govuk-body" id="no-keys">"No keys yet."</p> }.into_any();
    }
    let pending = RwSignal::new(None::<(i64, &'static str)>);
    let rows = keys
        .into_iter()
        .map(|k| {
            let status = k.status;
            let id = k.id;
            let name = k.name.clone();
            let live = matches!(status, KeyStatus::Active | KeyStatus::ExpiringSoon);
            let actions = move || match pending.get() {
                Some((p, action)) if p == id => {
                    let verb = if action == "revoke" { "Revoke" } else { "Rotate" };
                    // The question takes the focus from the button that asked it.
                    let yes = NodeRef::<leptos::html::Button>::new();
                    Effect::new(move |_| {
                        if let Some(button) = yes.get() {
                            let _ = button.focus();
                        }
                    });
                    view! {
                        <span class="govuk-body-s">{format!("{verb} “{name}”? ")}</span>
                        <button type="button" class="govuk-button govuk-button--warning govuk-!-margin-bottom-0"
                            node_ref=yes id=format!("confirm-{action}-{id}")
                            on:click=move |_| { pending.set(None); act(action, id) }>
                            {format!("Yes, {}", verb.to_ascii_lowercase())}
                        </button>
                        " "
                        <button type="button" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0"
                            on:click=move |_| pending.set(None)>"Cancel"</button>
                    }
                    .into_any()
                }
                _ if live => view! {
                    <button type="button" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0"
                        id=format!("revoke-{id}") on:click=move |_| pending.set(Some((id, "revoke")))>
                        "Revoke"
                    </button>
                    " "
                    {(!owner_column).then(|| view! {
                        <button type="button" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0"
                            id=format!("rotate-{id}") on:click=move |_| pending.set(Some((id, "rotate")))>
                            "Rotate"
                        </button>
                    })}
                }
                .into_any(),
                _ => ().into_any(),
            };
            view! {
                <tr class="govuk-table__row" data-key=k.id>
                    <th scope="row" class="govuk-table__header">{k.name.clone()}</th>
                    <td class="govuk-table__cell"><code>{k.prefix.clone()}</code></td>
                    <td class="govuk-table__cell">{k.scopes.join(", ")}</td>
                    {owner_column.then(|| view! {
                        <td class="govuk-table__cell">{k.owner_id.map(|o| format!("user {o}")).unwrap_or_else(|| "none".into())}</td>
                    })}
                    <td class="govuk-table__cell">{format_date(k.created_at)}</td>
                    <td class="govuk-table__cell">{k.expires_at.map(format_date).unwrap_or_else(|| "never".into())}</td>
                    <td class="govuk-table__cell">{k.last_used_at.map(format_date).unwrap_or_else(|| "never".into())}</td>
                    <td class="govuk-table__cell">{status_tag(status)}</td>
                    <td class="govuk-table__cell">{actions}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="pulse-table-scroll" role="region" aria-label="API keys" tabindex="0">
            <table class="govuk-table" id=if owner_column { "everyone-keys" } else { "keys" }>
                <thead class="govuk-table__head"><tr class="govuk-table__row">
                    <th scope="col" class="govuk-table__header">"Name"</th>
                    <th scope="col" class="govuk-table__header">"Starts with"</th>
                    <th scope="col" class="govuk-table__header">"Scopes"</th>
                    {owner_column.then(|| view! { <th scope="col" class="govuk-table__header">"Owner"</th> })}
                    <th scope="col" class="govuk-table__header">"Created"</th>
                    <th scope="col" class="govuk-table__header">"Expires"</th>
                    <th scope="col" class="govuk-table__header">"Last used"</th>
                    <th scope="col" class="govuk-table__header">"Status"</th>
                    <th scope="col" class="govuk-table__header"><span class="govuk-visually-hidden">"Actions"</span></th>
                </tr></thead>
                <tbody class="govuk-table__body">{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

/// Puts text on the clipboard (in the browser), where the page may: over
/// HTTPS or on this machine. Elsewhere (plain HTTP) `navigator.clipboard` is
/// undefined, and calling it threw out of the button's handler; the text
/// shown in `shown` is selected instead, for the person to copy, and `false`
/// is answered.
fn copy_to_clipboard(text: &str, shown: &str) -> bool {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let navigator = window.navigator();
        let can = js_sys::Reflect::get(&navigator, &"clipboard".into())
            .is_ok_and(|clipboard| !clipboard.is_undefined() && !clipboard.is_null());
        if can {
            let _ = navigator.clipboard().write_text(text);
            return true;
        }
        if let (Some(element), Ok(Some(selection))) = (
            window.document().and_then(|d| d.get_element_by_id(shown)),
            window.get_selection(),
        ) {
            let _ = selection.select_all_children(&element);
        }
        return false;
    }
    let _ = (text, shown);
    false
}
