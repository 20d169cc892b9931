//! Figures for Prometheus, served at `GET /metrics` in its text format: requests
//! by route and status with their latencies, the tables loaded into memory
//! (how many, how long, their versions), and the records written.
//!
//! One registry per process, behind a mutex held only to add a number or to
//! write the page. Routes are named by their kind (`/data`, `/api/v1/services`,
//! `page`, `static`, ...), never by a full path, so the number of series stays
//! small whatever the callers send.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

/// The upper bounds of the latency histogram's buckets, in seconds.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
struct Histogram {
    /// One count per bucket of [`BUCKETS`] (each counts the observations up
    /// to its bound, as Prometheus's cumulative buckets do when written).
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        if let Some(i) = BUCKETS.iter().position(|b| seconds <= *b) {
            self.counts[i] += 1;
        }
        self.count += 1;
        self.sum += seconds;
    }
}

#[derive(Default)]
struct Registry {
    /// (method, route, status) -> requests.
    requests: BTreeMap<(String, &'static str, u16), u64>,
    /// route -> latencies.
    latency: BTreeMap<&'static str, Histogram>,
    /// source ("database" or "snapshot") -> (loads, seconds, rows).
    table_loads: BTreeMap<&'static str, (u64, f64, u64)>,
    /// data set id -> (version held, rows).
    tables: BTreeMap<i64, (i64, usize)>,
    /// "new", "replaced", "unchanged" -> records.
    records_written: BTreeMap<&'static str, u64>,
}

static REGISTRY: LazyLock<Mutex<Registry>> = LazyLock::new(Mutex::default);

fn registry() -> std::sync::MutexGuard<'static, Registry> {
    REGISTRY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The kind of route a request went to, from its path and answer: a label with
/// few values whatever the path holds.
pub fn route_of(path: &str, status: u16) -> &'static str {
    let mut parts = path.trim_start_matches('/').split('/');
    let first = parts.next().unwrap_or("");
    match first {
        "data" => "/data",
        "_status" => match parts.next() {
            None => "/_status",
            Some("ready") => "/_status/ready",
            Some(_) => "/_status/data-sets",
        },
        "metrics" => "/metrics",
        "pkg" | "vendor" | "favicon.svg" => "static",
        "api" if status == 404 => "unmatched",
        "api" => match (parts.next(), parts.next()) {
            (Some("v1"), Some(name)) => API_ROUTES
                .iter()
                .find(|known| **known == name)
                .map_or("/api/v1 (other)", |known| api_label(known)),
            _ => "/api/v1 (other)",
        },
        _ => "page",
    }
}

/// The first segments of `/api/v1/...` routes that get a label of their own.
const API_ROUTES: [&str; 16] = [
    "services",
    "service-kpis",
    "dashboards",
    "boards",
    "portfolios",
    "compare",
    "annotations",
    "data-sets",
    "keys",
    "users",
    "session",
    "sessions",
    "organisations",
    "audit",
    "guide",
    "openapi.json",
];

fn api_label(name: &str) -> &'static str {
    match name {
        "services" => "/api/v1/services",
        "service-kpis" => "/api/v1/service-kpis",
        "dashboards" => "/api/v1/dashboards",
        "boards" => "/api/v1/boards",
        "portfolios" => "/api/v1/portfolios",
        "compare" => "/api/v1/compare",
        "annotations" => "/api/v1/annotations",
        "data-sets" => "/api/v1/data-sets",
        "keys" => "/api/v1/keys",
        "users" => "/api/v1/users",
        "session" => "/api/v1/session",
        "sessions" => "/api/v1/sessions",
        "organisations" => "/api/v1/organisations",
        "audit" => "/api/v1/audit",
        "guide" => "/api/v1/guide",
        _ => "/api/v1/openapi.json",
    }
}

/// Counts a request answered with `status` after `took`.
pub fn request(method: &str, path: &str, status: u16, took: Duration) {
    let route = route_of(path, status);
    let mut r = registry();
    *r.requests
        .entry((method.to_string(), route, status))
        .or_default() += 1;
    r.latency
        .entry(route)
        .or_default()
        .observe(took.as_secs_f64());
}

/// Counts a data set's table loaded into memory.
pub fn table_loaded(
    data_set_id: i64,
    version: i64,
    rows: usize,
    took: Duration,
    source: &'static str,
) {
    let mut r = registry();
    let loads = r.table_loads.entry(source).or_default();
    loads.0 += 1;
    loads.1 += took.as_secs_f64();
    loads.2 += rows as u64;
    r.tables.insert(data_set_id, (version, rows));
}

/// Notes the version and size of a table changed in place.
pub fn table_held(data_set_id: i64, version: i64, rows: usize) {
    registry().tables.insert(data_set_id, (version, rows));
}

