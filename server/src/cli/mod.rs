//! The `pulse` command line. Every option can also be set by an environment
//! variable, named beside it in `--help`.

mod audit;
mod data_set;
mod demo;
mod import;
mod key;
mod serve;
mod user;

use std::{net::SocketAddr, path::PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Parser, Subcommand};

/// The default database: a SQLite file under ./data, created when missing.
pub const DEFAULT_DATABASE: &str = "sqlite://data/pulse.db";

#[derive(Debug, Parser)]
#[command(
    name = "pulse",
    version,
    about = "Pulse: how public services perform.",
    long_about = "Pulse: how public services perform.\n\n\
        Services send their data through a Backdrop-compatible HTTP API; service \
        managers, sponsors and the public explore it on dashboards.\n\n\
        Start here:  pulse demo   (load fictional demo data)\n             \
        pulse serve  (then open http://127.0.0.1:3000)"
)]
pub struct Cli {
    /// Where the data lives: a sqlite:// URL (the file and its folder are created
    /// if missing). Accepted before or after the subcommand.
    #[arg(
        long = "database",
        env = "PULSE_DATABASE_URL",
        default_value = DEFAULT_DATABASE,
        value_name = "URL",
        global = true
    )]
    pub database: String,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the site and the API (applies database migrations first).
    Serve(ServeArgs),
    /// Apply database migrations, then exit.
    Migrate,
    /// Load the fictional demo data (departments, services, three years of figures).
    /// Running it again changes nothing.
    Demo(DemoArgs),
    /// Create, list and manage data sets and their write tokens.
    #[command(subcommand, name = "data-set")]
    DataSet(DataSetCommand),
    /// Import a CSV or XLSX file (first sheet; first row the header; one record per
    /// row) into a data set: checked like the write API, stored all or nothing.
    Import {
        /// The data group, usually the service's slug.
        #[arg(long)]
        group: String,
        /// The data type, e.g. transactions-by-channel.
        #[arg(long = "type")]
        data_type: String,
        /// The .csv or .xlsx file.
        file: PathBuf,
    },
    /// Create API keys for programs (an admin key manages data sets over HTTP).
    #[command(subcommand)]
    Key(KeyCommand),
    /// Create and manage the people who sign in (viewers, editors, admins).
    #[command(subcommand)]
    User(UserCommand),
    /// Show the audit log: every change, who made it, when and how.
    Audit {
        /// Only entries whose actor, action, target or detail contains this.
        #[arg(long, default_value = "")]
        filter: String,
        /// At most this many entries, newest first.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user. The password comes from a prompt, or from the first line of
    /// standard input with --password-stdin.
    Create {
        #[command(flatten)]
        person: PersonArgs,
        #[arg(long)]
        password_stdin: bool,
    },
    /// List every user as JSON.
    List,
    /// Change a user's role or organisations, or whether they may sign in.
    Update {
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = ["viewer", "editor", "admin"])]
        role: Option<String>,
        /// The user's organisations, replacing the ones they had. Repeatable.
        #[arg(long = "org")]
        organisations: Vec<String>,
        /// Stop the user signing in (and end their sessions).
        #[arg(long, conflicts_with = "activate")]
        deactivate: bool,
        /// Let a deactivated user sign in again.
        #[arg(long)]
        activate: bool,
    },
    /// Invite someone: an invitation that lets them set their password and
    /// sign in (7 days, once). Prints its link, to send them some safe way;
    /// an instance of `pulse serve` with --smtp-url on this database also
    /// e-mails it to them.
    Invite {
        #[command(flatten)]
        person: PersonArgs,
        /// Where people reach this Pulse, for the link (as `pulse serve`
        /// takes it).
        #[arg(
            long,
            env = "PULSE_PUBLIC_URL",
            value_name = "URL",
            default_value = "http://127.0.0.1:3000"
        )]
        public_url: String,
    },
    /// Set a user's password (a prompt, or --password-stdin).
    SetPassword {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password_stdin: bool,
    },
}

