//! Sessions: signing in (throttled per account and per address; the answer
//! never says whether an email belongs to anyone), and ending sessions, each
//! one write with its audit row.

use app::model::User;
use chrono::Duration;
use serde_json::json;

use super::caller::{Caller, Permission};
use super::Ctx;
use crate::error::{Error, Result};
use crate::store::{
    audit::Note,
    sessions::{self, Session},
    users, Store,
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

/// What came of a sign-in.
pub enum SignIn {
    /// Too many failures lately, from this address or for this account.
    Throttled,
    /// The email and password are not those of an active account.
    Wrong,
    /// A new session, and the token its cookie carries.
    Started(Box<Started>),
}

/// A session just started: who, the session, and the token its cookie carries.
pub struct Started {
    pub user: User,
    pub session: Session,
    pub token: String,
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
    let subjects = [
        format!("email:{email} ip:{ip}"),
        format!("ip:{ip}"),
        format!("email:{email}"),
    ];
    // Every attempt is counted before the password is checked, in one
    // statement per attempt, so parallel guesses (through any number of
    // instances) cannot all slip under the limit; one turned away is taken
    // back, so only attempts that were checked count.
    let counts = sessions::count_attempt(store, &subjects, now, WINDOW).await?;
    let over = |subject: &str, limit: i64| {
        counts
            .iter()
            .any(|(s, attempts)| s == subject && *attempts > limit)
    };
    if over(&subjects[0], PER_ACCOUNT)
        || over(&subjects[1], PER_ADDRESS)
        || over(&subjects[2], PER_ACCOUNT_EVERYWHERE)
    {
        sessions::uncount_attempt(store, &subjects, now).await?;
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
    // A success is not a failure: the account's count from here starts again,
    // and the address's and the account's own give this one back.
    sessions::clear_attempts(store, &subjects[0]).await?;
    sessions::uncount_attempt(store, &subjects[1..], now).await?;
    let mut w = store.write().await?;
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
        json!({ "address": ip }),
        now,
    ))
    .await?;
    Ok(SignIn::Started(Box::new(Started {
        user,
        session,
        token,
    })))
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
