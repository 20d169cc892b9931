//! Alerts on figures. A signed-in person asks to be told when a KPI of a
//! service they can read misses a target, moves more than a given amount
//! against the complete period before, or is unusual ([`AlertRule`]). Each
//! alert judges the KPI's newest complete period, as every page shows it
//! ([`kpis::latest`]), once a new one completes; when the rule holds, its
//! owner gets one e-mail naming the figure, the period and the rule, with a
//! link to the service's dashboard at that period.
//!
//! Every instance of `pulse serve` checks each minute ([`check`]). Sending
//! is one change holding the alert's new state, its audit row and its
//! e-mail, made only if the alert had judged no further than its instance
//! read ([`crate::store::alerts::judge`]): one event, one e-mail, however
//! many instances check.
//!
//! A new alert tells of what happens next: the period complete when it is
//! made counts as judged.
//!
//! A figure an alert told of may be corrected later (its records sent
//! again). While it is still the newest complete period, a correction that
//! shows differently is told in one more e-mail: the figure as it was and
//! as it is, and whether the rule still holds ([`correction`]); the new
//! figure is what a further correction is measured against.

use std::collections::HashMap;

use app::kpi::{format_period, format_value_in_full, unusual_points};
use app::model::{
    Alert, AlertList, AlertRule, Annotation, KpiFigure, KpiKind, NewAlert, PeriodKind, Unit, User,
};
use chrono::{DateTime, Utc};
use serde_json::json;

use super::caller::Caller;
use super::kpis::{self, Readable, Standard};
use super::mail::{Letter, MailSettings, Part};
use super::query::Cache;
use super::Ctx;
use crate::error::{Error, Result};
use crate::store::{
    alerts::{self, NewStored, Stored},
    annotations,
    audit::{Actor, Note},
    data_sets, mail, orgs, targets, users, Store,
};

/// How many alerts one person may have.
pub const MOST: usize = 100;

/// The signed-in person an alert belongs to (a key's owner counts): alerts
/// are e-mailed to a person.
fn owner<'a>(ctx: &'a Ctx<'_>) -> Result<&'a User> {
    owner_of(ctx.caller)
}

/// As [`owner`], for the HTTP layer to refuse before it reads a body.
pub fn owner_of(caller: &Caller) -> Result<&User> {
    caller.person_to_mail("alerts")
}

/// The data sets `user` may read of the service `slug`, as when signed in.
async fn readable_by(store: &Store, user: &User, slug: &str) -> Result<Readable> {
    let services = super::access::orgs_by_service(store).await?;
    let all = data_sets::list_without_schemas(store).await?;
    Ok(readable_among(&all, &services, user, slug))
}

fn readable_among(
    all: &[data_sets::DataSet],
    services: &HashMap<String, Vec<String>>,
    user: &User,
    slug: &str,
) -> Readable {
    let orgs: Vec<&str> = services
        .get(slug)
        .map(|o| o.iter().map(String::as_str).collect())
        .unwrap_or_default();
    all.iter()
        .filter(|d| d.data_group == slug && Caller::person_may_read(user, d, &orgs))
        .map(|d| ((d.data_group.clone(), d.data_type.clone()), d.clone()))
        .collect()
}

/// Whether `standard` holds the data set `kpi` is worked out from.
fn has_data_for(data: &Standard, kpi: KpiKind) -> bool {
    match kpi {
        KpiKind::Transactions | KpiKind::DigitalTakeUp => data.transactions.is_some(),
        KpiKind::CostPerTransaction => data.cost.is_some(),
        KpiKind::UserSatisfaction => data.satisfaction.is_some(),
        KpiKind::CompletionRate => data.completion.is_some(),
    }
}

/// The newest complete figure of `kpi`, if it has one.
fn newest(data: &Standard, kpi: KpiKind) -> Option<KpiFigure> {
    kpis::latest(data).into_iter().find(|f| f.kpi == kpi)
}

