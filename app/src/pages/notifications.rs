//! `/settings/notifications`: what Pulse e-mails a signed-in person. Their
//! alerts on figures (a service's KPI missing a target, moving more than an
//! amount against the period before, or unusual) and their weekly digests of
//! boards, made and stopped here; and whether Pulse may e-mail them at all.
//! Every change is a call of `/api/v1` with the session's CSRF token.
//! `?service=SLUG&kpi=KEY` fills in the alert form (dashboards link here so),
//! `?board=SLUG` (or `portfolio/ID`) the digest form (boards link here so).

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api;
use crate::components::problem::{ProblemSummary, Warning};
use crate::components::scroll_table::ScrollTable;
use crate::kpi::format_date;
use crate::model::{
    Alert, AlertList, AlertRule, Digest, DigestCopy, DigestList, Done, EmailChoice, KpiKind,
    NewAlert, NewDigest, OrgKind, ServiceList, Unit,
};

/// What the page reads from the API, asked for once for the page.
///
/// Not inside the Suspense that waits for the session: on the server Leptos
/// runs that Suspense's children more than once before it draws them, and
/// each run would ask again and hand the browser every copy's answers, the
/// first of which the browser takes the page over with. When the two
/// differed (the first copy's second request, made from an effect already
/// gone, went out without the person's cookie and found no portfolios), the
/// WebAssembly panicked on the page's first load, now and then.
#[derive(Clone, Copy)]
struct Reads {
    alerts_version: RwSignal<u32>,
    alerts: Resource<Result<AlertList, api::ApiError>>,
    services: Resource<Result<ServiceList, api::ApiError>>,
    digests_version: RwSignal<u32>,
    digests: Resource<Result<DigestList, api::ApiError>>,
    boards: Resource<(
        Vec<crate::model::Organisation>,
        Vec<crate::boards::Portfolio>,
    )>,
}

impl Reads {
    /// Asked only for someone signed in ([`super::when_signed_in`]).
    fn new(session: super::SessionRead) -> Reads {
        use super::{signed_in_read, when_signed_in};
        let (alerts_version, digests_version) = (RwSignal::new(0u32), RwSignal::new(0u32));
        Reads {
            alerts_version,
            alerts: signed_in_read(session, alerts_version, "/api/v1/alerts"),
            services: signed_in_read(session, RwSignal::new(0), "/api/v1/services"),
            digests_version,
            digests: signed_in_read(session, digests_version, "/api/v1/digests"),
            // Both asked for at once, each reading the page's context (its
            // cookies) as it starts.
            boards: Resource::new(
                || (),
                move |_| async move {
                    when_signed_in(session, |_| async {
                        let (orgs, portfolios) =
                            futures_util::future::join(api::organisations(), api::portfolios())
                                .await;
                        Ok((orgs.unwrap_or_default(), portfolios.unwrap_or_default()))
                    })
                    .await
                    .unwrap_or_default()
                },
            ),
        }
    }
}

