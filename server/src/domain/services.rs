//! What the service page and the services explorer show, from the KPI engine
//! ([`super::kpis`]).

use app::model::{Link, PeriodKind, ServiceKpis, ServiceOverview};
use chrono::{DateTime, Utc};
use rustc_hash::FxHashMap;
use std::sync::{Arc, Mutex};

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
///
/// A service's figures are worked out once and kept (in `cache`) for as long
/// as the data sets they come from hold the same version and the hour is the
/// same (whether a period is complete changes only at an hour's start at the
/// finest), so the explorer of hundreds of services reads tables only for what
/// changed.
pub async fn headline_figures(
    store: &Store,
    cache: &Cache,
    readable: &Readable,
    now: DateTime<Utc>,
) -> Result<Vec<ServiceKpis>> {
    let hour = app::kpi::period_start(PeriodKind::Hour, now);
    let mut out = Vec::new();
    for service in orgs::list_services(store).await?.iter() {
        let key = Headline::key(readable, &service.slug, hour);
        if let Some(mut figures) = cache.headlines.get(&key) {
            figures.service = service.clone();
            out.push(figures);
            continue;
        }
        let data = kpis::standard(store, cache, readable, &service.slug, now).await?;
        let figures = kpis::yearly(service.clone(), &data);
        cache.headlines.keep(key, &figures);
        out.push(figures);
    }
    Ok(out)
}

/// What a service's headline figures are worked out from: the service, the
/// id and version of each of its standard data sets the caller may read, and
/// the hour.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Headline {
    slug: String,
    data_sets: [Option<(i64, i64)>; 4],
    hour: DateTime<Utc>,
}

impl Headline {
    pub fn key(readable: &Readable, slug: &str, hour: DateTime<Utc>) -> Headline {
        let data_sets = kpis::STANDARD_TYPES.map(|data_type| {
            readable
                .get(&(slug.to_string(), data_type.to_string()))
                .map(|ds| (ds.id, ds.version))
        });
        Headline {
            slug: slug.to_string(),
            data_sets,
            hour,
        }
    }

    /// Whether `newer` is the same service with one of the same data sets
    /// at a later version (callers who may read different data sets of a
    /// service each keep their own figures).
    fn superseded_by(&self, newer: &Headline) -> bool {
        self.slug == newer.slug
            && self.data_sets.iter().zip(&newer.data_sets).any(|(a, b)| {
                matches!((a, b), (Some((id, old)), Some((same, new))) if id == same && old < new)
            })
    }
}

/// What is worked out from each service's data (headline figures, a board's
/// sparklines), kept by what it came from ([`Headline`]).
#[derive(Clone, Debug)]
pub struct Kept<V> {
    held: Arc<Mutex<FxHashMap<Headline, V>>>,
}

impl<V> Default for Kept<V> {
    fn default() -> Self {
        Kept {
            held: Arc::default(),
        }
    }
}

impl<V: Clone> Kept<V> {
    /// How many are kept at most (several kinds of caller, each reading a
    /// different set of data sets, for thousands of services).
    const MOST: usize = 20_000;

    pub fn get(&self, key: &Headline) -> Option<V> {
        self.held.lock().expect("kept lock").get(key).cloned()
    }

    pub fn keep(&self, key: Headline, value: &V) {
        let mut held = self.held.lock().expect("kept lock");
        // What was worked out in an earlier hour, or from data sets since
        // changed, is never asked for again: forget it.
        held.retain(|k, _| k.hour == key.hour && !k.superseded_by(&key));
        if held.len() >= Self::MOST {
            held.clear();
        }
        held.insert(key, value.clone());
    }
}

/// Services' headline figures already worked out, by what they came from.
pub type Headlines = Kept<ServiceKpis>;
