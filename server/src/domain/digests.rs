//! Weekly digests. A signed-in person asks for a board (a department's or an
//! agency's, or a portfolio) by e-mail each week; at the time this Pulse
//! sends them (Mondays at 07:00, UK time, unless `--digest-at` says
//! otherwise: [`Schedule`]) they get the board's headline figures, what
//! changed since the last digest, what needs attention and the notes written
//! that week, with the board's link.
//!
//! Every instance of `pulse serve` checks each minute ([`check`]). Sending is
//! one change holding the digest's new state, its audit row and its e-mail,
//! made only if the digest had been sent no further than its instance read
//! ([`crate::store::digests::sent`]): one digest a week, however many
//! instances check. An instance that was not running at the time sends that
//! week's digests when it starts, up to a day late; later than that, they
//! wait for the next week.
//!
//! A new digest starts with the next time due: the first tells the figures,
//! and from the second on, what changed since.

use std::collections::{BTreeMap, HashSet};

use app::boards::{Board, KPIS};
use app::kpi::{format_date, format_value, format_value_in_full, uk_moment, uk_offset};
use app::model::{Digest, DigestList, KpiKind, NewDigest, User};
use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc, Weekday};
use serde_json::json;

use super::caller::Caller;
use super::mail::{Letter, MailSettings, Part};
use super::query::Cache;
use super::Ctx;
use crate::error::{Error, Result};
use crate::store::{
    annotations,
    audit::{Actor, Note},
    digests::{self, Stored},
    mail, orgs, portfolios, users, Store,
};

/// How many digests one person may have.
pub const MOST: usize = 50;

/// How long after one copy on request another may be sent.
const COPY_EVERY: i64 = 60;

/// At most this many lines in each list of a digest (the board has them all).
const LINES: usize = 15;

/// When digests are sent: one day of the week, at one time of day, UK time
/// (Greenwich Mean Time, or British Summer Time from the last Sunday of
/// March to the last Sunday of October).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    pub weekday: Weekday,
    pub at: NaiveTime,
}

impl Default for Schedule {
    /// Mondays at 07:00.
    fn default() -> Self {
        Schedule {
            weekday: Weekday::Mon,
            at: NaiveTime::from_hms_opt(7, 0, 0).expect("a time"),
        }
    }
}

impl std::str::FromStr for Schedule {
    type Err = String;

    /// `monday 07:00` (a day's name or its first three letters, then a 24-hour
    /// time).
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let explain = || {
            format!(
                "{} is not a day and a time: write the day's name and a 24-hour time, \
                 e.g. \"monday 07:00\"",
                super::json::shown(s)
            )
        };
        let mut words = s.split_whitespace();
        let (Some(day), Some(time), None) = (words.next(), words.next(), words.next()) else {
            return Err(explain());
        };
        let weekday = day.parse::<Weekday>().map_err(|_| explain())?;
        let at = NaiveTime::parse_from_str(time, "%H:%M").map_err(|_| explain())?;
        Ok(Schedule { weekday, at })
    }
}

impl Schedule {
    /// "Mondays at 07:00 (UK time)".
    pub fn describe(&self) -> String {
        let day = match self.weekday {
            Weekday::Mon => "Mondays",
            Weekday::Tue => "Tuesdays",
            Weekday::Wed => "Wednesdays",
            Weekday::Thu => "Thursdays",
            Weekday::Fri => "Fridays",
            Weekday::Sat => "Saturdays",
            Weekday::Sun => "Sundays",
        };
        format!("{day} at {} (UK time)", self.at.format("%H:%M"))
    }

    /// The newest time digests were due at or before `now`.
    pub fn due_before(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let today = (now + uk_offset(now)).date_naive();
        let back =
            (today.weekday().num_days_from_monday() + 7 - self.weekday.num_days_from_monday()) % 7;
        let date = today - Duration::days(back as i64);
        let due = uk_moment(date, self.at);
        if due <= now {
            due
        } else {
            uk_moment(date - Duration::days(7), self.at)
        }
    }