/// Who a new account is for, as `pulse user create` and `pulse user invite`
/// take it.
#[derive(Debug, Args)]
pub struct PersonArgs {
    #[arg(long)]
    email: String,
    /// The name shown in Pulse (the part of the email before @ if left out;
    /// someone invited may change it).
    #[arg(long)]
    name: Option<String>,
    /// viewer, editor or admin.
    #[arg(long, value_parser = ["viewer", "editor", "admin"])]
    role: String,
    /// A department or agency they belong to, by slug. Repeatable.
    #[arg(long = "org")]
    organisations: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum DataSetCommand {
    /// Create a data set and print it as JSON, with its write token (shown this once).
    Create(DataSetCreateArgs),
    /// List every data set as JSON.
    List,
    /// Revoke a data set's write tokens and print a new one.
    RotateToken {
        /// The data group, usually the service's slug.
        #[arg(long)]
        group: String,
        /// The data type, e.g. transactions-by-channel.
        #[arg(long = "type")]
        data_type: String,
    },
}

#[derive(Debug, Args)]
pub struct DataSetCreateArgs {
    /// The data group, usually the service's slug (e.g. carers-allowance).
    #[arg(long)]
    pub group: String,
    /// The data type (e.g. transactions-by-channel).
    #[arg(long = "type")]
    pub data_type: String,
    /// Fields whose values, joined, make each record's id (so re-sending corrects).
    #[arg(long, value_delimiter = ',', value_name = "FIELD,...")]
    pub auto_ids: Vec<String>,
    /// A JSON Schema file every record must satisfy.
    #[arg(long, value_name = "FILE")]
    pub schema: Option<PathBuf>,
    /// A data type of the catalogue (e.g. completion-rate): its schema,
    /// auto_ids and expected age are used.
    #[arg(long, value_name = "TYPE", conflicts_with_all = ["auto_ids", "schema"])]
    pub from_type: Option<String>,
    /// Readers get long cache times and no "unpublished" warning.
    #[arg(long)]
    pub published: bool,
    /// Readers get short cache times (data that changes by the minute).
    #[arg(long)]
    pub realtime: bool,
    /// Whether queries without group_by or period are allowed.
    #[arg(long, value_name = "true|false", default_value_t = true, action = clap::ArgAction::Set)]
    pub raw_queries_allowed: bool,
    /// Whether the data set can be read at all.
    #[arg(long, value_name = "true|false", default_value_t = true, action = clap::ArgAction::Set)]
    pub queryable: bool,
    /// Seconds after the newest record before the data set counts as out of date.
    #[arg(long, value_name = "SECONDS", default_value_t = 86_400)]
    pub max_age_expected: i64,
    /// Keep using an existing Backdrop bearer token instead of issuing a new one.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "PULSE_BEARER_TOKEN",
        hide_env_values = true
    )]
    pub bearer_token: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create a key and print it (the secret is shown this once).
    Create {
        /// What the key is for, e.g. "deploy pipeline".
        #[arg(long)]
        name: String,
        /// What the key may do: `admin`, `read:unpublished`, `dashboards:write`,
        /// `annotations:write`, or `data-set:<name>:write`. Repeatable.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// Days until the key expires.
        #[arg(long, default_value_t = 90)]
        expires_in_days: i64,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address and port to listen on.
    #[arg(
        long,
        env = "PULSE_ADDR",
        default_value = "127.0.0.1:3000",
        value_name = "HOST:PORT"
    )]
    pub addr: SocketAddr,

    /// The folder with the built site (the wasm bundle, CSS and vendor files).
    /// By default ./target/site if it exists, else the one beside the source the
    /// binary was built from.
    #[arg(long, env = "PULSE_SITE_ROOT", value_name = "DIR")]
    pub site_root: Option<PathBuf>,

    /// The reverse proxies in front of Pulse, as networks separated by commas
    /// (`127.0.0.1/32,10.0.0.0/8`): only from these are `X-Forwarded-For`,
    /// `X-Forwarded-Proto` and `X-Forwarded-Host` believed. None by default.
    #[arg(
        long,
        env = "PULSE_TRUSTED_PROXIES",
        default_value = "",
        value_name = "CIDR,...",
        value_parser = crate::http::client::TrustedProxies::parse
    )]
    pub trusted_proxies: crate::http::client::TrustedProxies,

    /// Where large data sets' tables are kept between runs, so the first read
    /// after a restart is quick (`off` keeps none). By default beside a
    /// SQLite file (`pulse.db.tables`), or `data/tables/HOST-PORT-DATABASE`
    /// for Postgres. Each file holds one data set at one version and is used
    /// only while the database still holds that version.
    #[arg(long, env = "PULSE_SNAPSHOTS", value_name = "DIR")]
    pub snapshots: Option<PathBuf>,

    /// The fewest records for which a data set's table is kept on disk
    /// (smaller ones load from the database about as fast).
    #[arg(
        long,
        env = "PULSE_SNAPSHOT_MIN_RECORDS",
        default_value_t = 20_000,
        value_name = "N"
    )]
    pub snapshot_min_records: usize,

    /// How many megabytes of read answers to keep in memory, so a query asked
    /// again is answered without running it (0 keeps none: every read runs
    /// its query, as the data API's benchmark wants).
    #[arg(
        long,
        env = "PULSE_ANSWERS_MB",
        default_value_t = 32,
        value_name = "MB"
    )]
    pub answers_mb: usize,

    /// The SMTP server Pulse sends e-mail through:
    /// `smtp://user:password@host:port` (STARTTLS whenever the server offers
    /// it; add `?tls=required` to insist) or `smtps://…` (TLS from the
    /// start). Without one, e-mail is off: messages are written to the log,
    /// and pages say so.
    #[arg(long, env = "PULSE_SMTP_URL", value_name = "URL")]
    pub smtp_url: Option<String>,

    /// The address e-mail comes from, e.g. "Pulse <pulse@example.gov.uk>".
    #[arg(
        long,
        env = "PULSE_MAIL_FROM",
        default_value = "Pulse <pulse@localhost>",
        value_name = "ADDRESS"
    )]
    pub mail_from: String,

    /// Where people reach this Pulse, for the links in e-mail (e.g.
    /// https://pulse.example.gov.uk). By default http:// and --addr.
    #[arg(long, env = "PULSE_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,

    /// How often to look for late data and remind its editors, and for
    /// figures that people asked to be alerted of (each reminder and alert is
    /// sent once, whatever the number of instances), in seconds.
    #[arg(
        long,
        env = "PULSE_LATE_DATA_EVERY",
        default_value_t = 60,
        value_parser = clap::value_parser!(u64).range(1..=86_400),
        value_name = "SECONDS"
    )]
    pub late_data_every: u64,

    /// When weekly digests of boards are sent: a day and a 24-hour time, UK
    /// time (e.g. "monday 07:00", the default). Each digest is sent once a
    /// week, whatever the number of instances; an instance that was not
    /// running then sends them when it starts, up to a day late.
    #[arg(
        long,
        env = "PULSE_DIGEST_AT",
        default_value = "monday 07:00",
        value_parser = clap::value_parser!(crate::domain::digests::Schedule),
        value_name = "DAY HH:MM"
    )]
    pub digest_at: crate::domain::digests::Schedule,

    /// The most live modules' streams open at once on this instance (each
    /// holds a connection); past it, pages ask every few seconds instead.
    #[arg(
        long,
        env = "PULSE_LIVE_STREAMS",
        default_value_t = 1000,
        value_parser = clap::value_parser!(u64).range(0..=100_000),
        value_name = "COUNT"
    )]
    pub live_streams: u64,

    /// The most connections open at once; past it, new ones wait. By default
    /// what the process may open (its soft limit on open files, raised to the
    /// hard one) less 256, which are kept for the database and the site's
    /// files.
    #[arg(
        long,
        env = "PULSE_MAX_CONNECTIONS",
        value_parser = clap::value_parser!(u64).range(1..=1_000_000),
        value_name = "COUNT"
    )]
    pub max_connections: Option<u64>,

    /// The most connections one client address may hold at once (an IPv6
    /// address counts by its /64); past it, its new ones are closed. The
    /// proxies of --trusted-proxies are not limited. 0 for no limit (raise
    /// it if many people reach Pulse through one address).
    #[arg(
        long,
        env = "PULSE_MAX_CONNECTIONS_PER_ADDRESS",
        default_value_t = 256,
        value_parser = clap::value_parser!(u64).range(0..=1_000_000),
        value_name = "COUNT"
    )]
    pub max_connections_per_address: u64,

    /// Seconds a request's head may take to arrive: a connection that is
    /// slower, or idle that long between requests, is closed.
    #[arg(
        long,
        env = "PULSE_HEADER_TIMEOUT",
        default_value_t = 20,
        value_parser = clap::value_parser!(u64).range(1..=3600),
        value_name = "SECONDS"
    )]
    pub header_timeout: u64,

    /// Seconds a request's body may pause; once that time has passed, it must
    /// also have averaged 1,000 bytes a second. A body that stops or trickles
    /// is refused (400) and its connection closed.
    #[arg(
        long,
        env = "PULSE_BODY_TIMEOUT",
        default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(1..=3600),
        value_name = "SECONDS"
    )]
    pub body_timeout: u64,

    /// Seconds an answer may wait for a client that does not take it; once
    /// that time has passed, the client must also have taken 1,000 bytes for
    /// each second it kept answers waiting. A client that does not read what
    /// it asked for is let go, and its connection closed.
    #[arg(
        long,
        env = "PULSE_SEND_TIMEOUT",
        default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(1..=3600),
        value_name = "SECONDS"
    )]
    pub send_timeout: u64,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The seed of the generator: the same seed always gives the same figures.
    #[arg(long, env = "PULSE_DEMO_SEED", default_value_t = 2013)]
    pub seed: u64,

    /// The day the history ends (YYYY-MM-DD); by default today.
    #[arg(long, env = "PULSE_DEMO_UNTIL", value_parser = parse_day, value_name = "DATE")]
    pub until: Option<DateTime<Utc>>,

    /// How many services in all, for trying Pulse at scale: the demo's own,
    /// then copies of them (`{slug}-copy-{n}`, with figures of their own)
    /// until there are this many. By default, the demo's own only.
    #[arg(long, value_name = "COUNT")]
    pub services: Option<usize>,

    /// After loading, keep feeding the demo's live figure (people using
    /// "Renew a driving licence" now) a fictional count every few seconds,
    /// until stopped with Ctrl-C: beside a running `pulse serve` on the same
    /// database, its dashboard's live module moves as you watch.
    #[arg(long)]
    pub live: bool,

    /// With --live: seconds between counts.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=3600), value_name = "SECONDS")]
    pub live_every: u64,
}

