//! The server's error type and its one mapping to HTTP.
//!
//! Handlers return `Result<_, Error>` and use `?`. Client errors carry a message
//! meant for the caller; internal errors are logged (inside the request's span,
//! which carries its id) and answered with a generic message, never the detail.

use app::model::ErrorBody;

use crate::store;
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
    /// A link that worked once and works no more (410): an invitation or a
    /// password reset used, withdrawn or expired.
    #[error("{0}")]
    Gone(String),
    /// A body over its size limit (413).
    #[error("{0}")]
    TooLarge(String),
    /// A body of a kind the route does not take (415).
    #[error("{0}")]
    Unsupported(String),
    /// Asked again too soon (429).
    #[error("{0}")]
    TooManyRequests(String),
    /// Busy just now (503, with a `Retry-After`): as many live streams open
    /// as allowed.
    #[error("{0}")]
    Unavailable(String),
    #[error(transparent)]
    Database(sqlx::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What the store says, as an answer: a constraint it refuses is a conflict.
impl From<store::Error> for Error {
    fn from(e: store::Error) -> Self {
        match e {
            store::Error::NotFound(m) => Error::NotFound(m),
            store::Error::Conflict(m) => Error::Conflict(m),
            store::Error::Database(e) => Error::Database(e),
            store::Error::Encoding(e) => Error::Internal(e.into()),
        }
    }
}

/// A database error met outside the store's functions (migrations, a pool's
/// own work): as the store would say it.
impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        store::Error::from(e).into()
    }
}

impl Error {
    pub fn status(&self) -> StatusCode {
        match self {
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::Gone(_) => StatusCode::GONE,
            Error::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Error::Unsupported(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Database(e) if unavailable(e).is_some() => StatusCode::SERVICE_UNAVAILABLE,
            Error::Database(_) | Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// Why the database cannot serve a request just now, if that is what `e`
/// says: it cannot be reached (restarting, or the network), or it cannot be
/// written. Such a request is answered 503 with a `Retry-After`, not 500.
fn unavailable(e: &sqlx::Error) -> Option<&'static str> {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => Some(
            "The database cannot be reached just now. Try again in a moment: a change \
             answered with this message was not confirmed, so send it again (a record \
             sent twice with its _id is stored once).",
        ),
        sqlx::Error::Database(db) if db.code().as_deref().is_some_and(|c| c.starts_with("57P")) => {
            Some(
                "The database is restarting. Try again in a moment: a change answered with \
                 this message was not confirmed, so send it again.",
            )
        }
        e if store::error::is_read_only(e) => Some(
            "The database cannot be written just now, so nothing was changed. Reading \
             still works; try the change again later.",
        ),
        _ => None,
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
            | Error::Gone(m)
            | Error::TooLarge(m)
            | Error::Unsupported(m)
            | Error::TooManyRequests(m)
            | Error::Unavailable(m) => m.clone(),
            Error::Database(e) => {
                tracing::error!(error = %e, "database error");
                unavailable(e)
                    .unwrap_or("Something went wrong on our side; it has been logged.")
                    .to_string()
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
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("bearer"),
            );
        }
        response
    }
}
