//! `pulse user`: create, invite, list, update, set a password.

use anyhow::Context;

use super::{PersonArgs, UserCommand};
use app::model::{NewInvitationRequest, NewUserRequest, UserChangeRequest};

use crate::domain::{invitations, mail::MailSettings, query::Cache, users, Ctx};
use crate::store::Store;

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
    let cache = Cache::default();
    let ctx = Ctx::cli(store, &cache);
    let role =
        |r: &str| app::model::Role::parse(r).context("the role must be viewer, editor or admin");
    match command {
        UserCommand::Create {
            person:
                PersonArgs {
                    email,
                    name,
                    role: wanted,
                    organisations,
                },
            password_stdin,
        } => {
            let email = users::normalise_email(&email)?;
            let name = name.unwrap_or_else(|| email.split('@').next().unwrap_or("").to_string());
            let request = NewUserRequest {
                email,
                display_name: name,
                role: role(&wanted)?,
                organisations,
                password: read_password(password_stdin)?,
            };
            let user = users::create(&ctx, &request).await?;
            println!("{}", serde_json::to_string_pretty(&user)?);
        }
        UserCommand::List => {
            println!(
                "{}",
                serde_json::to_string_pretty(&users::list(&ctx).await?)?
            );
        }
        UserCommand::Update {
            email,
            role: wanted,
            organisations,
            deactivate,
            activate,
        } => {
            let user = users::find_by_email(&ctx, &email).await?;
            let change = UserChangeRequest {
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
            let updated = users::update(&ctx, user.id, change).await?;
            println!("{}", serde_json::to_string_pretty(&updated)?);
        }
        UserCommand::Invite {
            person:
                PersonArgs {
                    email,
                    name,
                    role: wanted,
                    organisations,
                },
            public_url,
        } => {
            // E-mail is sent by `pulse serve`, which reads it from the
            // database: this command only queues it, so the link is shown.
            let settings = MailSettings {
                enabled: false,
                public_url: super::serve::public_url(&public_url)?,
                ..MailSettings::default()
            };
            let request = NewInvitationRequest {
                email,
                display_name: name.unwrap_or_default(),
                role: role(&wanted)?,
                organisations,
            };
            let sent = invitations::invite(&ctx, &settings, &request).await?;
            let invitation = &sent.invitation;
            println!(
                "{} is invited as {}. Send them this link some safe way: it works once, until {}.",
                invitation.email,
                invitation.role.with_article(),
                invitation.expires_at.format("%-d %B %Y at %H:%M UTC")
            );
            println!("{}", sent.link.as_deref().unwrap_or_default());
            if crate::store::mail::unsubscribed(store, &invitation.email).await? {
                println!(
                    "They asked Pulse for no more e-mail, so this link is the only way it reaches them."
                );
            } else {
                println!(
                    "An instance of `pulse serve` with --smtp-url on this database also e-mails it to them."
                );
            }
        }
        UserCommand::SetPassword {
            email,
            password_stdin,
        } => {
            let user = users::find_by_email(&ctx, &email).await?;
            let password = read_password(password_stdin)?;
            users::set_password(&ctx, user.id, &password).await?;
            println!("The password of {} has been set.", user.email);
        }
    }
    Ok(())
}
