//! `pulse-bench`: the data API's and the pages' speed, measured as a client sees it.
//!
//! For each backend it starts a real `pulse serve` on a fresh database, creates a
//! data set, ingests records through the HTTP write API in batches, then times
//! queries over HTTP and reads the server's resident memory. For the pages, it
//! loads the demo data into a fresh SQLite file (with copies of its services, so a
//! portfolio board holds 25) and times server-side rendering of that board, a
//! department's board, a comparison of six services, a dashboard of eight data
//! modules, a module page and the services explorer. It
//! prints figures to compare from run to run; it asserts nothing.
//!
//!     scripts/bench                      # everything, 1,000,000 records
//!     scripts/bench --part pages         # the pages only (a minute)
//!     scripts/bench --backend sqlite --records 200000

use std::{
    io::Read,
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{bail, Context, Result};
use chrono::{TimeZone, Utc};
use clap::Parser;
use serde_json::json;
use server::demo::Rng;
use server::store::{audit::Note, data_sets, Store};

#[derive(Parser)]
#[command(about = "Measure ingest and query speed of the data API over HTTP")]
struct Args {
    /// data (the data API), pages (server-side rendering) or all.
    #[arg(long, default_value = "all")]
    part: String,
    /// sqlite, postgres or both.
    #[arg(long, default_value = "both")]
    backend: String,
    /// How many records to ingest.
    #[arg(long, default_value_t = 1_000_000)]
    records: usize,
    /// Records per POST.
    #[arg(long, default_value_t = 1_000)]
    batch: usize,
    /// Timed runs of each query.
    #[arg(long, default_value_t = 40)]
    runs: usize,
    /// Seconds of each load test (wrk).
    #[arg(long, default_value_t = 10)]
    load_seconds: u64,
    /// The Postgres server to create a throwaway database on.
    #[arg(
        long,
        env = "PULSE_TEST_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/test"
    )]
    postgres_url: String,
}