    /// The next time digests are due after `now`.
    pub fn due_after(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let last = self.due_before(now);
        let date = (last + uk_offset(last)).date_naive() + Duration::days(7);
        uk_moment(date, self.at)
    }
}

/// The signed-in person a digest belongs to (a key's owner counts).
fn owner<'a>(ctx: &'a Ctx<'_>) -> Result<&'a User> {
    owner_of(ctx.caller)
}

/// As [`owner`], for the HTTP layer to refuse before it reads a body.
pub fn owner_of(caller: &Caller) -> Result<&User> {
    caller.person_to_mail("weekly digests")
}

/// A board's title and address, if it still exists: an organisation's (by
/// its slug) or a portfolio's (`portfolio/{id}`).
async fn board_title(store: &Store, board: &str) -> Result<Option<(String, String)>> {
    if let Some(id) = board.strip_prefix("portfolio/") {
        return Ok(portfolios::find(store, id)
            .await?
            .map(|p| (p.portfolio.title, format!("/boards/{board}"))));
    }
    Ok(orgs::find_org(store, board)
        .await?
        .map(|o| (o.title, format!("/boards/{board}"))))
}

async fn shown(
    store: &Store,
    stored: Stored,
    schedule: &Schedule,
    now: DateTime<Utc>,
) -> Result<Digest> {
    let found = board_title(store, &stored.board).await?;
    Ok(Digest {
        id: stored.id,
        title: found.as_ref().map_or_else(
            || format!("{} (no longer exists)", stored.board),
            |f| f.0.clone(),
        ),
        url: found.map(|f| f.1),
        board: stored.board,
        created_at: stored.created_at,
        sent: stored.sent,
        last_sent_at: stored.last_sent_at,
        next_at: schedule.due_after(now.max(stored.due_through)),
    })
}

/// The caller's digests, with when they are sent.
pub async fn list(ctx: &Ctx<'_>, settings: &MailSettings) -> Result<DigestList> {
    let user = owner(ctx)?;
    let mut digests = Vec::new();
    for stored in digests::list(ctx.store, Some(user.id)).await? {
        digests.push(shown(ctx.store, stored, &settings.digests, ctx.now).await?);
    }
    Ok(DigestList {
        digests,
        schedule: settings.digests.describe(),
        mail_enabled: settings.delivered(),
        receiving: !mail::unsubscribed(ctx.store, &user.email).await?,
    })
}

/// Asks for the board `new.board` by e-mail each week.
pub async fn create(ctx: &Ctx<'_>, settings: &MailSettings, new: &NewDigest) -> Result<Digest> {
    let user = owner(ctx)?;
    let board = new
        .board
        .trim()
        .trim_start_matches("/boards/")
        .trim_matches('/');
    if board.is_empty() {
        return Err(Error::BadRequest(
            "`board` is needed: an organisation's slug (e.g. \"department-for-transport\") or \
             \"portfolio/\" and a portfolio's id."
                .into(),
        ));
    }
    if board_title(ctx.store, board).await?.is_none() {
        return Err(Error::NotFound(format!(
            "There is no board {board:?}: give an organisation's slug, or \"portfolio/\" and a \
             portfolio's id."
        )));
    }
    let too_many = || {
        Error::Unprocessable(format!(
            "You have {MOST} weekly digests, the most one person may have: stop one first."
        ))
    };
    if digests::list(ctx.store, Some(user.id)).await?.len() >= MOST {
        return Err(too_many());
    }
    let mut w = ctx.store.write().await?;
    // Counted again in the write: digests asked for at once all saw the
    // count before any of them was made.
    if w.count_held("digests", user.id).await? >= MOST as i64 {
        return Err(too_many());
    }
    let due = settings.digests.due_before(ctx.now);
    let Some(id) = digests::create(&mut w, user.id, board, due, ctx.now).await? else {
        return Err(Error::Conflict(format!(
            "You already get the board {board:?} each week."
        )));
    };
    w.commit(Note::new(
        &ctx.caller.actor(),
        "digest.create",
        format!("digest {id}"),
        json!({ "board": board, "for": user.email }),
        ctx.now,
    ))
    .await?;
    let stored = digests::find(ctx.store, id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("There is no digest {id}.")))?;
    shown(ctx.store, stored, &settings.digests, ctx.now).await
}

