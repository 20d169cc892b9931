//! Reminders of late data, for admins: `GET /api/v1/reminders` (every
//! watched data set: late or not, reminders sent, who gets them, paused or
//! not) and `PUT /api/v1/reminders/{group}/{data_type}` (pause or resume).

use app::model::{LateDataReminders, ReminderChange, ReminderList};
use axum::{extract::State, Json};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{Path, Payload};
use super::AppState;
use crate::domain::caller::Caller;
use crate::domain::reminders;
use crate::error::Result;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(change))
}

/// Every watched data set's reminders of late data (admins).
#[utoipa::path(get, path = "/reminders", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = ReminderList),
              (status = 401, body = app::model::ErrorBody), (status = 403, body = app::model::ErrorBody)))]
async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<ReminderList>> {
    Ok(Json(ReminderList {
        mail_enabled: state.mail.settings.delivered(),
        data_sets: reminders::list(&state.ctx(&caller)).await?,
    }))
}

/// Pauses or resumes a data set's reminders of late data (admins).
#[utoipa::path(put, path = "/reminders/{group}/{data_type}", tag = "accounts", security(("bearer" = [])),
    params(("group" = String, Path), ("data_type" = String, Path)),
    request_body = ReminderChange,
    responses((status = 200, body = LateDataReminders), (status = 400, body = app::model::ErrorBody),
              (status = 401, body = app::model::ErrorBody), (status = 403, body = app::model::ErrorBody),
              (status = 404, body = app::model::ErrorBody),
              (status = 409, description = "The data set is not watched", body = app::model::ErrorBody)))]
async fn change(
    State(state): State<AppState>,
    caller: Caller,
    Path((group, data_type)): Path<(String, String)>,
    body: Payload,
) -> Result<Json<LateDataReminders>> {
    caller.require(crate::domain::caller::Permission::Admin)?;
    let change: ReminderChange = body.json()?;
    Ok(Json(
        reminders::pause(&state.ctx(&caller), &group, &data_type, change.paused).await?,
    ))
}