const CHANNELS: [&str; 6] = ["digital", "phone", "paper", "face_to_face", "email", "chat"];
const SERVICES: usize = 50;

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(database: &str) -> Result<Server> {
        Server::start_with(database, None)
    }

    /// Started for the data API's benchmark (`Some`: its tables kept in
    /// that folder between runs, and no read answers kept), or for pages
    /// (`None`: as served by default, without snapshots).
    fn start_with(database: &str, snapshots: Option<&std::path::Path>) -> Result<Server> {
        let exe = std::env::current_exe()?;
        let pulse: PathBuf = exe.with_file_name("pulse");
        let port = free_port()?;
        let child = Command::new(&pulse)
            .args([
                "serve",
                "--addr",
                &format!("127.0.0.1:{port}"),
                "--database",
                database,
            ])
            .env("PULSE_LOG", "warn")
            .env(
                "PULSE_SNAPSHOTS",
                snapshots.map_or("off".into(), |dir| dir.as_os_str().to_owned()),
            )
            // The data API's figures are the query engine's: no answer is
            // kept (a query asked again would otherwise be answered from
            // memory). Pages keep them, as served.
            .env(
                "PULSE_ANSWERS_MB",
                if snapshots.is_some() { "0" } else { "32" },
            )
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("could not start {} (build it first)", pulse.display()))?;
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let started = Instant::now();
        while ureq::get(&format!("{}/_status", server.base))
            .call()
            .is_err()
        {
            if started.elapsed() > Duration::from_secs(30) {
                bail!("the server did not answer within 30 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(server)
    }

    /// Stops it as a service manager would (SIGTERM), waiting until it has
    /// gone; how long that took.
    fn stop(mut self) -> Result<f64> {
        let began = Instant::now();
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()?;
        if !sent.success() {
            bail!("could not send SIGTERM to the server");
        }
        while self.child.try_wait()?.is_none() {
            if began.elapsed() > Duration::from_secs(120) {
                bail!("the server did not stop within 120 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(began.elapsed().as_secs_f64() * 1000.0)
    }

    fn rss_mb(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
            .unwrap_or(f64::NAN)
    }
}

/// The records, as the JSON bodies of the batches: ids `r{offset}` onwards,
/// so a second call with the same offset replaces records already sent.
fn bodies(records: usize, batch: usize, seed: u64, offset: usize) -> Vec<String> {
    let mut rng = Rng::new(seed);
    let start = Utc
        .with_ymd_and_hms(2021, 1, 1, 0, 0, 0)
        .unwrap()
        .timestamp();
    let span = 4 * 365 * 86_400;
    let mut out = Vec::with_capacity(records.div_ceil(batch));
    let mut made = offset;
    while made < offset + records {
        let n = batch.min(offset + records - made);
        let items: Vec<serde_json::Value> = (0..n)
            .map(|i| {
                let t = start + (rng.unit() * span as f64) as i64;
                let stamp = Utc
                    .timestamp_opt(t, 0)
                    .unwrap()
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                json!({
                    "_id": format!("r{}", made + i),
                    "_timestamp": stamp,
                    "service": format!("service-{:02}", (rng.next_u64() % SERVICES as u64)),
                    "channel": CHANNELS[(rng.next_u64() % CHANNELS.len() as u64) as usize],
                    "count": (rng.unit() * 1000.0) as i64,
                })
            })
            .collect();
        out.push(serde_json::to_string(&items).unwrap());
        made += n;
    }
    out
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn time_query(base: &str, query: &str, runs: usize) -> Result<(f64, f64, usize)> {
    time_get(&format!("{base}/data/bench/transactions?{query}"), runs)
}

/// One GET of `url`: how long it took (ms) and the body's size.
fn fetch(url: &str) -> Result<(f64, usize)> {
    let started = Instant::now();
    let mut response = ureq::get(url)
        .call()
        .with_context(|| format!("GET {url}"))?;
    let mut body = Vec::new();
    response.body_mut().as_reader().read_to_end(&mut body)?;
    Ok((started.elapsed().as_secs_f64() * 1000.0, body.len()))
}

/// p50 and p95 of `runs` GETs of `url` after one to warm up, and the body's size.
fn time_get(url: &str, runs: usize) -> Result<(f64, f64, usize)> {
    let (_, size) = fetch(url)?; // warm-up (loads the tables once)
    let mut times: Vec<f64> = (0..runs.max(1))
        .map(|_| fetch(url).map(|(ms, _)| ms))
        .collect::<Result<_>>()?;
    times.sort_by(f64::total_cmp);
    Ok((percentile(&times, 0.5), percentile(&times, 0.95), size))
}

/// What a load test measured (wrk, from Debian's packages).
struct Load {
    per_second: f64,
    p50: f64,
    p99: f64,
    /// Answers other than 2xx or 3xx, and socket errors (timeouts among them).
    failed: u64,
}

impl std::fmt::Display for Load {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:>7.0} req/s   p50 {:>7.2} ms   p99 {:>7.2} ms   failed {}",
            self.per_second, self.p50, self.p99, self.failed
        )
    }
}

/// A duration as wrk prints it (`812.00us`, `12.34ms`, `1.20s`, `2.00m`), in ms.
fn wrk_ms(text: &str) -> Option<f64> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    Some(match unit {
        "us" => number / 1000.0,
        "ms" => number,
        "s" => number * 1000.0,
        "m" => number * 60_000.0,
        _ => return None,
    })
}

/// Reads wrk's report (run with `--latency`).
fn parse_wrk(report: &str) -> Option<Load> {
    let mut load = Load {
        per_second: f64::NAN,
        p50: f64::NAN,
        p99: f64::NAN,
        failed: 0,
    };
    for line in report.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["50%", t] => load.p50 = wrk_ms(t)?,
            ["99%", t] => load.p99 = wrk_ms(t)?,
            ["Requests/sec:", n] => load.per_second = n.parse().ok()?,
            ["Non-2xx", "or", "3xx", "responses:", n] => load.failed += n.parse::<u64>().ok()?,
            ["Socket", "errors:", rest @ ..] => {
                load.failed += rest
                    .iter()
                    .filter_map(|w| w.trim_end_matches(',').parse::<u64>().ok())
                    .sum::<u64>()
            }
            _ => {}
        }
    }
    (!load.per_second.is_nan()).then_some(load)
}

/// `connections` clients GETting `url` as fast as they are answered, for
/// `seconds`.
fn wrk(url: &str, connections: usize, seconds: u64) -> Result<Load> {
    let threads = connections.min(2).to_string();
    let out = Command::new("wrk")
        .args([
            "-t",
            &threads,
            "-c",
            &connections.to_string(),
            "-d",
            &format!("{seconds}s"),
            "--timeout",
            "15s",
            "--latency",
            url,
        ])
        .output()
        .context("could not run wrk (scripts/setup --bench installs it)")?;
    let report = String::from_utf8_lossy(&out.stdout);
    parse_wrk(&report).with_context(|| format!("could not read wrk's report:\n{report}"))
}

/// Server-side rendering of pages over the demo data, whole pages over HTTP.
/// How many services the benchmarked board holds.
const BOARD_SERVICES: usize = 25;