/// The digest `id`, if the caller may change it (their own; admins anyone's).
async fn own(ctx: &Ctx<'_>, id: i64) -> Result<Stored> {
    let user = owner(ctx)?;
    let stored = digests::find(ctx.store, id)
        .await?
        .filter(|d| d.user_id == user.id || user.role == app::model::Role::Admin)
        .ok_or_else(|| Error::NotFound(format!("You have no weekly digest {id}.")))?;
    Ok(stored)
}

/// Stops the digest `id`.
pub async fn delete(ctx: &Ctx<'_>, id: i64) -> Result<()> {
    let stored = own(ctx, id).await?;
    let mut w = ctx.store.write().await?;
    if !digests::delete(&mut w, id).await? {
        return Err(Error::NotFound(format!("You have no weekly digest {id}.")));
    }
    w.commit(Note::new(
        &ctx.caller.actor(),
        "digest.delete",
        format!("digest {id}"),
        json!({ "board": stored.board, "for": stored.email }),
        ctx.now,
    ))
    .await?;
    Ok(())
}

/// Sends a copy of the digest `id` now, as it would be sent (saying what
/// changed since the last one sent, and changing nothing): once a minute
/// at most. Answers the address it goes to.
pub async fn send_copy(ctx: &Ctx<'_>, settings: &MailSettings, id: i64) -> Result<String> {
    let stored = own(ctx, id).await?;
    let user = users::find(ctx.store, stored.user_id)
        .await?
        .map(|found| found.user)
        .ok_or_else(|| Error::NotFound(format!("You have no weekly digest {id}.")))?;
    if mail::unsubscribed(ctx.store, &user.email).await? {
        return Err(Error::Conflict(format!(
            "E-mail to {} is stopped: start it again on this page first.",
            user.email
        )));
    }
    let too_soon = || {
        Error::TooManyRequests(
            "A copy of this digest was sent less than a minute ago: wait a minute, and look in \
             your inbox."
                .into(),
        )
    };
    let since = ctx.now - Duration::seconds(COPY_EVERY);
    // (refused before the board is worked out; the claim below settles a race)
    if stored.copied_at.is_some_and(|at| at >= since) {
        return Err(too_soon());
    }
    let message = compose(
        ctx.store, ctx.cache, settings, &stored, &user, ctx.now, true,
    )
    .await?;
    let Some((message, _)) = message else {
        return Err(Error::NotFound(format!(
            "The board {:?} no longer exists: stop this digest.",
            stored.board
        )));
    };
    let mut w = ctx.store.write().await?;
    if !digests::copied(&mut w, id, since, ctx.now).await? {
        return Err(too_soon());
    }
    mail::enqueue(&mut w, &message, ctx.now).await?;
    w.commit(Note::new(
        &ctx.caller.actor(),
        "digest.copy",
        format!("digest {id}"),
        json!({ "board": stored.board, "to": user.email }),
        ctx.now,
    ))
    .await?;
    Ok(user.email)
}

/// A board's figures as a digest keeps them: the board's, then each
/// service's, by KPI.
type Figures = BTreeMap<String, BTreeMap<String, Sent>>;

/// A figure as a digest gave it: its value, what a rate was out of and the
/// time it was of, so the next digest can say what it is compared with
/// (digests sent before these were kept stored the value alone).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
enum Sent {
    Figure {
        value: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        base: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<DateTime<Utc>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<DateTime<Utc>>,
    },
    Value(f64),
}

impl Sent {
    fn value(self) -> f64 {
        match self {
            Sent::Figure { value, .. } | Sent::Value(value) => value,
        }
    }

    /// What a rate is out of, if it is one and that was kept.
    fn base(self) -> Option<f64> {
        match self {
            Sent::Figure { base, .. } => base,
            Sent::Value(_) => None,
        }
    }

