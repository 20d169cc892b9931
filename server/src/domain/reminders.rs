//! Reminders of late data. When a watched data set passes its expected age
//! (the one rule of [`super::freshness`]), the editors of its service (its
//! admins, when the service has no editors) get one reminder; a second a week
//! later if the figures have still not come; and, once they come, a note
//! that they were received again. Never more: a data set late for months
//! sends two reminders, not one a minute.
//!
//! Every instance of `pulse serve` checks each minute ([`check`]). Each step
//! is one change holding the new state, its audit row and its e-mail, made
//! only if the state is still the one its instance read
//! ([`crate::store::reminders::replace`]): with several instances on one
//! database, one sends and the others find the step taken.
//!
//! Admins see every watched data set's reminders and pause them ([`list`],
//! [`pause`]); a paused data set's state is still kept, and its first
//! reminder goes when it is resumed, if the figures are still late.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use app::model::{DataSet, LateDataReminders, Role, ServiceListing, User};

use super::caller::Permission;
use super::freshness::{as_judged, seconds_out_of_date};
use super::mail::{Letter, MailSettings, Part};
use super::query::Cache;
use super::Ctx;
use crate::error::{Error, Result};
use crate::store::{
    audit::{Actor, Note},
    data_sets, mail, orgs, records,
    reminders::{self, LateData},
    users, Store,
};

/// How long after the first reminder the second goes, if the figures are
/// still late.
pub const SECOND_AFTER: Duration = Duration::days(7);

/// What a check does to a data set's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Late, no reminder yet: the first.
    First,
    /// Late a week after the first reminder: the second, and last.
    Second,
    /// In date again after reminders were sent: says so.
    Received,
    /// Late while paused: noted, nothing sent.
    NoteLate,
    /// In date again (or no longer watched, or emptied) with nothing to say.
    Clear,
}

/// The step a check takes for a data set in `state` that is `late` now
/// (`None` when it is not watched or holds nothing).
pub fn step(state: &LateData, late: Option<bool>, now: DateTime<Utc>) -> Option<Step> {
    let paused = state.paused_at.is_some();
    match late {
        Some(true) if paused => state.late_since.is_none().then_some(Step::NoteLate),
        Some(true) => match (state.reminders_sent, state.last_reminded_at) {
            (0, _) => Some(Step::First),
            (1, Some(last)) if now - last >= SECOND_AFTER => Some(Step::Second),
            _ => None,
        },
        Some(false) if state.late_since.is_some() => {
            if state.reminders_sent > 0 && !paused {
                Some(Step::Received)
            } else {
                Some(Step::Clear)
            }
        }
        None if state.late_since.is_some() => Some(Step::Clear),
        _ => None,
    }
}

/// The state after `step`.
fn after(state: &LateData, step: Step, now: DateTime<Utc>) -> LateData {
    let mut next = state.clone();
    match step {
        Step::First | Step::Second => {
            next.late_since = state.late_since.or(Some(now));
            next.reminders_sent = state.reminders_sent + 1;
            next.last_reminded_at = Some(now);
        }
        Step::NoteLate => next.late_since = Some(now),
        Step::Received | Step::Clear => {
            next.late_since = None;
            next.reminders_sent = 0;
            next.received_at = Some(now);
        }
    }
    next
}

/// The newest record of each data set, and when its newest record was
/// written, read again only for data sets whose version moved since (a
/// check each minute then costs a query per change, not a scan of every
/// record).
#[derive(Default)]
pub struct Newest(HashMap<i64, (i64, records::Span)>);

impl Newest {
    async fn of(&mut self, store: &Store, data_set: &DataSet) -> Result<records::Span> {
        if let Some((version, span)) = self.0.get(&data_set.id) {
            if *version == data_set.version {
                return Ok(span.clone());
            }
        }
        let span = records::span(store, data_set.id).await?;
        self.0.insert(data_set.id, (data_set.version, span.clone()));
        Ok(span)
    }
}