fn pages(args: &Args) -> Result<()> {
    println!("\n== pages: rendered on the server, SQLite with the demo data");
    let dir = tempfile::tempdir()?;
    let database = format!("sqlite://{}", dir.path().join("pages.db").display());
    let pulse = std::env::current_exe()?.with_file_name("pulse");
    let status = Command::new(&pulse)
        .args(["demo", "--database", &database])
        .stdout(Stdio::null())
        .status()
        .with_context(|| format!("could not run {}", pulse.display()))?;
    if !status.success() {
        bail!("pulse demo failed");
    }
    // A portfolio of 25 services for the board: the demo's and copies of them.
    let portfolio = tokio::runtime::Runtime::new()?.block_on(async {
        let store = Store::connect(&database).await?;
        let mut services: Vec<String> = server::store::orgs::list_services(&store)
            .await?
            .iter()
            .map(|s| s.slug.clone())
            .collect();
        let more = BOARD_SERVICES.saturating_sub(services.len());
        services.extend(server::demo::load_copies(&store, more, 7, Utc::now()).await?);
        services.truncate(BOARD_SERVICES);
        let mut w = store.write().await?;
        let saved = server::store::portfolios::create(
            &mut w,
            &app::boards::NewPortfolio {
                title: format!("{BOARD_SERVICES} services"),
                services,
            },
            (None, "pulse-bench"),
            Utc::now(),
        )
        .await?;
        w.commit(Note::cli("portfolio.create", &saved.id, Utc::now()))
            .await?;
        anyhow::Ok(saved.id)
    })?;
    let server = Server::start(&database)?;
    let board = format!("/boards/portfolio/{portfolio}");
    let board_api = format!("/api/v1/boards/portfolio/{portfolio}");
    let pages = [
        ("board, 25 services", board.as_str()),
        ("same, its API (JSON)", board_api.as_str()),
        (
            "department board",
            "/boards/department-of-revenue-and-benefits",
        ),
        (
            "comparison, 6 services",
            "/compare?services=file-a-tax-return,pay-business-rates,claim-carers-support,book-a-driving-test,register-a-birth,report-fly-tipping",
        ),
        ("dashboard, 8 modules", "/file-a-tax-return"),
        (
            "same, by month, +1y",
            "/file-a-tax-return?period=month&from=2025-01&to=2026-06&compare=year",
        ),
        ("module page", "/file-a-tax-return/user-satisfaction"),
        ("service page", "/services/file-a-tax-return"),
        ("services explorer", "/services"),
        ("same, its API (JSON)", "/api/v1/service-kpis"),
    ];
    for (name, path) in pages {
        let (p50, p95, size) = time_get(&format!("{}{path}", server.base), args.runs)?;
        println!("{name:<21} p50 {p50:>7.2} ms   p95 {p95:>7.2} ms   ({size} bytes)");
    }
    println!("server memory     {:>7.0} MB resident", server.rss_mb());
    println!(
        "\n== pages under load: wrk, 16 connections, {} s each (target: 200 req/s, p99 < 250 ms)",
        args.load_seconds
    );
    for (name, path) in [
        ("services explorer", "/services"),
        (
            "department board",
            "/boards/department-of-revenue-and-benefits",
        ),
        ("board, 25 services", board.as_str()),
        ("dashboard, 8 modules", "/file-a-tax-return"),
    ] {
        let load = wrk(&format!("{}{path}", server.base), 16, args.load_seconds)?;
        println!("{name:<21} {load}");
    }
    println!("server memory     {:>7.0} MB resident", server.rss_mb());
    drop(server);
    many_services(args, &database, &pulse)
}

/// How many services the explorer's benchmark at scale holds.
const MANY_SERVICES: usize = 800;

/// The explorer and its API with [`MANY_SERVICES`] services (`pulse demo
/// --services`): the demo's copied, with figures of their own.
fn many_services(args: &Args, database: &str, pulse: &std::path::Path) -> Result<()> {
    println!("\n== the services explorer with {MANY_SERVICES} services (target: p50 < 50 ms)");
    let began = Instant::now();
    let status = Command::new(pulse)
        .args([
            "demo",
            "--database",
            database,
            "--services",
            &MANY_SERVICES.to_string(),
        ])
        .stdout(Stdio::null())
        .status()?;
    if !status.success() {
        bail!("pulse demo --services failed");
    }
    println!("loaded in {:.0} s", began.elapsed().as_secs_f64());
    let server = Server::start(database)?;
    for (name, path) in [
        ("services explorer", "/services"),
        ("same, its API (JSON)", "/api/v1/service-kpis"),
    ] {
        let url = format!("{}{path}", server.base);
        let (first, _) = fetch(&url)?;
        let (p50, p95, size) = time_get(&url, args.runs)?;
        println!(
            "{name:<21} p50 {p50:>7.2} ms   p95 {p95:>7.2} ms   ({size} bytes; the first after a start {first:.0} ms)"
        );
    }
    let load = wrk(
        &format!("{}/api/v1/service-kpis", server.base),
        8,
        args.load_seconds,
    )?;
    println!("API at 8 connections  {load}");
    println!("server memory     {:>7.0} MB resident", server.rss_mb());
    Ok(())
}

