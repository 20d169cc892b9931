//! E-mail waiting to be sent (the outbox), the addresses that asked for no
//! more, and the installation's shared secrets.
//!
//! A message is written into the outbox in the same change as whatever it
//! tells of, so a message is never sent for a change that was not kept, nor
//! lost for one that was. Senders (one task per instance) claim a message for
//! a while before sending it: two instances on one database never both send
//! one, and a message claimed by an instance that died is sent by another
//! once the claim lapses.

use chrono::{DateTime, Duration, Utc};
use sqlx::FromRow;

use super::{from_micros, micros, Result, Store, Write};
use crate::{on_pool, on_tx};

/// A message to send.
#[derive(Clone, Debug, PartialEq)]
pub struct NewMessage {
    /// What it is (`invitation`, `password-reset`, …), for the admins' list.
    pub kind: &'static str,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Where its recipient stops further e-mail (one click); empty for none.
    pub unsubscribe_url: String,
}

/// A message in the outbox.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub id: i64,
    pub kind: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub unsubscribe_url: String,
    pub created_at: DateTime<Utc>,
    pub attempts: i64,
    pub sent_at: Option<DateTime<Utc>>,
    /// When Pulse stopped trying.
    pub failed_at: Option<DateTime<Utc>>,
    /// What the mail server said last time it was refused, if it was.
    pub last_error: String,
}

#[derive(FromRow)]
struct MessageRow {
    id: i64,
    kind: String,
    to_address: String,
    subject: String,
    text_body: String,
    html_body: String,
    unsubscribe_url: String,
    created_at: i64,
    attempts: i64,
    sent_at: Option<i64>,
    failed_at: Option<i64>,
    last_error: String,
}

impl From<MessageRow> for Message {
    fn from(r: MessageRow) -> Self {
        Message {
            id: r.id,
            kind: r.kind,
            to: r.to_address,
            subject: r.subject,
            text: r.text_body,
            html: r.html_body,
            unsubscribe_url: r.unsubscribe_url,
            created_at: from_micros(r.created_at),
            attempts: r.attempts,
            sent_at: r.sent_at.map(from_micros),
            failed_at: r.failed_at.map(from_micros),
            last_error: r.last_error,
        }
    }
}

const COLUMNS: &str = "id, kind, to_address, subject, text_body, html_body, unsubscribe_url, \
    created_at, attempts, sent_at, failed_at, last_error";

/// Puts a message in the outbox, as part of the change `w`.
pub async fn enqueue(w: &mut Write, message: &NewMessage, now: DateTime<Utc>) -> Result<i64> {
    Ok(on_tx!(w, |conn| sqlx::query_scalar(
        "INSERT INTO outbox (kind, to_address, subject, text_body, html_body, unsubscribe_url,
             created_at, next_attempt_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id"
    )
    .bind(message.kind)
    .bind(&message.to)
    .bind(&message.subject)
    .bind(&message.text)
    .bind(&message.html)
    .bind(&message.unsubscribe_url)
    .bind(micros(now))
    .fetch_one(conn)
    .await)?)
}

/// Claims the oldest message due, for `hold` (nobody else sends it
/// meanwhile), counting the attempt; `None` when none is due. Two senders
/// asking at once never get the same message: the claim is one statement
/// that re-checks the claim it takes.
pub async fn claim(store: &Store, now: DateTime<Utc>, hold: Duration) -> Result<Option<Message>> {
    let sql = format!(
        "UPDATE outbox SET claimed_until = $2, attempts = attempts + 1
         WHERE id = (SELECT id FROM outbox
                     WHERE sent_at IS NULL AND failed_at IS NULL
                       AND next_attempt_at <= $1 AND claimed_until <= $1
                     ORDER BY next_attempt_at, id LIMIT 1)
           AND sent_at IS NULL AND failed_at IS NULL AND claimed_until <= $1
         RETURNING {COLUMNS}"
    );
    let row: Option<MessageRow> = on_pool!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(micros(now))
    .bind(micros(now + hold))
    .fetch_optional(pool)
    .await)?;
    Ok(row.map(Message::from))
}

/// The setting that says until when one instance checks for late data,
/// alerts and digests (a time in microseconds).
const CHECKS_UNTIL: &str = "mail.checks_until";

