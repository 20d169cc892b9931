//! `/api/v1`: everything but the Backdrop-compatible data API.
//!
//! - `GET /api/v1/services`: every service with its department and agency.
//! - `GET /api/v1/services/{slug}`: a service's weekly transactions by channel and
//!   the latest value of each KPI.

use app::model::{ServiceList, ServiceOverview};
use axum::{
    extract::{Path, State},
    Json,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::AppState;
use crate::{error::Result, overview, store::orgs};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_services))
        .routes(routes!(service_overview))
        .merge(super::data_sets::router())
}

/// Every service with its department and agency.
#[utoipa::path(get, path = "/services", tag = "services",
    responses((status = 200, body = ServiceList)))]
async fn list_services(State(state): State<AppState>) -> Result<Json<ServiceList>> {
    let services = orgs::list_services(&state.store).await?;
    Ok(Json(ServiceList { services }))
}

/// A service's weekly transactions by channel and the latest value of each KPI.
#[utoipa::path(get, path = "/services/{slug}", tag = "services",
    params(("slug" = String, Path, description = "The service's slug")),
    responses((status = 200, body = ServiceOverview),
              (status = 404, description = "No such service", body = app::model::ErrorBody)))]
async fn service_overview(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<ServiceOverview>> {
    Ok(Json(overview::service_overview(&state.store, &slug).await?))
}
