//! Accounts by e-mail: `/invitations` (admins and editors invite people),
//! `/invitation` (the invited set their own password), `/forgot-password`
//! and `/reset-password` (a new password from a link), and `/unsubscribe`
//! (no more e-mail, from the link in any e-mail). The forms post to the API
//! and work without JavaScript; with it, what is wrong is said in full.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api;
use crate::components::problem::{ProblemSummary, Warning};
use crate::components::scroll_table::ScrollTable;
use crate::kpi::format_date;
use crate::model::{
    AcceptInvitation, Invitation, InvitationList, InvitationLookUp, InvitationSent,
    InvitationStatus, NewInvitationRequest, PasswordResetCompletion, PasswordResetLookUp, Role,
    SessionState,
};

/// What a form's `error` (sent back by the API to a form without
/// JavaScript) means.
fn form_problem(code: &str) -> Option<&'static str> {
    match code {
        "password" => Some(
            "Choose a password of at least 12 characters that is neither a common password nor your email address",
        ),
        "link" => Some("This link no longer works: it has been used, withdrawn or has expired"),
        "email" => Some("Enter an email address in the correct format, like name@example.gov.uk"),
        "failed" => Some("Something went wrong. Try again"),
        _ => None,
    }
}

/// GOV.UK's error summary, for a problem named by the page's URL or found
/// by the page itself.
#[component]
fn FormProblem(problem: Signal<Option<String>>, field: &'static str) -> impl IntoView {
    move || {
        problem.get().map(|message| {
            view! {
                <div class="govuk-error-summary" role="alert" tabindex="-1" id="form-problem">
                    <h2 class="govuk-error-summary__title">"There is a problem"</h2>
                    <div class="govuk-error-summary__body">
                        <ul class="govuk-list govuk-error-summary__list">
                            <li><a href=format!("#{field}")>{message}</a></li>
                        </ul>
                    </div>
                </div>
            }
        })
    }
}

/// Goes to `href` with a full load (the session cookie just set applies to
/// the whole page).
fn load(href: &str) {
    #[cfg(feature = "hydrate")]
    let _ = window().location().set_href(href);
    #[cfg(not(feature = "hydrate"))]
    let _ = href;
}

fn token_of(q: &leptos_router::params::ParamsMap) -> String {
    q.get("token").unwrap_or_default()
}

fn password_rules(min: usize) -> String {
    format!(
        "At least {min} characters, not a common password, and not your email address. Three or four random words make a good one."
    )
}

#[component]
pub fn InvitationPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.with(token_of);
    let found = Resource::new(token, |token| {
        api::get_json::<InvitationLookUp>(crate::query_string::href(
            "/api/v1/invitation",
            &crate::query_string::encode(&[("token", token)]),
        ))
    });
    view! {
        <Title text="Set your password - Pulse"/>
        <div class="govuk-grid-row"><div class="govuk-grid-column-two-thirds">
            <Suspense fallback=|| view! { <p class="govuk-body">"Loading your invitation…"</p> }>
                {move || Suspend::new(async move {
                    match found.await {
                        Ok(invitation) => view! { <AcceptForm invitation token=token()/> }.into_any(),
                        Err(error) => {
                            super::set_status(error.status());
                            view! {
                                <h1 class="govuk-heading-xl">"This invitation cannot be used"</h1>
                                <p class="govuk-body" id="link-problem">{error.to_string()}</p>
                                <p class="govuk-body">
                                    "If you already have an account, "
                                    <a class="govuk-link" href="/sign-in">"sign in"</a>"."
                                </p>
                            }
                            .into_any()
                        }
                    }
                })}
            </Suspense>
        </div></div>
    }
}

