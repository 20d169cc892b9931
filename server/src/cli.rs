//! The `pulse` command line. Every option can also be set by an environment
//! variable, named beside it in `--help`.

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
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args, Clone)]
pub struct DatabaseArgs {
    /// Where the data lives: a sqlite:// URL (the file and its folder are created
    /// if missing).
    #[arg(long = "database", env = "PULSE_DATABASE_URL", default_value = DEFAULT_DATABASE, value_name = "URL")]
    pub url: String,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the site and the API (applies database migrations first).
    Serve(ServeArgs),
    /// Apply database migrations, then exit.
    Migrate {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Load the fictional demo data (departments, services, three years of figures).
    /// Running it again changes nothing.
    Demo(DemoArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,

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
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,

    /// The seed of the generator: the same seed always gives the same figures.
    #[arg(long, env = "PULSE_DEMO_SEED", default_value_t = 2013)]
    pub seed: u64,

    /// The day the history ends (YYYY-MM-DD); by default today.
    #[arg(long, env = "PULSE_DEMO_UNTIL", value_parser = parse_day, value_name = "DATE")]
    pub until: Option<DateTime<Utc>>,
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
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
