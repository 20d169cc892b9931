//! Sessions: signing in (throttled per account and per address; the answer
//! never says whether an email belongs to anyone), and ending sessions, each
//! one write with its audit row.

use app::model::User;
use chrono::Duration;
use serde_json::json;

use super::caller::{Caller, Permission};
use super::mail::MailSettings;
use super::Ctx;
use crate::error::{Error, Result};
use crate::store::{
    audit::Note,
    sessions::{self, Session},
    two_factor, users, Store,
};

/// Failed sign-ins allowed in [`WINDOW`] for one account from one address, for
/// one address (whatever the accounts), and for one account from everywhere.
/// An account's failures are counted per address, so someone guessing from
/// one address does not lock the account's owner out at another; the
/// account's own, higher, limit stops guessing spread over many addresses.
pub const PER_ACCOUNT: i64 = 5;
pub const PER_ADDRESS: i64 = 20;
pub const PER_ACCOUNT_EVERYWHERE: i64 = 50;
pub const WINDOW: Duration = Duration::minutes(15);

/// Wrong codes (of the second factor) allowed for one account from
/// everywhere: in [`WINDOW`], and in a day. A code is 6 digits, 3 of which
/// are right at a time: 50 guesses each 15 minutes (the password's limit)
/// would be 4,800 a day, a 1.4% chance a day of getting in for someone who
/// has the password. At 30 a day it is under 0.01%.
pub const CODES_PER_ACCOUNT_EVERYWHERE: i64 = 10;
pub const CODES_A_DAY: i64 = 30;

/// What came of a sign-in.
pub enum SignIn {
    /// Too many failures lately, from this address or for this account.
    Throttled,
    /// The email and password are not those of an active account.
    Wrong,
    /// A new session, and the token its cookie carries.
    Started(Box<Started>),
    /// The password was right and the person has two factors on: the token
    /// of the sign-in waiting for their code ([`second_step`]).
    CodeNeeded(String),
    /// The sign-in waiting for a code is not (it expired, or was finished).
    Expired,
}

/// How long a sign-in waits for its code.
pub const CODE_WAIT: Duration = Duration::minutes(10);

