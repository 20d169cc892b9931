//! Invitations to Pulse and password resets: each a token sent by e-mail,
//! kept here only as its SHA-256 hash, used once, and good until it expires.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::api_keys::hash;
use super::{from_micros, micros, Result, Store, Write};
use crate::{on_pool, on_tx};
use app::model::{Invitation, InvitationStatus, Role};

/// A new invitation.
pub struct NewInvitation<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub organisations: &'a [String],
    pub invited_by: Option<i64>,
    pub inviter_name: &'a str,
    pub expires_at: DateTime<Utc>,
}

#[derive(FromRow)]
struct InvitationRow {
    id: i64,
    email: String,
    display_name: String,
    role: String,
    organisations: String,
    invited_by: Option<i64>,
    inviter_name: String,
    created_at: i64,
    expires_at: i64,
    accepted_at: Option<i64>,
    withdrawn_at: Option<i64>,
}

impl InvitationRow {
    fn into_invitation(self, now: DateTime<Utc>) -> Result<Invitation> {
        let status = if self.accepted_at.is_some() {
            InvitationStatus::Accepted
        } else if self.withdrawn_at.is_some() {
            InvitationStatus::Withdrawn
        } else if now >= from_micros(self.expires_at) {
            InvitationStatus::Expired
        } else {
            InvitationStatus::Pending
        };
        Ok(Invitation {
            id: self.id,
            email: self.email,
            display_name: self.display_name,
            role: Role::parse(&self.role).unwrap_or(Role::Viewer),
            organisations: serde_json::from_str(&self.organisations)?,
            invited_by: self.invited_by,
            inviter_name: self.inviter_name,
            created_at: from_micros(self.created_at),
            expires_at: from_micros(self.expires_at),
            status,
        })
    }
}

const COLUMNS: &str = "id, email, display_name, role, organisations, invited_by, inviter_name, \
    created_at, expires_at, accepted_at, withdrawn_at";

/// Writes an invitation whose token is `token`.
pub async fn create(
    w: &mut Write,
    new: &NewInvitation<'_>,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Invitation> {
    let sql = format!(
        "INSERT INTO invitations (token_hash, email, display_name, role, organisations,
             invited_by, inviter_name, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {COLUMNS}"
    );
    let row: InvitationRow = on_tx!(w, |conn| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(hash(token))
        .bind(new.email)
        .bind(new.display_name)
        .bind(new.role.as_str())
        .bind(serde_json::to_string(new.organisations)?)
        .bind(new.invited_by)
        .bind(new.inviter_name)
        .bind(micros(now))
        .bind(micros(new.expires_at))
        .fetch_one(conn)
        .await)?;
    row.into_invitation(now)
}

/// Every invitation (or those sent by `by`), newest first.
pub async fn list(store: &Store, by: Option<i64>, now: DateTime<Utc>) -> Result<Vec<Invitation>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM invitations WHERE ($1 IS NULL OR invited_by = $1)
         ORDER BY id DESC LIMIT 500"
    );
    let rows: Vec<InvitationRow> = on_pool!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(by)
    .fetch_all(pool)
    .await)?;
    rows.into_iter().map(|r| r.into_invitation(now)).collect()
}

/// The invitation `id`.
pub async fn find(store: &Store, id: i64, now: DateTime<Utc>) -> Result<Option<Invitation>> {
    let sql = format!("SELECT {COLUMNS} FROM invitations WHERE id = $1");
    let row: Option<InvitationRow> = on_pool!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(id)
    .fetch_optional(pool)
    .await)?;
    row.map(|r| r.into_invitation(now)).transpose()
}

/// The invitation whose token is `token`.
pub async fn find_by_token(
    store: &Store,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<Invitation>> {
    let sql = format!("SELECT {COLUMNS} FROM invitations WHERE token_hash = $1");
    let row: Option<InvitationRow> = on_pool!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(hash(token))
    .fetch_optional(pool)
    .await)?;
    row.map(|r| r.into_invitation(now)).transpose()
}

/// The invitations to `email` still waiting to be accepted.
pub async fn pending_for(
    store: &Store,
    email: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Invitation>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM invitations WHERE email = $1 AND accepted_at IS NULL
           AND withdrawn_at IS NULL AND expires_at > $2"
    );
    let rows: Vec<InvitationRow> = on_pool!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(email)
    .bind(micros(now))
    .fetch_all(pool)
    .await)?;
    rows.into_iter().map(|r| r.into_invitation(now)).collect()
}