/// Refuses a threshold that does not suit the rule and KPI, in words.
fn check_threshold(kpi: KpiKind, rule: AlertRule, threshold: Option<f64>) -> Result<()> {
    let bad = |why: String| Err(Error::BadRequest(why));
    match (rule, threshold) {
        (_, Some(t)) if !t.is_finite() => bad("`threshold` must be a number.".into()),
        (AlertRule::Unusual, Some(_)) => {
            bad("`threshold` is not needed when the rule is `unusual`: leave it out.".into())
        }
        (AlertRule::MissesTarget, Some(t)) => match kpi.unit() {
            Unit::Ratio if !(0.0..=1.0).contains(&t) => bad(format!(
                "`threshold` for {} is a fraction from 0 to 1 (0.8 for 80%), not {t}.",
                kpi.title().to_lowercase()
            )),
            _ if t < 0.0 => bad(format!("`threshold` must be 0 or more, not {t}.")),
            _ => Ok(()),
        },
        (AlertRule::ChangesByPercent, None) | (AlertRule::ChangesByPoints, None) => bad(
            "`threshold` is needed: how much the figure must move (in percent, or in \
             percentage points)."
                .into(),
        ),
        (AlertRule::ChangesByPercent, Some(t)) if !(t > 0.0 && t <= 1000.0) => bad(format!(
            "`threshold` for `changes_by_percent` is a percentage more than 0 and at most \
             1,000, not {t}."
        )),
        (AlertRule::ChangesByPoints, Some(t)) => {
            if kpi.unit() != Unit::Ratio {
                bad(format!(
                    "{} is not a percentage, so it cannot move by percentage points: use \
                     `changes_by_percent`.",
                    kpi.title()
                ))
            } else if !(t > 0.0 && t <= 100.0) {
                bad(format!(
                    "`threshold` for `changes_by_points` is more than 0 and at most 100 \
                     percentage points, not {t}."
                ))
            } else {
                Ok(())
            }
        }
        _ => Ok(()),
    }
}

fn shown(stored: &Stored) -> Alert {
    Alert {
        id: stored.id,
        service: stored.service.clone(),
        service_title: stored.service_title.clone(),
        kpi: stored.kpi,
        rule: stored.rule,
        threshold: stored.threshold,
        description: stored.rule.describe(stored.kpi, stored.threshold),
        created_at: stored.created_at,
        checked_through: stored.checked_through,
        sent: stored.sent,
        last_sent_at: stored.last_sent_at,
    }
}

/// The caller's alerts, and whether e-mail reaches them.
pub async fn list(ctx: &Ctx<'_>, mail_enabled: bool) -> Result<AlertList> {
    let user = owner(ctx)?;
    Ok(AlertList {
        mail_enabled,
        email: user.email.clone(),
        receiving: !mail::unsubscribed(ctx.store, &user.email).await?,
        alerts: alerts::list(ctx.store, Some(user.id))
            .await?
            .iter()
            .map(shown)
            .collect(),
    })
}

/// The answer to an alert asked for again.
fn already() -> Error {
    Error::Conflict("You already have this alert: see your Notifications page.".into())
}

/// Makes an alert for the caller; audited.
pub async fn create(ctx: &Ctx<'_>, new: &NewAlert) -> Result<Alert> {
    ctx.caller.check_csrf()?;
    let user = owner(ctx)?;
    check_threshold(new.kpi, new.rule, new.threshold)?;
    let no_service = || {
        Error::NotFound(format!(
            "There is no service `{}` whose figures you can see.",
            new.service
        ))
    };
    let service_id = orgs::service_id(ctx.store, &new.service)
        .await?
        .ok_or_else(no_service)?;
    let readable = readable_by(ctx.store, user, &new.service).await?;
    if readable.is_empty() {
        return Err(no_service());
    }
    let data = kpis::standard(ctx.store, ctx.cache, &readable, &new.service, ctx.now).await?;
    if !has_data_for(&data, new.kpi) {
        return Err(Error::Unprocessable(format!(
            "{} has no figures for {} that you can see (its {} data set is missing or \
             unpublished), so an alert on it would never be sent.",
            new.service,
            new.kpi.title().to_lowercase(),
            match new.kpi {
                KpiKind::Transactions | KpiKind::DigitalTakeUp => "transactions-by-channel",
                KpiKind::CostPerTransaction => "cost-per-transaction",
                KpiKind::UserSatisfaction => "user-satisfaction",
                KpiKind::CompletionRate => "completion-rate",
            }
        )));
    }
    let mine = alerts::list(ctx.store, Some(user.id)).await?;
    if mine.iter().any(|a| {
        a.service == new.service
            && a.kpi == new.kpi
            && a.rule == new.rule
            && a.threshold == new.threshold
    }) {
        return Err(already());
    }
    let too_many = || {
        Error::Unprocessable(format!(
            "You have {MOST} alerts, the most one person may have: delete one first."
        ))
    };
    if mine.len() >= MOST {
        return Err(too_many());
    }
    let checked_through = newest(&data, new.kpi).map(|f| f.period.start);
    let mut w = ctx.store.write().await?;
    // Counted again in the write: alerts asked for at once all saw the count
    // before any of them was made.
    if w.count_held("alerts", user.id).await? >= MOST as i64 {
        return Err(too_many());
    }
    let id = alerts::create(
        &mut w,
        &NewStored {
            user_id: user.id,
            service_id,
            kpi: new.kpi,
            rule: new.rule,
            threshold: new.threshold,
            checked_through,
        },
        ctx.now,
    )
    .await
    // (the same alert made meanwhile, through another instance: one kind
    // of alert is kept once, `alerts_once`)
    .map_err(|e| match Error::from(e) {
        Error::Conflict(_) => already(),
        other => other,
    })?;
    w.commit(Note::new(
        &ctx.caller.actor(),
        "alert.create",
        format!("alert {id}"),
        json!({
            "service": new.service,
            "kpi": new.kpi.key(),
            "rule": new.rule.key(),
            "threshold": new.threshold,
        }),
        ctx.now,
    ))
    .await?;
    let stored = alerts::find(ctx.store, id)
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("the new alert was not found")))?;
    Ok(shown(&stored))
}