/// Whether attempts on `subjects` (an account from an address, the address,
/// the account from anywhere) are over their limits: counts this attempt
/// first, in one statement, so parallel guesses through any number of
/// instances cannot all slip under the limit; one turned away is taken back.
async fn throttled(
    store: &Store,
    subjects: &[String; 3],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool> {
    throttled_by(
        store,
        subjects,
        [PER_ACCOUNT, PER_ADDRESS, PER_ACCOUNT_EVERYWHERE],
        WINDOW,
        now,
    )
    .await
}

/// Counts an attempt against each of `subjects` (the account from this
/// address, this address, the account from anywhere) in windows of `window`;
/// whether one is over its limit of `limits` (the attempt is then taken back).
async fn throttled_by(
    store: &Store,
    subjects: &[String; 3],
    limits: [i64; 3],
    window: Duration,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool> {
    Ok(counted_against(store, subjects, limits, window, now)
        .await?
        .is_none())
}

/// [`throttled_by`], answering `None` when over a limit, else how many
/// attempts the last of `subjects` (the account from anywhere) has had in
/// its window, this one included.
async fn counted_against(
    store: &Store,
    subjects: &[String; 3],
    limits: [i64; 3],
    window: Duration,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<i64>> {
    let counts = sessions::count_attempt(store, subjects, now, window).await?;
    let count = |subject: &String| {
        counts
            .iter()
            .find(|(s, _)| s == subject)
            .map_or(0, |(_, attempts)| *attempts)
    };
    let over = subjects
        .iter()
        .zip(limits)
        .any(|(subject, limit)| count(subject) > limit);
    if over {
        sessions::uncount_attempt(store, subjects, now).await?;
        return Ok(None);
    }
    Ok(Some(count(&subjects[2])))
}

/// A success is not a failure: the account's count from here starts again,
/// and the address's and the account's own give this one back.
async fn succeeded(
    store: &Store,
    subjects: &[String; 3],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    sessions::clear_attempts(store, &subjects[0]).await?;
    Ok(sessions::uncount_attempt(store, &subjects[1..], now).await?)
}

/// The person `id` (the caller) if `password` is theirs, re-checked by
/// [`recheck_password`] (throttled, off the async workers); `do_what` says
/// what it was asked for (to change the password, to turn two factors on or
/// off). A wrong one is a 403 that says so.
pub async fn confirm_password(
    ctx: &Ctx<'_>,
    id: i64,
    password: &str,
    do_what: &str,
) -> Result<crate::store::users::WithHash> {
    let found = crate::store::users::find(ctx.store, id)
        .await?
        .ok_or_else(|| Error::Unauthorized("You are not signed in.".into()))?;
    let session = ctx.caller.session().map_or(0, |s| s.id);
    let ok = recheck_password(
        ctx.store,
        &found.user,
        session,
        &found.password_hash,
        password,
        ctx.now,
    )
    .await?;
    if !ok {
        return Err(Error::Forbidden(format!(
            "Enter your current password to {do_what}: that was not it."
        )));
    }
    Ok(found)
}

/// Whether `password` is the signed-in person's (`user`, in `session`), to
/// change it or to turn two factors on or off: checked off the async workers, and
/// throttled, so a stolen session is no way to guess the password: at most
/// [`PER_ACCOUNT`] wrong ones in [`WINDOW`] for the account and for the
/// session, counted with the sign-in's failures for the account from
/// anywhere. Too many: a 429 that says so.
async fn recheck_password(
    store: &Store,
    user: &User,
    session_id: i64,
    hash: &str,
    password: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool> {
    let subjects = [
        format!("recheck:user:{}", user.id),
        format!("email:{}", user.email),
        format!("recheck:session:{session_id}"),
    ];
    let limits = [PER_ACCOUNT, PER_ACCOUNT_EVERYWHERE, PER_ACCOUNT];
    if throttled_by(store, &subjects, limits, WINDOW, now).await? {
        return Err(Error::TooManyRequests(
            "Too many wrong passwords. Wait 15 minutes, then try again.".into(),
        ));
    }
    let right = {
        let (password, hash) = (password.to_string(), hash.to_string());
        tokio::task::spawn_blocking(move || super::users::verify_password(&password, &hash))
            .await
            .map_err(|e| Error::Internal(e.into()))?
    };
    if right {
        succeeded(store, &subjects, now).await?;
    }
    Ok(right)
}

/// Starts a session for `user` in `w` (audited as `session.start` with
/// `detail`).
async fn start(
    mut w: crate::store::Write,
    user: User,
    ip: &str,
    agent: &str,
    detail: serde_json::Value,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<SignIn> {
    let (session, token) = sessions::start(&mut w, user.id, ip, agent, now).await?;
    let caller = Caller::Person {
        user: user.clone(),
        session: session.clone(),
        csrf_ok: true,
        changes: true,
    };
    w.commit(Note::new(
        &caller.actor(),
        "session.start",
        format!("user {}", user.id),
        detail,
        now,
    ))
    .await?;
    Ok(SignIn::Started(Box::new(Started {
        user,
        session,
        token,
    })))
}

/// A session just started: who, the session, and the token its cookie carries.
pub struct Started {
    pub user: User,
    pub session: Session,
    pub token: String,
}

/// The client address attempts are counted under
/// ([`crate::domain::caller::counted_as`]: an IPv6 address by its /64), or
/// `ip` as given when it is not an address (`local`).
fn counted(ip: &str) -> String {
    ip.parse()
        .map(|address| crate::domain::caller::counted_as(address).to_string())
        .unwrap_or_else(|_| ip.to_string())
}

/// Signs in `email` (trimmed, lower case) with `password`, from the client
/// address `ip` with the browser `agent`.
pub async fn sign_in(
    store: &Store,
    email: &str,
    password: &str,
    ip: &str,
    agent: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<SignIn> {
    // The account from this address, this address, the account from anywhere.
    let by = counted(ip);
    let subjects = [
        format!("email:{email} ip:{by}"),
        format!("ip:{by}"),
        format!("email:{email}"),
    ];
    if throttled(store, &subjects, now).await? {
        return Ok(SignIn::Throttled);
    }
    let found = users::find_by_email(store, email).await?;
    // An unknown email costs the same hashing as a known one.
    let hash = found
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| super::users::decoy_hash().to_string());
    let password_ok = {
        let password = password.to_string();
        tokio::task::spawn_blocking(move || super::users::verify_password(&password, &hash))
            .await
            .map_err(|e| Error::Internal(e.into()))?
    };
    let user = match found {
        Some(u) if password_ok && u.user.active => u.user,
        // A failure stays counted.
        _ => return Ok(SignIn::Wrong),
    };
    succeeded(store, &subjects, now).await?;
    let needs_code = super::two_factor::enabled(store, user.id).await?;
    let mut w = store.write().await?;
    if needs_code {
        let token = crate::store::api_keys::generate_secret()["pulse_".len()..].to_string();
        two_factor::wait_for_code(&mut w, &token, user.id, now, now + CODE_WAIT).await?;
        w.commit(Note::new(
            &crate::store::audit::Actor {
                label: format!("user:{}", user.email),
                via: "session",
            },
            "session.code_asked",
            format!("user {}", user.id),
            json!({ "address": ip }),
            now,
        ))
        .await?;
        return Ok(SignIn::CodeNeeded(token));
    }
    start(w, user, ip, agent, json!({ "address": ip }), now).await
}

/// The second step of signing in with two factors: the code the person's
/// app shows (each works once), or one of their recovery codes (likewise),
/// for the sign-in waiting under `token`. Throttled like passwords, per
/// account and address, and more tightly for the account from anywhere
/// ([`CODES_PER_ACCOUNT_EVERYWHERE`] in 15 minutes, [`CODES_A_DAY`]); the
/// day's [`CODES_PER_ACCOUNT_EVERYWHERE`]th wrong code e-mails the person
/// that someone has their password ([`warn_of_codes`]).
pub async fn second_step(
    store: &Store,
    settings: &MailSettings,
    token: &str,
    code: &str,
    ip: &str,
    agent: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<SignIn> {
    let Some(user_id) = two_factor::waiting(store, token, now).await? else {
        return Ok(SignIn::Expired);
    };
    let by = counted(ip);
    let subjects = [
        format!("code:user:{user_id} ip:{by}"),
        format!("ip:{by}"),
        format!("code:user:{user_id}"),
    ];
    let limits = [PER_ACCOUNT, PER_ADDRESS, CODES_PER_ACCOUNT_EVERYWHERE];
    if throttled_by(store, &subjects, limits, WINDOW, now).await? {
        return Ok(SignIn::Throttled);
    }
    let daily = [
        format!("code-day:user:{user_id} ip:{by}"),
        format!("code-day:ip:{by}"),
        format!("code-day:user:{user_id}"),
    ];
    let day = [CODES_A_DAY, PER_ADDRESS * 4, CODES_A_DAY];
    let Some(today) = counted_against(store, &daily, day, Duration::days(1), now).await? else {
        sessions::uncount_attempt(store, &subjects, now).await?;
        return Ok(SignIn::Throttled);
    };
    let user = match users::find(store, user_id).await? {
        Some(u) if u.user.active => u.user,
        _ => return Ok(SignIn::Wrong),
    };
    let Some(secret) = two_factor::secret(store, user_id)
        .await?
        .filter(|s| s.confirmed_at.is_some())
    else {
        return Ok(SignIn::Wrong);
    };
    let by_app = match super::totp::verify(&secret.secret, code, now.timestamp()) {
        Some(step) => two_factor::use_step(store, user_id, step).await?,
        None => false,
    };
    let by_recovery = !by_app && {
        let typed = super::totp::normalise_recovery_code(code);
        typed.len() == 10 && two_factor::use_recovery_code(store, user_id, &typed, now).await?
    };
    if !by_app && !by_recovery {
        if today == CODES_PER_ACCOUNT_EVERYWHERE {
            warn_of_codes(store, settings, &user, ip, now).await?;
        }
        return Ok(SignIn::Wrong);
    }
    succeeded(store, &subjects, now).await?;
    succeeded(store, &daily, now).await?;
    let mut w = store.write().await?;
    if !two_factor::finish_waiting(&mut w, token, now).await? {
        return Ok(SignIn::Expired);
    }
    let with = if by_app { "app" } else { "recovery code" };
    start(
        w,
        user,
        ip,
        agent,
        json!({ "address": ip, "second_factor": with }),
        now,
    )
    .await
}

/// E-mails `user` that someone who has their password has entered
/// [`CODES_PER_ACCOUNT_EVERYWHERE`] wrong codes today, the last from `ip`:
/// sent even to an address that stopped Pulse's other e-mail, as a
/// password reset is, since it is about the account's safety.
async fn warn_of_codes(
    store: &Store,
    settings: &MailSettings,
    user: &User,
    ip: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    use super::mail::{Letter, Part};
    let letter = Letter {
        kind: "two-factor-warning",
        to: user.email.clone(),
        subject: "Someone has tried to sign in to your Pulse account".into(),
        parts: vec![
            Part::Text(format!(
 "{}, someone signed in to Pulse with your password, then entered {CODES_PER_ACCOUNT_EVERYWHERE} wrong codes for your authentication app today, the last from the address {ip} at {}.",
                user.display_name,
                now.format("%H:%M UTC on %-d %B %Y")
            )),
            Part::Text(
 "If that was you, there is nothing to do. If it was not, someone knows your password: set a new one now. Setting a new password signs you out everywhere else."
                    .into(),
            ),
            Part::Link {
                words: "Set a new password".into(),
                url: settings.link("/forgot-password"),
            },
            Part::Text(format!(
 "Pulse tries no more than {CODES_A_DAY} codes a day for your account, so your second factor keeps it safe meanwhile."
            )),
        ],
        why: format!(
 "You were sent this because {} has two-factor sign-in on, and wrong codes were entered for it.",
            user.email
        ),
    };
    let unsubscribe = super::mail::unsubscribe_link(store, settings, &user.email).await?;
    let mut w = store.write().await?;
    crate::store::mail::enqueue(&mut w, &letter.message(unsubscribe), now).await?;
    w.commit(Note::new(
        &crate::store::audit::Actor {
            label: format!("anonymous ({ip})"),
            via: "none",
        },
        "two_factor.codes-warning",
        format!("user {}", user.id),
        json!({ "address": ip, "wrong_codes": CODES_PER_ACCOUNT_EVERYWHERE }),
        now,
    ))
    .await?;
    Ok(())
}

/// Ends session `id` as a change the caller makes (audited as `session.end`).
async fn end(ctx: &Ctx<'_>, id: i64) -> Result<()> {
    let mut w = ctx.store.write().await?;
    sessions::end_in(&mut w, id).await?;
    w.commit(Note::new(
        &ctx.caller.actor(),
        "session.end",
        format!("session {id}"),
        json!({}),
        ctx.now,
    ))
    .await?;
    Ok(())
}

/// Signs the caller out of the session they call with (if they call with one).
pub async fn sign_out(ctx: &Ctx<'_>) -> Result<()> {
    if let Some(session) = ctx.caller.session() {
        end(ctx, session.id).await?;
    }
    Ok(())
}

/// Ends every session of the signed-in person, this one too; answers how
/// many ended.
pub async fn sign_out_everywhere(ctx: &Ctx<'_>) -> Result<u64> {
    let Some(user) = ctx.caller.user() else {
        return Err(Error::Unauthorized("You are not signed in.".into()));
    };
    let mut w = ctx.store.write().await?;
    let ended = sessions::end_all(&mut w, user.id).await?;
    w.commit(Note::new(
        &ctx.caller.actor(),
        "session.end-all",
        format!("user {}", user.id),
        json!({ "sessions": ended }),
        ctx.now,
    ))
    .await?;
    Ok(ended)
}

/// The signed-in person's live sessions, newest first.
pub async fn mine(ctx: &Ctx<'_>) -> Result<Vec<Session>> {
    let Some(user) = ctx.caller.user() else {
        return Err(Error::Unauthorized("Sign in to see your sessions.".into()));
    };
    Ok(sessions::list_for_user(ctx.store, user.id, ctx.now).await?)
}

/// Ends one of the signed-in person's sessions.
pub async fn end_mine(ctx: &Ctx<'_>, id: i64) -> Result<()> {
    ctx.caller.require(Permission::ReadUnpublished)?;
    let Some(user) = ctx.caller.user() else {
        return Err(Error::Forbidden(
            "Only a signed-in person ends their sessions.".into(),
        ));
    };
    let mine = sessions::list_for_user(ctx.store, user.id, ctx.now)
        .await?
        .into_iter()
        .any(|s| s.id == id);
    if !mine {
        return Err(Error::NotFound(format!("You have no session {id}.")));
    }
    end(ctx, id).await
}
