//! Two `pulse serve` processes on one database, as behind a load balancer: every
//! kind of change made through one is seen by the other's next read (records
//! added, replaced, patched, deleted and emptied; a data set's settings and its
//! deletion), both ways, on Postgres and on one SQLite file.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support;
use crate::support::Backend;

/// A `pulse serve` process, stopped when dropped.
struct Instance {
    child: Child,
    port: u16,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `pulse serve` on `database`, keeping tables of 2 records or more
/// in `snapshots` between runs.
async fn start(database: &str, snapshots: &Path) -> Instance {
    start_with(database, snapshots, &[]).await
}

/// [`start`], with more options.
async fn start_with(database: &str, snapshots: &Path, more: &[&str]) -> Instance {
    launch(database, snapshots, more, Stdio::null()).await
}

/// [`start_with`], its log (standard error) going to `stderr`.
async fn launch(database: &str, snapshots: &Path, more: &[&str], stderr: Stdio) -> Instance {
    let port = free_port();
    let site = tempfile::tempdir().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_pulse"))
        .args(["serve", "--database", database, "--addr"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("--site-root")
        .arg(site.path())
        .arg("--snapshots")
        .arg(snapshots)
        .args(["--snapshot-min-records", "2"])
        .args(more)
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let instance = Instance { child, port };
    let began = Instant::now();
    loop {
        if let Ok((200, _)) = call(port, "GET", "/_status", None, None).await {
            return instance;
        }
        assert!(
            began.elapsed() < Duration::from_secs(30),
            "pulse serve did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// One HTTP/1.1 request (the connection closed after it): status and body.
async fn call(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> std::io::Result<(u16, String)> {
    call_from("127.0.0.1", port, method, path, token, body).await
}

/// A connection to `port` from `source`, an address of the loopback network
/// (127.0.0.0/8), so the server sees a client of that address.
async fn connect_from(source: &str, port: u16) -> std::io::Result<tokio::net::TcpStream> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(format!("{source}:0").parse().unwrap())?;
    socket.connect(([127, 0, 0, 1], port).into()).await
}

/// [`call`] from `source`.
async fn call_from(
    source: &str,
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> std::io::Result<(u16, String)> {
    let mut stream = connect_from(source, port).await?;
    let body = body.map(Value::to_string).unwrap_or_default();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{auth}\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await?;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    Ok((status, if chunked { dechunk(body) } else { body.into() }))
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

const DATA: &str = "/data/coherence/transactions";

/// The data set's records as `port` serves them (`None`: not readable).
async fn records(port: u16) -> Option<Vec<Value>> {
    let (status, body) = call(port, "GET", DATA, None, None).await.unwrap();
    if status != 200 {
        return None;
    }
    let answer: Value = serde_json::from_str(&body).unwrap();
    Some(answer["data"].as_array().unwrap().clone())
}

/// Waits (up to 1 s) until `port` serves records that pass `check`.
async fn sees(port: u16, what: &str, check: impl Fn(&Option<Vec<Value>>) -> bool) {
    let began = Instant::now();
    loop {
        let now = records(port).await;
        if check(&now) {
            return;
        }
        assert!(
            began.elapsed() < Duration::from_secs(1),
            "the instance on {port} did not see {what} within 1 s: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn values(records: &Option<Vec<Value>>) -> Vec<(String, Value)> {
    let mut v: Vec<(String, Value)> = records
        .iter()
        .flatten()
        .map(|r| {
            (
                r["_id"].as_str().unwrap_or("").to_string(),
                r["value"].clone(),
            )
        })
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

/// Creates the published data set `{group}/transactions` through `port`;
/// answers its write token.
async fn data_set(port: u16, admin: &str, group: &str) -> String {
    let settings = json!({"data_group": group, "data_type": "transactions", "published": true});
    let (status, body) = call(
        port,
        "POST",
        "/api/v1/data-sets",
        Some(admin),
        Some(&settings),
    )
    .await
    .unwrap();
    assert_eq!(status, 201, "{body}");
    serde_json::from_str::<Value>(&body).unwrap()["bearer_token"]
        .as_str()
        .unwrap()
        .to_string()
}

fn admin_key(database: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_pulse"))
        .args([
            "key",
            "create",
            "--database",
            database,
            "--name",
            "tests",
            "--scope",
            "admin",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
    answer["secret"].as_str().unwrap().to_string()
}

async fn every_change_through_one_instance_is_read_through_the_other(backend: Backend) {
    let (database, _guard) = support::database(backend).await;
    // The command migrates the database before either instance starts.
    let admin = admin_key(&database);
    // On one machine, sharing where tables are kept.
    let tables = tempfile::tempdir().unwrap();
    let a = start(&database, tables.path()).await;
    let b = start(&database, tables.path()).await;
    let (a, b) = (a.port, b.port);

    let token = data_set(a, &admin, "coherence").await;
    let write = |port: u16, method: &'static str, path: String, body: Value| {
        let token = token.clone();
        async move {
            let (status, text) = call(port, method, &path, Some(&token), Some(&body))
                .await
                .unwrap();
            assert!(
                (200..300).contains(&status),
                "{method} {path}: {status} {text}"
            );
        }
    };
    let record = |id: &str, value: i64| json!({"_id": id, "_timestamp": "2026-01-05T00:00:00Z", "value": value});

    // Both hold the (empty) table in memory before each change.
    sees(a, "an empty data set", |r| values(r).is_empty()).await;
    sees(b, "an empty data set", |r| values(r).is_empty()).await;

    // Added through A, read through B.
    write(
        a,
        "POST",
        DATA.into(),
        json!([record("r1", 1), record("r2", 2)]),
    )
    .await;
    sees(b, "two new records", |r| values(r).len() == 2).await;
    sees(a, "two new records", |r| values(r).len() == 2).await;

    // Replaced through B (same id), read through A.
    write(b, "POST", DATA.into(), json!([record("r1", 10)])).await;
    sees(a, "the replaced value", |r| {
        values(r) == vec![("r1".into(), json!(10)), ("r2".into(), json!(2))]
    })
    .await;

    // Patched through A, read through B.
    write(a, "PATCH", format!("{DATA}/r2"), json!({"value": 20})).await;
    sees(b, "the patched value", |r| {
        values(r) == vec![("r1".into(), json!(10)), ("r2".into(), json!(20))]
    })
    .await;

    // Deleted through B, read through A.
    let (status, _) = call(b, "DELETE", &format!("{DATA}/r1"), Some(&token), None)
        .await
        .unwrap();
    assert_eq!(status, 200);
    sees(a, "one record left", |r| {
        values(r) == vec![("r2".into(), json!(20))]
    })
    .await;

    // Appended through A while B holds its table, read through B.
    sees(b, "one record left", |r| values(r).len() == 1).await;
    write(a, "POST", DATA.into(), json!([record("r3", 3)])).await;
    sees(b, "the appended record", |r| values(r).len() == 2).await;

    // Emptied through B, read through A.
    write(b, "PUT", DATA.into(), json!([])).await;
    sees(a, "an emptied data set", |r| values(r).is_empty()).await;
    // Each read the table whole once, at the start; every change made
    // through the other since was read as the records it changed.
    for port in [a, b] {
        let [whole, _, changes, _] = loads(port).await;
        assert_eq!(whole, 1, "{port}");
        assert!(changes >= 3, "{port}: {changes}");
    }

    // Settings changed through A (no longer queryable), read through B.
    let (status, body) = call(
        a,
        "PATCH",
        "/api/v1/data-sets/coherence/transactions",
        Some(&admin),
        Some(&json!({"queryable": false})),
    )
    .await
    .unwrap();
    assert_eq!(status, 200, "{body}");
    sees(b, "the data set closed to queries", |r| r.is_none()).await;

    // Deleted through B, gone through A.
    let (status, body) = call(
        b,
        "DELETE",
        "/api/v1/data-sets/coherence/transactions",
        Some(&admin),
        None,
    )
    .await
    .unwrap();
    assert!((200..300).contains(&status), "{status} {body}");
    let (status, _) = call(a, "GET", DATA, Some(&admin), None).await.unwrap();
    assert_eq!(status, 404);

    // Made again (SQLite gives a deleted data set's id again when it was the
    // last one), written, read through A; deleted and made again through B:
    // A reads the new one's records only, not the deleted one's beside them.
    let round = |port: u16, id: &'static str| {
        let admin = admin.clone();
        async move {
            let token = data_set(port, &admin, "coherence").await;
            let body = json!([{"_id": id, "_timestamp": "2026-01-05T00:00:00Z", "value": 1}]);
            let (status, text) = call(port, "POST", DATA, Some(&token), Some(&body))
                .await
                .unwrap();
            assert_eq!(status, 200, "{text}");
        }
    };
    round(b, "before").await;
    sees(a, "the first data set's record", |r| {
        values(r) == vec![("before".into(), json!(1))]
    })
    .await;
    let (status, body) = call(
        b,
        "DELETE",
        "/api/v1/data-sets/coherence/transactions",
        Some(&admin),
        None,
    )
    .await
    .unwrap();
    assert!((200..300).contains(&status), "{status} {body}");
    round(b, "after").await;
    sees(a, "the data set made again, its own record only", |r| {
        values(r) == vec![("after".into(), json!(1))]
    })
    .await;

    // The bound on a data set's fields, with records that bring new names
    // sent at once through both: each instance counted the names it holds,
    // which lacked the other's, and both passed (120 of 100). One is stored.
    let most = server::domain::records::MAX_FIELDS;
    for attempt in 0..4 {
        let group = format!("fields-{attempt}");
        let token = data_set(a, &admin, &group).await;
        let path = format!("/data/{group}/transactions");
        for port in [a, b] {
            let (status, _) = call(port, "GET", &path, Some(&admin), None).await.unwrap();
            assert_eq!(status, 200);
        }
        let brings = |prefix: &str| {
            let mut record = json!({"_id": prefix, "_timestamp": "2026-01-05T00:00:00Z"});
            for i in 0..most * 3 / 5 {
                record[format!("{prefix}{i}")] = json!(i);
            }
            json!([record])
        };
        let (from_a, from_b) = (brings("a"), brings("b"));
        let (one, other) = tokio::join!(
            call(a, "POST", &path, Some(&token), Some(&from_a)),
            call(b, "POST", &path, Some(&token), Some(&from_b)),
        );
        let (one, other) = (one.unwrap(), other.unwrap());
        let mut statuses = [one.0, other.0];
        statuses.sort();
        assert_eq!(statuses, [200, 400], "attempt {attempt}: {one:?} {other:?}");
        let refused = if one.0 == 400 { &one.1 } else { &other.1 };
        assert!(refused.contains("different fields"), "{refused}");
    }
}

#[tokio::test]
async fn every_change_is_seen_by_every_instance_on_postgres() {
    every_change_through_one_instance_is_read_through_the_other(Backend::Postgres).await;
}

#[tokio::test]
async fn every_change_is_seen_by_every_instance_on_one_sqlite_file() {
    every_change_through_one_instance_is_read_through_the_other(Backend::Sqlite).await;
}

/// The tables read in since the instance started, by where from: whole from
/// the database, whole from a file kept on disk, and brought up to date with
/// the records changed since the version held in memory or on disk.
async fn loads(port: u16) -> [u64; 4] {
    let (status, page) = call(port, "GET", "/metrics", None, None).await.unwrap();
    assert_eq!(status, 200);
    let count = |source: &str| {
        let line = format!("pulse_table_loads_total{{source=\"{source}\"}} ");
        page.lines()
            .find_map(|l| l.strip_prefix(line.as_str()))
            .and_then(|n| n.parse::<f64>().ok())
            .unwrap_or_else(|| panic!("no {line} in {page}")) as u64
    };
    [
        count("database"),
        count("snapshot"),
        count("memory_and_changes"),
        count("snapshot_and_changes"),
    ]
}

/// Sends SIGTERM and waits until the instance has stopped.
fn stop(mut instance: Instance) {
    let sent = Command::new("kill")
        .args(["-TERM", &instance.child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = instance.child.wait().unwrap();
    assert!(status.success(), "pulse serve stopped with {status}");
}

async fn a_restart_reads_the_table_kept_on_disk_while_it_is_current(backend: Backend) {
    let (database, _guard) = support::database(backend).await;
    let admin = admin_key(&database);
    let tables = tempfile::tempdir().unwrap();
    let pulse = start(&database, tables.path()).await;
    let token = data_set(pulse.port, &admin, "coherence").await;
    let record = |id: &str, value: i64| json!({"_id": id, "_timestamp": "2026-01-05T00:00:00Z", "value": value});
    let write = |port: u16, body: Value| {
        let token = token.clone();
        async move {
            let (status, text) = call(port, "POST", DATA, Some(&token), Some(&body))
                .await
                .unwrap();
            assert_eq!(status, 200, "{text}");
        }
    };
    sees(pulse.port, "an empty data set", |r| values(r).is_empty()).await;
    write(
        pulse.port,
        json!([record("r1", 1), record("r2", 2), record("r3", 3)]),
    )
    .await;
    let three = vec![
        ("r1".into(), json!(1)),
        ("r2".into(), json!(2)),
        ("r3".into(), json!(3)),
    ];
    sees(pulse.port, "three records", |r| values(r) == three).await;
    // Stopped, it keeps the table as the write left it.
    stop(pulse);
    let kept: Vec<_> = std::fs::read_dir(tables.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(kept[0].ends_with(".table"), "{kept:?}");

    // Started again, its first read comes from that file.
    let pulse = start(&database, tables.path()).await;
    sees(pulse.port, "the same three records", |r| values(r) == three).await;
    assert_eq!(loads(pulse.port).await, [0, 1, 0, 0]);

    // Another instance changes the records while this one is stopped: the
    // file is one version old, and is brought up to date with the one record
    // changed since.
    stop(pulse);
    let other = start(&database, &tables.path().join("elsewhere")).await;
    write(other.port, json!([record("r2", 20)])).await;
    drop(other);
    let pulse = start(&database, tables.path()).await;
    let changed = vec![
        ("r1".into(), json!(1)),
        ("r2".into(), json!(20)),
        ("r3".into(), json!(3)),
    ];
    sees(pulse.port, "the record changed elsewhere", |r| {
        values(r) == changed
    })
    .await;
    assert_eq!(loads(pulse.port).await, [0, 0, 0, 1]);

    // Killed just after a write through it: whether or not the table was
    // kept again in between, nothing is lost, and nothing is read whole from
    // the database.
    write(pulse.port, json!([record("r4", 4)])).await;
    drop(pulse);
    let pulse = start(&database, tables.path()).await;
    sees(pulse.port, "the record written before the kill", |r| {
        values(r).len() == 4
    })
    .await;
    let [whole, whole_file, _, file_and_changes] = loads(pulse.port).await;
    assert_eq!((whole, whole_file + file_and_changes), (0, 1));

    // A damaged file is not used either.
    stop(pulse);
    for entry in std::fs::read_dir(tables.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "table") {
            let whole = std::fs::read(&path).unwrap();
            std::fs::write(&path, &whole[..whole.len() / 2]).unwrap();
        }
    }
    let pulse = start(&database, tables.path()).await;
    sees(pulse.port, "the four records", |r| values(r).len() == 4).await;
    assert_eq!(loads(pulse.port).await, [1, 0, 0, 0]);
}

#[tokio::test]
async fn a_restart_reads_the_table_kept_on_disk_on_sqlite() {
    a_restart_reads_the_table_kept_on_disk_while_it_is_current(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_restart_reads_the_table_kept_on_disk_on_postgres() {
    a_restart_reads_the_table_kept_on_disk_while_it_is_current(Backend::Postgres).await;
}

/// Polls `/_status/ready` on `port` until it answers `status` (up to 10 s).
async fn ready_becomes(port: u16, status: u16) -> Value {
    let began = Instant::now();
    loop {
        let (got, body) = call(port, "GET", "/_status/ready", None, None)
            .await
            .unwrap();
        if got == status {
            return serde_json::from_str(&body).unwrap();
        }
        assert!(
            began.elapsed() < Duration::from_secs(10),
            "/_status/ready did not become {status}: {got} {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Sets whether the Postgres database of `url` is read-only, and drops every
/// connection to it (Pulse's pool opens new ones, which take the setting).
async fn postgres_read_only(url: &str, read_only: bool) {
    let (_, name) = url.rsplit_once('/').unwrap();
    let admin = sqlx::PgPool::connect(&support::postgres_url())
        .await
        .unwrap();
    let setting = if read_only { "on" } else { "off" };
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "ALTER DATABASE \"{name}\" SET default_transaction_read_only = {setting}"
    )))
    .execute(&admin)
    .await
    .unwrap();
    sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
        .bind(name)
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
}

#[tokio::test]
async fn ready_says_when_the_database_cannot_be_written_and_recovers_by_itself() {
    let (database, _guard) = support::database(Backend::Postgres).await;
    let admin = admin_key(&database);
    let tables = tempfile::tempdir().unwrap();
    let pulse = start(&database, tables.path()).await;
    let port = pulse.port;
    let ok = ready_becomes(port, 200).await;
    assert_eq!(
        ok,
        json!({"status": "ok", "database": "ok", "migrations": "ok", "writes": "ok"})
    );
    let token = data_set(port, &admin, "ready").await;
    let record = json!([{"_id": "a", "_timestamp": "2026-01-05T00:00:00Z", "value": 1}]);

    // The database stops taking writes (its connections dropped on the way):
    // the instance says so, and a write is refused with a clear 503.
    postgres_read_only(&database, true).await;
    let not_ready = ready_becomes(port, 503).await;
    assert_eq!(not_ready["status"], "not ready");
    assert_eq!(not_ready["database"], "ok");
    assert!(
        not_ready["writes"]
            .as_str()
            .unwrap()
            .contains("cannot be written"),
        "{not_ready}"
    );
    let (status, body) = call(
        port,
        "POST",
        "/data/ready/transactions",
        Some(&token),
        Some(&record),
    )
    .await
    .unwrap();
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("cannot be written"), "{body}");
    // Reading still works.
    let (status, _) = call(port, "GET", "/data/ready/transactions", None, None)
        .await
        .unwrap();
    assert_eq!(status, 200);

    // Writable again: ready again without a restart, and the write goes in.
    postgres_read_only(&database, false).await;
    ready_becomes(port, 200).await;
    let (status, body) = call(
        port,
        "POST",
        "/data/ready/transactions",
        Some(&token),
        Some(&record),
    )
    .await
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let (_, body) = call(port, "GET", "/data/ready/transactions", None, None)
        .await
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // A database missing this build's newest migration is not ready either.
    let (_, name) = database.rsplit_once('/').unwrap();
    let (base, _) = support::postgres_url()
        .rsplit_once('/')
        .map(|(b, n)| (b.to_string(), n.to_string()))
        .unwrap();
    let pool = sqlx::PgPool::connect(&format!("{base}/{name}"))
        .await
        .unwrap();
    sqlx::query(
        "DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    let behind = ready_becomes(port, 503).await;
    assert!(
        behind["migrations"]
            .as_str()
            .unwrap()
            .contains("not this build's"),
        "{behind}"
    );
}

/// A live stream opened on `port`: its connection, and what it has sent.
struct Stream {
    connection: tokio::net::TcpStream,
    seen: String,
}

/// Opens `/api/v1/live/{data_set}` as a browser's `EventSource` does: the
/// status line and headers of the answer, and the stream.
async fn open_stream(port: u16, data_set: &str) -> (String, Stream) {
    open_stream_from("127.0.0.1", port, data_set).await
}

/// [`open_stream`] from `source`.
async fn open_stream_from(source: &str, port: u16, data_set: &str) -> (String, Stream) {
    let mut connection = connect_from(source, port).await.unwrap();
    let request = format!(
        "GET /api/v1/live/{data_set} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
    );
    connection.write_all(request.as_bytes()).await.unwrap();
    let mut stream = Stream {
        connection,
        seen: String::new(),
    };
    let head = loop {
        if let Some((head, rest)) = stream.seen.split_once("\r\n\r\n") {
            let head = head.to_string();
            stream.seen = rest.to_string();
            break head;
        }
        stream.read(Duration::from_secs(5)).await;
    };
    (head, stream)
}

impl Stream {
    /// Reads what comes within `wait`; false when the connection is closed.
    async fn read(&mut self, wait: Duration) -> bool {
        let mut buffer = [0u8; 4096];
        match tokio::time::timeout(wait, self.connection.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => false,
            Ok(Ok(n)) => {
                self.seen.push_str(&String::from_utf8_lossy(&buffer[..n]));
                true
            }
            Err(_) => true,
        }
    }

    /// The versions of the `change` events sent so far.
    fn versions(&self) -> Vec<i64> {
        self.seen
            .lines()
            .filter_map(|l| l.trim().strip_prefix("data: ")?.parse().ok())
            .collect()
    }

    /// Waits (up to `within`) for a `change` event with `version`.
    async fn waits_for(&mut self, version: i64, within: Duration) -> Duration {
        let began = Instant::now();
        while !self.versions().contains(&version) {
            assert!(
                began.elapsed() < within,
                "no event of version {version} within {within:?}: {:?}",
                self.seen
            );
            self.read(Duration::from_millis(100)).await;
        }
        began.elapsed()
    }
}

async fn a_live_stream_follows_writes_through_another_instance(backend: Backend) {
    let (database, _guard) = support::database(backend).await;
    let admin = admin_key(&database);
    let tables = tempfile::tempdir().unwrap();
    let a = start(&database, tables.path()).await;
    let b = start_with(&database, tables.path(), &["--live-streams", "1"]).await;
    let token = data_set(a.port, &admin, "live").await;
    let write =
        |n: i64| json!({"_id": format!("r{n}"), "_timestamp": "2026-11-30T10:00:00Z", "value": n});
    let (status, _) = call(
        a.port,
        "POST",
        "/data/live/transactions",
        Some(&token),
        Some(&write(1)),
    )
    .await
    .unwrap();
    assert_eq!(status, 200);

    // As JSON, the version now.
    let (status, body) = call(b.port, "GET", "/api/v1/live/live/transactions", None, None)
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    let version = serde_json::from_str::<Value>(&body).unwrap()["version"]
        .as_i64()
        .unwrap();

    // As a stream on the other instance: the version at once, then each
    // change written through the first, within the 5 seconds a live module
    // has (the instances share only the database).
    let (head, mut stream) = open_stream(b.port, "live/transactions").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: text/event-stream"),
        "{head}"
    );
    stream.waits_for(version, Duration::from_secs(5)).await;
    for n in 2..=4 {
        let (status, _) = call(
            a.port,
            "POST",
            "/data/live/transactions",
            Some(&token),
            Some(&write(n)),
        )
        .await
        .unwrap();
        assert_eq!(status, 200);
        let took = stream
            .waits_for(version + n - 1, Duration::from_secs(5))
            .await;
        eprintln!("a write through one instance reached the other's stream in {took:?}");
    }

    // One stream is all this instance allows: the next is refused, and the
    // page asks every few seconds instead.
    let (head, _) = open_stream(b.port, "live/transactions").await;
    assert!(head.starts_with("HTTP/1.1 503"), "{head}");
    assert!(head.to_ascii_lowercase().contains("retry-after:"), "{head}");

    // One address holds at most a fiftieth of an instance's streams (20 of
    // the first's 1,000): four clients holding 250 each left none for anyone.
    let mut held = Vec::new();
    for _ in 0..20 {
        let (head, stream) = open_stream_from("127.0.0.3", a.port, "live/transactions").await;
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        held.push(stream);
    }
    let (head, mut over) = open_stream_from("127.0.0.3", a.port, "live/transactions").await;
    assert!(head.starts_with("HTTP/1.1 503"), "{head}");
    over.read(Duration::from_secs(1)).await;
    assert!(
        over.seen.contains("as one address may (20)"),
        "{}",
        over.seen
    );
    let (head, _other) = open_stream_from("127.0.0.4", a.port, "live/transactions").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    drop(held);

    // An unknown data set is a 404, streamed or not.
    let (head, _) = open_stream(b.port, "live/nothing").await;
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");

    // A shutdown ends the stream instead of waiting for it.
    let began = Instant::now();
    stop(b);
    assert!(
        began.elapsed() < Duration::from_secs(5),
        "the shutdown waited for the stream"
    );
    while stream.read(Duration::from_secs(1)).await {
        assert!(
            began.elapsed() < Duration::from_secs(5),
            "the stream did not end"
        );
    }
}

#[tokio::test]
async fn a_live_stream_follows_writes_through_another_instance_on_postgres() {
    a_live_stream_follows_writes_through_another_instance(Backend::Postgres).await;
}

#[tokio::test]
async fn a_live_stream_follows_writes_through_another_instance_on_one_sqlite_file() {
    a_live_stream_follows_writes_through_another_instance(Backend::Sqlite).await;
}

/// Browsers that leave while their page is being made (a tab closed, a link
/// clicked again, a load generator stopping) cause no panic: each page is
/// made to its end, and the next pages are whole. 1,200 requests for pages
/// with charts, notes and boards, each dropped at a random moment in its
/// first 120 ms; before pages were made in a task of their own, a few of them
/// panicked in Leptos ("Tried to access a reactive value that has already
/// been disposed").
#[tokio::test]
async fn pages_left_half_made_by_the_browser_cause_no_panic() {
    let (database, _guard) = support::database(Backend::Sqlite).await;
    let made = Command::new(env!("CARGO_BIN_EXE_pulse"))
        .args(["demo", "--database", &database, "--seed", "7"])
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let tables = tempfile::tempdir().unwrap();
    let log_path = tables.path().join("pulse.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let pulse = launch(&database, tables.path(), &[], log.into()).await;
    let port = pulse.port;
    let pages = [
        "/file-a-tax-return",
        "/services/file-a-tax-return",
        "/boards/department-of-revenue-and-benefits",
        "/compare?services=file-a-tax-return,pay-business-rates",
    ];
    let mut seed: u64 = 2013;
    for round in 0..30 {
        let mut left = Vec::new();
        for i in 0..40 {
            // A small linear congruential generator: the same moments each run.
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let wait = Duration::from_millis((seed >> 33) % 120);
            let path = pages[(round + i) % pages.len()];
            left.push(tokio::spawn(async move {
                let _ = tokio::time::timeout(wait, call(port, "GET", path, None, None)).await;
            }));
        }
        for request in left {
            request.await.unwrap();
        }
    }
    for path in pages {
        let (status, body) = call(port, "GET", path, None, None).await.unwrap();
        assert_eq!(status, 200, "{path}");
        assert!(
            body.contains("__INCOMPLETE_CHUNKS"),
            "{path}: the page ends early"
        );
    }
    // What the tasks of the pages that were left did, once they are over.
    tokio::time::sleep(Duration::from_secs(1)).await;
    drop(pulse);
    let logged = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        !logged.contains("panicked") && !logged.contains("a page failed"),
        "{}",
        logged
            .lines()
            .filter(|l| l.contains("panic") || l.contains("failed"))
            .take(10)
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// A connection from `source` that sends the start of a request's head and
/// never the rest, as a slow client (or an attack) would.
async fn half_a_head(source: &str, port: u16) -> tokio::net::TcpStream {
    let mut stream = connect_from(source, port).await.unwrap();
    stream
        .write_all(b"GET /services HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    stream
}

/// How many of `streams` the server closes (or resets) within `wait`, all
/// watched at once.
async fn closed_within(streams: &mut [tokio::net::TcpStream], wait: Duration) -> usize {
    let watched = streams.iter_mut().map(|stream| async move {
        let mut buffer = [0u8; 1024];
        let until = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(until, stream.read(&mut buffer)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return true,
                Ok(Ok(_)) => continue,
                Err(_) => return false,
            }
        }
    });
    futures_util::future::join_all(watched)
        .await
        .into_iter()
        .filter(|closed| *closed)
        .count()
}

/// Connections that send their heads slowly (a "slowloris"), bodies that stop
/// half way or trickle, and one client opening connection after connection: each is
/// closed in its time, one address holds at most its share, and other clients
/// are answered meanwhile. Before, 20,000 such connections from one client
/// left no page answered.
#[tokio::test]
async fn no_client_holds_the_server_by_its_connections() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("pulse.db").display());
    // (Heads get 4 s, so the heads of one step are all open while it looks.)
    let limits = [
        "--header-timeout",
        "4",
        "--body-timeout",
        "2",
        "--max-connections-per-address",
        "20",
        "--max-connections",
        "30",
    ];
    let instance = start_with(&database, &dir.path().join("tables"), &limits).await;
    let port = instance.port;
    tokio::time::sleep(Duration::from_millis(300)).await;

    // One address opens 40 slow connections: it keeps 20, the rest are closed.
    let mut slow = Vec::new();
    for _ in 0..40 {
        slow.push(half_a_head("127.0.0.1", port).await);
    }
    assert_eq!(
        closed_within(&mut slow, Duration::from_millis(700)).await,
        20,
        "the connections past the address's 20"
    );
    // Meanwhile another address is answered, and the first one's new
    // connection is closed without an answer.
    let (status, _) = call_from("127.0.0.2", port, "GET", "/_status", None, None)
        .await
        .unwrap();
    assert_eq!(status, 200);
    let refused = call_from("127.0.0.1", port, "GET", "/_status", None, None).await;
    assert!(
        refused.as_ref().map_or(true, |(status, _)| *status == 0),
        "{refused:?}"
    );
    // The slow heads are closed once they are four seconds late, and the
    // address is answered again.
    assert_eq!(
        closed_within(&mut slow, Duration::from_secs(10)).await,
        40,
        "every slow head closed"
    );
    let (status, _) = call(port, "GET", "/_status", None, None).await.unwrap();
    assert_eq!(status, 200);

    // Every place taken (20 from one address, 10 from another): a third
    // address waits, and is answered once the slow ones are closed. (Fresh
    // addresses: a connection just answered may still be counted for a
    // moment after its client has read the end of it.)
    let mut slow = Vec::new();
    for _ in 0..20 {
        slow.push(half_a_head("127.0.0.4", port).await);
    }
    for _ in 0..10 {
        slow.push(half_a_head("127.0.0.5", port).await);
    }
    let waiting =
        tokio::spawn(
            async move { call_from("127.0.0.6", port, "GET", "/_status", None, None).await },
        );
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(
        !waiting.is_finished(),
        "answered while every place was taken"
    );
    let (status, _) = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("answered once the slow heads were closed")
        .unwrap()
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(closed_within(&mut slow, Duration::from_secs(5)).await, 30);

    // A body that stops half way is refused in words, and nothing is kept.
    let mut stream = connect_from("127.0.0.1", port).await.unwrap();
    stream
        .write_all(
            b"POST /api/v1/password-reset HTTP/1.1\r\nHost: 127.0.0.1\r\n\
              Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"email\": ",
        )
        .await
        .unwrap();
    refused_in_words(&mut stream, "stopped arriving").await;

    // So is one that keeps coming, a byte every 300 ms: it never pauses two
    // seconds, but it comes far slower than 1,000 bytes a second.
    let stream = connect_from("127.0.0.1", port).await.unwrap();
    let (mut reading, mut writing) = stream.into_split();
    let trickle = tokio::spawn(async move {
        writing
            .write_all(
                b"POST /api/v1/password-reset HTTP/1.1\r\nHost: 127.0.0.1\r\n\
                  Content-Type: application/json\r\nContent-Length: 100\r\n\r\n",
            )
            .await
            .unwrap();
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(300)).await;
            if writing.write_all(b" ").await.is_err() {
                break;
            }
        }
    });
    refused_in_words(&mut reading, "came too slowly").await;
    trickle.abort();
}

/// A client that asks for pages and never reads them is let go once its
/// answers have waited the send timeout, and its place is given back. Before,
/// such a connection, and the answers it asked for, were held for ever.
#[tokio::test]
async fn a_client_that_does_not_read_its_answers_is_let_go() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("pulse.db").display());
    let limits = ["--send-timeout", "2", "--max-connections-per-address", "1"];
    let instance = start_with(&database, &dir.path().join("tables"), &limits).await;
    let port = instance.port;
    tokio::time::sleep(Duration::from_millis(300)).await;

    // 2,000 pages asked for on one connection with a small window, and none read.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let stream = socket.connect(([127, 0, 0, 1], port).into()).await.unwrap();
    let (mut reading, mut writing) = stream.into_split();
    let asking = tokio::spawn(async move {
        let request = b"GET /services HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".repeat(2_000);
        let _ = writing.write_all(&request).await;
        writing
    });
    tokio::time::sleep(Duration::from_millis(800)).await;
    // It holds its address's one place meanwhile.
    let held = call_from("127.0.0.1", port, "GET", "/_status", None, None).await;
    assert!(
        held.as_ref().map_or(true, |(status, _)| *status == 0),
        "answered while the reader held the address's place: {held:?}"
    );
    // Let go two seconds after its answers began to wait: the address is
    // answered again.
    let began = Instant::now();
    loop {
        if let Ok((200, _)) = call_from("127.0.0.1", port, "GET", "/_status", None, None).await {
            break;
        }
        assert!(
            began.elapsed() < Duration::from_secs(10),
            "the reader still held its place after 10 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // What reached the client before it was let go ends: far less than the
    // 2,000 pages it asked for.
    let mut taken = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), reading.read_to_end(&mut taken)).await;
    assert!(read.is_ok(), "the connection was not closed");
    let answered = taken.windows(9).filter(|w| w == b"HTTP/1.1 ").count();
    assert!(
        answered < 2_000,
        "{answered} answers reached a client that did not read"
    );
    asking.abort();
}

/// Reads the whole answer on `stream` (within 10 s): a 400 saying `words`.
async fn refused_in_words(stream: &mut (impl tokio::io::AsyncRead + Unpin), words: &str) {
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("an answer within 10 s")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains(words), "{answer}");
}
