//! The server's error type and its one mapping to HTTP.
//!
//! Handlers return `Result<_, Error>` and use `?`. Client errors carry a message
//! meant for the caller; internal errors are logged (inside the request's span,
//! which carries its id) and answered with a generic message, never the detail.

use app::model::ErrorBody;
use axum::{
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Json,
};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Conflict(String),
    /// A request its schema allows that a rule between its fields, or against
    /// what is stored, refuses (422): an end before its start, an agency as a
    /// parent, a body's slug that is not its address's.
    #[error("{0}")]
    Unprocessable(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    /// A body over its size limit (413).
    #[error("{0}")]
    TooLarge(String),
    /// A body of a kind the route does not take (415).
    #[error("{0}")]
    Unsupported(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn status(&self) -> StatusCode {
        match self {
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Error::Unsupported(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::Database(e) if unique_violation(e).is_some() => StatusCode::CONFLICT,
            Error::Database(_) | Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The fields of a unique constraint that `e` violates, if it is such a
/// violation, on SQLite (`UNIQUE constraint failed: data_sets.data_group,
/// data_sets.data_type`) and on Postgres (`Key (data_group, data_type)=(...)
/// already exists.`). Empty when the database does not say which.
pub fn unique_violation(e: &sqlx::Error) -> Option<Vec<String>> {
    let sqlx::Error::Database(db) = e else {
        return None;
    };
    if !db.is_unique_violation() {
        return None;
    }
    let sqlite = db
        .message()
        .split_once("UNIQUE constraint failed:")
        .map(|(_, columns)| columns.to_string());
    let postgres = db
        .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
        .and_then(|pg| pg.detail())
        .and_then(|detail| detail.strip_prefix("Key ("))
        .and_then(|rest| rest.split_once(")="))
        .map(|(columns, _)| columns.to_string());
    Some(
        sqlite
            .or(postgres)
            .unwrap_or_default()
            .split(',')
            .map(|c| c.trim())
            .map(|c| c.rsplit('.').next().unwrap_or(c))
            // An expression index (`lower(email)`) names its column inside.
            .map(|c| c.trim_start_matches("lower(").trim_end_matches(')'))
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect(),
    )
}

/// The 409 message of a unique violation on `fields`.
fn conflict_message(fields: &[String]) -> String {
    match fields {
        [] => "Something with the same name already exists: choose another.".into(),
        [one] => format!("Something with this `{one}` already exists: choose another."),
        many => format!(
            "Something with this {} already exists: choose another.",
            many.iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(" and ")
        ),
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = match &self {
            Error::NotFound(m)
            | Error::BadRequest(m)
            | Error::Conflict(m)
            | Error::Unprocessable(m)
            | Error::Unauthorized(m)
            | Error::Forbidden(m)
            | Error::TooLarge(m)
            | Error::Unsupported(m) => m.clone(),
            Error::Database(e) if unique_violation(e).is_some() => {
                conflict_message(&unique_violation(e).unwrap_or_default())
            }
            Error::Database(e) => {
                tracing::error!(error = %e, "database error");
                "Something went wrong on our side; it has been logged.".to_string()
            }
            Error::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                "Something went wrong on our side; it has been logged.".to_string()
            }
        };
        let body = ErrorBody {
            status: "error".to_string(),
            message,
        };
        let mut response =
            (status, [(header::CACHE_CONTROL, "no-cache")], Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("bearer"),
            );
        }
        response
    }
}
