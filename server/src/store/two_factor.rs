//! Two-factor sign-in: each person's TOTP secret, their recovery codes (as
//! SHA-256 hashes), sign-ins waiting for their second step (their tokens as
//! hashes), and the installation's settings.

use chrono::{DateTime, Utc};

use super::api_keys::hash;
use super::{from_micros, micros, Result, Store, Write};
use crate::{on_pool, on_tx};

/// A person's TOTP secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Secret {
    pub secret: String,
    /// When a code from their app first matched: until then it is being set up.
    pub confirmed_at: Option<DateTime<Utc>>,
    /// The last time step whose code was used.
    pub last_step: i64,
}

/// The person's secret, set up or being set up.
pub async fn secret(store: &Store, user_id: i64) -> Result<Option<Secret>> {
    let row: Option<(String, Option<i64>, i64)> = on_pool!(store, |pool| sqlx::query_as(
        "SELECT secret, confirmed_at, last_step FROM two_factor WHERE user_id = $1"
    )
    .bind(user_id)
    .fetch_optional(pool)
    .await)?;
    Ok(row.map(|(secret, confirmed_at, last_step)| Secret {
        secret,
        confirmed_at: confirmed_at.map(from_micros),
        last_step,
    }))
}

/// Starts setting up with `secret` (replacing one being set up; never one
/// confirmed): whether it was written.
pub async fn begin(w: &mut Write, user_id: i64, secret: &str, now: DateTime<Utc>) -> Result<bool> {
    let changed = on_tx!(w, |conn| sqlx::query(
        "INSERT INTO two_factor (user_id, secret, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret,
             created_at = excluded.created_at, last_step = 0
         WHERE two_factor.confirmed_at IS NULL"
    )
    .bind(user_id)
    .bind(secret)
    .bind(micros(now))
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(changed == 1)
}

/// Confirms the secret being set up, noting `step` used, and keeps the hashes
/// of `recovery_codes` (replacing any earlier ones): whether it was confirmed.
pub async fn confirm(
    w: &mut Write,
    user_id: i64,
    step: i64,
    recovery_codes: &[String],
    now: DateTime<Utc>,
) -> Result<bool> {
    let changed = on_tx!(w, |conn| sqlx::query(
        "UPDATE two_factor SET confirmed_at = $2, last_step = $3
         WHERE user_id = $1 AND confirmed_at IS NULL"
    )
    .bind(user_id)
    .bind(micros(now))
    .bind(step)
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))?;
    if changed != 1 {
        return Ok(false);
    }
    replace_recovery_codes(w, user_id, recovery_codes).await?;
    Ok(true)
}

async fn replace_recovery_codes(w: &mut Write, user_id: i64, codes: &[String]) -> Result<()> {
    on_tx!(w, |conn| sqlx::query(
        "DELETE FROM recovery_codes WHERE user_id = $1"
    )
    .bind(user_id)
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))?;
    for code in codes {
        on_tx!(w, |conn| sqlx::query(
            "INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)"
        )
        .bind(user_id)
        .bind(hash(code))
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// Notes that the code of `step` was used, if no later one was: whether it
/// may be used (a code works once, even with two instances asked at once).
pub async fn use_step(store: &Store, user_id: i64, step: i64) -> Result<bool> {
    let changed = on_pool!(store, |pool| sqlx::query(
        "UPDATE two_factor SET last_step = $2
         WHERE user_id = $1 AND last_step < $2 AND confirmed_at IS NOT NULL"
    )
    .bind(user_id)
    .bind(step)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(changed == 1)
}

/// Uses the recovery code whose normalised text is `code`, if it is one of
/// the person's and unused: whether it was.
pub async fn use_recovery_code(
    store: &Store,
    user_id: i64,
    code: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let changed = on_pool!(store, |pool| sqlx::query(
        "UPDATE recovery_codes SET used_at = $3
         WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL"
    )
    .bind(user_id)
    .bind(hash(code))
    .bind(micros(now))
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(changed >= 1)
}

/// How many unused recovery codes the person has.
pub async fn recovery_codes_left(store: &Store, user_id: i64) -> Result<i64> {
    Ok(on_pool!(store, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL"
    )
    .bind(user_id)
    .fetch_one(pool)
    .await)?)
}

/// Turns two factors off for the person: their secret and recovery codes go.
pub async fn remove(w: &mut Write, user_id: i64) -> Result<bool> {
    replace_recovery_codes(w, user_id, &[]).await?;
    let changed = on_tx!(w, |conn| sqlx::query(
        "DELETE FROM two_factor WHERE user_id = $1"
    )
    .bind(user_id)
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(changed == 1)
}

/// Keeps a sign-in waiting for its second step, by the hash of `token`.
pub async fn wait_for_code(
    w: &mut Write,
    token: &str,
    user_id: i64,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<()> {
    on_tx!(w, |conn| sqlx::query(
        "INSERT INTO sign_in_challenges (token_hash, user_id, created_at, expires_at)
         VALUES ($1, $2, $3, $4)"
    )
    .bind(hash(token))
    .bind(user_id)
    .bind(micros(now))
    .bind(micros(expires_at))
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// The person whose sign-in waits for its second step under `token`, if it
/// is still waiting.
pub async fn waiting(store: &Store, token: &str, now: DateTime<Utc>) -> Result<Option<i64>> {
    Ok(on_pool!(store, |pool| sqlx::query_scalar(
        "SELECT user_id FROM sign_in_challenges
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2"
    )
    .bind(hash(token))
    .bind(micros(now))
    .fetch_optional(pool)
    .await)?)
}

/// Ends the wait of `token`, in the change that starts the session: whether
/// it was still waiting (so one second step starts one session).
pub async fn finish_waiting(w: &mut Write, token: &str, now: DateTime<Utc>) -> Result<bool> {
    let changed = on_tx!(w, |conn| sqlx::query(
        "UPDATE sign_in_challenges SET used_at = $2
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2"
    )
    .bind(hash(token))
    .bind(micros(now))
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(changed == 1)
}

/// An installation setting.
pub async fn setting(store: &Store, name: &str) -> Result<Option<String>> {
    Ok(on_pool!(store, |pool| sqlx::query_scalar(
        "SELECT value FROM settings WHERE name = $1"
    )
    .bind(name)
    .fetch_optional(pool)
    .await)?)
}

/// Sets an installation setting.
pub async fn set_setting(w: &mut Write, name: &str, value: &str) -> Result<()> {
    on_tx!(w, |conn| sqlx::query(
        "INSERT INTO settings (name, value) VALUES ($1, $2)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value"
    )
    .bind(name)
    .bind(value)
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}
