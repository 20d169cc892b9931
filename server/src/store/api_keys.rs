//! API keys: secrets for programs, stored only as hashes.
//!
//! A key is `pulse_` and 43 characters of base64url (32 random bytes). Its first 14
//! characters are kept in the clear as its prefix, to find it and to show people
//! which key is which; the whole key is kept only as a SHA-256 hash (the key is
//! random, so a slow hash would add nothing) and compared in constant time.
//! A data set's Backdrop bearer token is a key whose one scope is writing that
//! data set.

use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::FromRow;

use super::Result;
use super::{from_micros, micros, Store, Write};
use crate::{on_pool, on_tx};

/// The scope that lets a key write one data set.
pub fn write_scope(data_set_name: &str) -> String {
    app::model::Scope::WriteDataSet(data_set_name.to_string()).to_string()
}

pub use app::model::{ApiKey, NewKey, ADMIN_SCOPE};

const PREFIX_LEN: usize = 14;

#[derive(FromRow)]
struct KeyRow {
    id: i64,
    prefix: String,
    hash: String,
    name: String,
    scopes: String,
    created_at: i64,
    last_used_at: Option<i64>,
    expires_at: Option<i64>,
    revoked_at: Option<i64>,
    owner_id: Option<i64>,
}

impl From<KeyRow> for ApiKey {
    fn from(r: KeyRow) -> Self {
        let mut key = ApiKey {
            id: r.id,
            prefix: r.prefix,
            name: r.name,
            scopes: serde_json::from_str(&r.scopes).unwrap_or_default(),
            created_at: from_micros(r.created_at),
            last_used_at: r.last_used_at.map(from_micros),
            expires_at: r.expires_at.map(from_micros),
            revoked_at: r.revoked_at.map(from_micros),
            owner_id: r.owner_id,
            status: app::model::KeyStatus::Active,
        };
        key.status = key.status(Utc::now());
        key
    }
}

/// A fresh secret: `pulse_` and 32 random bytes in base64url.
pub fn generate_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::from("pulse_");
    let mut acc: u32 = 0;
    let mut bits = 0;
    for b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 6 {
            bits -= 6;
            out.push(ALPHABET[((acc >> bits) & 63) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((acc << (6 - bits)) & 63) as usize] as char);
    }
    out
}