#[component]
fn AcceptForm(invitation: InvitationLookUp, token: String) -> impl IntoView {
    let query = use_query_map();
    let problem = RwSignal::new(None::<String>);
    let shown = Signal::derive(move || {
        problem.get().or_else(|| {
            query
                .with(|q| q.get("error"))
                .and_then(|c| form_problem(&c))
                .map(str::to_string)
        })
    });
    // Read from the fields themselves: what was typed before the page was
    // interactive counts too.
    let (name, password) = (
        NodeRef::<leptos::html::Input>::new(),
        NodeRef::<leptos::html::Input>::new(),
    );
    let value = |input: NodeRef<leptos::html::Input>| {
        input.get_untracked().map(|i| i.value()).unwrap_or_default()
    };
    let submit = {
        let token = token.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let body = api::body(&AcceptInvitation {
                token: token.clone(),
                display_name: value(name),
                password: value(password),
            });
            spawn_local(async move {
                match api::send_json::<SessionState>(
                    "POST",
                    "/api/v1/invitation".into(),
                    body,
                    String::new(),
                )
                .await
                {
                    Ok(_) => load("/?welcome=1"),
                    Err(e) => problem.set(Some(e.to_string())),
                }
            });
        }
    };
    let role = invitation.role.with_article();
    let organisations = if invitation.organisations.is_empty() {
        String::new()
    } else {
        format!(" for {}", invitation.organisations.join(" and "))
    };
    view! {
        <FormProblem problem=shown field="password"/>
        <h1 class="govuk-heading-xl">"Set your password"</h1>
        <p class="govuk-body" id="invitation-summary">
            {
                let mut inviter = invitation.inviter_name.chars();
                let inviter: String = inviter
                    .next()
                    .map(|c| std::iter::once(c.to_ascii_uppercase()).chain(inviter).collect())
                    .unwrap_or_default();
                format!("{inviter} invited you to Pulse as {role}{organisations}.")
            }
        </p>
        <p class="govuk-body">
            {format!("This link works until {}.", format_date(invitation.expires_at))}
        </p>
        <form method="post" action="/api/v1/invitation" novalidate id="accept-form" on:submit=submit>
            <input type="hidden" name="token" value=token/>
            <div class="govuk-form-group">
                <label class="govuk-label govuk-label--s" for="email">"Email address"</label>
                <input class="govuk-input govuk-!-width-two-thirds" id="email" type="email" readonly
                    autocomplete="username" value=invitation.email/>
            </div>
            <div class="govuk-form-group">
                <label class="govuk-label govuk-label--s" for="display_name">"Your name"</label>
                <div class="govuk-hint" id="display_name-hint">"As people will see it in Pulse."</div>
                <input class="govuk-input govuk-!-width-two-thirds" id="display_name" name="display_name" type="text"
                    autocomplete="name" aria-describedby="display_name-hint" value=invitation.display_name.clone() node_ref=name/>
            </div>
            <div class=move || if shown.get().is_some() { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" }>
                <label class="govuk-label govuk-label--s" for="password">"Password"</label>
                <div class="govuk-hint" id="password-hint">{password_rules(invitation.min_password)}</div>
                {move || shown.get().map(|message| view! {
                    <p class="govuk-error-message" id="password-error">
                        <span class="govuk-visually-hidden">"Error: "</span>{message}
                    </p>
                })}
                <input class="govuk-input govuk-!-width-two-thirds" id="password" name="password" type="password"
                    autocomplete="new-password" node_ref=password
                    aria-describedby=move || if shown.get().is_some() { "password-hint password-error" } else { "password-hint" }/>
            </div>
            <button type="submit" class="govuk-button" id="accept-button">"Set password and sign in"</button>
        </form>
    }
}

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let query = use_query_map();
    let sent = move || query.with(|q| q.get("sent"));
    let problem = RwSignal::new(None::<String>);
    let shown = Signal::derive(move || {
        problem.get().or_else(|| {
            query
                .with(|q| q.get("error"))
                .and_then(|c| form_problem(&c))
                .map(str::to_string)
        })
    });
    let session = Resource::new(|| (), |_| api::session());
    // Read from the field itself: what was typed before the page was
    // interactive counts too.
    let email = NodeRef::<leptos::html::Input>::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let address = email
            .get_untracked()
            .map(|input| input.value())
            .unwrap_or_default();
        let body = api::body(&crate::model::PasswordResetRequest {
            email: address.clone(),
        });
        spawn_local(async move {
            match api::send_json::<crate::model::Done>(
                "POST",
                "/api/v1/password-reset".into(),
                body,
                String::new(),
            )
            .await
            {
                Ok(_) => load(&crate::query_string::href(
                    "/forgot-password",
                    &crate::query_string::encode(&[("sent", address.trim())]),
                )),
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <Title text="Reset your password - Pulse"/>
        <div class="govuk-grid-row"><div class="govuk-grid-column-two-thirds">
            {move || match sent() {
                Some(address) => view! {
                    <h1 class="govuk-heading-xl">"Check your email"</h1>
                    <p class="govuk-body" id="reset-sent">
                        {format!("If {address} has a Pulse account, we have sent it a link to set a new password. The link works for 1 hour.")}
                    </p>
                    <p class="govuk-body">"If nothing arrives within a few minutes, check your spam folder, or "
                        <a class="govuk-link" href="/forgot-password">"ask again"</a>"."</p>
                }.into_any(),
                None => view! {
                    <FormProblem problem=shown field="email"/>
                    <h1 class="govuk-heading-xl">"Reset your password"</h1>
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            let on = session.await.map(|s| s.mail_enabled).unwrap_or(true);
                            (!on).then(|| view! {
                                <Warning id="mail-off">"E-mail is off in this Pulse, so no link can be sent: ask an admin to set your password."</Warning>
                            })
                        })}
                    </Suspense>
                    <p class="govuk-body">"Enter the email address of your Pulse account. We will send you a link to set a new password."</p>
                    <form method="post" action="/api/v1/password-reset" novalidate id="reset-request-form" on:submit=submit>
                        <div class=move || if shown.get().is_some() { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" }>
                            <label class="govuk-label govuk-label--s" for="email">"Email address"</label>
                            {move || shown.get().map(|message| view! {
                                <p class="govuk-error-message" id="email-error">
                                    <span class="govuk-visually-hidden">"Error: "</span>{message}
                                </p>
                            })}
                            <input class="govuk-input govuk-!-width-two-thirds" id="email" name="email" type="email"
                                autocomplete="username" spellcheck="false" node_ref=email
                                aria-describedby=move || shown.get().map(|_| "email-error")/>
                        </div>
                        <button type="submit" class="govuk-button" id="reset-request-button">"Send me a link"</button>
                    </form>
                }.into_any(),
            }}
        </div></div>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.with(token_of);
    let found = Resource::new(token, |token| {
        api::get_json::<PasswordResetLookUp>(crate::query_string::href(
            "/api/v1/password-reset",
            &crate::query_string::encode(&[("token", token)]),
        ))
    });
    view! {
        <Title text="Set a new password - Pulse"/>
        <div class="govuk-grid-row"><div class="govuk-grid-column-two-thirds">
            <Suspense fallback=|| view! { <p class="govuk-body">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match found.await {
                        Ok(reset) => view! { <ResetForm reset token=token()/> }.into_any(),
                        Err(error) => {
                            super::set_status(error.status());
                            view! {
                                <h1 class="govuk-heading-xl">"This link cannot be used"</h1>
                                <p class="govuk-body" id="link-problem">{error.to_string()}</p>
                                <p class="govuk-body"><a class="govuk-link" href="/forgot-password">"Ask for a new link"</a></p>
                            }
                            .into_any()
                        }
                    }
                })}
            </Suspense>
        </div></div>
    }
}

