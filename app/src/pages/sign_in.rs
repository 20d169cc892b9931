//! `/sign-in`: the sign-in form (an HTML form posted to `/api/v1/session`, so it
//! works without JavaScript), with GOV.UK's error summary.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api;

/// What went wrong, from the `error` the sign-in endpoint sends back.
fn problem(code: &str) -> Option<(&'static str, &'static str)> {
    match code {
        "credentials" => Some((
            "email",
            "Enter the email address and password of your Pulse account: they did not match",
        )),
        "throttled" => Some((
            "email",
            "Too many attempts to sign in. Wait 15 minutes, then try again",
        )),
        "missing" => Some(("email", "Enter your email address and your password")),
        "expired" => Some((
            "email",
            "Sign in again: the sign-in waiting for your code ended after 10 minutes",
        )),
        _ => None,
    }
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    let session = Resource::new(|| (), |_| api::session());
    let error = move || query.with(|q| q.get("error")).and_then(|e| problem(&e));
    let email = move || query.with(|q| q.get("email")).unwrap_or_default();
    let next = move || {
        query
            .with(|q| q.get("next"))
            .filter(|n| crate::html::local_path(n).is_some())
            .unwrap_or_else(|| "/".to_string())
    };
    let signed_out = move || query.with(|q| q.get("signed-out").is_some());
    let reset = move || query.with(|q| q.get("reset").is_some());
    view! {
        <Title text="Sign in - Pulse"/>
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                {move || error().map(|(field, message)| view! {
                    <div class="govuk-error-summary" data-module="govuk-error-summary" role="alert" tabindex="-1">
                        <div role="alert">
                            <h2 class="govuk-error-summary__title">"There is a problem"</h2>
                            <div class="govuk-error-summary__body">
                                <ul class="govuk-list govuk-error-summary__list">
                                    <li><a href=format!("#{field}")>{message}</a></li>
                                </ul>
                            </div>
                        </div>
                    </div>
                })}
                {move || signed_out().then(|| view! {
                    <div class="govuk-notification-banner govuk-notification-banner--success" role="alert"
                        aria-labelledby="signed-out-title">
                        <div class="govuk-notification-banner__header">
                            <h2 class="govuk-notification-banner__title" id="signed-out-title">"Success"</h2>
                        </div>
                        <div class="govuk-notification-banner__content">
                            <p class="govuk-notification-banner__heading">"You have signed out."</p>
                        </div>
                    </div>
                })}
                {move || reset().then(|| view! {
                    <div class="govuk-notification-banner govuk-notification-banner--success" role="alert"
                        aria-labelledby="reset-title">
                        <div class="govuk-notification-banner__header">
                            <h2 class="govuk-notification-banner__title" id="reset-title">"Success"</h2>
                        </div>
                        <div class="govuk-notification-banner__content">
                            <p class="govuk-notification-banner__heading" id="password-was-reset">
                                "Your password has been changed. Sign in with it, then the code from your authentication app."
                            </p>
                        </div>
                    </div>
                })}
                <h1 class="govuk-heading-xl">"Sign in to Pulse"</h1>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        session.await.ok().and_then(|s| s.user).map(|user| view! {
                            <p class="govuk-inset-text" id="already-signed-in">
                                {format!("You are signed in as {} ({}).", user.display_name, user.email)}
                            </p>
                        })
                    })}
                </Suspense>
                <p class="govuk-body">
                    "Sign in to see unpublished dashboards of your organisation, to edit and annotate them, and to manage your API keys. Anyone can read published dashboards without signing in."
                </p>
                <form method="post" action="/api/v1/session" novalidate id="sign-in-form">
                    <input type="hidden" name="next" value=next/>
                    <div class=move || if error().is_some() { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" }>
                        <label class="govuk-label govuk-label--s" for="email">"Email address"</label>
                        {move || error().map(|(_, message)| view! {
                            <p class="govuk-error-message" id="email-error">
                                <span class="govuk-visually-hidden">"Error: "</span>{message}
                            </p>
                        })}
                        <input class="govuk-input govuk-!-width-two-thirds" id="email" name="email" type="email"
                            autocomplete="username" spellcheck="false" value=email
                            aria-describedby=move || error().map(|_| "email-error")/>
                    </div>
                    <div class="govuk-form-group">
                        <label class="govuk-label govuk-label--s" for="password">"Password"</label>
                        <input class="govuk-input govuk-!-width-two-thirds" id="password" name="password"
                            type="password" autocomplete="current-password"/>
                    </div>
                    <button type="submit" class="govuk-button" data-module="govuk-button">"Sign in"</button>
                </form>
                <p class="govuk-body">
                    <a class="govuk-link" href="/forgot-password" id="forgot-password">"Forgotten your password?"</a>
                </p>
                <p class="govuk-body">
                    "No account? Ask an editor of your organisation, or an admin of Pulse, to invite you."
                </p>
            </div>
        </div>
    }
}

