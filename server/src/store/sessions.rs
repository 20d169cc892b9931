//! Sessions of signed-in people, and sign-in attempts for throttling.
//!
//! A session's token (the cookie's value) is 32 random bytes, kept only as a
//! SHA-256 hash. A session ends when it has been idle for [`IDLE`], at the latest
//! [`ABSOLUTE`] after it began, when its person signs out (here or everywhere),
//! or when they are deactivated.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sqlx::FromRow;

use super::api_keys::{generate_secret, hash};
use super::Result;
use super::{from_micros, micros, Store, Write};
use crate::{on_pool, on_tx};

/// How long a session lasts without being used.
pub const IDLE: Duration = Duration::hours(2);
/// How long a session lasts at most.
pub const ABSOLUTE: Duration = Duration::hours(12);

/// A live session (never with its token).
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Session {
    pub id: i64,
    pub user_id: i64,
    #[serde(skip)]
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub address: String,
    pub user_agent: String,
}

#[derive(FromRow)]
struct SessionRow {
    id: i64,
    user_id: i64,
    csrf_token: String,
    created_at: i64,
    last_seen_at: i64,
    expires_at: i64,
    address: String,
    user_agent: String,
}

impl From<SessionRow> for Session {
    fn from(r: SessionRow) -> Self {
        Session {
            id: r.id,
            user_id: r.user_id,
            csrf_token: r.csrf_token,
            created_at: from_micros(r.created_at),
            last_seen_at: from_micros(r.last_seen_at),
            expires_at: from_micros(r.expires_at),
            address: r.address,
            user_agent: r.user_agent,
        }
    }
}

/// A random token: 32 bytes in base64url, without Pulse's key prefix.
fn token() -> String {
    generate_secret()["pulse_".len()..].to_string()
}

/// Starts a session; returns it with the token for the cookie.
pub async fn start(
    w: &mut Write,
    user_id: i64,
    address: &str,
    user_agent: &str,
    now: DateTime<Utc>,
) -> Result<(Session, String)> {
    let secret = token();
    let csrf = token();
    let user_agent: String = user_agent.chars().take(200).collect();
    let row: SessionRow = on_tx!(w, |conn| sqlx::query_as(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at,
             expires_at, address, user_agent)
         VALUES ($1, $2, $3, $4, $4, $5, $6, $7)
         RETURNING id, user_id, csrf_token, created_at, last_seen_at, expires_at, address,
             user_agent"
    )
    .bind(hash(&secret))
    .bind(user_id)
    .bind(&csrf)
    .bind(micros(now))
    .bind(micros(now + ABSOLUTE))
    .bind(address)
    .bind(&user_agent)
    .fetch_one(conn)
    .await)?;
    Ok((row.into(), secret))
}

const SELECT: &str = "SELECT id, user_id, csrf_token, created_at, last_seen_at, expires_at,
    address, user_agent FROM sessions";

fn live(s: &Session, now: DateTime<Utc>) -> bool {
    now < s.expires_at && now - s.last_seen_at < IDLE
}

