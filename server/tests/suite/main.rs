//! Every integration test of the server, in one test binary: the whole app
//! over a real database (SQLite, and Postgres where `PULSE_TEST_POSTGRES_URL`
//! names one), real `pulse` processes and a real SMTP server. One binary, not
//! one per file, so a build compiles and links the tests' dependencies once.
//! `cargo test --release --test suite boards::` runs one file's tests.

#[macro_use]
mod support;

mod accounts;
mod annotations;
mod boards;
mod bounds;
mod catalogue;
mod cli;
mod dashboards;
mod data_api;
mod errors;
mod escaping;
mod getting_on;
mod hardening;
mod http;
mod identity;
mod instances;
mod layers;
mod mail;
mod one_engine;
mod one_write;
mod openapi;
mod pages_while_apps_start;
mod two_factor;
mod writers;