    /// The figure in words: its value, then in brackets the time it is of
    /// and, for a rate of too few, that it is ("70.0% (2 to 8 November
    /// 2026)").
    fn words(self, kpi: KpiKind) -> String {
        let value = said(kpi, Some(self.value()));
        let Sent::Figure { base, from, to, .. } = self else {
            return value;
        };
        let about: Vec<String> = [
            from.zip(to)
                .map(|(from, to)| app::kpi::format_date_range(from, to)),
            app::kpi::low_base_words(kpi, base),
        ]
        .into_iter()
        .flatten()
        .collect();
        if about.is_empty() {
            value
        } else {
            format!("{value} ({})", about.join(", "))
        }
    }
}

/// The key of the board's own figures in [`Figures`].
const WHOLE_BOARD: &str = "";

/// After a KPI's key among the board's own figures: how many services its
/// figure was over ([`over`]).
const OVER: &str = ":services";

/// How many services a board's figure of `kpi` is over: transactions those
/// with a year of figures, a cost those with four costed quarters, a rate
/// those whose rate is relied on ([`app::model::KpiSummary::averaged`]). A
/// figure over other services than the last digest's is no change of theirs.
fn over(summary: &app::model::KpiSummary, kpi: KpiKind) -> usize {
    match kpi {
        KpiKind::Transactions => summary.counted,
        KpiKind::CostPerTransaction => summary.costed,
        KpiKind::DigitalTakeUp => summary.averaged[0],
        KpiKind::UserSatisfaction => summary.averaged[1],
        KpiKind::CompletionRate => summary.averaged[2],
    }
}

fn figures_of(board: &Board) -> Figures {
    let mut out = Figures::new();
    let summary = &board.summary;
    let whole: BTreeMap<String, Sent> = [
        (
            KpiKind::Transactions,
            (summary.counted > 0).then_some(summary.transactions_per_year),
        ),
        (KpiKind::CostPerTransaction, summary.cost_per_transaction),
        (KpiKind::DigitalTakeUp, summary.digital_take_up),
        (KpiKind::UserSatisfaction, summary.user_satisfaction),
        (KpiKind::CompletionRate, summary.completion_rate),
    ]
    .into_iter()
    .filter_map(|(kpi, v)| {
        Some((
            kpi.key().to_string(),
            Sent::Value(v.filter(|v| v.is_finite())?),
        ))
    })
    .chain(KPIS.into_iter().map(|kpi| {
        (
            format!("{}{OVER}", kpi.key()),
            Sent::Value(over(summary, kpi) as f64),
        )
    }))
    .collect();
    out.insert(WHOLE_BOARD.into(), whole);
    for row in &board.services {
        let values = row
            .kpis
            .iter()
            .filter_map(|k| Some((k.kpi.key().to_string(), sent(k)?)))
            .collect();
        out.insert(row.service.slug.clone(), values);
    }
    out
}

/// A service's figure on a board, as a digest gives it.
fn sent(k: &app::boards::BoardKpi) -> Option<Sent> {
    Some(Sent::Figure {
        value: k.value.filter(|v| v.is_finite())?,
        base: k.base,
        from: k.from,
        to: k.to,
    })
}

/// A KPI's figure as a digest says it: counts in full.
fn said(kpi: KpiKind, value: Option<f64>) -> String {
    match value {
        Some(v) => format_value_in_full(v, kpi.unit()),
        None => format_value(None, kpi.unit()),
    }
}

/// What a board's headline KPI is called in a digest.
fn headline_name(kpi: KpiKind) -> &'static str {
    match kpi {
        KpiKind::Transactions => "Transactions in the last year",
        KpiKind::CostPerTransaction => "Cost per transaction",
        KpiKind::DigitalTakeUp => "Digital take-up",
        KpiKind::UserSatisfaction => "User satisfaction",
        KpiKind::CompletionRate => "Completion rate",
    }
}

/// Lists at most [`LINES`] of `lines`, saying how many more the board has.
fn at_most(mut lines: Vec<String>, more_where: &str) -> Part {
    if lines.len() > LINES {
        let more = lines.len() - LINES;
        lines.truncate(LINES);
        lines.push(format!("and {more} more {more_where}"));
    }
    Part::List(lines)
}

