//! `pulse`: serve, migrate, demo.

use anyhow::Context;
use clap::Parser;
use tracing_subscriber::EnvFilter;

use server::{
    cli::{site_root, Cli, Command, DataSetCommand, KeyCommand, UserCommand},
    demo,
    http::{app, AppState},
    leptos_options,
    store::Store,
    store::{
        api_keys, audit,
        audit::{Actor, Note},
        data_sets, users,
    },
};

fn main() -> std::process::ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: could not start: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // One line a person can act on, with its causes; no backtrace.
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("PULSE_LOG")
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .init();
    let cli = Cli::parse();
    let database = cli.database;
    match cli.command {
        Command::Migrate => {
            let store = Store::connect(&database).await?;
            store.migrate().await?;
            println!("The database {database} is up to date.");
        }
        Command::Demo(args) => {
            let store = Store::connect(&database).await?;
            store.migrate().await?;
            let until = args.until.unwrap_or_else(chrono::Utc::now);
            let loaded = demo::load(&store, args.seed, until).await?;
            if loaded.records_stored == 0
                && loaded.data_sets_created == 0
                && loaded.dashboards_created == 0
            {
                println!("The demo data was already loaded into {database}; nothing changed.");
            } else {
                println!(
                    "Loaded fictional demo data into {}: {} services, {} data sets created, {} records stored, {} dashboards created.",
                    database, loaded.services, loaded.data_sets_created, loaded.records_stored, loaded.dashboards_created
                );
            }
            let password = std::env::var("PULSE_DEMO_PASSWORD").ok();
            let people = demo::users(&store, password.as_deref()).await?;
            if people.is_empty() {
                println!("The demo users were already there (reset a password with `pulse user set-password`).");
            } else {
                println!("Demo users (sign in at /sign-in; the passwords are shown this once):");
                for (email, role, password) in people {
                    println!("  {role:<7} {email:<32} {password}");
                }
            }
        }
        Command::DataSet(command) => {
            let store = Store::connect(&database).await?;
            store.migrate().await?;
            match command {
                DataSetCommand::Create(args) => {
                    let schema = match &args.schema {
                        Some(path) => {
                            let text = std::fs::read_to_string(path)
                                .with_context(|| format!("could not read {}", path.display()))?;
                            Some(
                                serde_json::from_str(&text).with_context(|| {
                                    format!("{} is not valid JSON", path.display())
                                })?,
                            )
                        }
                        None => None,
                    };
                    let mut settings = data_sets::DataSetSettings {
                        auto_ids: args.auto_ids,
                        schema,
                        queryable: args.queryable,
                        published: args.published,
                        realtime: args.realtime,
                        raw_queries_allowed: args.raw_queries_allowed,
                        max_age_expected: Some(args.max_age_expected),
                        upload_format: None,
                    };
                    if let Some(name) = &args.from_type {
                        settings
                            .take_type(name)
                            .map_err(|e| anyhow::anyhow!("{e}"))?;
                    }
                    let service_id = server::store::orgs::service_id(&store, &args.group)
                        .await
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                    let now = chrono::Utc::now();
                    let mut w = store.write().await.map_err(|e| anyhow::anyhow!("{e}"))?;
                    let created = data_sets::create_with_token(
                        &mut w,
                        &args.group,
                        &args.data_type,
                        service_id,
                        &settings,
                        args.bearer_token,
                        now,
                    )
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                    w.commit(Note::new(
                        &Actor::cli(),
                        "data-set.create",
                        format!("data set {}", created.data_set.name),
                        serde_json::json!({}),
                        now,
                    ))
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                    println!("{}", serde_json::to_string_pretty(&created)?);
                }
                DataSetCommand::List => {
                    let all = data_sets::list(&store)
                        .await
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                    println!("{}", serde_json::to_string_pretty(&all)?);
                }
                DataSetCommand::RotateToken { group, data_type } => {
                    let data_set = data_sets::find(&store, &group, &data_type)
                        .await
                        .map_err(|e| anyhow::anyhow!("{e}"))?
                        .ok_or_else(|| {
                            anyhow::anyhow!("there is no data set {group}/{data_type}")
                        })?;
                    let now = chrono::Utc::now();
                    let mut w = store.write().await.map_err(|e| anyhow::anyhow!("{e}"))?;
                    let token = data_sets::rotate_token(&mut w, &data_set, now)
                        .await
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                    w.commit(Note::new(
                        &Actor::cli(),
                        "data-set.token",
                        format!("data set {}", data_set.name),
                        serde_json::json!({}),
                        now,
                    ))
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                    println!(
                        "{}",
                        serde_json::to_string_pretty(
                            &serde_json::json!({ "name": data_set.name, "bearer_token": token })
                        )?
                    );
                }
            }
        }
        Command::Import {
            group,
            data_type,
            file,
        } => {
            let store = Store::connect(&database).await?;
            store.migrate().await?;
            import_file(&store, &group, &data_type, &file).await?;
        }
        Command::Key(KeyCommand::Create {
            name,
            scopes,
            expires_in_days,
        }) => {
            if expires_in_days <= 0 {
                anyhow::bail!("--expires-in-days must be at least 1");
            }
            let store = Store::connect(&database).await?;
            store.migrate().await?;
            check_scopes(&store, &scopes).await?;
            let now = chrono::Utc::now();
            let mut w = store.write().await.map_err(|e| anyhow::anyhow!("{e}"))?;
            let key = api_keys::create(
                &mut w,
                &name,
                &scopes,
                Some(now + chrono::Duration::days(expires_in_days)),
                None,
                now,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            w.commit(Note::new(
                &Actor::cli(),
                "key.create",
                format!("key {} ({})", key.key.id, key.key.prefix),
                serde_json::json!({ "name": key.key.name, "scopes": key.key.scopes }),
                now,
            ))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{}", serde_json::to_string_pretty(&key)?);
            eprintln!("Keep the secret safe: it will not be shown again.");
        }
        Command::User(command) => {
            let store = Store::connect(&database).await?;
            store.migrate().await?;
            user_command(&store, command).await?;
        }
        Command::Audit { filter, limit } => {
            let store = Store::connect(&database).await?;
            store.migrate().await?;
            let entries = audit::list(&store, &filter, limit)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{}", serde_json::to_string_pretty(&entries)?);
        }
        Command::Serve(args) => {
            let store = Store::connect(&database).await?;
            store.migrate().await?;
            let root = site_root(args.site_root);
            if !root.join("pkg").is_dir() {
                tracing::warn!(
                    "no built site in {}: pages will render without their scripts and styles \
                     (build with `cargo leptos build --release`, or set PULSE_SITE_ROOT)",
                    root.display()
                );
            }
            let options = leptos_options(root, args.addr);
            if !args.trusted_proxies.is_empty() {
                tracing::info!(
                    "X-Forwarded-* headers are believed from {}",
                    args.trusted_proxies
                );
            }
            let router = app(AppState {
                store,
                cache: Default::default(),
                leptos_options: options,
                trusted_proxies: args.trusted_proxies,
            });
            let listener = tokio::net::TcpListener::bind(args.addr)
                .await
                .with_context(|| format!("could not listen on {}", args.addr))?;
            tracing::info!("Pulse is serving on http://{}", args.addr);
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .with_graceful_shutdown(shutdown_signal())
            .await?;
            tracing::info!("Pulse has stopped");
        }
    }
    Ok(())
}