fn parse_day(s: &str) -> Result<DateTime<Utc>, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc())
        .map_err(|_| format!("{s:?} is not a date of the form YYYY-MM-DD"))
}

/// The site folder: the option if given, else `./target/site` when it holds a
/// build, else the build beside the workspace this binary was compiled from.
pub fn site_root(option: Option<PathBuf>) -> PathBuf {
    if let Some(dir) = option {
        return dir;
    }
    let local = PathBuf::from("target/site");
    if local.join("pkg").is_dir() {
        return local;
    }
    let built = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/site");
    if built.join("pkg").is_dir() {
        return built;
    }
    local
}

/// Runs one command (one file per command beside this one).
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let database = cli.database;
    match cli.command {
        Command::Migrate => {
            let store = crate::store::Store::connect(&database).await?;
            store.migrate().await?;
            println!("The database {database} is up to date.");
            Ok(())
        }
        Command::Demo(args) => demo::run(&database, args).await,
        Command::DataSet(command) => data_set::run(&database, command).await,
        Command::Import {
            group,
            data_type,
            file,
        } => import::run(&database, &group, &data_type, &file).await,
        Command::Key(command) => key::run(&database, command).await,
        Command::User(command) => user::run(&database, command).await,
        Command::Audit { filter, limit } => audit::run(&database, &filter, limit).await,
        Command::Serve(args) => serve::run(&database, args).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn the_database_is_accepted_before_or_after_the_subcommand() {
        let before = Cli::try_parse_from(["pulse", "--database", "sqlite://a.db", "demo"]).unwrap();
        let after = Cli::try_parse_from(["pulse", "demo", "--database", "sqlite://a.db"]).unwrap();
        assert_eq!(before.database, "sqlite://a.db");
        assert_eq!(after.database, "sqlite://a.db");
    }

    #[test]
    fn dates_must_be_days() {
        assert!(parse_day("2026-11-23").is_ok());
        assert_eq!(
            parse_day("23/11/2026").unwrap_err(),
            "\"23/11/2026\" is not a date of the form YYYY-MM-DD"
        );
    }
}