/// Deletes one of the caller's alerts (admins: anyone's); audited.
pub async fn delete(ctx: &Ctx<'_>, id: i64) -> Result<()> {
    ctx.caller.check_csrf()?;
    let user = owner(ctx)?;
    let missing = || Error::NotFound(format!("You have no alert {id}."));
    let stored = alerts::find(ctx.store, id).await?.ok_or_else(missing)?;
    if stored.user_id != user.id && !ctx.caller.can(super::caller::Permission::Admin) {
        return Err(missing());
    }
    let mut w = ctx.store.write().await?;
    if !alerts::delete(&mut w, id).await? {
        return Err(missing());
    }
    w.commit(Note::new(
        &ctx.caller.actor(),
        "alert.delete",
        format!("alert {id}"),
        json!({ "owner": stored.email, "description": shown(&stored).description }),
        ctx.now,
    ))
    .await?;
    Ok(())
}

/// Starts or stops e-mail to the caller; audited.
pub async fn set_receiving(ctx: &Ctx<'_>, receive: bool) -> Result<bool> {
    ctx.caller.check_csrf()?;
    let user = owner(ctx)?;
    let mut w = ctx.store.write().await?;
    let changed = if receive {
        mail::resubscribe(&mut w, &user.email).await?
    } else {
        mail::unsubscribe(&mut w, &user.email, ctx.now).await?
    };
    w.commit(Note::new(
        &ctx.caller.actor(),
        if receive {
            "mail.resubscribe"
        } else {
            "mail.unsubscribe"
        },
        format!("user {}", user.email),
        json!({ "changed": changed }),
        ctx.now,
    ))
    .await?;
    Ok(receive)
}

/// What happened, when an alert's rule holds for `figure`: the words after
/// the KPI's name ("fell below its target of 80%").
pub fn fired(
    rule: AlertRule,
    threshold: Option<f64>,
    figure: &KpiFigure,
    target: Option<f64>,
    unusual: Option<f64>,
) -> Option<String> {
    let kpi = figure.kpi;
    let unit = kpi.unit();
    let value = figure.value?;
    // A rate of a handful is judged by nothing: no e-mail about it.
    if app::kpi::low_base_words(kpi, figure.base).is_some() {
        return None;
    }
    let show = |v: f64| format_value_in_full(v, unit);
    match rule {
        AlertRule::MissesTarget => {
            let goal = threshold.or(target)?;
            let whose = if threshold.is_some() { "the" } else { "its" };
            if kpi.higher_is_better() && value < goal {
                Some(format!("fell below {whose} target of {}", show(goal)))
            } else if !kpi.higher_is_better() && value > goal {
                Some(format!("rose above {whose} target of {}", show(goal)))
            } else {
                None
            }
        }
        AlertRule::ChangesByPercent => {
            let before = figure.previous.filter(|p| *p != 0.0)?;
            let change = (value - before) / before.abs() * 100.0;
            (change.abs() > threshold?).then(|| {
                let moved = if change > 0.0 { "rose" } else { "fell" };
                if unit == Unit::Ratio {
                    // A rate's change in percent is of the rate itself, which
                    // reads as points unless said: both are given.
                    format!(
                        "{moved} by {:.1}% of itself against the period before ({}), {:.1} \
                         percentage points",
                        change.abs(),
                        show(before),
                        ((value - before) * 100.0).abs()
                    )
                } else {
                    format!(
                        "{moved} by {:.1}% against the period before ({})",
                        change.abs(),
                        show(before)
                    )
                }
            })
        }
        AlertRule::ChangesByPoints => {
            let before = figure.previous?;
            let points = (value - before) * 100.0;
            (points.abs() > threshold?).then(|| {
                format!(
                    "{} by {:.1} percentage points against the period before ({})",
                    if points > 0.0 { "rose" } else { "fell" },
                    points.abs(),
                    show(before)
                )
            })
        }
        AlertRule::Unusual => {
            unusual.map(|expected| format!("was unusual: about {} was expected", show(expected)))
        }
    }
}

