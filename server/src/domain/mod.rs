//! The domain: Pulse's rules, with no HTTP in them. The HTTP routes and the
//! command line call it; it calls the store.
//!
//! Every domain function that reads or changes anything is given a [`Ctx`]:
//! who asks, when, and where Pulse keeps its data. A change follows one
//! sequence: check access, then one database transaction holding the change
//! and its audit row (`store::Write`), then the in-memory tables.
//!
//! - [`caller`]: who is calling and what they may do.
//! - [`access`]: the organisation-scoped check, and a service's organisations.
//! - [`annotations`]: editors' notes on a service's figures, who reads and
//!   who writes them, and every change to them.
//! - [`boards`]: summary boards and comparisons.
//! - [`dashboards`]: what a dashboard must be, who sees and manages one, and
//!   every change (with the service-and-data-sets workflow and publishing).
//! - [`data_sets`], [`records`]: data sets' rules and changes, and changes to
//!   their records (written, imported, emptied, deleted, patched).
//! - [`users`], [`sessions`], [`keys`]: people, passwords, signing in and out,
//!   API keys and their scopes.
//! - [`orgs`]: departments, agencies and services.
//! - [`json`]: JSON read into typed values, refused in words.
//! - [`portfolios`]: portfolios and targets, who changes them, and every change
//!   to them.
//! - [`query`]: the data query engine over the in-memory tables.
//! - [`ingest`], [`spreadsheet`], [`upload`]: incoming records, from JSON
//!   bodies and spreadsheets.
//! - [`guide`]: the guide's pages, with this installation's figures.
//! - [`kpis`]: the one KPI engine (every figure of a service that a page shows).
//! - [`services`]: the service page's overview and the explorer's figures.
//! - [`freshness`]: whether data is out of date.
//! - [`mail`], [`invitations`]: letters by e-mail and their signed links;
//!   invitations, password resets and stopping e-mail.
//! - [`reminders`]: reminders of late data to the editors of its service.

pub mod access;
pub mod alerts;
pub mod annotations;
pub mod boards;
pub mod caller;
pub mod dashboards;
pub mod data_sets;
pub mod digests;
pub mod freshness;
pub mod guide;
pub mod ingest;
pub mod invitations;
pub mod json;
pub mod keys;
pub mod kpis;
pub mod mail;
pub mod orgs;
pub mod portfolios;
pub mod query;
pub mod records;
pub mod reminders;
pub mod services;
pub mod sessions;
pub mod spreadsheet;
pub mod totp;
pub mod two_factor;
pub mod upload;
pub mod users;

use chrono::{DateTime, Utc};

use crate::domain::{caller::Caller, query::Cache};
use crate::store::Store;

/// What a domain function is given: who asks, when, and where Pulse keeps
/// its data (the database and the tables held in memory).
#[derive(Clone, Copy, Debug)]
pub struct Ctx<'a> {
    pub caller: &'a Caller,
    pub now: DateTime<Utc>,
    pub store: &'a Store,
    pub cache: &'a Cache,
}

impl<'a> Ctx<'a> {
    pub fn new(caller: &'a Caller, store: &'a Store, cache: &'a Cache) -> Self {
        Ctx {
            caller,
            now: Utc::now(),
            store,
            cache,
        }
    }

    /// The command line's context: it may do everything, and signs as `cli`.
    pub fn cli(store: &'a Store, cache: &'a Cache) -> Self {
        Ctx::new(&Caller::Cli, store, cache)
    }
}
