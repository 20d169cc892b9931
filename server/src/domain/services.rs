//! What the service page and the services explorer show, from the KPI engine
//! ([`super::kpis`]).

use app::model::{Link, PeriodKind, ServiceKpis, ServiceOverview};
use chrono::{DateTime, Utc};

use super::kpis::{self, Readable, Window};
use crate::domain::query::Cache;
use crate::error::{Error, Result};
use crate::store::{dashboards, orgs, Store};

/// The overview of the service with this slug from the `readable` data sets: its
/// transactions by channel per `kind` over `window`, with the totals of a year
/// earlier when `compare_year`, the latest figure of each KPI, and freshness.
pub async fn overview(
    store: &Store,
    cache: &Cache,
    readable: &Readable,
    slug: &str,
    (kind, window, compare_year): (PeriodKind, Window, bool),
    now: DateTime<Utc>,
) -> Result<ServiceOverview> {
    let (service, description) = orgs::find_service(store, slug)
        .await?
        .ok_or_else(|| Error::NotFound(format!("There is no service called {slug:?}.")))?;
    let data = kpis::standard(store, cache, readable, slug, now).await?;
    let mut transactions = kpis::channel_series(data.transactions.as_deref(), kind, window);
    transactions.complete_until = data.complete_until(app::model::KpiKind::Transactions);
    let previous_year = compare_year
        .then(|| kpis::year_earlier(data.transactions.as_deref(), &transactions.periods));
    let dashboards = dashboards::published_for_service(store, slug)
        .await?
        .into_iter()
        .map(|d| Link {
            url: format!("/{}", d.slug),
            title: d.title,
        })
        .collect();
    Ok(ServiceOverview {
        service,
        description,
        transactions,
        kpis: kpis::latest(&data),
        freshness: kpis::freshness(&data, slug, now),
        previous_year,
        dashboards,
    })
}

/// Every service's headline figures ([`kpis::yearly`]) from its `readable` data.
pub async fn headline_figures(
    store: &Store,
    cache: &Cache,
    readable: &Readable,
    now: DateTime<Utc>,
) -> Result<Vec<ServiceKpis>> {
    let mut out = Vec::new();
    for service in orgs::list_services(store).await? {
        let data = kpis::standard(store, cache, readable, &service.slug, now).await?;
        out.push(kpis::yearly(service, &data));
    }
    Ok(out)
}