fn run(backend: &str, database: &str, args: &Args) -> Result<()> {
    println!(
        "\n== {backend}: {} records in batches of {}",
        args.records, args.batch
    );
    let runtime = tokio::runtime::Runtime::new()?;
    let token = runtime.block_on(async {
        let store = Store::connect(database).await?;
        store.migrate().await?;
        let mut w = store.write().await.map_err(|e| anyhow::anyhow!("{e}"))?;
        let created = data_sets::create_with_token(
            &mut w,
            "bench",
            "transactions",
            None,
            &data_sets::DataSetSettings {
                published: true,
                ..Default::default()
            },
            None,
            Utc::now(),
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        w.commit(Note::cli(
            "data-set.create",
            "data set bench/transactions",
            Utc::now(),
        ))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        anyhow::Ok(created.bearer_token)
    })?;
    let snapshots = tempfile::tempdir()?;
    let server = Server::start_with(database, Some(snapshots.path()))?;
    let bodies = bodies(args.records, args.batch, 20_130_311, 0);
    let url = format!("{}/data/bench/transactions", server.base);
    let auth = format!("Bearer {token}");
    let started = Instant::now();
    for body in &bodies {
        let response = ureq::post(&url)
            .header("Authorization", &auth)
            .header("Content-Type", "application/json")
            .send(body.as_str())
            .context("POST a batch")?;
        if response.status() != 200 {
            bail!("a batch was refused: {}", response.status());
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "ingest            {:>10.0} records/s  ({:.1} s)",
        args.records as f64 / seconds,
        seconds
    );
    let queries = [
        (
            "week x channel",
            "period=week&group_by=channel&collect=count:sum&start_at=2021-01-04T00:00:00Z&end_at=2025-01-06T00:00:00Z",
        ),
        ("service, digital", "group_by=service&filter_by=channel:digital&collect=count:sum"),
        (
            "12 months, 1 svc",
            "period=month&duration=12&filter_by=service:service-07&collect=count:sum",
        ),
    ];
    for (name, query) in queries {
        let (p50, p95, size) = time_query(&server.base, query, args.runs)?;
        println!("{name:<17} p50 {p50:>7.2} ms   p95 {p95:>7.2} ms   ({size} bytes)");
    }
    println!("server memory     {:>7.0} MB resident", server.rss_mb());

    let week = format!("{url}?{}", queries[0].1);
    println!(
        "\n-- week x channel while one client writes batches of {} as fast as it can: wrk, {} s each (target: p50 under 2x idle)",
        args.batch, args.load_seconds
    );
    // Replacing first, so that it runs on the records ingested above. Adding
    // makes the query's work grow with the table, so each writing phase is
    // set against the same query with no writer on the table as it stands
    // just before.
    let mut fresh = args.records;
    for replacing in [true, false] {
        for connections in [1, 16] {
            let idle = wrk(&week, connections, args.load_seconds)?;
            println!(
                "idle, c{connections:<2}          {idle}   ({} records held)",
                fresh
            );
            let writer = Writer::start(&url, &auth, args.batch, args.records, replacing, fresh);
            let load = wrk(&week, connections, args.load_seconds)?;
            let written = writer.stop()?;
            if !replacing {
                fresh += written.records;
            }
            let what = if replacing { "replacing" } else { "adding" };
            println!(
                "{what:<9} c{connections:<2}     {load}   (p50 {:.1}x idle; {written}; {fresh} records held after)",
                load.p50 / idle.p50
            );
        }
    }
    println!("server memory     {:>7.0} MB resident", server.rss_mb());

    // A restart after a clean stop: the table comes from the snapshot kept
    // on stopping.
    let stopping = server.stop()?;
    let server = Server::start_with(database, Some(snapshots.path()))?;
    let week_on = |server: &Server| {
        fetch(&format!(
            "{}/data/bench/transactions?{}",
            server.base, queries[0].1
        ))
    };
    let (first, _) = week_on(&server)?;
    println!(
        "\n-- after a restart (target: under 500 ms)\n\
         stopped (SIGTERM)  {stopping:>7.0} ms, keeping what changed\n\
         first week x channel {first:>7.0} ms   server memory {:.0} MB resident",
        server.rss_mb()
    );
    // Killed just after a write, its snapshot is one version old: the first
    // read brings it up to date with the batch written since.
    let response = ureq::post(&format!("{}/data/bench/transactions", server.base))
        .header("Authorization", &auth)
        .header("Content-Type", "application/json")
        .send(bodies[0].as_str())
        .context("POST a batch")?;
    if response.status() != 200 {
        bail!("a batch was refused: {}", response.status());
    }
    drop(server);
    let server = Server::start_with(database, Some(snapshots.path()))?;
    let (first, _) = week_on(&server)?;
    println!(
        "killed (SIGKILL) after a write: the kept table and the batch since:\n\
         first week x channel {first:>7.0} ms   server memory {:.0} MB resident",
        server.rss_mb()
    );
    Ok(())
}

/// A client POSTing batches in a loop, in a thread of its own, until stopped.
struct Writer {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<Result<Written>>,
}

/// What a [`Writer`] wrote.
struct Written {
    records: usize,
    seconds: f64,
    refused: usize,
}

impl std::fmt::Display for Written {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.0} records/s written, {} batches refused",
            self.records as f64 / self.seconds,
            self.refused
        )
    }
}

