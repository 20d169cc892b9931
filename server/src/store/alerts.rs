//! Alerts on figures (`alerts`): who asked to be told what of which
//! service's KPI, and how far each has judged.
//!
//! A check moves an alert's `checked_through` on only if it is still what
//! the checker read ([`judge`]): of two instances judging the same new period
//! at once, one changes the row (and writes the alert's e-mail in the same
//! change) and the other changes nothing.

use app::model::{AlertRule, KpiKind};
use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::{from_micros, micros, Result, Store, Write};
use crate::{on_pool, on_tx};

/// An alert as kept, with its owner and service.
#[derive(Clone, Debug, PartialEq)]
pub struct Stored {
    pub id: i64,
    pub user_id: i64,
    pub email: String,
    pub service: String,
    pub service_title: String,
    pub kpi: KpiKind,
    pub rule: AlertRule,
    pub threshold: Option<f64>,
    pub created_at: DateTime<Utc>,
    pub checked_through: Option<DateTime<Utc>>,
    pub sent: i64,
    pub last_sent_at: Option<DateTime<Utc>>,
    /// The figure its last e-mail told of, for the period `checked_through`
    /// (none until it has sent one).
    pub sent_value: Option<f64>,
}

#[derive(FromRow)]
struct Row {
    id: i64,
    user_id: i64,
    email: String,
    service: String,
    service_title: String,
    kpi: String,
    rule: String,
    threshold: Option<f64>,
    created_at: i64,
    checked_through: Option<i64>,
    sent: i64,
    last_sent_at: Option<i64>,
    sent_value: Option<f64>,
}

impl Row {
    /// (A row naming a KPI or rule this version does not know is skipped.)
    fn into_stored(self) -> Option<Stored> {
        Some(Stored {
            id: self.id,
            user_id: self.user_id,
            email: self.email,
            service: self.service,
            service_title: self.service_title,
            kpi: app::boards::KPIS
                .into_iter()
                .find(|k| k.key() == self.kpi)?,
            rule: AlertRule::from_key(&self.rule)?,
            threshold: self.threshold,
            created_at: from_micros(self.created_at),
            checked_through: self.checked_through.map(from_micros),
            sent: self.sent,
            last_sent_at: self.last_sent_at.map(from_micros),
            sent_value: self.sent_value,
        })
    }
}

const SELECT: &str = "
    SELECT a.id, a.user_id, u.email, s.slug AS service, s.title AS service_title, a.kpi,
           a.rule, a.threshold, a.created_at, a.checked_through, a.sent, a.last_sent_at,
           a.sent_value
    FROM alerts a JOIN users u ON u.id = a.user_id JOIN services s ON s.id = a.service_id";

/// Every alert (`user_id` `None`) or one person's, oldest first.
pub async fn list(store: &Store, user_id: Option<i64>) -> Result<Vec<Stored>> {
    let sql = format!("{SELECT} WHERE ($1 IS NULL OR a.user_id = $1) ORDER BY a.id");
    let rows: Vec<Row> = on_pool!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(user_id)
    .fetch_all(pool)
    .await)?;
    Ok(rows.into_iter().filter_map(Row::into_stored).collect())
}

/// The alert `id`, if there is one.
pub async fn find(store: &Store, id: i64) -> Result<Option<Stored>> {
    let sql = format!("{SELECT} WHERE a.id = $1");
    let row: Option<Row> = on_pool!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(id)
    .fetch_optional(pool)
    .await)?;
    Ok(row.and_then(Row::into_stored))
}

/// What a new alert is.
pub struct NewStored {
    pub user_id: i64,
    pub service_id: i64,
    pub kpi: KpiKind,
    pub rule: AlertRule,
    pub threshold: Option<f64>,
    /// The newest complete period when it was made: only later ones are
    /// judged (a new alert tells of what happens next, not of the past).
    pub checked_through: Option<DateTime<Utc>>,
}

/// Keeps a new alert: its id.
pub async fn create(w: &mut Write, new: &NewStored, now: DateTime<Utc>) -> Result<i64> {
    Ok(on_tx!(w, |conn| {
        sqlx::query_scalar(
        "INSERT INTO alerts (user_id, service_id, kpi, rule, threshold, created_at, checked_through)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id"
    )
    .bind(new.user_id)
    .bind(new.service_id)
    .bind(new.kpi.key())
    .bind(new.rule.key())
    .bind(new.threshold)
    .bind(micros(now))
    .bind(new.checked_through.map(micros))
    .fetch_one(conn)
    .await
    })?)
}

/// Removes the alert `id`: whether there was one.
pub async fn delete(w: &mut Write, id: i64) -> Result<bool> {
    Ok(
        on_tx!(w, |conn| sqlx::query("DELETE FROM alerts WHERE id = $1")
            .bind(id)
            .execute(conn)
            .await
            .map(|r| r.rows_affected()))?
            > 0,
    )
}

/// Notes that the alert has judged the period starting `through` and told
/// of `value` at `sent_at`, if it had still judged only up to `read` when
/// its checker read it: whether this change made it.
pub async fn judge(
    w: &mut Write,
    id: i64,
    read: Option<DateTime<Utc>>,
    through: DateTime<Utc>,
    value: Option<f64>,
    sent_at: DateTime<Utc>,
) -> Result<bool> {
    let changed = on_tx!(w, |conn| sqlx::query(
        "UPDATE alerts SET checked_through = $3, sent = sent + 1, last_sent_at = $5,
             sent_value = $4
         WHERE id = $1 AND checked_through IS NOT DISTINCT FROM $2"
    )
    .bind(id)
    .bind(read.map(micros))
    .bind(micros(through))
    .bind(value)
    .bind(micros(sent_at))
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(changed == 1)
}

/// Notes that the alert told of a correction of the figure for the period
/// starting `through`, from `was` to `value`, at `sent_at`, if it still
/// held `was` for that period when its checker read it: whether this
/// change made it (of two instances, one does).
pub async fn correct(
    w: &mut Write,
    id: i64,
    through: DateTime<Utc>,
    was: f64,
    value: f64,
    sent_at: DateTime<Utc>,
) -> Result<bool> {
    let changed = on_tx!(w, |conn| sqlx::query(
        "UPDATE alerts SET sent_value = $4, sent = sent + 1, last_sent_at = $5
         WHERE id = $1 AND checked_through = $2 AND sent_value = $3"
    )
    .bind(id)
    .bind(micros(through))
    .bind(was)
    .bind(value)
    .bind(micros(sent_at))
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(changed == 1)
}
