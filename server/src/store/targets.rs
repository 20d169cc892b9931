//! Targets: what a service aims for on one KPI, from a date on.

use app::boards::{NewTarget, Target, KPIS};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::FromRow;

use super::{from_micros, micros, Store, Write};
use super::{Error, Result};
use crate::{on_pool, on_tx};

#[derive(FromRow)]
struct Row {
    id: i64,
    service: String,
    kpi: String,
    value: f64,
    effective_from: String,
    set_by: String,
    created_at: i64,
}

impl Row {
    fn into_target(self) -> Option<Target> {
        Some(Target {
            id: self.id,
            service: self.service,
            kpi: KPIS.into_iter().find(|k| k.key() == self.kpi)?,
            value: self.value,
            effective_from: NaiveDate::parse_from_str(&self.effective_from, "%Y-%m-%d").ok()?,
            set_by: self.set_by,
            created_at: from_micros(self.created_at),
        })
    }
}

const SELECT: &str = "
    SELECT t.id, s.slug AS service, t.kpi, t.value, t.effective_from, t.set_by, t.created_at
    FROM targets t JOIN services s ON s.id = t.service_id";

/// Every target, or a service's, by service, KPI and date.
pub async fn list(store: &Store, service: Option<&str>) -> Result<Vec<Target>> {
    let sql = format!(
        "{SELECT} WHERE ($1 IS NULL OR s.slug = $1)
         ORDER BY s.slug, t.kpi, t.effective_from, t.id"
    );
    let rows: Vec<Row> = on_pool!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(service)
    .fetch_all(pool)
    .await)?;
    Ok(rows.into_iter().filter_map(Row::into_target).collect())
}

pub async fn find(store: &Store, id: i64) -> Result<Option<Target>> {
    let sql = format!("{SELECT} WHERE t.id = $1");
    let row: Option<Row> = on_pool!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(id)
    .fetch_optional(pool)
    .await)?;
    Ok(row.and_then(Row::into_target))
}

/// Sets a target; one already set for the same service, KPI and date is
/// replaced (the audit log keeps the change).
pub async fn set(
    w: &mut Write,
    target: &NewTarget,
    set_by: &str,
    now: DateTime<Utc>,
) -> Result<Target> {
    let service: Option<i64> = on_tx!(w, |conn| sqlx::query_scalar(
        "SELECT id FROM services WHERE slug = $1"
    )
    .bind(&target.service)
    .fetch_optional(conn)
    .await)?;
    let service = service
        .ok_or_else(|| Error::NotFound(format!("There is no service `{}`.", target.service)))?;
    let id: i64 = on_tx!(w, |conn| sqlx::query_scalar(
        "INSERT INTO targets (service_id, kpi, value, effective_from, set_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (service_id, kpi, effective_from)
         DO UPDATE SET value = excluded.value, set_by = excluded.set_by,
                       created_at = excluded.created_at
         RETURNING id"
    )
    .bind(service)
    .bind(target.kpi.key())
    .bind(target.value)
    .bind(target.effective_from.format("%Y-%m-%d").to_string())
    .bind(set_by)
    .bind(micros(now))
    .fetch_one(conn)
    .await)?;
    Ok(Target {
        id,
        service: target.service.clone(),
        kpi: target.kpi,
        value: target.value,
        effective_from: target.effective_from,
        set_by: set_by.to_string(),
        created_at: from_micros(micros(now)),
    })
}

pub async fn delete(w: &mut Write, id: i64) -> Result<bool> {
    let done = on_tx!(w, |conn| sqlx::query("DELETE FROM targets WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(done > 0)
}
