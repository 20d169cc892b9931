//! The "Two-factor sign-in" part of a person's settings page: set up with an
//! authentication app (a QR code Pulse draws, the key as text too, then a
//! code to show it works), the 10 recovery codes shown once, turned off with
//! the password; and, for admins, whether admins and editors must use it.
//! Each change is a call of `/api/v1/two-factor` with the session's CSRF
//! token.

use leptos::html::Input;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::components::problem::{ProblemSummary, Warning};
use crate::model::{
    RecoveryCodes, TwoFactorConfirm, TwoFactorOff, TwoFactorRequirement, TwoFactorSetup,
    TwoFactorStatus,
};

/// The key in groups of four, as people copy it into an app.
fn grouped(secret: &str) -> String {
    secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// What the two-factor settings read, made by the settings page for the
/// page ([`super::when_signed_in`]).
#[derive(Clone, Copy)]
pub struct Reads {
    version: RwSignal<u32>,
    status: Resource<Result<TwoFactorStatus, api::ApiError>>,
}

impl Reads {
    pub fn new(session: super::SessionRead) -> Reads {
        let version = RwSignal::new(0u32);
        Reads {
            version,
            status: super::signed_in_read(session, version, "/api/v1/two-factor"),
        }
    }
}

#[component]
pub fn TwoFactorSettings(csrf: String, admin: bool, reads: Reads) -> impl IntoView {
    let Reads { version, status } = reads;
    let csrf = StoredValue::new(csrf);
    let setup = RwSignal::new(None::<TwoFactorSetup>);
    let codes = RwSignal::new(None::<Vec<String>>);
    let problem = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    let code_input = NodeRef::<Input>::new();
    let password_input = NodeRef::<Input>::new();
    let confirm_password = NodeRef::<Input>::new();

    let begin = move |_| {
        let token = csrf.get_value();
        spawn_local(async move {
            let path = "/api/v1/two-factor/setup".to_string();
            match api::send_json::<TwoFactorSetup>("POST", path, None, token).await {
                Ok(s) => {
                    problem.set(None);
                    setup.set(Some(s));
                    crate::components::navigation::focus_soon(vec!["two-factor-steps".into()]);
                }
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    let confirm = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let code = code_input
            .get_untracked()
            .map(|i| i.value())
            .unwrap_or_default();
        let password = confirm_password
            .get_untracked()
            .map(|i| i.value())
            .unwrap_or_default();
        let body = api::body(&TwoFactorConfirm { code, password });
        let token = csrf.get_value();
        spawn_local(async move {
            let path = "/api/v1/two-factor".to_string();
            match api::send_json::<RecoveryCodes>("POST", path, body, token).await {
                Ok(made) => {
                    problem.set(None);
                    setup.set(None);
                    codes.set(Some(made.recovery_codes));
                    version.update(|v| *v += 1);
                    crate::components::navigation::focus_soon(vec!["recovery-codes-title".into()]);
                }
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    let turn_off = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let password = password_input
            .get_untracked()
            .map(|i| i.value())
            .unwrap_or_default();
        let body = api::body(&TwoFactorOff { password });
        let token = csrf.get_value();
        spawn_local(async move {
            let path = "/api/v1/two-factor/off".to_string();
            match api::send_json::<TwoFactorStatus>("POST", path, body, token).await {
                Ok(_) => {
                    problem.set(None);
                    codes.set(None);
                    done.set(Some("Two-factor sign-in is off.".into()));
                    version.update(|v| *v += 1);
                }
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    let require = move |required: bool| {
        let body = api::body(&TwoFactorRequirement { required });
        let token = csrf.get_value();
        spawn_local(async move {
            let path = "/api/v1/two-factor/requirement".to_string();
            match api::send_json::<TwoFactorStatus>("PUT", path, body, token).await {
                Ok(_) => {
                    problem.set(None);
                    done.set(Some(if required {
                        "Admins and editors must now sign in with two factors.".into()
                    } else {
                        "Two-factor sign-in is now a choice for everyone.".into()
                    }));
                    version.update(|v| *v += 1);
                    crate::components::navigation::focus_soon(vec!["two-factor-require".into()]);
                }
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };

    view! {
        <h2 class="govuk-heading-l" id="two-factor-heading">"Two-factor sign-in"</h2>
        <ProblemSummary problem id="two-factor-problem"/>
        {move || done.get().map(|d| view! { <div class="govuk-inset-text" id="two-factor-done" role="status">{d}</div> })}
        {move || codes.get().map(|list| view! {
            <div class="govuk-notification-banner govuk-notification-banner--success" role="region"
                aria-labelledby="recovery-codes-title">
                <div class="govuk-notification-banner__header">
                    <h3 class="govuk-notification-banner__title" id="recovery-codes-title" tabindex="-1">"Two-factor sign-in is on"</h3>
                </div>
                <div class="govuk-notification-banner__content">
                    <p class="govuk-body">"These are your recovery codes. If you lose your phone, sign in with one of them instead of a code from the app: each works once."</p>
                    <ul class="govuk-list pulse-recovery-codes" id="recovery-codes">
                        {list.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
                    </ul>
                    <Warning>"Keep them somewhere safe now: Pulse will not show them again."</Warning>
                </div>
            </div>
        })}
        <Suspense fallback=|| view! { <p class="govuk-body">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let s = status.await.unwrap_or_default();
                let state = if s.enabled {
                    view! {
                        <p class="govuk-body" id="two-factor-state">
                            {format!(
                                "Two-factor sign-in is on: signing in asks for a code from your authentication app after your password. You have {} recovery code{} left.",
                                s.recovery_codes_left,
                                if s.recovery_codes_left == 1 { "" } else { "s" }
                            )}
                        </p>
                        {if s.required_of_you {
                            view! {
                                <p class="govuk-body" id="two-factor-kept">"Your admins require it of admins and editors, so it stays on."</p>
                            }.into_any()
                        } else {
                            view! {
                                <form id="two-factor-off" on:submit=turn_off novalidate>
                                    <div class="govuk-form-group">
                                        <label class="govuk-label govuk-label--s" for="two-factor-password">"Your password, to turn it off"</label>
                                        <input class="govuk-input govuk-!-width-one-half" id="two-factor-password" type="password"
                                            autocomplete="current-password" node_ref=password_input/>
                                    </div>
                                    <button type="submit" class="govuk-button govuk-button--warning">"Turn off two-factor sign-in"</button>
                                </form>
                            }.into_any()
                        }}
                    }.into_any()
                } else {
                    let needed = s.required_of_you.then(|| view! {
                        <Warning id="two-factor-needed">"Your admins require two-factor sign-in of admins and editors: until you set it up, you can only read, as a viewer."</Warning>
                    });
                    view! {
                        <p class="govuk-body" id="two-factor-state">
                            "Two-factor sign-in is off. With it on, signing in asks for a code from an authentication app on your phone (such as Google Authenticator, Microsoft Authenticator or FreeOTP) as well as your password."
                        </p>
                        {needed}
                        {move || match setup.get() {
                            None => view! {
                                <button type="button" class="govuk-button" id="two-factor-begin" on:click=begin>
                                    "Set up two-factor sign-in"
                                </button>
                            }.into_any(),
                            Some(setup) => view! {
                                <div id="two-factor-steps" tabindex="-1">
                                    <h3 class="govuk-heading-m">"1. Add Pulse to your authentication app"</h3>
                                    <p class="govuk-body">"Scan this QR code with the app:"</p>
                                    <div class="pulse-qr" role="img" aria-label="QR code holding your Pulse key for an authentication app"
                                        inner_html=setup.qr_svg></div>
                                    <p class="govuk-body">"Or, if you cannot scan it, enter this key in the app by hand (time-based):"</p>
                                    <p class="govuk-body"><code class="pulse-secret" id="two-factor-secret">{grouped(&setup.secret)}</code></p>
                                    <form id="two-factor-confirm" on:submit=confirm novalidate>
                                        <div class="govuk-form-group">
                                            <h3 class="govuk-label-wrapper">
                                                <label class="govuk-label govuk-label--m" for="two-factor-code">"2. Enter the code the app shows"</label>
                                            </h3>
                                            <div class="govuk-hint" id="two-factor-code-hint">"6 digits, which change every 30 seconds"</div>
                                            <input class="govuk-input govuk-input--width-10" id="two-factor-code" type="text"
                                                inputmode="numeric" autocomplete="one-time-code" spellcheck="false"
                                                aria-describedby="two-factor-code-hint" node_ref=code_input/>
                                        </div>
                                        <div class="govuk-form-group">
                                            <h3 class="govuk-label-wrapper">
                                                <label class="govuk-label govuk-label--m" for="two-factor-confirm-password">"3. Enter your password"</label>
                                            </h3>
                                            <div class="govuk-hint" id="two-factor-confirm-password-hint">"To show it is you. Turning two-factor sign-in on signs you out everywhere else."</div>
                                            <input class="govuk-input govuk-!-width-one-half" id="two-factor-confirm-password" type="password"
                                                autocomplete="current-password" aria-describedby="two-factor-confirm-password-hint"
                                                node_ref=confirm_password/>
                                        </div>
                                        <button type="submit" class="govuk-button">"Turn on two-factor sign-in"</button>
                                    </form>
                                </div>
                            }.into_any(),
                        }}
                    }.into_any()
                };
                let for_everyone = admin.then(|| {
                    let required = s.required;
                    view! {
                        <h3 class="govuk-heading-m">"For admins and editors"</h3>
                        <p class="govuk-body" id="two-factor-required">
                            {if required {
                                "Admins and editors must sign in with two factors: until they set them up, they can only read."
                            } else {
                                "Two-factor sign-in is a choice for everyone. You can require it of admins and editors (turn it on for yourself first)."
                            }}
                        </p>
                        <button type="button" class="govuk-button govuk-button--secondary" id="two-factor-require"
                            on:click=move |_| require(!required)>
                            {if required { "Stop requiring two-factor sign-in" } else { "Require two-factor sign-in of admins and editors" }}
                        </button>
                    }
                });
                view! { {state} {for_everyone} }.into_any()
            })}
        </Suspense>
    }
}