/// What was expected of the newest figure of `kpi`, if it is unusual (as a
/// dashboard marks it, over the complete periods of its own frequency: each
/// period in its place, none where there is no figure, so that a year
/// earlier is 52 weeks back whatever weeks are missing) and no note of the
/// service's (`notes`, as boards read them) explains it.
fn unusual_expected(
    data: &Standard,
    kpi: KpiKind,
    figure: &KpiFigure,
    notes: &[&Annotation],
) -> Option<f64> {
    let (kind, mut values) = kpis::complete_series(data, kpi, kpi.finest_period());
    // A rate out of too few to rely on (digital take-up of a handful of
    // transactions too) is neither judged unusual nor a neighbour of one, as
    // dashboards leave it out (`app::notes::chart_series`):
    // 9 of 9 finishing in Christmas week is no 100% to expect again.
    if kpi.unit() == Unit::Ratio {
        without_too_few(&mut values, &kpis::bases(data, kpi, kind));
    }
    unusual_newest(kind, &values, &figure.period, kpi.unit(), notes)
}

/// Leaves out each rate whose base (`bases`, by the same periods' starts) is
/// missing or under [`app::kpi::LOW_BASE`].
fn without_too_few(
    values: &mut std::collections::BTreeMap<DateTime<Utc>, Option<f64>>,
    bases: &std::collections::BTreeMap<DateTime<Utc>, f64>,
) {
    for (start, value) in values.iter_mut() {
        if bases
            .get(start)
            .is_none_or(|b| b.round() < app::kpi::LOW_BASE)
        {
            *value = None;
        }
    }
}

/// [`unusual_expected`] of `values` (by their periods' starts, of `kind`) at
/// `newest`.
fn unusual_newest(
    kind: PeriodKind,
    values: &std::collections::BTreeMap<DateTime<Utc>, Option<f64>>,
    newest: &app::model::Period,
    unit: Unit,
    notes: &[&Annotation],
) -> Option<f64> {
    let first = *values.keys().next()?;
    let periods = app::kpi::periods_between(kind, first, newest.end);
    let series: Vec<Option<f64>> = periods
        .iter()
        .map(|p| values.get(&p.start).copied().flatten())
        .collect();
    let last = periods.iter().position(|p| p.start == newest.start)?;
    let spans: Vec<(usize, usize)> = notes
        .iter()
        .filter_map(|n| app::notes::span(n, &periods))
        .collect();
    unusual_points(&series, kind, unit, &spans, false)
        .into_iter()
        .find(|u| u.index == last)
        .map(|u| u.expected)
}

/// Where to see the figure: the service's first published dashboard (else
/// its service page) at the months the period covers.
fn figures_link(
    settings: &MailSettings,
    service: &str,
    dashboard: Option<&str>,
    figure: &KpiFigure,
) -> String {
    let period = &figure.period;
    let kind = match period.kind {
        PeriodKind::Hour | PeriodKind::Day | PeriodKind::Week => "week",
        PeriodKind::Month => "month",
        PeriodKind::Quarter => "quarter",
        PeriodKind::Year => "year",
    };
    let last_day = period.end - chrono::Duration::seconds(1);
    let query = format!(
        "period={kind}&from={}&to={}",
        period.start.format("%Y-%m"),
        last_day.format("%Y-%m")
    );
    settings.link(&match dashboard {
        Some(d) => format!("/{d}?{query}"),
        None => format!("/services/{service}?{query}"),
    })
}