/// The last digest's figure of the board's `kpi` as its headline table gives
/// it: as it was when it was over as many services as now; else with how
/// many it was over then and now, so that a service counted since is not
/// read as a rise.
fn then_cell(
    kpi: KpiKind,
    said_then: &str,
    then: &BTreeMap<String, Sent>,
    now: &BTreeMap<String, Sent>,
) -> String {
    let key = format!("{}{OVER}", kpi.key());
    let count = |f: &BTreeMap<String, Sent>| f.get(&key).map(|s| s.value() as usize);
    match (count(then), count(now)) {
        (Some(then), Some(now)) if then != now && said_then != "no data" => {
            let services = |n: usize| if n == 1 { "service" } else { "services" };
            format!(
                "{said_then} (of {then} {} then, {now} now: not comparable)",
                services(then)
            )
        }
        _ => said_then.to_string(),
    }
}

/// A line of "What changed": a service's figure now and, beside it, the one
/// the last digest sent. Each says the time it is of and, a rate of a
/// handful, that it is, as the board does: a week's rate is not read as
/// compared with a year's, nor 3 responses with 400; and a rate of a handful,
/// then or now, is not set beside the other ([`app::kpi::previous_if_enough`],
/// as the board's change).
fn change_line(service: &str, kpi: KpiKind, new: Sent, old: Option<Sent>) -> String {
    let name = headline_name(kpi).to_lowercase();
    let now = new.words(kpi);
    let comparable = |old: Sent| {
        app::kpi::previous_if_enough(kpi, Some(old.value()), new.base(), old.base()).is_some()
    };
    match old {
        Some(old) if comparable(old) => {
            format!("{service}: {name} {now}, was {}", old.words(kpi))
        }
        Some(_) => format!(
            "{service}: {name} {now}, changed since the last digest (too few then or now \
             to compare the two)"
        ),
        None => format!("{service}: {name} {now}, new since the last digest"),
    }
}

