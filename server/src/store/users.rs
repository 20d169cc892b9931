//! Users: people who sign in, with a role, organisations and a password kept
//! only as an Argon2id hash (made by [`crate::domain::users`]).

use app::model::{Role, User};
use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::{from_micros, micros, Store, Write};
use super::{Error, Result};
use crate::{on_pool, on_tx};

#[derive(FromRow)]
struct UserRow {
    id: i64,
    email: String,
    display_name: String,
    role: String,
    password_hash: String,
    active: bool,
    created_at: i64,
}

/// A user with their password hash, for signing in.
pub struct WithHash {
    pub user: User,
    pub password_hash: String,
}

const ORGANISATIONS: &str = "SELECT o.slug FROM user_organisations u
    JOIN organisations o ON o.id = u.organisation_id WHERE u.user_id = $1 ORDER BY o.slug";

async fn organisations(store: &Store, user_id: i64) -> Result<Vec<String>> {
    Ok(on_pool!(store, |pool| sqlx::query_scalar(ORGANISATIONS)
        .bind(user_id)
        .fetch_all(pool)
        .await)?)
}

async fn complete(store: &Store, row: UserRow) -> Result<WithHash> {
    let organisations = organisations(store, row.id).await?;
    Ok(with_organisations(row, organisations))
}

/// [`find`], inside a change (seeing what it wrote).
async fn find_in(w: &mut Write, id: i64) -> Result<Option<WithHash>> {
    let sql = format!("{SELECT} WHERE id = $1");
    let row: Option<UserRow> = on_tx!(w, |conn| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(id)
        .fetch_optional(conn)
        .await)?;
    let Some(row) = row else {
        return Ok(None);
    };
    let organisations: Vec<String> = on_tx!(w, |conn| sqlx::query_scalar(ORGANISATIONS)
        .bind(id)
        .fetch_all(conn)
        .await)?;
    Ok(Some(with_organisations(row, organisations)))
}

fn with_organisations(row: UserRow, organisations: Vec<String>) -> WithHash {
    WithHash {
        user: User {
            id: row.id,
            email: row.email,
            display_name: row.display_name,
            role: Role::parse(&row.role).unwrap_or(Role::Viewer),
            organisations,
            active: row.active,
            created_at: from_micros(row.created_at),
        },
        password_hash: row.password_hash,
    }
}

const SELECT: &str =
    "SELECT id, email, display_name, role, password_hash, active, created_at FROM users";

/// The user with this email (any case), with their password hash.
pub async fn find_by_email(store: &Store, email: &str) -> Result<Option<WithHash>> {
    let email = email.trim().to_lowercase();
    let sql = format!("{SELECT} WHERE email = $1");
    let row: Option<UserRow> = on_pool!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(&email)
    .fetch_optional(pool)
    .await)?;
    match row {
        Some(row) => Ok(Some(complete(store, row).await?)),
        None => Ok(None),
    }
}

/// The user with this id.
pub async fn find(store: &Store, id: i64) -> Result<Option<WithHash>> {
    let sql = format!("{SELECT} WHERE id = $1");
    let row: Option<UserRow> = on_pool!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(id)
    .fetch_optional(pool)
    .await)?;
    match row {
        Some(row) => Ok(Some(complete(store, row).await?)),
        None => Ok(None),
    }
}

/// Every user, by email.
pub async fn list(store: &Store) -> Result<Vec<User>> {
    let sql = format!("{SELECT} ORDER BY email");
    let rows: Vec<UserRow> = on_pool!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .fetch_all(pool)
    .await)?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(complete(store, row).await?.user);
    }
    Ok(out)
}

/// What a new user is made of.
pub struct NewUser<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub organisations: &'a [String],
}

/// The ids of organisations named by slug, or which one does not exist.
async fn organisation_ids(w: &mut Write, slugs: &[String]) -> Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(slugs.len());
    for slug in slugs {
        let id: Option<i64> = on_tx!(w, |conn| sqlx::query_scalar(
            "SELECT id FROM organisations WHERE slug = $1"
        )
        .bind(slug)
        .fetch_optional(conn)
        .await)?;
        ids.push(id.ok_or_else(|| Error::NotFound(format!("There is no organisation `{slug}`.")))?);
    }
    Ok(ids)
}

/// Makes `ids` the user's organisations (checked by [`organisation_ids`] first).
async fn set_organisations(w: &mut Write, user_id: i64, ids: &[i64]) -> Result<()> {
    on_tx!(w, |conn| sqlx::query(
        "DELETE FROM user_organisations WHERE user_id = $1"
    )
    .bind(user_id)
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))?;
    for &id in ids {
        on_tx!(w, |conn| sqlx::query(
            "INSERT INTO user_organisations (user_id, organisation_id) VALUES ($1, $2)"
        )
        .bind(user_id)
        .bind(id)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// Creates a user whose password is hashed as `hash` (its email normalised
/// and its fields checked by the domain); a taken email is a conflict.
pub async fn create_with_hash(
    w: &mut Write,
    new: &NewUser<'_>,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<User> {
    let email = new.email;
    let name = new.display_name;
    let taken: Option<i64> = on_tx!(w, |conn| sqlx::query_scalar(
        "SELECT id FROM users WHERE email = $1"
    )
    .bind(email)
    .fetch_optional(conn)
    .await)?;
    if taken.is_some() {
        return Err(Error::Conflict(format!(
            "There is already a user with the email {email}."
        )));
    }
    // Every organisation is checked before anything is written.
    let organisations = organisation_ids(w, new.organisations).await?;
    let id: i64 = on_tx!(w, |conn| sqlx::query_scalar(
        "INSERT INTO users (email, display_name, role, password_hash, active, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id"
    )
    .bind(email)
    .bind(name)
    .bind(new.role.as_str())
    .bind(hash)
    .bind(true)
    .bind(micros(now))
    .fetch_one(conn)
    .await)?;
    set_organisations(w, id, &organisations).await?;
    Ok(find_in(w, id)
        .await?
        .ok_or(Error::Database(sqlx::Error::RowNotFound))?
        .user)
}

/// Changes of a user, each optional.
#[derive(Default)]
pub struct UserChange {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub organisations: Option<Vec<String>>,
    pub active: Option<bool>,
}

/// Applies `change` to the user; deactivating ends their sessions.
pub async fn update(w: &mut Write, id: i64, change: &UserChange) -> Result<User> {
    if find_in(w, id).await?.is_none() {
        return Err(Error::NotFound(format!("There is no user {id}.")));
    }
    if let Some(orgs) = &change.organisations {
        let ids = organisation_ids(w, orgs).await?;
        set_organisations(w, id, &ids).await?;
    }
    on_tx!(w, |conn| sqlx::query(
        "UPDATE users SET display_name = COALESCE($1, display_name), role = COALESCE($2, role),
             active = COALESCE($3, active) WHERE id = $4"
    )
    .bind(change.display_name.as_deref().map(str::trim))
    .bind(change.role.map(Role::as_str))
    .bind(change.active)
    .bind(id)
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))?;
    if change.active == Some(false) {
        super::sessions::end_all(w, id).await?;
    }
    find_in(w, id)
        .await?
        .map(|u| u.user)
        .ok_or(Error::Database(sqlx::Error::RowNotFound))
}

/// Sets a new password, hashed as `hash`.
pub async fn set_password_hash(w: &mut Write, id: i64, hash: &str) -> Result<()> {
    on_tx!(w, |conn| sqlx::query(
        "UPDATE users SET password_hash = $1 WHERE id = $2"
    )
    .bind(hash)
    .bind(id)
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}