impl Writer {
    /// Batches of `batch` new records (ids from `fresh` on), or replacing
    /// records among the first `held` (`replacing`).
    fn start(
        url: &str,
        auth: &str,
        batch: usize,
        held: usize,
        replacing: bool,
        fresh: usize,
    ) -> Writer {
        use std::sync::atomic::{AtomicBool, Ordering};
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let (url, auth, flag) = (url.to_string(), auth.to_string(), stop.clone());
        let thread = std::thread::spawn(move || {
            let began = Instant::now();
            let mut written = Written {
                records: 0,
                seconds: 0.0,
                refused: 0,
            };
            let mut k = 0;
            while !flag.load(Ordering::Relaxed) {
                let offset = if replacing {
                    (k * batch * 7919) % held.saturating_sub(batch).max(1)
                } else {
                    fresh + k * batch
                };
                let body = bodies(batch, batch, 7 + k as u64, offset).remove(0);
                let response = ureq::post(&url)
                    .header("Authorization", &auth)
                    .header("Content-Type", "application/json")
                    .config()
                    .http_status_as_error(false)
                    .build()
                    .send(body.as_str())
                    .context("POST a batch")?;
                if response.status() == 200 {
                    written.records += batch;
                } else {
                    written.refused += 1;
                }
                k += 1;
            }
            written.seconds = began.elapsed().as_secs_f64();
            Ok(written)
        });
        Writer { stop, thread }
    }

    fn stop(self) -> Result<Written> {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread
            .join()
            .map_err(|_| anyhow::anyhow!("the writer panicked"))?
    }
}

fn main() -> Result<()> {
    let args = Args::parse();
    match args.part.as_str() {
        "all" | "data" | "pages" => {}
        other => bail!("--part must be data, pages or all (got {other:?})"),
    }
    if args.part != "data" {
        pages(&args)?;
    }
    if args.part == "pages" {
        return Ok(());
    }
    let backends: Vec<&str> = match args.backend.as_str() {
        "both" => vec!["sqlite", "postgres"],
        "sqlite" => vec!["sqlite"],
        "postgres" => vec!["postgres"],
        other => bail!("--backend must be sqlite, postgres or both (got {other:?})"),
    };
    for backend in backends {
        if backend == "sqlite" {
            let dir = tempfile::tempdir()?;
            let url = format!("sqlite://{}", dir.path().join("bench.db").display());
            run("SQLite", &url, &args)?;
        } else {
            let name = format!("pulse_bench_{}", server::store::records::fresh_id());
            let runtime = tokio::runtime::Runtime::new()?;
            let admin = args.postgres_url.clone();
            runtime.block_on(async {
                let pool = sqlx::PgPool::connect(&admin).await?;
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                    .execute(&pool)
                    .await?;
                anyhow::Ok(())
            })?;
            let (base, _) = admin
                .rsplit_once('/')
                .context("a Postgres URL ends in /database")?;
            let result = run("Postgres", &format!("{base}/{name}"), &args);
            runtime.block_on(async {
                let pool = sqlx::PgPool::connect(&admin).await?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                )))
                .execute(&pool)
                .await?;
                anyhow::Ok(())
            })?;
            result?;
        }
    }
    Ok(())
}