/// The digest's subject and parts for `board`, given its figures as last
/// sent (`before`, if any) and the notes written since.
#[allow(clippy::too_many_arguments)]
fn letter(
    settings: &MailSettings,
    board: &Board,
    before: Option<&Figures>,
    since: Option<DateTime<Utc>>,
    notes: &[app::model::Annotation],
    now: DateTime<Utc>,
) -> (String, Vec<Part>) {
    let subject = format!("{}: your weekly digest from Pulse", board.title);
    let today = format_date(now);
    // (the services the board shows its reader, as its page counts them)
    let services = board.services.len();
    let mut parts = vec![Part::Text(format!(
        "The figures of {} as they stood on {today}: {services} {}{}.",
        board.title,
        if services == 1 { "service" } else { "services" },
        // Which of them the board's totals are of, when not all.
        app::kpi::counted_words(&board.summary)
    ))];
    let now_figures = figures_of(board);
    let whole_now = now_figures.get(WHOLE_BOARD).cloned().unwrap_or_default();
    let whole_before = before.and_then(|b| b.get(WHOLE_BOARD));
    parts.push(Part::Heading("Headline figures".into()));
    let mut head = vec!["Figure".to_string(), "Now".to_string()];
    if whole_before.is_some() {
        head.push("At the last digest".into());
    }
    let rows = KPIS
        .into_iter()
        .map(|kpi| {
            let of = |figures: &BTreeMap<String, Sent>| {
                said(kpi, figures.get(kpi.key()).map(|f| f.value()))
            };
            let mut row = vec![headline_name(kpi).to_string(), of(&whole_now)];
            if let Some(b) = whole_before {
                row.push(then_cell(kpi, &of(b), b, &whole_now));
            }
            row
        })
        .collect();
    parts.push(Part::Table { head, rows });

    parts.push(Part::Heading("What changed".into()));
    match before {
        None => parts.push(Part::Text(
            "This is the first digest of this board: from the next one on, it says which \
             services' figures changed since the one before."
                .into(),
        )),
        Some(before) => {
            let mut changed = Vec::new();
            for row in &board.services {
                let was = before.get(&row.service.slug);
                for k in &row.kpis {
                    let old = was.and_then(|w| w.get(k.kpi.key())).copied();
                    let Some(new) = sent(k) else { continue };
                    if old.map(Sent::value) == Some(new.value()) {
                        continue;
                    }
                    changed.push(change_line(&row.service.title, k.kpi, new, old));
                }
            }
            if changed.is_empty() {
                parts.push(Part::Text(
                    "No service's figures changed since the last digest.".into(),
                ));
            } else {
                parts.push(at_most(changed, "on the board"));
            }
        }
    }

    parts.push(Part::Heading("Needs attention".into()));
    if board.attention.is_empty() {
        parts.push(Part::Text("Nothing on this board needs attention.".into()));
    } else {
        parts.push(at_most(
            board
                .attention
                .iter()
                .map(|a| format!("{}: {}", a.service_title, a.message))
                .collect(),
            "on the board",
        ));
    }

    parts.push(Part::Heading("New notes".into()));
    let titles: BTreeMap<&str, &str> = board
        .services
        .iter()
        .map(|r| (r.service.slug.as_str(), r.service.title.as_str()))
        .collect();
    if notes.is_empty() {
        parts.push(Part::Text(match since {
            Some(_) => "No notes were written on these services since the last digest.".into(),
            None => "No notes were written on these services in the last week.".into(),
        }));
    } else {
        parts.push(at_most(
            notes
                .iter()
                .map(|n| {
                    format!(
                        "{} ({}, from {}): {}",
                        titles
                            .get(n.service.as_str())
                            .copied()
                            .unwrap_or(&n.service),
                        n.author,
                        format_date(n.starts_at),
                        n.text
                    )
                })
                .collect(),
            "on the services' dashboards",
        ));
    }
    parts.push(Part::Link {
        words: format!("See the board of {}", board.title),
        url: settings.link(&board.url),
    });
    parts.push(Part::Text(format!(
        "You get this digest {}. To stop it, or to get other boards, go to your \
         notifications: {}",
        settings.digests.describe(),
        settings.link("/settings/notifications")
    )));
    (subject, parts)
}