/// The letter an alert sends when `what` happened to `figure`.
fn letter(
    settings: &MailSettings,
    alert: &Stored,
    figure: &KpiFigure,
    what: &str,
    link: String,
) -> (String, Vec<Part>) {
    let kpi = figure.kpi;
    let name = kpi.title();
    let when = format_period(&figure.period);
    let value = figure.value.map_or_else(
        || "no data".to_string(),
        |v| format_value_in_full(v, kpi.unit()),
    );
    let subject = format!("{}: {name} {what}", alert.service_title);
    let first = if kpi == KpiKind::Transactions && alert.rule == AlertRule::MissesTarget {
        format!(
            "Transactions for {} were {value} in the 52 weeks to {}: they {what}.",
            alert.service_title,
            app::kpi::format_date(figure.period.end - chrono::Duration::days(1))
        )
    } else if kpi == KpiKind::Transactions {
        format!(
            "Transactions for {} were {value} in {when}: they {what}.",
            alert.service_title
        )
    } else {
        format!(
            "{name} for {} was {value} in {when}: it {what}.",
            alert.service_title
        )
    };
    let parts = vec![
        Part::Text(first),
        Part::Text(format!(
            "You asked Pulse to tell you when this happens: \"{}\".",
            alert.rule.describe(kpi, alert.threshold)
        )),
        Part::Link {
            words: format!("See the figures for {when}"),
            url: link,
        },
        Part::Text(format!(
            "Pulse tells you once for each {}. To change or stop your alerts, go to your \
             notifications: {}",
            match figure.period.kind {
                PeriodKind::Week => "week",
                PeriodKind::Month => "month",
                PeriodKind::Quarter => "quarter",
                _ => "period",
            },
            settings.link("/settings/notifications")
        )),
    ];
    (subject, parts)
}

/// An alert's e-mail to `to` (its subject and parts, and why it was sent),
/// with the link that stops e-mail to the address.
async fn e_mail(
    store: &Store,
    settings: &MailSettings,
    to: &str,
    (subject, parts): (String, Vec<Part>),
    why: &str,
) -> Result<crate::store::mail::NewMessage> {
    Ok(Letter {
        kind: "alert",
        to: to.to_string(),
        subject,
        parts,
        why: why.to_string(),
    }
    .message(super::mail::unsubscribe_link(store, settings, to).await?))
}

/// The letter an alert sends when the figure its last e-mail told of, `was`,
/// has been corrected to `figure`'s; `what` is what happened by its rule now
/// (none if the rule no longer holds).
fn correction(
    settings: &MailSettings,
    alert: &Stored,
    figure: &KpiFigure,
    was: f64,
    what: Option<&str>,
    link: String,
) -> (String, Vec<Part>) {
    let kpi = figure.kpi;
    let name = kpi.title();
    let when = format_period(&figure.period);
    let show = |v: f64| format_value_in_full(v, kpi.unit());
    let value = figure.value.map_or_else(|| "no data".to_string(), show);
    let subject = format!(
        "{}: {name} for {when} corrected to {value}",
        alert.service_title
    );
    let over = if kpi == KpiKind::Transactions && alert.rule == AlertRule::MissesTarget {
        format!(
            "in the 52 weeks to {}",
            app::kpi::format_date(figure.period.end - chrono::Duration::days(1))
        )
    } else {
        format!("in {when}")
    };
    let told = alert.last_sent_at.map_or_else(String::new, |at| {
        format!(" on {}", app::kpi::format_date(at))
    });
    let mut parts = vec![Part::Text(format!(
        "The figure Pulse e-mailed you about{told} has been corrected: {name} for {} was {value} \
         {over}, not {}.",
        alert.service_title,
        show(was)
    ))];
    parts.push(Part::Text(match what {
        Some(what) => format!("So it still {what}."),
        None => format!(
            "So your alert's rule no longer holds for {when}: \"{}\".",
            alert.rule.describe(kpi, alert.threshold)
        ),
    }));
    parts.push(Part::Link {
        words: format!("See the figures for {when}"),
        url: link,
    });
    parts.push(Part::Text(format!(
        "Pulse tells you of a correction to the newest figure it e-mailed you about. To change \
         or stop your alerts, go to your notifications: {}",
        settings.link("/settings/notifications")
    )));
    (subject, parts)
}