pub fn hash(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn prefix_of(secret: &str) -> String {
    secret.chars().take(PREFIX_LEN).collect()
}

/// Compares two strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Stores a key for `secret` (a fresh one unless an existing token is imported).
pub async fn create(
    w: &mut Write,
    name: &str,
    scopes: &[String],
    expires_at: Option<DateTime<Utc>>,
    secret: Option<String>,
    now: DateTime<Utc>,
) -> Result<NewKey> {
    create_owned(w, name, scopes, expires_at, secret, None, now).await
}

/// Stores a key made by the user `owner` (or by nobody).
pub async fn create_owned(
    w: &mut Write,
    name: &str,
    scopes: &[String],
    expires_at: Option<DateTime<Utc>>,
    secret: Option<String>,
    owner: Option<i64>,
    now: DateTime<Utc>,
) -> Result<NewKey> {
    let secret = secret.unwrap_or_else(generate_secret);
    let scopes_json = serde_json::to_string(scopes)?;
    let row: KeyRow = on_tx!(w, |conn| {
        sqlx::query_as(
            "INSERT INTO api_keys (prefix, hash, name, scopes, created_at, expires_at, owner_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         RETURNING id, prefix, hash, name, scopes, created_at, last_used_at, expires_at, revoked_at,
             owner_id",
        )
        .bind(prefix_of(&secret))
        .bind(hash(&secret))
        .bind(name)
        .bind(&scopes_json)
        .bind(micros(now))
        .bind(expires_at.map(micros))
        .bind(owner)
        .fetch_one(conn)
        .await
    })?;
    Ok(NewKey {
        key: row.into(),
        secret,
    })
}

/// The live key whose secret this is, if any; notes when it was used.
pub async fn authenticate(
    store: &Store,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<Option<ApiKey>> {
    let rows: Vec<KeyRow> = on_pool!(store, |pool| {
        sqlx::query_as(
        "SELECT id, prefix, hash, name, scopes, created_at, last_used_at, expires_at, revoked_at,
             owner_id
         FROM api_keys WHERE prefix = $1"
    )
    .bind(prefix_of(secret))
    .fetch_all(pool)
    .await
    })?;
    let wanted = hash(secret);
    let Some(row) = rows
        .into_iter()
        .find(|r| constant_time_eq(&r.hash, &wanted))
    else {
        return Ok(None);
    };
    if row.revoked_at.is_some() || row.expires_at.is_some_and(|t| t <= micros(now)) {
        return Ok(None);
    }
    // Noted at most once a minute per key, to keep writes off the hot path.
    if row
        .last_used_at
        .is_none_or(|t| micros(now) - t > 60_000_000)
    {
        on_pool!(store, |pool| sqlx::query(
            "UPDATE api_keys SET last_used_at = $1 WHERE id = $2"
        )
        .bind(micros(now))
        .bind(row.id)
        .execute(pool)
        .await
        .map(|_| ()))?;
    }
    Ok(Some(row.into()))
}

const SELECT: &str = "SELECT id, prefix, hash, name, scopes, created_at, last_used_at,
    expires_at, revoked_at, owner_id FROM api_keys";

/// Keys, newest first: the owner's, or everyone's with `None`.
pub async fn list(store: &Store, owner: Option<i64>) -> Result<Vec<ApiKey>> {
    let sql = match owner {
        Some(_) => format!("{SELECT} WHERE owner_id = $1 ORDER BY created_at DESC, id DESC"),
        None => format!("{SELECT} WHERE $1 = $1 ORDER BY created_at DESC, id DESC"),
    };
    let rows: Vec<KeyRow> = on_pool!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(owner.unwrap_or(0))
    .fetch_all(pool)
    .await)?;
    Ok(rows.into_iter().map(ApiKey::from).collect())
}

/// The key with this id.
pub async fn find(store: &Store, id: i64) -> Result<Option<ApiKey>> {
    let sql = format!("{SELECT} WHERE id = $1");
    let row: Option<KeyRow> = on_pool!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(id)
    .fetch_optional(pool)
    .await)?;
    Ok(row.map(ApiKey::from))
}

/// Revokes one key (a revoked key stays revoked: its first time is kept).
pub async fn revoke(w: &mut Write, id: i64, now: DateTime<Utc>) -> Result<()> {
    on_tx!(w, |conn| sqlx::query(
        "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2"
    )
    .bind(micros(now))
    .bind(id)
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Replaces a key by a new one with the same name, scopes, owner and lifetime
/// (counted from now), and revokes the old one.
pub async fn rotate(w: &mut Write, old: &ApiKey, now: DateTime<Utc>) -> Result<NewKey> {
    let lifetime = old.expires_at.map(|t| t - old.created_at);
    let new = create_owned(
        w,
        &old.name,
        &old.scopes,
        lifetime.map(|l| now + l),
        None,
        old.owner_id,
        now,
    )
    .await?;
    // Revoked here, or by a rotation that committed first (two at once,
    // through two instances): then this one is refused and its key undone,
    // so one key follows the old one, not two.
    let revoked = on_tx!(w, |conn| sqlx::query(
        "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL"
    )
    .bind(micros(now))
    .bind(old.id)
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))?;
    if revoked == 0 {
        return Err(super::Error::Conflict(format!(
            "The key \"{}\" was revoked or replaced meanwhile: no new key was made.",
            old.name
        )));
    }
    Ok(new)
}

/// Revokes every live key whose scopes are exactly `scopes`.
pub async fn revoke_with_scopes(
    w: &mut Write,
    scopes: &[String],
    now: DateTime<Utc>,
) -> Result<u64> {
    let scopes_json = serde_json::to_string(scopes)?;
    let done = on_tx!(w, |conn| sqlx::query(
        "UPDATE api_keys SET revoked_at = $1 WHERE scopes = $2 AND revoked_at IS NULL"
    )
    .bind(micros(now))
    .bind(&scopes_json)
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_prefixed_and_long() {
        let a = generate_secret();
        let b = generate_secret();
        assert!(a.starts_with("pulse_"));
        assert_eq!(a.len(), 6 + 43);
        assert_ne!(a, b);
        assert!(a[6..]
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
    }

    #[test]
    fn hashes_and_comparisons() {
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }
}