/// Takes the next round of checks for late data, alerts and digests for
/// `hold` from `now`, when no other instance holds it: whether it was taken.
/// One statement, so two instances asking at once never both take it; an
/// instance that stops lets its round go when the hold ends. (Each message
/// is still sent once whoever composes it: the checks' own compare-and-set
/// writes. This saves the other instances composing them for nothing.)
pub async fn claim_checks(store: &Store, now: DateTime<Utc>, hold: Duration) -> Result<bool> {
    let taken = on_pool!(store, |pool| sqlx::query(
        "INSERT INTO settings (name, value) VALUES ($1, $3)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value
         WHERE CAST(settings.value AS BIGINT) <= $2"
    )
    .bind(CHECKS_UNTIL)
    .bind(micros(now))
    .bind(micros(now + hold).to_string())
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(taken == 1)
}

/// The setting that says when an instance that sends through an SMTP
/// server last said it was there.
const SMTP_SENDER_AT: &str = "mail.smtp_sender_at";

/// Notes that an instance sending through an SMTP server is there at `now`.
pub async fn smtp_sender_here(store: &Store, now: DateTime<Utc>) -> Result<()> {
    on_pool!(store, |pool| sqlx::query(
        "INSERT INTO settings (name, value) VALUES ($1, $2)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value"
    )
    .bind(SMTP_SENDER_AT)
    .bind(micros(now).to_string())
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// When an instance sending through an SMTP server last said it was there.
pub async fn smtp_sender_seen(store: &Store) -> Result<Option<DateTime<Utc>>> {
    let value: Option<String> = on_pool!(store, |pool| sqlx::query_scalar(
        "SELECT value FROM settings WHERE name = $1"
    )
    .bind(SMTP_SENDER_AT)
    .fetch_optional(pool)
    .await)?;
    Ok(value.and_then(|v| v.parse().ok()).map(from_micros))
}

/// The kinds of message whose text holds a link that signs its holder in
/// (an invitation's, a password reset's): their text is kept only until it
/// is sent or given up, so that the outbox (and every backup of the
/// database) holds no working sign-in link once its recipient has it. The
/// admins' list of messages shows no text either way.
pub const FORGOTTEN_ONCE_SENT: [&str; 2] = ["invitation", "password-reset"];

/// The SQL that empties a message's text when it is of those kinds.
fn forget() -> String {
    let kinds = FORGOTTEN_ONCE_SENT.map(|k| format!("'{k}'")).join(", ");
    format!(
        "text_body = CASE WHEN kind IN ({kinds}) THEN '' ELSE text_body END, \
         html_body = CASE WHEN kind IN ({kinds}) THEN '' ELSE html_body END"
    )
}

/// Notes that message `id` was sent (with `note`, e.g. that it went to the
/// log instead).
pub async fn sent(store: &Store, id: i64, note: &str, now: DateTime<Utc>) -> Result<()> {
    let sql = format!(
        "UPDATE outbox SET sent_at = $2, last_error = $3, {} WHERE id = $1",
        forget()
    );
    on_pool!(store, |pool| sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
        .bind(id)
        .bind(micros(now))
        .bind(note)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Notes that sending message `id` failed with `error`: it is tried again at
/// `retry_at`, or never again (`None`).
pub async fn not_sent(
    store: &Store,
    id: i64,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<()> {
    let error: String = error.chars().take(500).collect();
    // Given up, its text goes as a sent one's does.
    let forgetting = if retry_at.is_none() {
        format!(", {}", forget())
    } else {
        String::new()
    };
    let sql = format!(
        "UPDATE outbox SET last_error = $2, next_attempt_at = $3, claimed_until = 0,
             failed_at = $4{forgetting} WHERE id = $1"
    );
    on_pool!(store, |pool| sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
        .bind(id)
        .bind(&error)
        .bind(retry_at.map_or(micros(now), micros))
        .bind(retry_at.is_none().then(|| micros(now)))
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// The latest messages, newest first.
pub async fn recent(store: &Store, limit: i64) -> Result<Vec<Message>> {
    let sql = format!("SELECT {COLUMNS} FROM outbox ORDER BY id DESC LIMIT $1");
    let rows: Vec<MessageRow> = on_pool!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(limit)
    .fetch_all(pool)
    .await)?;
    Ok(rows.into_iter().map(Message::from).collect())
}

/// Whether `email` asked for no more e-mail.
pub async fn unsubscribed(store: &Store, email: &str) -> Result<bool> {
    let found: Option<i64> = on_pool!(store, |pool| sqlx::query_scalar(
        "SELECT created_at FROM mail_unsubscribed WHERE email = $1"
    )
    .bind(email)
    .fetch_optional(pool)
    .await)?;
    Ok(found.is_some())
}

/// Notes that `email` wants no more e-mail (again: nothing changes).
pub async fn unsubscribe(w: &mut Write, email: &str, now: DateTime<Utc>) -> Result<bool> {
    Ok(on_tx!(w, |conn| sqlx::query(
        "INSERT INTO mail_unsubscribed (email, created_at) VALUES ($1, $2)
         ON CONFLICT (email) DO NOTHING"
    )
    .bind(email)
    .bind(micros(now))
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))?
        > 0)
}

/// Lets `email` receive e-mail again.
pub async fn resubscribe(w: &mut Write, email: &str) -> Result<bool> {
    Ok(on_tx!(w, |conn| sqlx::query(
        "DELETE FROM mail_unsubscribed WHERE email = $1"
    )
    .bind(email)
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))?
        > 0)
}

/// The installation's secret called `name`, made from `fresh` the first time
/// it is asked for: every instance on the database gets the same one.
pub async fn secret(store: &Store, name: &str, fresh: impl FnOnce() -> String) -> Result<String> {
    let value = fresh();
    on_pool!(store, |pool| sqlx::query(
        "INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING"
    )
    .bind(name)
    .bind(&value)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(on_pool!(store, |pool| sqlx::query_scalar(
        "SELECT value FROM secrets WHERE name = $1"
    )
    .bind(name)
    .fetch_one(pool)
    .await)?)
}
