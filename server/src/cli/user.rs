//! `pulse user`: create, list, update, set a password.

use anyhow::Context;

use super::UserCommand;
use crate::store::{
    audit::{Actor, Note},
    users, Store,
};

pub async fn run(database: &str, command: UserCommand) -> anyhow::Result<()> {
    let store = Store::connect(database).await?;
    store.migrate().await?;
    user_command(&store, command).await
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
    let err = |e: crate::error::Error| anyhow::anyhow!("{e}");
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