#[component]
pub fn NotificationsPage() -> impl IntoView {
    let session = Resource::new(|| (), |_| api::session());
    let reads = Reads::new(session);
    view! {
        <Title text="Notifications - Pulse"/>
        <Suspense fallback=|| view! {
            <h1 class="govuk-heading-xl">"Notifications"</h1>
            <p class="govuk-body pulse-loading" role="status">"Loading your notifications…"</p>
        }>
            {move || Suspend::new(async move {
                match session.await {
                    Ok(crate::model::SessionState { user: Some(_), csrf_token, .. }) => {
                        view! { <Notifications csrf=csrf_token.unwrap_or_default() reads/> }.into_any()
                    }
                    _ => {
                        super::set_status(401);
                        view! {
                            <h1 class="govuk-heading-xl">"Notifications"</h1>
                            <p class="govuk-body" id="sign-in-needed">
                                "You need to "
                                <a class="govuk-link" href=super::sign_in_href("/settings/notifications")>"sign in"</a>
                                " to manage your notifications."
                            </p>
                        }
                        .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// The settings pages' links, with the current one marked.
pub fn settings_nav(here: &'static str) -> impl IntoView {
    crate::components::navigation::section_nav(
        "Your settings",
        &[
            ("/settings/api-keys", "API keys, password and sign-in"),
            ("/settings/notifications", "Notifications"),
        ],
        here,
    )
}

/// The hint under the amount, for the chosen rule and KPI.
fn amount_hint(rule: AlertRule, kpi: KpiKind) -> &'static str {
    match (rule, kpi.unit()) {
        (AlertRule::MissesTarget, Unit::Ratio) => {
            "As a percentage, for example 80. Leave it empty to use the service's own target."
        }
        (AlertRule::MissesTarget, Unit::Pounds) => {
            "In pounds, for example 4.50. Leave it empty to use the service's own target."
        }
        (AlertRule::MissesTarget, Unit::Number) => {
            "Transactions a year, for example 1200000. Leave it empty to use the service's own target."
        }
        (AlertRule::ChangesByPercent, _) => "A percentage, for example 10.",
        (AlertRule::ChangesByPoints, _) => "Percentage points, for example 5.",
        (AlertRule::Unusual, _) => "",
    }
}

fn rule_label(rule: AlertRule) -> &'static str {
    match rule {
        AlertRule::MissesTarget => "It misses a target",
        AlertRule::ChangesByPercent => "It moves by more than a percentage",
        AlertRule::ChangesByPoints => "It moves by more than a number of percentage points",
        AlertRule::Unusual => "It is unusual",
    }
}

fn rule_hint(rule: AlertRule) -> &'static str {
    match rule {
        AlertRule::MissesTarget => "Falls below it (or, for cost, rises above it).",
        AlertRule::ChangesByPercent => {
            "Up or down, against the period before: for example 10% more or fewer transactions. For a rate, a percentage of the rate itself: from 50% to 55% is 10%."
        }
        AlertRule::ChangesByPoints => {
            "For rates only (digital take-up, satisfaction, completion): for example from 70% to 64% is 6 points."
        }
        AlertRule::Unusual => "Far from what the service's recent figures lead one to expect, as dashboards mark it.",
    }
}

/// What the form's amount means in the API: a target for a rate is a
/// fraction there, a percentage here.
fn threshold_of(rule: AlertRule, kpi: KpiKind, typed: &str) -> Result<Option<f64>, String> {
    let typed = typed.trim().trim_end_matches('%').replace([',', '£'], "");
    if typed.is_empty() {
        return Ok(None);
    }
    let value = crate::kpi::parse_number(&typed)
        .ok_or_else(|| "Enter the amount as a number, for example 80".to_string())?;
    Ok(Some(match (rule, kpi.unit()) {
        (AlertRule::MissesTarget, Unit::Ratio) => value / 100.0,
        _ => value,
    }))
}

#[component]
fn Notifications(csrf: String, reads: Reads) -> impl IntoView {
    let Reads {
        alerts_version: version,
        alerts: list,
        services,
        ..
    } = reads;
    let csrf = StoredValue::new(csrf);
    let problem = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    // A refusal replaces the last success's message.
    let refused = move |why: String| {
        done.set(None);
        problem.set(Some(why));
    };
    // Where the focus goes once the list is drawn again.
    let refocus = StoredValue::new(None::<String>);

    let query = use_query_map();
    let first = |name: &str| query.with_untracked(|q| q.get(name)).unwrap_or_default();
    let service = RwSignal::new(first("service"));
    let kpi = RwSignal::new(KpiKind::from_key(&first("kpi")).unwrap_or(KpiKind::DigitalTakeUp));
    let rule = RwSignal::new(AlertRule::MissesTarget);
    let amount = RwSignal::new(String::new());
    let amount_problem = RwSignal::new(None::<String>);

    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (rule_now, kpi_now) = (rule.get_untracked(), kpi.get_untracked());
        let threshold = if rule_now == AlertRule::Unusual {
            Ok(None)
        } else {
            threshold_of(rule_now, kpi_now, &amount.get_untracked())
        };
        let threshold = match threshold {
            Ok(t) => {
                amount_problem.set(None);
                t
            }
            Err(why) => {
                amount_problem.set(Some(why.clone()));
                refused(why);
                return;
            }
        };
        let body = api::body(&NewAlert {
            service: service.get_untracked(),
            kpi: kpi_now,
            rule: rule_now,
            threshold,
        });
        let token = csrf.get_value();
        spawn_local(async move {
            match api::send_json::<Alert>("POST", "/api/v1/alerts".into(), body, token).await {
                Ok(made) => {
                    problem.set(None);
                    amount.set(String::new());
                    done.set(Some(format!(
                        "Alert added: {} ({}).",
                        made.description, made.service_title
                    )));
                    refocus.set_value(Some("alerts-done".into()));
                    version.update(|v| *v += 1);
                }
                Err(e) => refused(e.to_string()),
            }
        });
    };
    let remove = move |alert: Alert| {
        let token = csrf.get_value();
        spawn_local(async move {
            let path = format!("/api/v1/alerts/{}", alert.id);
            match api::send_json::<Done>("DELETE", path, None, token).await {
                Ok(_) => {
                    problem.set(None);
                    done.set(Some(format!(
                        "Alert deleted: {} ({}).",
                        alert.description, alert.service_title
                    )));
                    refocus.set_value(Some("alerts-heading".into()));
                    version.update(|v| *v += 1);
                }
                Err(e) => refused(e.to_string()),
            }
        });
    };
    let receive = move |on: bool| {
        let body = api::body(&EmailChoice { receive: on });
        let token = csrf.get_value();
        spawn_local(async move {
            match api::send_json::<EmailChoice>("PUT", "/api/v1/e-mail".into(), body, token).await {
                Ok(_) => {
                    problem.set(None);
                    done.set(Some(if on {
                        "Pulse will e-mail you again.".to_string()
                    } else {
                        "Pulse will not e-mail you: no alerts, reminders or invitations."
                            .to_string()
                    }));
                    refocus.set_value(Some("email-choice".into()));
                    version.update(|v| *v += 1);
                }
                Err(e) => refused(e.to_string()),
            }
        });
    };

    view! {
        {settings_nav("/settings/notifications")}
        <h1 class="govuk-heading-xl">"Notifications"</h1>
        <ProblemSummary problem id="alerts-problem"
            field=Signal::derive(move || amount_problem.with(Option::is_some).then_some("alert-amount"))/>
        {move || done.get().map(|d| view! {
            <div class="govuk-inset-text" id="alerts-done" role="status" tabindex="-1">{d}</div>
        })}
        <Suspense fallback=|| view! { <p class="govuk-body">"Loading your alerts…"</p> }>
            {move || Suspend::new(async move {
                let list = list.await.unwrap_or_default();
                if let Some(id) = refocus.get_value() {
                    refocus.set_value(None);
                    crate::components::navigation::focus_soon(vec![id]);
                }
                let off = (!list.mail_enabled).then(|| view! {
                    <Warning>"E-mail is off on this Pulse: alerts and digests are written to the server's log instead of sent."</Warning>
                });
                let receiving = list.receiving;
                let email_words = if receiving {
                    format!("Pulse e-mails you at {}.", list.email)
                } else {
                    format!(
                        "You have stopped e-mail from Pulse: nothing is sent to {}, not even your alerts.",
                        list.email
                    )
                };
                let rows = list.alerts.clone();
                view! {
                    {off}
                    <h2 class="govuk-heading-l" id="email-heading">"E-mail"</h2>
                    <p class="govuk-body" id="email-state">{email_words}</p>
                    <button type="button" id="email-choice"
                        class=if receiving { "govuk-button govuk-button--secondary" } else { "govuk-button" }
                        on:click=move |_| receive(!receiving)>
                        {if receiving { "Stop all e-mail from Pulse" } else { "Start e-mail again" }}
                    </button>

                    <h2 class="govuk-heading-l" id="alerts-heading" tabindex="-1">"Your alerts"</h2>
                    {if rows.is_empty() {
                        view! { <p class="govuk-body" id="no-alerts">"You have no alerts yet."</p> }.into_any()
                    } else {
                        view! {
                            <ScrollTable label="Your alerts"><table class="govuk-table" id="alerts">
                                <caption class="govuk-table__caption govuk-visually-hidden">"Your alerts"</caption>
                                <thead class="govuk-table__head"><tr class="govuk-table__row">
                                    <th scope="col" class="govuk-table__header">"Service"</th>
                                    <th scope="col" class="govuk-table__header">"Tell me when"</th>
                                    <th scope="col" class="govuk-table__header">"Sent"</th>
                                    <th scope="col" class="govuk-table__header"><span class="govuk-visually-hidden">"Action"</span></th>
                                </tr></thead>
                                <tbody class="govuk-table__body">
                                    {rows.into_iter().map(|a| {
                                        let sent = match (a.sent, a.last_sent_at) {
                                            (0, _) => "Not yet".to_string(),
                                            (n, Some(last)) => format!(
                                                "{n} {}, the last on {}",
                                                if n == 1 { "time" } else { "times" },
                                                format_date(last)
                                            ),
                                            (n, None) => format!("{n} times"),
                                        };
                                        let label = format!("{} ({})", a.description, a.service_title);
                                        let id = a.id;
                                        let alert = a.clone();
                                        view! {
                                            <tr class="govuk-table__row">
                                                <td class="govuk-table__cell">
                                                    <a class="govuk-link" href=format!("/services/{}", a.service)>{a.service_title.clone()}</a>
                                                </td>
                                                <td class="govuk-table__cell">{a.description.clone()}</td>
                                                <td class="govuk-table__cell">{sent}</td>
                                                <td class="govuk-table__cell">
                                                    <button type="button" class="govuk-button govuk-button--warning govuk-!-margin-bottom-0"
                                                        id=format!("alert-delete-{id}")
                                                        on:click=move |_| remove(alert.clone())>
                                                        "Delete"
                                                        <span class="govuk-visually-hidden">{format!(" the alert: {label}")}</span>
                                                    </button>
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table></ScrollTable>
                        }.into_any()
                    }}
                }
                .into_any()
            })}
        </Suspense>

        <h2 class="govuk-heading-l" id="add-alert-heading">"Add an alert"</h2>
        <p class="govuk-body">
            "Pulse looks at each figure once its period is complete (a week, a month or a quarter, as the service sends them) and e-mails you once for each period your rule holds in, from the next one on, with a link to the figures."
        </p>
        <form id="add-alert" novalidate on:submit=add>
            <div class="govuk-form-group">
                <label class="govuk-label govuk-label--s" for="alert-service">"Service"</label>
                <Suspense fallback=|| view! { <p class="govuk-body">"Loading the services…"</p> }>
                    {move || Suspend::new(async move {
                        let mut all = services.await.map(|s| s.services).unwrap_or_default();
                        all.sort_by(|a, b| a.title.cmp(&b.title));
                        if service.get_untracked().is_empty() {
                            if let Some(s) = all.first() {
                                service.set(s.slug.clone());
                            }
                        }
                        view! {
                            <select class="govuk-select" id="alert-service" name="service"
                                on:change=move |ev| service.set(event_target_value(&ev))>
                                {all.into_iter().map(|s| {
                                    let slug = s.slug.clone();
                                    view! {
                                        <option value=s.slug selected=move || service.get() == slug>{s.title}</option>
                                    }
                                }).collect_view()}
                            </select>
                        }
                    })}
                </Suspense>
            </div>
            <div class="govuk-form-group">
                <label class="govuk-label govuk-label--s" for="alert-kpi">"Figure"</label>
                <select class="govuk-select" id="alert-kpi" name="kpi"
                    on:change=move |ev| {
                        if let Some(k) = KpiKind::from_key(&event_target_value(&ev)) {
                            kpi.set(k);
                        }
                    }>
                    {crate::boards::KPIS.into_iter().map(|k| view! {
                        <option value=k.key() selected=move || kpi.get() == k>{k.title()}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="govuk-form-group">
                <fieldset class="govuk-fieldset" aria-describedby="alert-rule-hint">
                    <legend class="govuk-fieldset__legend govuk-fieldset__legend--s">"Tell me when"</legend>
                    <div id="alert-rule-hint" class="govuk-hint">"Choose one."</div>
                    <div class="govuk-radios govuk-radios--small" data-module="govuk-radios">
                        {AlertRule::ALL.into_iter().map(|r| {
                            let id = format!("alert-rule-{}", r.key());
                            let hint_id = format!("{id}-hint");
                            view! {
                                <div class="govuk-radios__item">
                                    <input class="govuk-radios__input" id=id.clone() name="rule" type="radio" value=r.key()
                                        aria-describedby=hint_id.clone()
                                        checked=move || rule.get() == r
                                        prop:checked=move || rule.get() == r
                                        on:change=move |_| rule.set(r)/>
                                    <label class="govuk-label govuk-radios__label" for=id>{rule_label(r)}</label>
                                    <div id=hint_id class="govuk-hint govuk-radios__hint">{rule_hint(r)}</div>
                                </div>
                            }
                        }).collect_view()}
                    </div>
                </fieldset>
            </div>
            {move || (rule.get() != AlertRule::Unusual).then(|| {
                let hint = amount_hint(rule.get(), kpi.get());
                view! {
                    <div class="govuk-form-group" class:govuk-form-group--error=move || amount_problem.with(Option::is_some)>
                        <label class="govuk-label govuk-label--s" for="alert-amount">"Amount"</label>
                        <div id="alert-amount-hint" class="govuk-hint">{hint}</div>
                        {move || amount_problem.get().map(|p| view! {
                            <p id="alert-amount-error" class="govuk-error-message">
                                <span class="govuk-visually-hidden">"Error: "</span>{p}
                            </p>
                        })}
                        <input class="govuk-input govuk-input--width-10" id="alert-amount" name="amount" type="text"
                            class:govuk-input--error=move || amount_problem.with(Option::is_some)
                            inputmode="decimal" autocomplete="off" spellcheck="false"
                            aria-describedby=move || if amount_problem.with(Option::is_some) {
                                "alert-amount-hint alert-amount-error"
                            } else {
                                "alert-amount-hint"
                            }
                            value=move || amount.get() prop:value=move || amount.get()
                            on:input=move |ev| amount.set(event_target_value(&ev))/>
                    </div>
                }
            })}
            <button type="submit" class="govuk-button" id="add-alert-button">"Add alert"</button>
        </form>
        <WeeklyDigests csrf=csrf.get_value() reads/>
    }
}

/// When a digest was sent, in words.
fn sent_words(sent: i64, last: Option<chrono::DateTime<chrono::Utc>>) -> String {
    match (sent, last) {
        (0, _) => "Not yet".to_string(),
        (n, Some(last)) => format!(
            "{n} {}, the last on {}",
            if n == 1 { "time" } else { "times" },
            format_date(last)
        ),
        (n, None) => format!("{n} times"),
    }
}

/// The person's weekly digests of boards: listed, stopped, copied on
/// request, and asked for.
#[component]
fn WeeklyDigests(csrf: String, reads: Reads) -> impl IntoView {
    let Reads {
        digests_version: version,
        digests: list,
        boards,
        ..
    } = reads;
    let csrf = StoredValue::new(csrf);
    let problem = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    // A refusal replaces the last success's message.
    let refused = move |why: String| {
        done.set(None);
        problem.set(Some(why));
    };
    let refocus = StoredValue::new(None::<String>);
    let query = use_query_map();
    let asked = query.with_untracked(|q| q.get("board")).unwrap_or_default();
    let board = RwSignal::new(asked.clone());

    let after = move |words: String, focus: &str| {
        problem.set(None);
        done.set(Some(words));
        refocus.set_value(Some(focus.to_string()));
        version.update(|v| *v += 1);
    };
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = api::body(&NewDigest {
            board: board.get_untracked(),
        });
        let token = csrf.get_value();
        spawn_local(async move {
            match api::send_json::<Digest>("POST", "/api/v1/digests".into(), body, token).await {
                Ok(made) => after(
                    format!("You will get {} by e-mail each week.", made.title),
                    "digests-done",
                ),
                Err(e) => refused(e.to_string()),
            }
        });
    };
    let stop = move |digest: Digest| {
        let token = csrf.get_value();
        spawn_local(async move {
            let path = format!("/api/v1/digests/{}", digest.id);
            match api::send_json::<Done>("DELETE", path, None, token).await {
                Ok(_) => after(
                    format!("Weekly digest stopped: {}.", digest.title),
                    "digests-heading",
                ),
                Err(e) => refused(e.to_string()),
            }
        });
    };
    let copy = move |digest: Digest| {
        let token = csrf.get_value();
        spawn_local(async move {
            let path = format!("/api/v1/digests/{}/copy", digest.id);
            match api::send_json::<DigestCopy>("POST", path, None, token).await {
                Ok(sent) => after(
                    format!(
                        "A copy of the digest of {} is on its way to {}.",
                        digest.title, sent.to
                    ),
                    "digests-done",
                ),
                Err(e) => refused(e.to_string()),
            }
        });
    };

    view! {
        <h2 class="govuk-heading-l" id="digests-heading" tabindex="-1">"Weekly digests of boards"</h2>
        <ProblemSummary problem id="digests-problem"/>
        {move || done.get().map(|d| view! {
            <div class="govuk-inset-text" id="digests-done" role="status" tabindex="-1">{d}</div>
        })}
        <Suspense fallback=|| view! { <p class="govuk-body">"Loading your digests…"</p> }>
            {move || Suspend::new(async move {
                let list = list.await.unwrap_or_default();
                if let Some(id) = refocus.get_value() {
                    refocus.set_value(None);
                    crate::components::navigation::focus_soon(vec![id]);
                }
                let rows = list.digests.clone();
                view! {
                    <p class="govuk-body" id="digest-schedule">
                        {format!(
                            "A digest tells a board's headline figures, what changed since the last one, what needs attention and the notes written that week, with a link to the board. Pulse sends them {}.",
                            list.schedule.replace(" (UK time)", ", UK time")
                        )}
                    </p>
                    {if rows.is_empty() {
                        view! { <p class="govuk-body" id="no-digests">"You get no boards by e-mail yet."</p> }.into_any()
                    } else {
                        view! {
                            <ScrollTable label="Your weekly digests"><table class="govuk-table" id="digests">
                                <caption class="govuk-table__caption govuk-visually-hidden">"Your weekly digests"</caption>
                                <thead class="govuk-table__head"><tr class="govuk-table__row">
                                    <th scope="col" class="govuk-table__header">"Board"</th>
                                    <th scope="col" class="govuk-table__header">"Sent"</th>
                                    <th scope="col" class="govuk-table__header">"Next"</th>
                                    <th scope="col" class="govuk-table__header"><span class="govuk-visually-hidden">"Actions"</span></th>
                                </tr></thead>
                                <tbody class="govuk-table__body">
                                    {rows.into_iter().map(|d| {
                                        let id = d.id;
                                        let (for_copy, for_stop) = (d.clone(), d.clone());
                                        let title = match d.url.clone() {
                                            Some(url) => view! { <a class="govuk-link" href=url>{d.title.clone()}</a> }.into_any(),
                                            None => view! { <span>{d.title.clone()}</span> }.into_any(),
                                        };
                                        view! {
                                            <tr class="govuk-table__row">
                                                <td class="govuk-table__cell">{title}</td>
                                                <td class="govuk-table__cell">{sent_words(d.sent, d.last_sent_at)}</td>
                                                <td class="govuk-table__cell">{format_date(d.next_at)}</td>
                                                <td class="govuk-table__cell">
                                                    <div class="govuk-button-group govuk-!-margin-bottom-0">
                                                        <button type="button" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0"
                                                            id=format!("digest-copy-{id}")
                                                            on:click=move |_| copy(for_copy.clone())>
                                                            "Send me a copy now"
                                                            <span class="govuk-visually-hidden">{format!(" of {}", d.title)}</span>
                                                        </button>
                                                        <button type="button" class="govuk-button govuk-button--warning govuk-!-margin-bottom-0"
                                                            id=format!("digest-stop-{id}")
                                                            on:click=move |_| stop(for_stop.clone())>
                                                            "Stop"
                                                            <span class="govuk-visually-hidden">{format!(" the digest of {}", d.title)}</span>
                                                        </button>
                                                    </div>
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table></ScrollTable>
                        }.into_any()
                    }}
                }.into_any()
            })}
        </Suspense>
        <form id="add-digest" novalidate on:submit=add>
            <div class="govuk-form-group">
                <label class="govuk-label govuk-label--s" for="digest-board">"Board"</label>
                <div id="digest-board-hint" class="govuk-hint">"A department's or an agency's board, or one of your portfolios."</div>
                <Suspense fallback=|| view! { <p class="govuk-body">"Loading the boards…"</p> }>
                    {move || {
                        let asked = asked.clone();
                        Suspend::new(async move {
                            let (mut orgs, portfolios) = boards.await;
                            orgs.sort_by(|a, b| a.title.cmp(&b.title));
                            // A portfolio shared by its link, not one of the person's own.
                            let shared = asked
                                .strip_prefix("portfolio/")
                                .filter(|id| !portfolios.iter().any(|p| p.id == *id))
                                .map(|id| format!("portfolio/{id}"));
                            if board.get_untracked().is_empty() {
                                if let Some(first) = orgs.first() {
                                    board.set(first.slug.clone());
                                }
                            }
                            let option = move |value: String, words: String| {
                                let chosen = value.clone();
                                view! { <option value=value selected=move || board.get() == chosen>{words}</option> }
                            };
                            view! {
                                <select class="govuk-select" id="digest-board" name="board" aria-describedby="digest-board-hint"
                                    on:change=move |ev| board.set(event_target_value(&ev))>
                                    <optgroup label="Departments and agencies">
                                        {orgs.into_iter().map(|o| {
                                            let kind = match o.kind { OrgKind::Department => "department", OrgKind::Agency => "agency" };
                                            option(o.slug.clone(), format!("{} ({kind})", o.title))
                                        }).collect_view()}
                                    </optgroup>
                                    {(!portfolios.is_empty() || shared.is_some()).then(|| view! {
                                        <optgroup label="Portfolios">
                                            {portfolios.into_iter().map(|p| option(format!("portfolio/{}", p.id), p.title)).collect_view()}
                                            {shared.map(|s| option(s.clone(), "The portfolio you came from".to_string()))}
                                        </optgroup>
                                    })}
                                </select>
                            }
                        })
                    }}
                </Suspense>
            </div>
            <button type="submit" class="govuk-button" id="add-digest-button">"E-mail me this board weekly"</button>
        </form>
    }
}