/// Judges every alert whose KPI has a newer complete period than it last
/// judged; sends those whose rule holds. Returns how many e-mails it wrote.
pub async fn check(
    store: &Store,
    cache: &Cache,
    settings: &MailSettings,
    now: DateTime<Utc>,
) -> Result<usize> {
    let all = alerts::list(store, None).await?;
    if all.is_empty() {
        return Ok(0);
    }
    let people: HashMap<i64, User> = users::list(store)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let services = super::access::orgs_by_service(store).await?;
    let data_sets = data_sets::list_without_schemas(store).await?;
    let all_targets = targets::list(store, None).await?;
    let dashboards = crate::store::dashboards::published_by_service(store).await?;
    let notes = annotations::list(store, &annotations::Filter::default()).await?;
    let mut written = 0;
    for alert in all {
        let Some(user) = people.get(&alert.user_id).filter(|u| u.active) else {
            continue;
        };
        let readable = readable_among(&data_sets, &services, user, &alert.service);
        let data = kpis::standard(store, cache, &readable, &alert.service, now).await?;
        let Some(figure) = newest(&data, alert.kpi) else {
            continue;
        };
        let judged_before = alert
            .checked_through
            .is_some_and(|c| figure.period.start <= c);
        // A period judged before is looked at again only if its e-mail told
        // of a figure (which may have been corrected since).
        let told = alert
            .sent_value
            .filter(|_| alert.checked_through == Some(figure.period.start));
        if judged_before && told.is_none() {
            continue;
        }
        let target = {
            let service_targets: Vec<_> = all_targets
                .iter()
                .filter(|t| t.service == alert.service)
                .cloned()
                .collect();
            let last_day = (figure.period.end - chrono::Duration::seconds(1)).date_naive();
            app::boards::target_at(&service_targets, alert.kpi, last_day)
        };
        // A target for transactions is a count a year: it is judged against
        // the 52 complete weeks up to this one, as boards judge it.
        let judged = if alert.kpi == KpiKind::Transactions && alert.rule == AlertRule::MissesTarget
        {
            let (_, weeks) = kpis::complete_series(&data, KpiKind::Transactions, PeriodKind::Week);
            // The 52 weeks to this one, each with figures, as the explorer's
            // "transactions a year" ([`kpis::yearly`]).
            let from = figure.period.end - chrono::Duration::weeks(52);
            let year: Vec<f64> = weeks
                .range(from..figure.period.end)
                .filter_map(|(_, v)| *v)
                .collect();
            KpiFigure {
                value: (year.len() == 52).then(|| year.iter().sum()),
                ..figure.clone()
            }
        } else {
            figure.clone()
        };
        let unusual = (alert.rule == AlertRule::Unusual)
            .then(|| {
                let notes: Vec<&Annotation> = notes
                    .iter()
                    .map(|n| &n.annotation)
                    // (a note pinned to one chart explains that chart's
                    // figures: only the service's own notes, pinned to
                    // none, explain a KPI's)
                    .filter(|n| n.service == alert.service && n.module.is_none())
                    .collect();
                unusual_expected(&data, alert.kpi, &figure, &notes)
            })
            .flatten();
        let what = fired(alert.rule, alert.threshold, &judged, target, unusual);
        let dashboard = dashboards.get(&alert.service).map(String::as_str);
        let link = figures_link(settings, &alert.service, dashboard, &figure);
        if let Some(was) = told {
            // The figure it told of, as it stands now: a correction is told
            // when it shows differently.
            let Some(value) = judged.value else {
                continue;
            };
            let unit = alert.kpi.unit();
            if format_value_in_full(was, unit) == format_value_in_full(value, unit)
                || mail::unsubscribed(store, &user.email).await?
            {
                continue;
            }
            let message = e_mail(
                store,
                settings,
                &user.email,
                correction(settings, &alert, &judged, was, what.as_deref(), link),
                "You were sent this because you asked Pulse for this alert, and it told you of \
                 the figure before it was corrected.",
            )
            .await?;
            let mut w = store.write().await?;
            if !alerts::correct(&mut w, alert.id, figure.period.start, was, value, now).await? {
                // Another instance told of it first.
                continue;
            }
            mail::enqueue(&mut w, &message, now).await?;
            w.commit(Note::new(
                &Actor::pulse(),
                "alert.correct",
                format!("alert {}", alert.id),
                json!({
                    "to": user.email,
                    "service": alert.service,
                    "kpi": alert.kpi.key(),
                    "period_start": figure.period.start,
                    "was": was,
                    "value": value,
                    "holds": what.is_some(),
                }),
                now,
            ))
            .await?;
            written += 1;
            continue;
        }
        let Some(what) = what else {
            continue;
        };
        if mail::unsubscribed(store, &user.email).await? {
            continue;
        }
        let message = e_mail(
            store,
            settings,
            &user.email,
            letter(settings, &alert, &judged, &what, link),
            "You were sent this because you asked Pulse for this alert.",
        )
        .await?;
        let mut w = store.write().await?;
        if !alerts::judge(
            &mut w,
            alert.id,
            alert.checked_through,
            figure.period.start,
            judged.value,
            now,
        )
        .await?
        {
            // Another instance sent it first.
            continue;
        }
        mail::enqueue(&mut w, &message, now).await?;
        w.commit(Note::new(
            &Actor::pulse(),
            "alert.send",
            format!("alert {}", alert.id),
            json!({
                "to": user.email,
                "service": alert.service,
                "kpi": alert.kpi.key(),
                "period_start": figure.period.start,
                "value": judged.value,
                "what": what,
            }),
            now,
        ))
        .await?;
        written += 1;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::model::Period;
    use chrono::TimeZone;

    fn figure(kpi: KpiKind, value: f64, previous: Option<f64>) -> KpiFigure {
        let start = Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap();
        KpiFigure {
            kpi,
            value: Some(value),
            period: Period {
                kind: PeriodKind::Month,
                start,
                end: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
            },
            previous,
            base: None,
        }
    }

    #[test]
    fn an_unusual_week_is_judged_in_its_place_and_a_note_explains_it() {
        use std::collections::BTreeMap;
        // Two years of weeks from Monday 7 January 2013 with the deadline
        // week (the fourth) three times the usual each year; the weeks of
        // 4 and 11 March 2013 were not sent.
        let weeks = app::kpi::periods_between(
            PeriodKind::Week,
            Utc.with_ymd_and_hms(2013, 1, 7, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2015, 1, 5, 0, 0, 0).unwrap(),
        );
        let mut values: BTreeMap<DateTime<Utc>, Option<f64>> = weeks
            .iter()
            .enumerate()
            .map(|(i, p)| (p.start, Some(1000.0 + (i % 3) as f64 * 20.0)))
            .collect();
        values.insert(weeks[3].start, Some(3000.0));
        values.remove(&weeks[8].start);
        values.remove(&weeks[9].start);
        let newest = weeks[52 + 3];
        let at = |values: &BTreeMap<DateTime<Utc>, Option<f64>>, notes: &[&Annotation]| {
            let upto: BTreeMap<_, _> = values.range(..newest.end).map(|(k, v)| (*k, *v)).collect();
            unusual_newest(PeriodKind::Week, &upto, &newest, Unit::Number, notes)
        };
        // This year's deadline week, as last year's: the rhythm of the
        // service (once compared with the week two weeks before it).
        values.insert(newest.start, Some(3100.0));
        assert_eq!(at(&values, &[]), None);
        // Three times last year's peak: unusual, unless a note says why.
        values.insert(newest.start, Some(9000.0));
        assert!(at(&values, &[]).is_some_and(|expected| expected > 2000.0 && expected < 4000.0));
        let note = Annotation {
            id: 1,
            service: "s".into(),
            module: None,
            starts_at: newest.start,
            ends_at: None,
            text: "The deadline moved".into(),
            tags: vec![],
            visibility: app::model::Visibility::Public,
            author: "a".into(),
            version: 1,
            created_at: newest.start,
            updated_at: newest.start,
        };
        assert_eq!(at(&values, &[&note]), None);
    }

    #[test]
    fn a_rate_of_too_few_a_year_earlier_sets_no_expectation() {
        use std::collections::BTreeMap;
        // Two years of weeks finishing at about 75%, out of 400; Christmas
        // week of the first year 9 of 9 (100%).
        let weeks = app::kpi::periods_between(
            PeriodKind::Week,
            Utc.with_ymd_and_hms(2013, 1, 7, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2015, 1, 5, 0, 0, 0).unwrap(),
        );
        let christmas = 50;
        let mut values: BTreeMap<DateTime<Utc>, Option<f64>> = BTreeMap::new();
        let mut bases: BTreeMap<DateTime<Utc>, f64> = BTreeMap::new();
        for (i, p) in weeks.iter().enumerate() {
            let few = i == christmas;
            values.insert(
                p.start,
                Some(if few {
                    1.0
                } else {
                    0.74 + (i % 3) as f64 * 0.01
                }),
            );
            bases.insert(p.start, if few { 9.0 } else { 400.0 });
        }
        // This Christmas week: 98% of 400.
        let newest = weeks[christmas + 52];
        values.insert(newest.start, Some(0.98));
        let upto: BTreeMap<_, _> = values.range(..newest.end).map(|(k, v)| (*k, *v)).collect();
        let mut relied_on = upto.clone();
        without_too_few(&mut relied_on, &bases);
        assert_eq!(relied_on[&weeks[christmas].start], None);
        // The 9 of 9 would have made 98% expected; without it, it is unusual.
        let judged = |values| unusual_newest(PeriodKind::Week, values, &newest, Unit::Ratio, &[]);
        assert_eq!(judged(&upto), None);
        assert!(judged(&relied_on).is_some_and(|expected| expected < 0.8));
    }

    #[test]
    fn a_target_is_missed_below_or_for_cost_above() {
        let take_up = figure(KpiKind::DigitalTakeUp, 0.75, Some(0.82));
        let rule = AlertRule::MissesTarget;
        assert_eq!(
            fired(rule, Some(0.8), &take_up, None, None).as_deref(),
            Some("fell below the target of 80.0%")
        );
        assert_eq!(
            fired(rule, None, &take_up, Some(0.7), None),
            None,
            "above the service's own target"
        );
        assert_eq!(
            fired(rule, None, &take_up, Some(0.8), None).as_deref(),
            Some("fell below its target of 80.0%")
        );
        assert_eq!(fired(rule, None, &take_up, None, None), None, "no target");
        let cost = figure(KpiKind::CostPerTransaction, 4.2, Some(3.9));
        assert!(fired(rule, Some(4.0), &cost, None, None)
            .unwrap()
            .starts_with("rose above the target of £4"));
        assert_eq!(fired(rule, Some(5.0), &cost, None, None), None);
    }

    #[test]
    fn a_change_is_measured_against_the_period_before() {
        let rule = AlertRule::ChangesByPercent;
        let up = figure(KpiKind::Transactions, 1150.0, Some(1000.0));
        assert_eq!(
            fired(rule, Some(10.0), &up, None, None).as_deref(),
            Some("rose by 15.0% against the period before (1,000)")
        );
        assert_eq!(fired(rule, Some(15.0), &up, None, None), None, "not more");
        let down = figure(KpiKind::Transactions, 800.0, Some(1000.0));
        assert!(fired(rule, Some(10.0), &down, None, None)
            .unwrap()
            .starts_with("fell by 20.0%"));
        let nothing_before = figure(KpiKind::Transactions, 800.0, None);
        assert_eq!(fired(rule, Some(10.0), &nothing_before, None, None), None);
        let from_zero = figure(KpiKind::Transactions, 800.0, Some(0.0));
        assert_eq!(fired(rule, Some(10.0), &from_zero, None, None), None);

        let points = AlertRule::ChangesByPoints;
        let rate = figure(KpiKind::CompletionRate, 0.61, Some(0.70));
        assert_eq!(
            fired(points, Some(5.0), &rate, None, None).as_deref(),
            Some("fell by 9.0 percentage points against the period before (70.0%)")
        );
        assert_eq!(fired(points, Some(9.5), &rate, None, None), None);
        // A rate moving by a percentage of itself says so, and its points.
        assert_eq!(
            fired(rule, Some(10.0), &rate, None, None).as_deref(),
            Some(
                "fell by 12.9% of itself against the period before (70.0%), 9.0 percentage points"
            )
        );
    }

    #[test]
    fn thresholds_that_do_not_suit_are_refused_in_words() {
        use KpiKind::*;
        let ok = |k, r, t| check_threshold(k, r, t).is_ok();
        assert!(ok(DigitalTakeUp, AlertRule::MissesTarget, Some(0.8)));
        assert!(ok(DigitalTakeUp, AlertRule::MissesTarget, None));
        assert!(!ok(DigitalTakeUp, AlertRule::MissesTarget, Some(80.0)));
        assert!(!ok(Transactions, AlertRule::MissesTarget, Some(-1.0)));
        assert!(!ok(Transactions, AlertRule::ChangesByPercent, None));
        assert!(!ok(Transactions, AlertRule::ChangesByPercent, Some(0.0)));
        assert!(ok(Transactions, AlertRule::ChangesByPercent, Some(12.5)));
        assert!(!ok(Transactions, AlertRule::ChangesByPoints, Some(5.0)));
        assert!(ok(CompletionRate, AlertRule::ChangesByPoints, Some(5.0)));
        assert!(!ok(CompletionRate, AlertRule::ChangesByPoints, Some(101.0)));
        assert!(!ok(CompletionRate, AlertRule::Unusual, Some(1.0)));
        assert!(ok(CompletionRate, AlertRule::Unusual, None));
        assert!(!ok(CompletionRate, AlertRule::MissesTarget, Some(f64::NAN)));
    }

    #[test]
    fn rules_are_said_in_words() {
        assert_eq!(
            AlertRule::MissesTarget.describe(KpiKind::DigitalTakeUp, Some(0.8)),
            "Digital take-up falls below 80.0%"
        );
        assert_eq!(
            AlertRule::MissesTarget.describe(KpiKind::CostPerTransaction, None),
            "Cost per transaction rises above the service's target"
        );
        assert_eq!(
            AlertRule::ChangesByPercent.describe(KpiKind::Transactions, Some(12.5)),
            "Transactions move more than 12.5% against the period before"
        );
        assert_eq!(
            AlertRule::ChangesByPoints.describe(KpiKind::CompletionRate, Some(5.0)),
            "Completion rate moves more than 5 percentage points against the period before"
        );
    }
}
