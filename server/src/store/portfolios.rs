//! Portfolios: sets of services a sponsor reads as one board, shared by a
//! random, unguessable id.

use app::boards::{NewPortfolio, Portfolio};
use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::Result;
use super::{from_micros, micros, Store, Write};
use crate::{on_pool, on_tx};

#[derive(FromRow)]
struct Row {
    id: String,
    title: String,
    services: String,
    owner_id: Option<i64>,
    owner: String,
    created_at: i64,
    updated_at: i64,
}

/// A stored portfolio and the person who owns it, if they still exist.
pub struct Stored {
    pub portfolio: Portfolio,
    pub owner_id: Option<i64>,
}

impl From<Row> for Stored {
    fn from(r: Row) -> Stored {
        Stored {
            portfolio: Portfolio {
                id: r.id,
                title: r.title,
                services: serde_json::from_str(&r.services).unwrap_or_default(),
                owner: r.owner,
                created_at: from_micros(r.created_at),
                updated_at: from_micros(r.updated_at),
            },
            owner_id: r.owner_id,
        }
    }
}

const SELECT: &str =
    "SELECT id, title, services, owner_id, owner, created_at, updated_at FROM portfolios";

pub async fn find(store: &Store, id: &str) -> Result<Option<Stored>> {
    let sql = format!("{SELECT} WHERE id = $1");
    let row: Option<Row> = on_pool!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(id)
    .fetch_optional(pool)
    .await)?;
    Ok(row.map(Stored::from))
}

/// The portfolios a person owns, newest first.
pub async fn of_owner(store: &Store, owner_id: i64) -> Result<Vec<Portfolio>> {
    let sql = format!("{SELECT} WHERE owner_id = $1 ORDER BY updated_at DESC, id");
    let rows: Vec<Row> = on_pool!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(owner_id)
    .fetch_all(pool)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|r| Stored::from(r).portfolio)
        .collect())
}

/// 128 random bits in hex: a link nobody can guess.
fn new_id() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub async fn create(
    w: &mut Write,
    new: &NewPortfolio,
    owner: (Option<i64>, &str),
    now: DateTime<Utc>,
) -> Result<Portfolio> {
    let id = new_id();
    on_tx!(w, |conn| sqlx::query(
        "INSERT INTO portfolios (id, title, services, owner_id, owner, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)"
    )
    .bind(&id)
    .bind(new.title.trim())
    .bind(serde_json::to_string(&new.services).unwrap_or_else(|_| "[]".into()))
    .bind(owner.0)
    .bind(owner.1)
    .bind(micros(now))
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(Portfolio {
        id,
        title: new.title.trim().to_string(),
        services: new.services.clone(),
        owner: owner.1.to_string(),
        created_at: now,
        updated_at: now,
    })
}

pub async fn replace(
    w: &mut Write,
    id: &str,
    new: &NewPortfolio,
    now: DateTime<Utc>,
) -> Result<()> {
    on_tx!(w, |conn| sqlx::query(
        "UPDATE portfolios SET title = $2, services = $3, updated_at = $4 WHERE id = $1"
    )
    .bind(id)
    .bind(new.title.trim())
    .bind(serde_json::to_string(&new.services).unwrap_or_else(|_| "[]".into()))
    .bind(micros(now))
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn delete(w: &mut Write, id: &str) -> Result<bool> {
    let done = on_tx!(w, |conn| sqlx::query(
        "DELETE FROM portfolios WHERE id = $1"
    )
    .bind(id)
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(done > 0)
}