#[component]
fn ResetForm(reset: PasswordResetLookUp, token: String) -> impl IntoView {
    let query = use_query_map();
    let problem = RwSignal::new(None::<String>);
    let shown = Signal::derive(move || {
        problem.get().or_else(|| {
            query
                .with(|q| q.get("error"))
                .and_then(|c| form_problem(&c))
                .map(str::to_string)
        })
    });
    // Read from the field itself (what was typed before the page was
    // interactive counts too).
    let password = NodeRef::<leptos::html::Input>::new();
    let submit = {
        let token = token.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let body = api::body(&PasswordResetCompletion {
                token: token.clone(),
                password: password
                    .get_untracked()
                    .map(|i| i.value())
                    .unwrap_or_default(),
            });
            spawn_local(async move {
                match api::send_json::<SessionState>(
                    "POST",
                    "/api/v1/password-reset/complete".into(),
                    body,
                    String::new(),
                )
                .await
                {
                    Ok(_) => load("/?welcome=1"),
                    Err(e) => problem.set(Some(e.to_string())),
                }
            });
        }
    };
    view! {
        <FormProblem problem=shown field="password"/>
        <h1 class="govuk-heading-xl">"Set a new password"</h1>
        <p class="govuk-body" id="reset-summary">
            {format!("For {}. Setting it signs you out everywhere else.", reset.email)}
        </p>
        <form method="post" action="/api/v1/password-reset/complete" novalidate id="reset-form" on:submit=submit>
            <input type="hidden" name="token" value=token/>
            <input type="hidden" name="email" autocomplete="username" value=reset.email/>
            <div class=move || if shown.get().is_some() { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" }>
                <label class="govuk-label govuk-label--s" for="password">"New password"</label>
                <div class="govuk-hint" id="password-hint">{password_rules(reset.min_password)}</div>
                {move || shown.get().map(|message| view! {
                    <p class="govuk-error-message" id="password-error">
                        <span class="govuk-visually-hidden">"Error: "</span>{message}
                    </p>
                })}
                <input class="govuk-input govuk-!-width-two-thirds" id="password" name="password" type="password"
                    autocomplete="new-password" node_ref=password
                    aria-describedby=move || if shown.get().is_some() { "password-hint password-error" } else { "password-hint" }/>
            </div>
            <button type="submit" class="govuk-button" id="reset-button">"Set password and sign in"</button>
        </form>
    }
}

