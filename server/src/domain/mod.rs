//! The domain: Pulse's rules, with no HTTP in them. The HTTP routes and the
//! command line call it; it calls the store.
//!
//! - [`access`]: the organisation-scoped check, and a service's organisations.
//! - [`kpis`]: the one KPI engine (every figure of a service that a page shows).
//! - [`services`]: the service page's overview and the explorer's figures.
//! - [`freshness`]: whether data is out of date.

pub mod access;
pub mod freshness;
pub mod kpis;
pub mod services;
