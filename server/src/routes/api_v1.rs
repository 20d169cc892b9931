//! `/api/v1`: everything but the Backdrop-compatible data API.
//!
//! - `GET /api/v1/services`: every service with its department and agency.
//! - `GET /api/v1/services/{slug}`: a service's weekly transactions by channel and
//!   the latest value of each KPI.

use app::model::{ServiceList, ServiceOverview};
use axum::{
    extract::{Path, State},
    routing::get,
    Json, Router,
};

use super::AppState;
use crate::{error::Result, overview, store::orgs};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/services", get(list_services))
        .route("/services/{slug}", get(service_overview))
        .merge(super::data_sets::router())
}

async fn list_services(State(state): State<AppState>) -> Result<Json<ServiceList>> {
    let services = orgs::list_services(&state.store).await?;
    Ok(Json(ServiceList { services }))
}

async fn service_overview(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<ServiceOverview>> {
    Ok(Json(overview::service_overview(&state.store, &slug).await?))
}