#[component]
pub fn UnsubscribePage() -> impl IntoView {
    let query = use_query_map();
    let address = move || query.with(|q| q.get("address").unwrap_or_default());
    let token = move || query.with(|q| q.get("token").unwrap_or_default());
    let done = move || query.with(|q| q.get("done").is_some());
    let refused = move || query.with(|q| q.get("error").is_some());
    let action = move || {
        crate::query_string::href(
            "/api/v1/mail/unsubscribe",
            &crate::query_string::encode(&[("address", address()), ("token", token())]),
        )
    };
    view! {
        <Title text="Stop e-mail - Pulse"/>
        <div class="govuk-grid-row"><div class="govuk-grid-column-two-thirds">
            {move || if done() {
                view! {
                    <div class="govuk-panel govuk-panel--confirmation" id="unsubscribed">
                        <h1 class="govuk-panel__title">"E-mail stopped"</h1>
                        <div class="govuk-panel__body">{format!("Pulse will send nothing more to {} unless it is asked for", address())}</div>
                    </div>
                    <p class="govuk-body">"A password reset you ask for yourself will still be sent."</p>
                }.into_any()
            } else {
                view! {
                    {refused().then(|| view! {
                        <div class="govuk-error-summary" role="alert" tabindex="-1" id="form-problem">
                            <h2 class="govuk-error-summary__title">"There is a problem"</h2>
                            <div class="govuk-error-summary__body">
                                <p class="govuk-body">"This link is not right: copy the whole link from the e-mail, or sign in and ask an admin."</p>
                            </div>
                        </div>
                    })}
                    <h1 class="govuk-heading-xl">"Stop e-mail from Pulse"</h1>
                    <p class="govuk-body" id="unsubscribe-summary">
                        {format!("Pulse will send no more invitations, reminders, alerts or digests to {}.", address())}
                    </p>
                    <form method="post" action=action novalidate id="unsubscribe-form">
                        <input type="hidden" name="from_page" value="1"/>
                        <button type="submit" class="govuk-button govuk-button--warning" id="unsubscribe-button">"Stop e-mail"</button>
                    </form>
                }.into_any()
            }}
        </div></div>
    }
}