/// Counts records written by one batch.
pub fn records_written(new: usize, replaced: usize, unchanged: usize) {
    let mut r = registry();
    for (kind, n) in [
        ("new", new),
        ("replaced", replaced),
        ("unchanged", unchanged),
    ] {
        *r.records_written.entry(kind).or_default() += n as u64;
    }
}

/// The page Prometheus scrapes.
pub fn render() -> String {
    let r = registry();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# HELP pulse_http_requests_total Requests answered, by method, kind of route and status.\n\
         # TYPE pulse_http_requests_total counter"
    );
    for ((method, route, status), n) in &r.requests {
        let _ = writeln!(
            out,
            "pulse_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}"
        );
    }
    let _ = writeln!(
        out,
        "# HELP pulse_http_request_duration_seconds Time to answer, by kind of route.\n\
         # TYPE pulse_http_request_duration_seconds histogram"
    );
    for (route, h) in &r.latency {
        let mut cumulative = 0;
        for (bound, n) in BUCKETS.iter().zip(h.counts) {
            cumulative += n;
            let _ = writeln!(
                out,
                "pulse_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {cumulative}"
            );
        }
        let _ = writeln!(
            out,
            "pulse_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}\n\
             pulse_http_request_duration_seconds_sum{{route=\"{route}\"}} {}\n\
             pulse_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
            h.count, h.sum, h.count
        );
    }
    for (i, (name, help)) in [
        (
            "pulse_table_loads_total",
            "Data sets' tables read into memory: whole from the database or from a snapshot on disk, or brought up to date with the records changed since the version held in memory or on disk.",
        ),
        (
            "pulse_table_load_seconds_total",
            "Time spent loading tables.",
        ),
        ("pulse_table_rows_loaded_total", "Records read into tables."),
    ]
    .into_iter()
    .enumerate()
    {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
        for source in ["database", "snapshot", "memory_and_changes", "snapshot_and_changes"] {
            let (loads, seconds, rows) = r.table_loads.get(source).copied().unwrap_or_default();
            let value = match i {
                0 => loads as f64,
                1 => seconds,
                _ => rows as f64,
            };
            let _ = writeln!(out, "{name}{{source=\"{source}\"}} {value}");
        }
    }
    let _ = writeln!(
        out,
        "# HELP pulse_table_version The version of each data set's records that its table in memory holds.\n\
         # TYPE pulse_table_version gauge"
    );
    for (id, (version, _)) in &r.tables {
        let _ = writeln!(out, "pulse_table_version{{data_set=\"{id}\"}} {version}");
    }
    let _ = writeln!(
        out,
        "# HELP pulse_table_rows Records in each data set's table in memory.\n\
         # TYPE pulse_table_rows gauge"
    );
    for (id, (_, rows)) in &r.tables {
        let _ = writeln!(out, "pulse_table_rows{{data_set=\"{id}\"}} {rows}");
    }
    let _ = writeln!(
        out,
        "# HELP pulse_records_written_total Records received by the write API, uploads and imports: new, replacing one, or unchanged.\n\
         # TYPE pulse_records_written_total counter"
    );
    for (kind, n) in &r.records_written {
        let _ = writeln!(out, "pulse_records_written_total{{kind=\"{kind}\"}} {n}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_named_by_kind_never_by_their_full_path() {
        assert_eq!(route_of("/data/carers/transactions", 200), "/data");
        assert_eq!(
            route_of("/api/v1/services/file-a-tax-return", 200),
            "/api/v1/services"
        );
        assert_eq!(route_of("/api/v1/anything-at-all", 200), "/api/v1 (other)");
        assert_eq!(route_of("/api/v1/services", 404), "unmatched");
        assert_eq!(route_of("/file-a-tax-return/transactions", 200), "page");
        assert_eq!(route_of("/pkg/pulse.abc.wasm", 200), "static");
        assert_eq!(route_of("/_status/ready", 503), "/_status/ready");
    }

    #[test]
    fn the_page_has_cumulative_buckets_and_every_family() {
        request("GET", "/metrics-test-route", 200, Duration::from_millis(3));
        request("GET", "/metrics-test-route", 200, Duration::from_millis(30));
        let page = render();
        assert!(page
            .contains("pulse_http_request_duration_seconds_bucket{route=\"page\",le=\"0.005\"}"));
        assert!(page.contains("# TYPE pulse_table_loads_total counter"));
        assert!(page.contains("# TYPE pulse_records_written_total counter"));
        // Buckets only grow.
        let page_buckets: Vec<u64> = page
            .lines()
            .filter(|l| l.starts_with("pulse_http_request_duration_seconds_bucket{route=\"page\""))
            .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
            .collect();
        assert!(page_buckets.windows(2).all(|w| w[0] <= w[1]));
        assert!(page_buckets.last().copied().unwrap_or(0) >= 2);
    }
}