/// What went wrong at the code step, from the `error` the endpoint sends back.
fn code_problem(code: &str) -> Option<&'static str> {
    match code {
        "code" => Some(
            "Enter the 6-digit code your authentication app shows now, or one of your recovery codes: that code did not match",
        ),
        "throttled" => Some(
            "Too many wrong codes. Wait 15 minutes, then sign in again (after 30 in a day, wait until tomorrow). If you did not try them, someone has your password: change it",
        ),
        "missing" => Some("Enter the code from your authentication app"),
        _ => None,
    }
}

/// `/sign-in/code`: the second step of signing in with two factors (an HTML
/// form posted to `/api/v1/session/code`, so it works without JavaScript).
#[component]
pub fn SignInCodePage() -> impl IntoView {
    let query = use_query_map();
    let error = move || {
        query
            .with(|q| q.get("error"))
            .and_then(|e| code_problem(&e))
    };
    let next = move || {
        query
            .with(|q| q.get("next"))
            .filter(|n| crate::html::local_path(n).is_some())
            .unwrap_or_else(|| "/".to_string())
    };
    view! {
        <Title text="Enter your code - Pulse"/>
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds">
                {move || error().map(|message| view! {
                    <div class="govuk-error-summary" data-module="govuk-error-summary" role="alert" tabindex="-1">
                        <div role="alert">
                            <h2 class="govuk-error-summary__title">"There is a problem"</h2>
                            <div class="govuk-error-summary__body">
                                <ul class="govuk-list govuk-error-summary__list">
                                    <li><a href="#code">{message}</a></li>
                                </ul>
                            </div>
                        </div>
                    </div>
                })}
                <form method="post" action="/api/v1/session/code" novalidate id="code-form">
                    <input type="hidden" name="next" value=next/>
                    <div class=move || if error().is_some() { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" }>
                        <h1 class="govuk-label-wrapper">
                            <label class="govuk-label govuk-label--xl" for="code">"Enter the code from your authentication app"</label>
                        </h1>
                        <div class="govuk-hint" id="code-hint">
                            "Open the app you set up for Pulse and enter the 6-digit code it shows. If you have lost your phone, enter one of your recovery codes instead."
                        </div>
                        {move || error().map(|message| view! {
                            <p class="govuk-error-message" id="code-error">
                                <span class="govuk-visually-hidden">"Error: "</span>{message}
                            </p>
                        })}
                        <input class="govuk-input govuk-input--width-10" id="code" name="code" type="text"
                            autocomplete="one-time-code" spellcheck="false" autocapitalize="none"
                            aria-describedby=move || if error().is_some() { "code-hint code-error" } else { "code-hint" }/>
                    </div>
                    <button type="submit" class="govuk-button" data-module="govuk-button">"Continue"</button>
                </form>
                <p class="govuk-body">
                    <a class="govuk-link" href="/sign-in">"Start signing in again"</a>
                </p>
            </div>
        </div>
    }
}