#[component]
pub fn InvitationsPage() -> impl IntoView {
    let session = Resource::new(|| (), |_| api::session());
    let version = RwSignal::new(0u32);
    let list = Resource::new(
        move || version.get(),
        move |_| {
            super::when_signed_in(session, |user| async move {
                if user.role >= Role::Editor {
                    api::get_json::<InvitationList>("/api/v1/invitations".into()).await
                } else {
                    Ok(InvitationList::default())
                }
            })
        },
    );
    view! {
        <Title text="Invite people - Pulse"/>
        <Suspense fallback=|| view! { <p class="govuk-body">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let session = session.await.unwrap_or_default();
                match &session.user {
                    None => {
                        super::set_status(401);
                        view! {
                            <h1 class="govuk-heading-xl">"Sign in"</h1>
                            <p class="govuk-body" id="invitations-refused">
                                "Admins and editors invite people: "
                                <a class="govuk-link" href=super::sign_in_href("/invitations")>"sign in"</a>" first."
                            </p>
                        }.into_any()
                    }
                    Some(user) if user.role < Role::Editor => {
                        super::set_status(403);
                        view! {
                            <h1 class="govuk-heading-xl">"You cannot invite people"</h1>
                            <p class="govuk-body" id="invitations-refused">
                                "Admins and editors invite people. Ask an editor of your organisation, or an admin of Pulse."
                            </p>
                        }.into_any()
                    }
                    Some(user) => view! {
                        <Invitations csrf=session.csrf_token.clone().unwrap_or_default()
                            admin=user.role == Role::Admin own=user.organisations.clone()
                            mail_enabled=session.mail_enabled version list/>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Invitations(
    csrf: String,
    admin: bool,
    own: Vec<String>,
    mail_enabled: bool,
    version: RwSignal<u32>,
    list: Resource<Result<InvitationList, api::ApiError>>,
) -> impl IntoView {
    let csrf = StoredValue::new(csrf);
    let problem = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<(String, Option<String>)>);
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let role = RwSignal::new("viewer".to_string());
    let orgs = RwSignal::new(if admin { String::new() } else { own.join(", ") });
    let invite = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = api::body(&NewInvitationRequest {
            email: email.get_untracked(),
            display_name: name.get_untracked(),
            role: Role::parse(&role.get_untracked()).unwrap_or(Role::Viewer),
            organisations: orgs
                .get_untracked()
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        });
        let token = csrf.get_value();
        spawn_local(async move {
            match api::send_json::<InvitationSent>(
                "POST",
                "/api/v1/invitations".into(),
                body,
                token,
            )
            .await
            {
                Ok(sent) => {
                    problem.set(None);
                    let who = sent.invitation.email.clone();
                    done.set(Some(if sent.emailed {
                        (format!("An invitation is on its way to {who}. Its link works for 7 days."), None)
                    } else {
                        (
                            format!("E-mail is off, so nothing was sent: send {who} this link some safe way. It works for 7 days, once."),
                            sent.link,
                        )
                    }));
                    email.set(String::new());
                    name.set(String::new());
                    version.update(|v| *v += 1);
                }
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    let withdraw = move |id: i64| {
        let token = csrf.get_value();
        spawn_local(async move {
            match api::send_json::<Invitation>(
                "DELETE",
                format!("/api/v1/invitations/{id}"),
                None,
                token,
            )
            .await
            {
                Ok(i) => {
                    problem.set(None);
                    done.set(Some((
                        format!(
                            "The invitation to {} is withdrawn: its link no longer works.",
                            i.email
                        ),
                        None,
                    )));
                    version.update(|v| *v += 1);
                }
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    let hint = if admin {
        "The slugs of their departments or agencies, separated by commas. Admins need none."
            .to_string()
    } else {
        format!("Yours, separated by commas: {}.", own.join(", "))
    };
    view! {
        <h1 class="govuk-heading-xl">"Invite people"</h1>
        <p class="govuk-body">"They get an e-mail with a link to set their own password; nobody else ever knows it."</p>
        {(!mail_enabled).then(|| view! {
            <Warning id="mail-off">"E-mail is off in this Pulse (no SMTP server is set): you will be shown each invitation's link to send yourself."</Warning>
        })}
        <ProblemSummary problem id="invitations-problem"/>
        {move || done.get().map(|(words, link)| view! {
            <div class="govuk-inset-text" id="invitations-done" role="status">
                <p class="govuk-body">{words}</p>
                {link.map(|l| view! { <p class="govuk-body"><code id="invitation-link">{l}</code></p> })}
            </div>
        })}
        <form id="invite-form" on:submit=invite novalidate>
            <div class="govuk-form-group">
                <label class="govuk-label govuk-label--s" for="invite-email">"Email address"</label>
                <input class="govuk-input govuk-!-width-one-half" id="invite-email" type="email" spellcheck="false" bind:value=email/>
            </div>
            <div class="govuk-form-group">
                <label class="govuk-label govuk-label--s" for="invite-name">"Name (optional)"</label>
                <div class="govuk-hint" id="invite-name-hint">"They can change it when they accept."</div>
                <input class="govuk-input govuk-!-width-one-half" id="invite-name" type="text" aria-describedby="invite-name-hint" bind:value=name/>
            </div>
            <div class="govuk-form-group">
                <label class="govuk-label govuk-label--s" for="invite-role">"Role"</label>
                <div class="govuk-hint" id="invite-role-hint">"Viewers read unpublished dashboards of their organisations; editors also change them; admins manage everything."</div>
                <select class="govuk-select" id="invite-role" aria-describedby="invite-role-hint" bind:value=role>
                    <option value="viewer">"Viewer"</option>
                    <option value="editor">"Editor"</option>
                    {admin.then(|| view! { <option value="admin">"Admin"</option> })}
                </select>
            </div>
            <div class="govuk-form-group">
                <label class="govuk-label govuk-label--s" for="invite-organisations">"Organisations"</label>
                <div class="govuk-hint" id="invite-organisations-hint">{hint}</div>
                <input class="govuk-input" id="invite-organisations" type="text" spellcheck="false"
                    aria-describedby="invite-organisations-hint" bind:value=orgs/>
            </div>
            <button type="submit" class="govuk-button" id="invite-button">"Send invitation"</button>
        </form>
        <Suspense fallback=|| view! { <p class="govuk-body">"Loading the invitations…"</p> }>
            {move || Suspend::new(async move {
                let invitations = list.await.map(|l| l.invitations).unwrap_or_default();
                view! {
                    <ScrollTable label="Invitations"><table class="govuk-table" id="invitations">
                        <caption class="govuk-table__caption govuk-table__caption--m">
                            {if admin { "Invitations" } else { "Your invitations" }}
                        </caption>
                        <thead class="govuk-table__head"><tr class="govuk-table__row">
                            <th scope="col" class="govuk-table__header">"Email"</th>
                            <th scope="col" class="govuk-table__header">"Role"</th>
                            <th scope="col" class="govuk-table__header">"Organisations"</th>
                            <th scope="col" class="govuk-table__header">"Sent by"</th>
                            <th scope="col" class="govuk-table__header">"Status"</th>
                        </tr></thead>
                        <tbody class="govuk-table__body">
                            {invitations.into_iter().map(|i| {
                                let id = i.id;
                                let pending = i.status == InvitationStatus::Pending;
                                let status = match i.status {
                                    InvitationStatus::Pending => format!("Waiting, until {}", format_date(i.expires_at)),
                                    other => other.label().to_string(),
                                };
                                view! {
                                    <tr class="govuk-table__row" data-invitation=i.email.clone()>
                                        <th scope="row" class="govuk-table__header">{i.email.clone()}</th>
                                        <td class="govuk-table__cell">{i.role.as_str()}</td>
                                        <td class="govuk-table__cell">{i.organisations.join(", ")}</td>
                                        <td class="govuk-table__cell">{format!("{}, {}", i.inviter_name, format_date(i.created_at))}</td>
                                        <td class="govuk-table__cell">
                                            {status}
                                            {pending.then(|| view! {
                                                " "
                                                <button type="button" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0"
                                                    id=format!("withdraw-{id}") on:click=move |_| withdraw(id)>
                                                    "Withdraw"<span class="govuk-visually-hidden">{format!(" the invitation to {}", i.email)}</span>
                                                </button>
                                            })}
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table></ScrollTable>
                }
            })}
        </Suspense>
    }
}