/// The people reminded about a data set of `group`: the active editors of
/// its service's organisations, or, when it has none (or there is no such
/// service), the active admins; and why, in words for the letter.
fn recipients<'a>(
    group: &str,
    services: &[ServiceListing],
    people: &'a [User],
) -> (Vec<&'a User>, String) {
    let service = services.iter().find(|s| s.slug == group);
    if let Some(service) = service {
        let orgs: Vec<&str> = std::iter::once(service.department.slug.as_str())
            .chain(service.agency.as_ref().map(|a| a.slug.as_str()))
            .collect();
        let editors: Vec<&User> = people
            .iter()
            .filter(|u| {
                u.active
                    && u.role == Role::Editor
                    && u.organisations.iter().any(|o| orgs.contains(&o.as_str()))
            })
            .collect();
        if !editors.is_empty() {
            return (
                editors,
                format!(
                    "You were sent this because you are an editor of {} in Pulse.",
                    service.title
                ),
            );
        }
    }
    let admins = people
        .iter()
        .filter(|u| u.active && u.role == Role::Admin)
        .collect();
    let why = match service {
        Some(s) => format!(
            "You were sent this because you are an admin of Pulse and {} has no editors.",
            s.title
        ),
        None => format!(
            "You were sent this because you are an admin of Pulse and no service is called \"{group}\"."
        ),
    };
    (admins, why)
}

fn title(data_type: &str) -> String {
    app::catalogue::find(data_type).map_or_else(|| data_type.to_string(), |t| t.title)
}

fn date(at: DateTime<Utc>) -> String {
    at.format("%-d %B %Y").to_string()
}

