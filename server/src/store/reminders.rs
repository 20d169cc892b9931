//! Reminders of late data: for each watched data set, whether it is late and
//! what its editors were told (`late_data`).
//!
//! Every change names the `generation` its writer read and is made only if
//! that is still the row's: of two instances that find the same data set late
//! at once, one changes the row (and writes the reminder in the same change)
//! and the other changes nothing.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::{from_micros, micros, Result, Store, Write};
use crate::{on_pool, on_tx};

/// What is known of a data set's lateness.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LateData {
    pub data_set_id: i64,
    pub generation: i64,
    /// When it was found late (`None` while in date).
    pub late_since: Option<DateTime<Utc>>,
    /// Reminders sent since it was found late: 0, 1 or 2.
    pub reminders_sent: i64,
    pub last_reminded_at: Option<DateTime<Utc>>,
    /// When it was last found in date again after being late.
    pub received_at: Option<DateTime<Utc>>,
    pub paused_at: Option<DateTime<Utc>>,
    /// Who paused its reminders.
    pub paused_by: String,
}

#[derive(FromRow)]
struct Row {
    data_set_id: i64,
    generation: i64,
    late_since: Option<i64>,
    reminders_sent: i64,
    last_reminded_at: Option<i64>,
    received_at: Option<i64>,
    paused_at: Option<i64>,
    paused_by: String,
}

impl From<Row> for LateData {
    fn from(r: Row) -> Self {
        LateData {
            data_set_id: r.data_set_id,
            generation: r.generation,
            late_since: r.late_since.map(from_micros),
            reminders_sent: r.reminders_sent,
            last_reminded_at: r.last_reminded_at.map(from_micros),
            received_at: r.received_at.map(from_micros),
            paused_at: r.paused_at.map(from_micros),
            paused_by: r.paused_by,
        }
    }
}

/// Every data set's row (data sets never found late, nor paused, have none).
pub async fn all(store: &Store) -> Result<Vec<LateData>> {
    let rows: Vec<Row> = on_pool!(store, |pool| sqlx::query_as(
        "SELECT data_set_id, generation, late_since, reminders_sent, last_reminded_at,
             received_at, paused_at, paused_by FROM late_data ORDER BY data_set_id"
    )
    .fetch_all(pool)
    .await)?;
    Ok(rows.into_iter().map(LateData::from).collect())
}

/// Writes `next` as the data set's row, if its generation is still
/// `next.generation` (a data set without a row counts as generation 0):
/// whether it was written. The row's generation moves on by one.
pub async fn replace(w: &mut Write, next: &LateData) -> Result<bool> {
    on_tx!(w, |conn| sqlx::query(
        "INSERT INTO late_data (data_set_id, generation) VALUES ($1, 0)
         ON CONFLICT (data_set_id) DO NOTHING"
    )
    .bind(next.data_set_id)
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))?;
    let changed = on_tx!(w, |conn| sqlx::query(
        "UPDATE late_data SET generation = generation + 1, late_since = $3,
             reminders_sent = $4, last_reminded_at = $5, received_at = $6, paused_at = $7,
             paused_by = $8
         WHERE data_set_id = $1 AND generation = $2"
    )
    .bind(next.data_set_id)
    .bind(next.generation)
    .bind(next.late_since.map(micros))
    .bind(next.reminders_sent)
    .bind(next.last_reminded_at.map(micros))
    .bind(next.received_at.map(micros))
    .bind(next.paused_at.map(micros))
    .bind(&next.paused_by)
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(changed == 1)
}