/// `pulse import`: read, check every row, store all or nothing, and say so.
async fn import_file(
    store: &Store,
    group: &str,
    data_type: &str,
    file: &std::path::Path,
) -> anyhow::Result<()> {
    use server::{import, ingest, store::records};
    use std::io::{IsTerminal, Write};

    let data_set = data_sets::find(store, group, data_type)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .ok_or_else(|| {
            anyhow::anyhow!(
                "there is no data set {group}/{data_type}: create it first with pulse data-set create"
            )
        })?;
    let sheet = import::read_file(file).map_err(|e| anyhow::anyhow!("{e}"))?;
    if sheet.rows.is_empty() {
        anyhow::bail!(
            "{} has a header but no rows: nothing to import",
            file.display()
        );
    }
    let total = sheet.rows.len();
    let checked = match ingest::check_for(&data_set, serde_json::Value::Array(sheet.records())) {
        Ok(checked) => checked,
        Err(ingest::Refused::BadSchema(e)) => anyhow::bail!(e),
        Err(ingest::Refused::Invalid(problems)) => {
            for p in &problems {
                eprintln!("row {}: {}", sheet.rows[p.index].0, p.message);
            }
            anyhow::bail!(
                "{} of {total} rows rejected; nothing was stored. Correct them and import the file again.",
                problems.len()
            );
        }
    };
    let records = checked.records;
    let terminal = std::io::stderr().is_terminal();
    let mut progress = |done: usize| {
        if terminal {
            let width = 30;
            let filled = done * width / total.max(1);
            eprint!(
                "\r[{}{}] {done}/{total} records",
                "#".repeat(filled),
                " ".repeat(width - filled)
            );
            let _ = std::io::stderr().flush();
        }
    };
    let actor = format!("cli:import:{}", file.display());
    let now = chrono::Utc::now();
    let mut w = store.write().await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let written = records::upsert_batch_with_progress(
        &mut w,
        data_set.id,
        &records,
        checked.ids_may_exist,
        &actor,
        now,
        &mut progress,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let detail = serde_json::json!({
        "file": file.display().to_string(),
        "records": records.len(),
        "new": written.inserted,
    });
    w.commit(Note::new(
        &Actor::cli(),
        "records.import",
        format!("data set {}", data_set.name),
        detail,
        now,
    ))
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    if terminal {
        eprintln!();
    }
    println!(
        "Imported {} into {}: {} records stored ({} new, {} replaced); rejected: none.",
        file.display(),
        data_set.name,
        written.inserted + written.replaced,
        written.inserted,
        written.replaced
    );
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM, so requests in flight can finish.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}

/// A password from standard input's first line, or typed at a prompt (twice).
fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .context("could not read the password from standard input")?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    let first = rpassword::prompt_password("Password: ")
        .context("could not read a password (use --password-stdin without a terminal)")?;
    let second = rpassword::prompt_password("The same password again: ")?;
    if first != second {
        anyhow::bail!("the two passwords were not the same");
    }
    Ok(first)
}