/// How many invitations to `email` are pending, counted in the change `w`
/// after it takes the address ([`Write::hold_name`]): two made at once
/// (through two instances) are made one after the other, and the second
/// sees the first.
pub async fn pending_held(w: &mut Write, email: &str, now: DateTime<Utc>) -> Result<i64> {
    w.hold_name(&format!("invitation:{email}")).await?;
    Ok(on_tx!(w, |conn| sqlx::query_scalar(
        "SELECT COUNT(*) FROM invitations WHERE email = $1 AND accepted_at IS NULL
           AND withdrawn_at IS NULL AND expires_at > $2"
    )
    .bind(email)
    .bind(micros(now))
    .fetch_one(conn)
    .await)?)
}

/// Marks invitation `id` accepted, if it is still pending: false if it is
/// not (accepted or withdrawn meanwhile, or expired), so it is used once.
pub async fn accept(w: &mut Write, id: i64, now: DateTime<Utc>) -> Result<bool> {
    Ok(on_tx!(w, |conn| sqlx::query(
        "UPDATE invitations SET accepted_at = $2 WHERE id = $1 AND accepted_at IS NULL
           AND withdrawn_at IS NULL AND expires_at > $2"
    )
    .bind(id)
    .bind(micros(now))
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))?
        > 0)
}

/// Withdraws invitation `id` if it is still pending.
pub async fn withdraw(w: &mut Write, id: i64, now: DateTime<Utc>) -> Result<bool> {
    Ok(on_tx!(w, |conn| sqlx::query(
        "UPDATE invitations SET withdrawn_at = $2 WHERE id = $1 AND accepted_at IS NULL
           AND withdrawn_at IS NULL"
    )
    .bind(id)
    .bind(micros(now))
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))?
        > 0)
}

/// A password reset: whose, and until when.
#[derive(Clone, Debug, PartialEq)]
pub struct Reset {
    pub id: i64,
    pub user_id: i64,
    pub expires_at: DateTime<Utc>,
    pub used: bool,
}

/// Writes a password reset for `user_id` whose token is `token`.
pub async fn create_reset(
    w: &mut Write,
    user_id: i64,
    token: &str,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<i64> {
    Ok(on_tx!(w, |conn| sqlx::query_scalar(
        "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at)
         VALUES ($1, $2, $3, $4) RETURNING id"
    )
    .bind(hash(token))
    .bind(user_id)
    .bind(micros(now))
    .bind(micros(expires_at))
    .fetch_one(conn)
    .await)?)
}

/// How many resets were made for `user_id` since `since`.
pub async fn resets_since(store: &Store, user_id: i64, since: DateTime<Utc>) -> Result<i64> {
    Ok(on_pool!(store, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM password_resets WHERE user_id = $1 AND created_at >= $2"
    )
    .bind(user_id)
    .bind(micros(since))
    .fetch_one(pool)
    .await)?)
}

/// [`resets_since`], counted in the change `w` after it takes the user's
/// row: two asked for at once (through two instances) are counted one after
/// the other, so neither passes a bound the other reached.
pub async fn resets_since_held(w: &mut Write, user_id: i64, since: DateTime<Utc>) -> Result<i64> {
    w.hold_row("users", user_id).await?;
    Ok(on_tx!(w, |conn| sqlx::query_scalar(
        "SELECT COUNT(*) FROM password_resets WHERE user_id = $1 AND created_at >= $2"
    )
    .bind(user_id)
    .bind(micros(since))
    .fetch_one(conn)
    .await)?)
}

/// The reset whose token is `token`.
pub async fn find_reset(store: &Store, token: &str) -> Result<Option<Reset>> {
    let row: Option<(i64, i64, i64, Option<i64>)> = on_pool!(store, |pool| sqlx::query_as(
        "SELECT id, user_id, expires_at, used_at FROM password_resets WHERE token_hash = $1"
    )
    .bind(hash(token))
    .fetch_optional(pool)
    .await)?;
    Ok(row.map(|(id, user_id, expires_at, used_at)| Reset {
        id,
        user_id,
        expires_at: from_micros(expires_at),
        used: used_at.is_some(),
    }))
}

/// Marks reset `id` used, if it was not already and has not expired: false
/// otherwise, so a token sets a password once.
pub async fn use_reset(w: &mut Write, id: i64, now: DateTime<Utc>) -> Result<bool> {
    Ok(on_tx!(w, |conn| sqlx::query(
        "UPDATE password_resets SET used_at = $2 WHERE id = $1 AND used_at IS NULL
           AND expires_at > $2"
    )
    .bind(id)
    .bind(micros(now))
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))?
        > 0)
}

/// Ends the other resets of `user_id` (a password was just set).
pub async fn end_resets(w: &mut Write, user_id: i64, now: DateTime<Utc>) -> Result<u64> {
    Ok(on_tx!(w, |conn| sqlx::query(
        "UPDATE password_resets SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL"
    )
    .bind(user_id)
    .bind(micros(now))
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))?)
}
