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
            .filter(|n| n.starts_with('/') && !n.starts_with("//"))
            .unwrap_or_else(|| "/".to_string())
    };
    let signed_out = move || query.with(|q| q.get("signed-out").is_some());
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