async fn user_command(store: &Store, command: UserCommand) -> anyhow::Result<()> {
    let err = |e: server::error::Error| anyhow::anyhow!("{e}");
    let now = chrono::Utc::now();
    let role =
        |r: &str| app::model::Role::parse(r).context("the role must be viewer, editor or admin");
    let find = |email: String| async move {
        users::find_by_email(store, &email)
            .await
            .map_err(err)?
            .with_context(|| format!("there is no user with the email {email}"))
    };
    match command {
        UserCommand::Create {
            email,
            name,
            role: wanted,
            organisations,
            password_stdin,
        } => {
            let email = users::normalise_email(&email).map_err(err)?;
            let name = name.unwrap_or_else(|| email.split('@').next().unwrap_or("").to_string());
            let password = read_password(password_stdin)?;
            let mut w = store.write().await.map_err(err)?;
            let user = users::create(
                &mut w,
                &users::NewUser {
                    email: &email,
                    display_name: &name,
                    role: role(&wanted)?,
                    organisations: &organisations,
                    password: &password,
                },
                now,
            )
            .await
            .map_err(err)?;
            w.commit(Note::new(
                &Actor::cli(),
                "user.create",
                format!("user {}", user.id),
                serde_json::json!({ "email": user.email, "role": user.role }),
                now,
            ))
            .await
            .map_err(err)?;
            println!("{}", serde_json::to_string_pretty(&user)?);
        }
        UserCommand::List => {
            println!(
                "{}",
                serde_json::to_string_pretty(&users::list(store).await.map_err(err)?)?
            );
        }
        UserCommand::Update {
            email,
            role: wanted,
            organisations,
            deactivate,
            activate,
        } => {
            let user = find(email).await?.user;
            let change = users::UserChange {
                role: wanted.as_deref().map(role).transpose()?,
                organisations: (!organisations.is_empty()).then_some(organisations),
                active: if deactivate {
                    Some(false)
                } else if activate {
                    Some(true)
                } else {
                    None
                },
                display_name: None,
            };
            let mut w = store.write().await.map_err(err)?;
            let updated = users::update(&mut w, user.id, &change).await.map_err(err)?;
            w.commit(Note::new(
                &Actor::cli(),
                "user.update",
                format!("user {}", user.id),
                serde_json::json!({ "role": updated.role, "organisations": updated.organisations, "active": updated.active }),
                now,))
            .await
            .map_err(err)?;
            println!("{}", serde_json::to_string_pretty(&updated)?);
        }
        UserCommand::SetPassword {
            email,
            password_stdin,
        } => {
            let user = find(email).await?.user;
            let password = read_password(password_stdin)?;
            let mut w = store.write().await.map_err(err)?;
            users::set_password(&mut w, user.id, &password)
                .await
                .map_err(err)?;
            w.commit(Note::new(
                &Actor::cli(),
                "user.password",
                format!("user {}", user.id),
                serde_json::json!({}),
                now,
            ))
            .await
            .map_err(err)?;
            println!("The password of {} has been set.", user.email);
        }
    }
    Ok(())
}

/// Refuses a scope no key can have, before any key is made: one of the named
/// scopes, or `data-set:NAME:write` for a data set that exists.
async fn check_scopes(store: &Store, scopes: &[String]) -> anyhow::Result<()> {
    use app::model::Scope;
    let data_sets = server::store::data_sets::list(store)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    for scope in scopes {
        match Scope::parse(scope) {
            Some(Scope::WriteDataSet(name)) if !data_sets.iter().any(|d| d.name == name) => {
                anyhow::bail!("there is no data set {name:?} (scope {scope:?})")
            }
            Some(_) => {}
            None => anyhow::bail!("{scope:?} is not a scope: {}", Scope::EXPECTED),
        }
    }
    Ok(())
}