/// What a step says, if it says anything: subject and body.
fn letter_parts(
    step: Step,
    settings: &MailSettings,
    data_set: &DataSet,
    service: Option<&ServiceListing>,
    state: &LateData,
    newest: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<(String, Vec<Part>)> {
    let what = title(&data_set.data_type);
    let whose = service.map_or_else(|| data_set.data_group.clone(), |s| s.title.clone());
    let newest_words = newest.map_or_else(
        || "Pulse holds none of them".to_string(),
        |n| format!("The newest Pulse holds are dated {}", date(n)),
    );
    let age = app::kpi::span_words(data_set.max_age_expected.unwrap_or_default());
    let send = Part::Link {
        words: "Send or upload the figures".into(),
        url: settings.link(&format!(
            "/data-sets/{}/{}",
            data_set.data_group, data_set.data_type
        )),
    };
    let late_since = state.late_since.unwrap_or(now);
    match step {
        Step::First => Some((
            format!("{whose}: the {what} figures are late"),
            vec![
                Part::Text(format!(
                    "Pulse expects the newest {what} figures for {whose} to be no more than {age} old, and newer ones have not come. {newest_words}."
                )),
                Part::Text(
                    "Until they come, the service's dashboard and boards show these figures as out of date.".into(),
                ),
                send,
                Part::Text(
                    "If the figures are sent automatically, check the program that sends them. Pulse will remind you once more in a week if they have still not come.".into(),
                ),
            ],
        )),
        Step::Second => Some((
            format!("Reminder: {whose}: the {what} figures are still late"),
            vec![
                Part::Text(format!(
                    "The {what} figures for {whose} have been late since {} and have still not come. {newest_words}.",
                    date(late_since)
                )),
                send,
                Part::Text(
                    "This is the last reminder: Pulse will not write about these figures again until they come.".into(),
                ),
            ],
        )),
        Step::Received => Some((
            format!("{whose}: the {what} figures have come"),
            vec![
                Part::Text(format!(
                    "Pulse has received {what} figures for {whose}: they are in date again. {newest_words}."
                )),
                Part::Link {
                    words: "See the figures".into(),
                    url: settings.link(&match service {
                        Some(s) => format!("/services/{}", s.slug),
                        None => format!("/data-sets/{}/{}", data_set.data_group, data_set.data_type),
                    }),
                },
                Part::Text("Thank you. Nothing more needs doing.".into()),
            ],
        )),
        Step::NoteLate | Step::Clear => None,
    }
}

/// What [`check`] needs of people and services, read once per check and
/// only if a step sends something.
struct Readers {
    services: std::sync::Arc<Vec<ServiceListing>>,
    people: Vec<User>,
}

async fn readers(store: &Store) -> Result<Readers> {
    Ok(Readers {
        services: orgs::list_services(store).await?,
        people: users::list(store).await?,
    })
}

/// Takes the step each watched data set needs now: the reminders and notes
/// go into the outbox in the same change. Returns how many messages it wrote.
pub async fn check(
    store: &Store,
    cache: &Cache,
    settings: &MailSettings,
    newest: &mut Newest,
    now: DateTime<Utc>,
) -> Result<usize> {
    let states: HashMap<i64, LateData> = reminders::all(store)
        .await?
        .into_iter()
        .map(|s| (s.data_set_id, s))
        .collect();
    let mut readers_once: Option<Readers> = None;
    let mut written = 0;
    for data_set in data_sets::list_without_schemas(store).await?.iter() {
        let state = states.get(&data_set.id).cloned().unwrap_or(LateData {
            data_set_id: data_set.id,
            ..LateData::default()
        });
        if data_set.max_age_expected.is_none() && state.late_since.is_none() {
            continue;
        }
        let span = newest.of(store, data_set).await?;
        let newest_record = span.newest;
        // Judged by the age its freshness is ([`as_judged`]), which the
        // letters then name.
        let data_set = &as_judged(store, cache, data_set, Some(newest_record), now).await;
        let late = match (data_set.max_age_expected, newest_record) {
            (Some(age), Some(n)) => Some(seconds_out_of_date(Some(n), Some(age), now).is_some()),
            _ => None,
        };
        let Some(step) = step(&state, late, now) else {
            continue;
        };
        // In date again with nothing written since it was late (its
        // expected age raised, or Pulse's rule for it): no letter says the
        // figures came.
        let step = match (step, span.received, state.late_since) {
            (Step::Received, Some(received), Some(since)) if received > since => Step::Received,
            (Step::Received, _, _) => Step::Clear,
            (step, _, _) => step,
        };
        let next = after(&state, step, now);
        let mut letters = Vec::new();
        let mut sent_to = Vec::new();
        if matches!(step, Step::First | Step::Second | Step::Received) {
            if readers_once.is_none() {
                readers_once = Some(readers(store).await?);
            }
            let r = readers_once.as_ref().expect("read above");
            let service = r.services.iter().find(|s| s.slug == data_set.data_group);
            let (people, why) = recipients(&data_set.data_group, &r.services, &r.people);
            if let Some((subject, parts)) =
                letter_parts(step, settings, data_set, service, &next, newest_record, now)
            {
                for person in people {
                    if mail::unsubscribed(store, &person.email).await? {
                        continue;
                    }
                    let letter = Letter {
                        kind: match step {
                            Step::Received => "data-received",
                            _ => "late-data",
                        },
                        to: person.email.clone(),
                        subject: subject.clone(),
                        parts: parts.clone(),
                        why: why.clone(),
                    };
                    let unsubscribe =
                        super::mail::unsubscribe_link(store, settings, &person.email).await?;
                    letters.push(letter.message(unsubscribe));
                    sent_to.push(person.email.clone());
                }
            }
        }
        let mut w = store.write().await?;
        if !reminders::replace(&mut w, &next).await? {
            // Another instance took this step (or an admin paused) first.
            continue;
        }
        for message in &letters {
            mail::enqueue(&mut w, message, now).await?;
        }
        let action = match step {
            Step::First => "late_data.remind",
            Step::Second => "late_data.remind_again",
            Step::Received => "late_data.received",
            Step::NoteLate => "late_data.late",
            Step::Clear => "late_data.clear",
        };
        w.commit(Note::new(
            &Actor::pulse(),
            action,
            format!("data set {}", data_set.name),
            json!({ "to": sent_to, "newest_record": newest_record }),
            now,
        ))
        .await?;
        written += letters.len();
    }
    Ok(written)
}

fn entry(
    data_set: &DataSet,
    state: &LateData,
    newest: Option<DateTime<Utc>>,
    readers: &Readers,
    unsubscribed: &[String],
    now: DateTime<Utc>,
) -> LateDataReminders {
    let service = readers
        .services
        .iter()
        .find(|s| s.slug == data_set.data_group);
    let (people, _) = recipients(&data_set.data_group, &readers.services, &readers.people);
    LateDataReminders {
        data_set: format!("{}/{}", data_set.data_group, data_set.data_type),
        data_group: data_set.data_group.clone(),
        data_type: data_set.data_type.clone(),
        service_title: service.map(|s| s.title.clone()),
        max_age_expected: data_set.max_age_expected.unwrap_or_default(),
        newest_record: newest,
        late: seconds_out_of_date(newest, data_set.max_age_expected, now).is_some(),
        late_since: state.late_since,
        reminders_sent: state.reminders_sent,
        last_reminded_at: state.last_reminded_at,
        received_at: state.received_at,
        paused: state.paused_at.is_some(),
        paused_at: state.paused_at,
        paused_by: state.paused_by.clone(),
        recipients: people
            .into_iter()
            .filter(|p| !unsubscribed.contains(&p.email))
            .map(|p| p.email.clone())
            .collect(),
    }
}

async fn unsubscribed_among(store: &Store, people: &[User]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for p in people {
        if mail::unsubscribed(store, &p.email).await? {
            out.push(p.email.clone());
        }
    }
    Ok(out)
}

/// Every watched data set's reminders (admins), by service then data set.
pub async fn list(ctx: &Ctx<'_>) -> Result<Vec<LateDataReminders>> {
    ctx.caller.require(Permission::Admin)?;
    let states: HashMap<i64, LateData> = reminders::all(ctx.store)
        .await?
        .into_iter()
        .map(|s| (s.data_set_id, s))
        .collect();
    let readers = readers(ctx.store).await?;
    let unsubscribed = unsubscribed_among(ctx.store, &readers.people).await?;
    let mut out: Vec<LateDataReminders> = Vec::new();
    for d in data_sets::list_without_schemas(ctx.store).await?.iter() {
        if d.max_age_expected.is_none() {
            continue;
        }
        let state = states.get(&d.id).cloned().unwrap_or_default();
        let newest = ctx.cache.span(ctx.store, d.id, d.version).await?.newest;
        // Each with the age it is judged by, as the letters name it.
        let d = as_judged(ctx.store, ctx.cache, d, None, ctx.now).await;
        out.push(entry(&d, &state, newest, &readers, &unsubscribed, ctx.now));
    }
    out.sort_by(|a, b| {
        (&a.service_title, &a.data_group, &a.data_type).cmp(&(
            &b.service_title,
            &b.data_group,
            &b.data_type,
        ))
    });
    Ok(out)
}

/// Pauses (or resumes) the reminders of the data set `group/data_type`
/// (admins); audited.
pub async fn pause(
    ctx: &Ctx<'_>,
    group: &str,
    data_type: &str,
    paused: bool,
) -> Result<LateDataReminders> {
    ctx.caller.require(Permission::Admin)?;
    let data_set = data_sets::find(ctx.store, group, data_type)
        .await?
        .ok_or_else(|| Error::NotFound(format!("There is no data set `{group}/{data_type}`.")))?;
    if data_set.max_age_expected.is_none() {
        return Err(Error::Conflict(format!(
            "`{group}/{data_type}` is not watched (it has no max_age_expected), so it has no \
             reminders to pause."
        )));
    }
    // A check may change the state between our read and our write: read again.
    for _ in 0..5 {
        let state = reminders::all(ctx.store)
            .await?
            .into_iter()
            .find(|s| s.data_set_id == data_set.id)
            .unwrap_or(LateData {
                data_set_id: data_set.id,
                ..LateData::default()
            });
        let mut next = state.clone();
        if paused && state.paused_at.is_none() {
            next.paused_at = Some(ctx.now);
            next.paused_by = ctx
                .caller
                .acting_user()
                .map_or_else(|| ctx.caller.actor().label, |u| u.email.clone());
        } else if !paused {
            next.paused_at = None;
            next.paused_by = String::new();
        }
        let mut w = ctx.store.write().await?;
        if !reminders::replace(&mut w, &next).await? {
            continue;
        }
        w.commit(Note::new(
            &ctx.caller.actor(),
            if paused {
                "late_data.pause"
            } else {
                "late_data.resume"
            },
            format!("data set {}", data_set.name),
            json!({ "paused": paused }),
            ctx.now,
        ))
        .await?;
        let readers = readers(ctx.store).await?;
        let unsubscribed = unsubscribed_among(ctx.store, &readers.people).await?;
        let newest = records::span(ctx.store, data_set.id).await?.newest;
        let data_set = as_judged(ctx.store, ctx.cache, &data_set, None, ctx.now).await;
        return Ok(entry(
            &data_set,
            &next,
            newest,
            &readers,
            &unsubscribed,
            ctx.now,
        ));
    }
    Err(Error::Conflict(
        "The reminders of this data set kept changing while being paused: try again.".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, 9, 0, 0).unwrap()
    }

    #[test]
    fn one_reminder_then_a_second_after_a_week_then_word_of_recovery() {
        let mut state = LateData::default();
        assert_eq!(step(&state, Some(false), at(1)), None);
        assert_eq!(step(&state, Some(true), at(2)), Some(Step::First));
        state = after(&state, Step::First, at(2));
        assert_eq!(state.late_since, Some(at(2)));
        assert_eq!(state.reminders_sent, 1);
        // Not once a minute: nothing until a week has passed.
        assert_eq!(step(&state, Some(true), at(2)), None);
        assert_eq!(step(&state, Some(true), at(8)), None);
        assert_eq!(step(&state, Some(true), at(9)), Some(Step::Second));
        state = after(&state, Step::Second, at(9));
        assert_eq!(state.reminders_sent, 2);
        assert_eq!(state.late_since, Some(at(2)), "late since the first");
        // Never a third.
        assert_eq!(step(&state, Some(true), at(30)), None);
        assert_eq!(step(&state, Some(false), at(30)), Some(Step::Received));
        state = after(&state, Step::Received, at(30));
        assert_eq!(
            (state.late_since, state.reminders_sent),
            (None, 0),
            "a later lateness starts again"
        );
        assert_eq!(step(&state, Some(true), at(30)), Some(Step::First));
    }

    #[test]
    fn paused_data_is_noted_late_but_nobody_is_written_to() {
        let mut state = LateData {
            paused_at: Some(at(1)),
            ..LateData::default()
        };
        assert_eq!(step(&state, Some(true), at(2)), Some(Step::NoteLate));
        state = after(&state, Step::NoteLate, at(2));
        assert_eq!(state.reminders_sent, 0);
        assert_eq!(step(&state, Some(true), at(20)), None);
        // Resumed while still late: the first reminder goes.
        state.paused_at = None;
        assert_eq!(step(&state, Some(true), at(20)), Some(Step::First));
        // Recovering while paused, or with nothing sent: cleared silently.
        state.paused_at = Some(at(20));
        assert_eq!(step(&state, Some(false), at(21)), Some(Step::Clear));
        let unsent = LateData {
            late_since: Some(at(1)),
            ..LateData::default()
        };
        assert_eq!(step(&unsent, Some(false), at(21)), Some(Step::Clear));
    }

    #[test]
    fn data_no_longer_watched_or_emptied_is_cleared_without_a_word() {
        let state = LateData {
            late_since: Some(at(1)),
            reminders_sent: 1,
            last_reminded_at: Some(at(1)),
            ..LateData::default()
        };
        assert_eq!(step(&state, None, at(2)), Some(Step::Clear));
        assert_eq!(step(&LateData::default(), None, at(2)), None);
    }

    #[test]
    fn spans_are_said_in_the_largest_whole_unit() {
        assert_eq!(app::kpi::span_words(8 * 86_400), "8 days");
        assert_eq!(app::kpi::span_words(86_400), "1 day");
        assert_eq!(app::kpi::span_words(36 * 3_600), "36 hours");
        assert_eq!(app::kpi::span_words(90 * 60), "90 minutes");
        assert_eq!(app::kpi::span_words(61), "2 minutes");
    }
}