/// The digest `stored` for `user` as it stands at `now`, and the board's
/// figures it tells; `None` if its board has gone.
async fn compose(
    store: &Store,
    cache: &Cache,
    settings: &MailSettings,
    stored: &Stored,
    user: &User,
    now: DateTime<Utc>,
    copy: bool,
) -> Result<Option<(mail::NewMessage, String)>> {
    // The board as its reader sees it (acting as a viewer while admins
    // require two factors they have not set up).
    let user = &super::two_factor::as_acting(store, user.clone()).await?;
    let caller = Caller::reading_as(user.clone());
    let ctx = Ctx {
        caller: &caller,
        now,
        store,
        cache,
    };
    let board = match super::boards::named(&ctx, &stored.board).await {
        Ok(board) => board,
        Err(Error::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    let before: Option<Figures> = stored.figures.as_deref().and_then(|f| {
        // (figures stored by a newer Pulse than this one are not read: the
        // digest then says no change rather than a wrong one)
        serde_json::from_str(f)
            .map_err(|e| tracing::warn!(digest = stored.id, "its last figures are unreadable: {e}"))
            .ok()
    });
    let since = stored.last_sent_at;
    let from = since.unwrap_or(now - Duration::days(7));
    let services: HashSet<&str> = board
        .services
        .iter()
        .map(|r| r.service.slug.as_str())
        .collect();
    let recent = annotations::list(store, &annotations::Filter::default())
        .await?
        .into_iter()
        .filter(|n| {
            services.contains(n.annotation.service.as_str()) && n.annotation.created_at > from
        })
        .collect();
    // As the API would show them to the reader: a note on a module of a
    // dashboard they may not see (an unpublished one) is not theirs to read.
    let notes: Vec<app::model::Annotation> = super::annotations::readable_of(&ctx, recent)
        .await?
        .into_iter()
        .map(|n| n.annotation)
        .collect();
    let (subject, parts) = letter(settings, &board, before.as_ref(), since, &notes, now);
    let why = if copy {
        "You were sent this copy because you asked for it on your notifications page."
    } else {
        "You were sent this because you asked Pulse for this board each week."
    };
    let message = Letter {
        kind: "digest",
        to: user.email.clone(),
        subject,
        parts,
        why: why.into(),
    }
    .message(super::mail::unsubscribe_link(store, settings, &user.email).await?);
    let figures = serde_json::to_string(&figures_of(&board))
        .map_err(|e| Error::Internal(anyhow::anyhow!(e)))?;
    Ok(Some((message, figures)))
}

/// Sends every digest due at the newest scheduled time, unless it is more
/// than a day past. Returns how many e-mails it wrote.
pub async fn check(
    store: &Store,
    cache: &Cache,
    settings: &MailSettings,
    now: DateTime<Utc>,
) -> Result<usize> {
    let due = settings.digests.due_before(now);
    if now - due >= Duration::days(1) {
        return Ok(0);
    }
    let waiting: Vec<Stored> = digests::list(store, None)
        .await?
        .into_iter()
        .filter(|d| d.due_through < due)
        .collect();
    if waiting.is_empty() {
        return Ok(0);
    }
    let mut written = 0;
    for stored in waiting {
        let Some(user) = users::find(store, stored.user_id)
            .await?
            .map(|found| found.user)
            .filter(|u| u.active)
        else {
            continue;
        };
        if mail::unsubscribed(store, &user.email).await? {
            continue;
        }
        let Some((message, figures)) =
            compose(store, cache, settings, &stored, &user, now, false).await?
        else {
            continue;
        };
        let mut w = store.write().await?;
        if !digests::sent(&mut w, stored.id, stored.due_through, due, &figures, now).await? {
            // Another instance sent it first.
            continue;
        }
        mail::enqueue(&mut w, &message, now).await?;
        w.commit(Note::new(
            &Actor::pulse(),
            "digest.send",
            format!("digest {}", stored.id),
            json!({ "to": user.email, "board": stored.board, "due": due }),
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
    use app::kpi::clocks_change;

    #[test]
    fn a_figure_sent_says_its_time_and_a_rate_of_too_few_says_so() {
        let (from, to) = (utc("2026-10-01T00:00:00Z"), utc("2026-11-01T00:00:00Z"));
        let few = Sent::Figure {
            value: 1.0,
            base: Some(3.0),
            from: Some(from),
            to: Some(to),
        };
        assert_eq!(
            few.words(KpiKind::UserSatisfaction),
            "100.0% (1 to 31 October 2026, from 3 responses: too few to rely on)"
        );
        let many = Sent::Figure {
            value: 0.6,
            base: Some(400.0),
            from: Some(from),
            to: Some(to),
        };
        assert_eq!(
            many.words(KpiKind::UserSatisfaction),
            "60.0% (1 to 31 October 2026)"
        );
        // What a digest sent before stored: the value alone, still read.
        let old: Figures = serde_json::from_str(
            r#"{"": {"transactions": 1200}, "a-service": {"digital_take_up": 0.8}}"#,
        )
        .unwrap();
        let value = old["a-service"]["digital_take_up"];
        assert_eq!(value, Sent::Value(0.8));
        assert_eq!(value.words(KpiKind::DigitalTakeUp), "80.0%");
        // And what is stored now reads back as it was.
        let stored: Figures = serde_json::from_str(
            &serde_json::to_string(&Figures::from([("a".into(), [("x".into(), few)].into())]))
                .unwrap(),
        )
        .unwrap();
        assert_eq!(stored["a"]["x"], few);
        // A change: set beside the last digest's figure when both are
        // relied on; not when either is of a handful.
        let kpi = KpiKind::UserSatisfaction;
        assert_eq!(
            change_line("Renew a licence", kpi, many, Some(Sent::Value(0.5))),
            "Renew a licence: user satisfaction 60.0% (1 to 31 October 2026), was 50.0%"
        );
        assert_eq!(
            change_line("Renew a licence", kpi, many, Some(few)),
            "Renew a licence: user satisfaction 60.0% (1 to 31 October 2026), changed since \
             the last digest (too few then or now to compare the two)"
        );
        assert!(
            change_line("Renew a licence", kpi, few, Some(many)).contains("too few then or now")
        );
        assert!(
            change_line("Renew a licence", kpi, few, None).ends_with("new since the last digest")
        );
    }

    #[test]
    fn a_board_figure_over_other_services_than_the_last_digests_is_not_compared() {
        let board = |transactions: f64, counted: f64| -> BTreeMap<String, Sent> {
            [
                ("transactions".to_string(), Sent::Value(transactions)),
                (format!("transactions{OVER}"), Sent::Value(counted)),
            ]
            .into()
        };
        let kpi = KpiKind::Transactions;
        let (then, now) = (board(9_400_000.0, 10.0), board(12_100_000.0, 11.0));
        assert_eq!(
            then_cell(kpi, "9,400,000", &then, &now),
            "9,400,000 (of 10 services then, 11 now: not comparable)"
        );
        let now = board(9_500_000.0, 10.0);
        assert_eq!(then_cell(kpi, "9,400,000", &then, &now), "9,400,000");
        // A digest sent before the count was kept: as it was.
        let older: BTreeMap<String, Sent> = [("transactions".to_string(), Sent::Value(9e6))].into();
        assert_eq!(then_cell(kpi, "9,000,000", &older, &now), "9,000,000");
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn schedules_are_read_in_words() {
        let s: Schedule = "monday 07:00".parse().unwrap();
        assert_eq!(s, Schedule::default());
        let s: Schedule = "Fri 16:30".parse().unwrap();
        assert_eq!(s.weekday, Weekday::Fri);
        assert_eq!(s.describe(), "Fridays at 16:30 (UK time)");
        for bad in [
            "",
            "monday",
            "funday 07:00",
            "monday 7",
            "monday 25:00",
            "mon 07:00 x",
        ] {
            let e = bad.parse::<Schedule>().unwrap_err();
            assert!(e.contains("e.g. \"monday 07:00\""), "{bad}: {e}");
        }
    }

    #[test]
    fn digests_are_due_at_uk_time_in_winter_and_summer() {
        let monday = Schedule::default();
        // Winter: 07:00 in London is 07:00 UTC.
        assert_eq!(
            monday.due_before(utc("2026-12-07T07:00:00Z")),
            utc("2026-12-07T07:00:00Z")
        );
        assert_eq!(
            monday.due_before(utc("2026-12-07T06:59:59Z")),
            utc("2026-11-30T07:00:00Z")
        );
        assert_eq!(
            monday.due_before(utc("2026-12-03T12:00:00Z")),
            utc("2026-11-30T07:00:00Z")
        );
        assert_eq!(
            monday.due_after(utc("2026-12-03T12:00:00Z")),
            utc("2026-12-07T07:00:00Z")
        );
        // Summer: 07:00 in London is 06:00 UTC.
        assert_eq!(
            monday.due_before(utc("2026-06-01T06:30:00Z")),
            utc("2026-06-01T06:00:00Z")
        );
        // The Monday after the clocks go forward (29 March 2026) and back
        // (25 October 2026).
        assert_eq!(
            monday.due_before(utc("2026-03-30T08:00:00Z")),
            utc("2026-03-30T06:00:00Z")
        );
        assert_eq!(
            monday.due_before(utc("2026-10-26T08:00:00Z")),
            utc("2026-10-26T07:00:00Z")
        );
        // Late on a Sunday (23:30 in London): the Monday before.
        assert_eq!(
            monday.due_before(utc("2026-06-07T22:30:00Z")),
            utc("2026-06-01T06:00:00Z")
        );
        assert_eq!(clocks_change(2026, 3), utc("2026-03-29T01:00:00Z"));
        assert_eq!(clocks_change(2026, 10), utc("2026-10-25T01:00:00Z"));
    }
}