/// The live session of this token, if any; notes that it was used.
pub async fn find_live(store: &Store, token: &str, now: DateTime<Utc>) -> Result<Option<Session>> {
    let sql = format!("{SELECT} WHERE token_hash = $1");
    let row: Option<SessionRow> = on_pool!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(hash(token))
    .fetch_optional(pool)
    .await)?;
    let Some(session) = row.map(Session::from) else {
        return Ok(None);
    };
    if !live(&session, now) {
        end(store, session.id).await?;
        return Ok(None);
    }
    // Noted at most once a minute, to keep writes off every request.
    if now - session.last_seen_at > Duration::minutes(1) {
        on_pool!(store, |pool| sqlx::query(
            "UPDATE sessions SET last_seen_at = $1 WHERE id = $2"
        )
        .bind(micros(now))
        .bind(session.id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    }
    Ok(Some(session))
}

/// Ends one session.
pub async fn end(store: &Store, id: i64) -> Result<bool> {
    let done = on_pool!(store, |pool| sqlx::query(
        "DELETE FROM sessions WHERE id = $1"
    )
    .bind(id)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(done > 0)
}

/// Ends one session, as a change someone makes (signing out).
pub async fn end_in(w: &mut Write, id: i64) -> Result<bool> {
    let done = on_tx!(w, |conn| sqlx::query("DELETE FROM sessions WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(done > 0)
}

/// Ends every session of a user but `keep` (after a password change).
pub async fn end_others(w: &mut Write, user_id: i64, keep: i64) -> Result<u64> {
    Ok(on_tx!(w, |conn| sqlx::query(
        "DELETE FROM sessions WHERE user_id = $1 AND id <> $2"
    )
    .bind(user_id)
    .bind(keep)
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))?)
}

/// Ends every session of a user ("sign out everywhere").
pub async fn end_all(w: &mut Write, user_id: i64) -> Result<u64> {
    Ok(on_tx!(w, |conn| sqlx::query(
        "DELETE FROM sessions WHERE user_id = $1"
    )
    .bind(user_id)
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))?)
}

/// A user's live sessions, newest first.
pub async fn list_for_user(
    store: &Store,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<Session>> {
    let sql = format!("{SELECT} WHERE user_id = $1 ORDER BY created_at DESC");
    let rows: Vec<SessionRow> = on_pool!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(user_id)
    .fetch_all(pool)
    .await)?;
    Ok(rows
        .into_iter()
        .map(Session::from)
        .filter(|s| live(s, now))
        .collect())
}

/// Counts an attempt to sign in against each of `subjects` and returns each
/// one's attempts in its window (this one included), in one statement: two
/// attempts at once, on one instance or two, never both see the same count.
/// A subject's window begins with its first attempt and lasts `window`.
pub async fn count_attempt(
    store: &Store,
    subjects: &[String; 3],
    now: DateTime<Utc>,
    window: Duration,
) -> Result<Vec<(String, i64)>> {
    Ok(on_pool!(store, |pool| sqlx::query_as(
        "INSERT INTO sign_in_attempts (subject, started_at, attempts) \
         VALUES ($1, $4, 1), ($2, $4, 1), ($3, $4, 1) \
         ON CONFLICT (subject) DO UPDATE SET \
           attempts = CASE WHEN sign_in_attempts.started_at < $5 THEN 1 \
                           ELSE sign_in_attempts.attempts + 1 END, \
           started_at = CASE WHEN sign_in_attempts.started_at < $5 THEN excluded.started_at \
                             ELSE sign_in_attempts.started_at END \
         RETURNING subject, attempts"
    )
    .bind(&subjects[0])
    .bind(&subjects[1])
    .bind(&subjects[2])
    .bind(micros(now))
    .bind(micros(now - window))
    .fetch_all(pool)
    .await)?)
}

/// Takes back an attempt counted against each of `subjects` (one that was
/// turned away, or that signed in): a subject left with none is forgotten, so
/// attempts turned away (a flood of addresses from one place) leave no rows.
/// Windows over a day old are forgotten too, at most once a minute.
pub async fn uncount_attempt(store: &Store, subjects: &[String], now: DateTime<Utc>) -> Result<()> {
    for subject in subjects {
        on_pool!(store, |pool| sqlx::query(
            "UPDATE sign_in_attempts SET attempts = attempts - 1 \
             WHERE subject = $1 AND attempts > 0"
        )
        .bind(subject)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        on_pool!(store, |pool| sqlx::query(
            "DELETE FROM sign_in_attempts WHERE subject = $1 AND attempts <= 0"
        )
        .bind(subject)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    }
    static LAST_SWEEP: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(i64::MIN);
    let last = LAST_SWEEP.load(std::sync::atomic::Ordering::Relaxed);
    if micros(now).abs_diff(last) >= 60_000_000 {
        LAST_SWEEP.store(micros(now), std::sync::atomic::Ordering::Relaxed);
        on_pool!(store, |pool| sqlx::query(
            "DELETE FROM sign_in_attempts WHERE started_at < $1"
        )
        .bind(micros(now - Duration::days(1)))
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// Forgets the attempts of a subject (after a successful sign-in).
pub async fn clear_attempts(store: &Store, subject: &str) -> Result<()> {
    on_pool!(store, |pool| sqlx::query(
        "DELETE FROM sign_in_attempts WHERE subject = $1"
    )
    .bind(subject)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}
