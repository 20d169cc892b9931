//! Weekly digests (`digests`): who asked for which board by e-mail, and how
//! far each has been sent.
//!
//! Sending moves a digest's `due_through` on only if it is still what the
//! sender read ([`sent`]): of two instances sending the same week's digest
//! at once, one changes the row (and writes the e-mail in the same change)
//! and the other changes nothing.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::{from_micros, micros, Result, Store, Write};
use crate::{on_pool, on_tx};

/// A digest as kept, with its owner's address.
#[derive(Clone, Debug, PartialEq)]
pub struct Stored {
    pub id: i64,
    pub user_id: i64,
    pub email: String,
    /// An organisation's slug, or `portfolio/{id}`.
    pub board: String,
    pub created_at: DateTime<Utc>,
    /// The scheduled time of the newest digest sent (for a new one, of the
    /// last before it was asked for).
    pub due_through: DateTime<Utc>,
    /// The board's figures as last sent (JSON), to say what changed.
    pub figures: Option<String>,
    pub sent: i64,
    pub last_sent_at: Option<DateTime<Utc>>,
    /// When a copy was last sent on request.
    pub copied_at: Option<DateTime<Utc>>,
}

#[derive(FromRow)]
struct Row {
    id: i64,
    user_id: i64,
    email: String,
    board: String,
    created_at: i64,
    due_through: i64,
    figures: Option<String>,
    sent: i64,
    last_sent_at: Option<i64>,
    copied_at: Option<i64>,
}

impl From<Row> for Stored {
    fn from(r: Row) -> Stored {
        Stored {
            id: r.id,
            user_id: r.user_id,
            email: r.email,
            board: r.board,
            created_at: from_micros(r.created_at),
            due_through: from_micros(r.due_through),
            figures: r.figures,
            sent: r.sent,
            last_sent_at: r.last_sent_at.map(from_micros),
            copied_at: r.copied_at.map(from_micros),
        }
    }
}

const SELECT: &str = "
    SELECT d.id, d.user_id, u.email, d.board, d.created_at, d.due_through, d.figures, d.sent,
           d.last_sent_at, d.copied_at
    FROM digests d JOIN users u ON u.id = d.user_id";

/// Every digest (`user_id` `None`) or one person's, oldest first.
pub async fn list(store: &Store, user_id: Option<i64>) -> Result<Vec<Stored>> {
    let sql = format!("{SELECT} WHERE ($1 IS NULL OR d.user_id = $1) ORDER BY d.id");
    let rows: Vec<Row> = on_pool!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(user_id)
    .fetch_all(pool)
    .await)?;
    Ok(rows.into_iter().map(Stored::from).collect())
}

/// The digest `id`, if there is one.
pub async fn find(store: &Store, id: i64) -> Result<Option<Stored>> {
    let sql = format!("{SELECT} WHERE d.id = $1");
    let row: Option<Row> = on_pool!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(id)
    .fetch_optional(pool)
    .await)?;
    Ok(row.map(Stored::from))
}

/// Keeps a new digest of `board` for `user_id`, counting every digest due
/// up to `due_through` as sent: its id, or `None` if they have it already.
pub async fn create(
    w: &mut Write,
    user_id: i64,
    board: &str,
    due_through: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<i64>> {
    Ok(on_tx!(w, |conn| {
        sqlx::query_scalar(
            "INSERT INTO digests (user_id, board, created_at, due_through)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (user_id, board) DO NOTHING RETURNING id",
        )
        .bind(user_id)
        .bind(board)
        .bind(micros(now))
        .bind(micros(due_through))
        .fetch_optional(conn)
        .await
    })?)
}

/// Removes the digest `id`: whether there was one.
pub async fn delete(w: &mut Write, id: i64) -> Result<bool> {
    Ok(
        on_tx!(w, |conn| sqlx::query("DELETE FROM digests WHERE id = $1")
            .bind(id)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?
            > 0,
    )
}

/// Notes that the digest due at `due` was sent at `now` with `figures`, if
/// its newest sent was still `read` when its sender read it: whether this
/// change made it.
pub async fn sent(
    w: &mut Write,
    id: i64,
    read: DateTime<Utc>,
    due: DateTime<Utc>,
    figures: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let changed = on_tx!(w, |conn| sqlx::query(
        "UPDATE digests SET due_through = $3, figures = $4, sent = sent + 1, last_sent_at = $5
         WHERE id = $1 AND due_through = $2"
    )
    .bind(id)
    .bind(micros(read))
    .bind(micros(due))
    .bind(figures)
    .bind(micros(now))
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(changed == 1)
}

/// Notes a copy sent on request at `now`, if none was since `since`:
/// whether this change made it (one copy at a time, across instances).
pub async fn copied(
    w: &mut Write,
    id: i64,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let changed = on_tx!(w, |conn| sqlx::query(
        "UPDATE digests SET copied_at = $3
         WHERE id = $1 AND (copied_at IS NULL OR copied_at < $2)"
    )
    .bind(id)
    .bind(micros(since))
    .bind(micros(now))
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(changed == 1)
}
