//! People: the rules for their email addresses, names and passwords, and
//! every change to them (create, change, a new password), each one write with
//! its audit row. A password is hashed before its write begins (hashing takes
//! a while, and a write holds the database). The HTTP routes and the command
//! line call these.

use super::json::shown;
use app::model::{NewUserRequest, User, UserChangeRequest};
use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use chrono::{DateTime, Utc};
use serde_json::json;

use super::caller::Permission;
use super::Ctx;
use crate::error::{Error, Result};
use crate::store::{
    audit::Note,
    sessions,
    users::{self, NewUser, UserChange, WithHash},
    Write,
};

/// The shortest password Pulse accepts.
pub const MIN_PASSWORD: usize = 12;

/// Hashes a password with Argon2id (a fresh salt; the default cost).
pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(anyhow::anyhow!("could not hash a password: {e}")))
}

/// Whether `password` is the one `hash` was made from.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash of no one's password, verified when an email is unknown so that the
/// answer takes as long as for a known one.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("not anyone's password at all").unwrap_or_default())
}

/// Why a password is not acceptable, if it is not.
pub fn check_password(password: &str) -> Result<()> {
    let length = password.chars().count();
    if length < MIN_PASSWORD {
        return Err(Error::BadRequest(format!(
            "The password must be at least {MIN_PASSWORD} characters long."
        )));
    }
    if length > 256 {
        return Err(Error::BadRequest(
            "The password must be at most 256 characters long.".into(),
        ));
    }
    // (422: a password the document's rules allow that the list refuses)
    if is_common(password) {
        return Err(Error::Unprocessable(
            "This password is one of the most common passwords (or one with numbers or symbols \
             added), which are guessed first: choose another. Three or four random words make a \
             good one."
                .into(),
        ));
    }
    Ok(())
}

/// As [`check_password`], and not the person's own email address (or its
/// name part, with digits or symbols around it).
pub fn check_password_of(password: &str, email: &str) -> Result<()> {
    check_password(password)?;
    let lower = password.to_lowercase();
    let email = email.to_lowercase();
    let local = email.split('@').next().unwrap_or_default();
    let core = lower.trim_matches(|c: char| !c.is_alphabetic());
    if lower.contains(&email) || core == local {
        return Err(Error::Unprocessable(
            "The password must not be your email address, nor its name part with numbers or \
             symbols added: choose another."
                .into(),
        ));
    }
    Ok(())
}

/// Whether `password` is one of the 30,000 most common passwords, or one of
/// them with digits, spaces or symbols before or after it, or one character
/// repeated.
pub fn is_common(password: &str) -> bool {
    static COMMON: std::sync::OnceLock<std::collections::HashSet<&'static str>> =
        std::sync::OnceLock::new();
    let common = COMMON.get_or_init(|| {
        include_str!("common_passwords.txt")
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    });
    let lower = password.to_lowercase();
    let core = lower.trim_matches(|c: char| !c.is_alphabetic());
    let mut chars = lower.chars();
    let first = chars.next();
    common.contains(lower.as_str())
        || (core.chars().count() >= 4 && common.contains(core))
        || chars.all(|c| Some(c) == first)
}

/// An email address in the form Pulse keeps it (trimmed, lower case), or why
/// it is not one: one a mail server takes, in the form GOV.UK Notify takes
/// (RFC 5321's dot-atom in ASCII: letters, digits and `!#$%&'*+/=?^_`{|}~-`
/// in dot-separated runs, @, a domain of names of letters, digits and
/// hyphens joined by dots), so no `<`, `>`, quotes, brackets or spaces; at
/// most 254 characters. The API's schema says the same
/// (`app::model::schemas::EMAIL`).
pub fn normalise_email(email: &str) -> Result<String> {
    let trimmed = email.trim();
    match email_fault(email, trimmed) {
        None => Ok(trimmed.to_ascii_lowercase()),
        Some(fault) => Err(Error::BadRequest(format!(
            "{} is not an email address (like name@example.gov.uk): {fault}",
            shown(trimmed)
        ))),
    }
}

/// The longest an e-mail address may be (RFC 5321's limit on a path).
pub const MAX_EMAIL: usize = 254;

/// What keeps `trimmed` (`email` without white space around it) from being
/// an address, if anything.
fn email_fault(email: &str, trimmed: &str) -> Option<String> {
    // RFC 5322's atext: what a local part may hold besides letters and digits.
    const ATEXT: &str = "!#$%&'*+-/=?^_`{|}~";
    if email.chars().count() > MAX_EMAIL {
        return Some(format!("it is longer than {MAX_EMAIL} characters"));
    }
    let Some((local, domain)) = trimmed.rsplit_once('@') else {
        return Some("it has no @".into());
    };
    if local.is_empty() {
        return Some("there is nothing before the @".into());
    }
    if let Some(c) = trimmed
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || c == '.' || c == '@' || ATEXT.contains(c)))
    {
        return Some(if c.is_whitespace() {
            "it has a space in it".into()
        } else {
            format!("an address cannot have {c:?} in it")
        });
    }
    if local.contains('@') {
        return Some("it has more than one @".into());
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Some("a dot cannot begin or end the part before the @, nor follow another".into());
    }
    if !domain.contains('.') {
        return Some("the part after the @ is not a domain (like example.gov.uk)".into());
    }
    let labels_fit = domain.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    });
    if !labels_fit {
        return Some(
            "the part after the @ is not a domain: names of letters, digits and hyphens \
             (63 at most), joined by single dots"
                .into(),
        );
    }
    None
}

fn check_display_name(name: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::BadRequest(
            "the display name must not be empty".into(),
        ));
    }
    Ok(())
}

/// A new user in a change already begun, its password hashed as `hash`
/// (every field checked first): for the demo and for tests that write
/// several things in one change.
pub async fn create_in(
    w: &mut Write,
    new: &NewUserRequest,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<User> {
    let email = normalise_email(&new.email)?;
    check_display_name(&new.display_name)?;
    Ok(users::create_with_hash(
        w,
        &NewUser {
            email: &email,
            display_name: new.display_name.trim(),
            role: new.role,
            organisations: &new.organisations,
        },
        hash,
        now,
    )
    .await?)
}

/// Every user (admins).
pub async fn list(ctx: &Ctx<'_>) -> Result<Vec<User>> {
    ctx.caller.require(Permission::Admin)?;
    Ok(users::list(ctx.store).await?)
}

/// One user (admins).
pub async fn show(ctx: &Ctx<'_>, id: i64) -> Result<User> {
    ctx.caller.require(Permission::Admin)?;
    find(ctx, id).await.map(|u| u.user)
}

async fn find(ctx: &Ctx<'_>, id: i64) -> Result<WithHash> {
    users::find(ctx.store, id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("There is no user {id}.")))
}

/// The user with this email address, or a 404.
pub async fn find_by_email(ctx: &Ctx<'_>, email: &str) -> Result<User> {
    let email = normalise_email(email)?;
    users::find_by_email(ctx.store, &email)
        .await?
        .map(|u| u.user)
        .ok_or_else(|| Error::NotFound(format!("There is no user with the email {email}.")))
}

/// Creates a user (admins); a taken email is a conflict.
pub async fn create(ctx: &Ctx<'_>, new: &NewUserRequest) -> Result<User> {
    ctx.caller.require(Permission::Admin)?;
    check_password(&new.password)?;
    normalise_email(&new.email)?;
    check_display_name(&new.display_name)?;
    let hash = hash_password(&new.password)?;
    let mut w = ctx.store.write().await?;
    let user = create_in(&mut w, new, &hash, ctx.now).await?;
    w.commit(Note::new(
        &ctx.caller.actor(),
        "user.create",
        format!("user {}", user.id),
        json!({ "email": user.email, "role": user.role, "organisations": user.organisations }),
        ctx.now,
    ))
    .await?;
    Ok(user)
}

/// Changes a user's name, role, organisations or whether they may sign in
/// (admins); deactivating ends their sessions. An admin cannot deactivate or
/// demote themselves.
pub async fn update(ctx: &Ctx<'_>, id: i64, request: UserChangeRequest) -> Result<User> {
    ctx.caller.require(Permission::Admin)?;
    if ctx.caller.user().is_some_and(|me| me.id == id)
        && (request.active == Some(false)
            || request.role.is_some_and(|r| r != app::model::Role::Admin))
    {
        return Err(Error::BadRequest(
            "You cannot deactivate yourself or give up being an admin: ask another admin.".into(),
        ));
    }
    if let Some(name) = &request.display_name {
        check_display_name(name)?;
    }
    let change = UserChange {
        display_name: request.display_name,
        role: request.role,
        organisations: request.organisations,
        active: request.active,
    };
    let mut w = ctx.store.write().await?;
    let user = users::update(&mut w, id, &change).await?;
    w.commit(Note::new(
        &ctx.caller.actor(),
        "user.update",
        format!("user {id}"),
        json!({ "role": user.role, "organisations": user.organisations, "active": user.active }),
        ctx.now,
    ))
    .await?;
    Ok(user)
}

/// Sets a user's password (the command line, for someone who cannot sign in).
pub async fn set_password(ctx: &Ctx<'_>, id: i64, password: &str) -> Result<()> {
    ctx.caller.require(Permission::Admin)?;
    check_password(password)?;
    let hash = hash_password(password)?;
    let mut w = ctx.store.write().await?;
    users::set_password_hash(&mut w, id, &hash).await?;
    w.commit(Note::new(
        &ctx.caller.actor(),
        "user.password",
        format!("user {id}"),
        json!({}),
        ctx.now,
    ))
    .await?;
    Ok(())
}

/// The signed-in person changes their own password, knowing the current one;
/// their other sessions end in the same change. Answers how many ended.
pub async fn change_own_password(ctx: &Ctx<'_>, current: &str, new: &str) -> Result<u64> {
    ctx.caller.require(Permission::ReadUnpublished)?;
    let (Some(user), Some(session)) = (ctx.caller.user(), ctx.caller.session()) else {
        return Err(Error::Forbidden(
            "Only a signed-in person changes their password.".into(),
        ));
    };
    super::sessions::confirm_password(ctx, user.id, current, "change your password").await?;
    check_password_of(new, &user.email)?;
    let hash = {
        let new = new.to_string();
        tokio::task::spawn_blocking(move || hash_password(&new))
            .await
            .map_err(|e| Error::Internal(e.into()))??
    };
    let mut w = ctx.store.write().await?;
    users::set_password_hash(&mut w, user.id, &hash).await?;
    let ended = sessions::end_others(&mut w, user.id, session.id).await?;
    w.commit(Note::new(
        &ctx.caller.actor(),
        "user.password",
        format!("user {}", user.id),
        json!({ "other_sessions_ended": ended }),
        ctx.now,
    ))
    .await?;
    Ok(ended)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_argon2id_and_verify() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse battery!", &hash));
        assert!(!verify_password("anything", "not a hash"));
        assert_ne!(hash, hash_password("correct horse battery").unwrap());
    }

    #[test]
    fn emails_and_passwords_are_checked() {
        assert_eq!(
            normalise_email("  Robin@Example.GOV.uk ").unwrap(),
            "robin@example.gov.uk"
        );
        for bad in [
            "robin",
            "robin@",
            "@example.gov.uk",
            "robin@localhost",
            "a b@c.uk",
            "</title><script>@x.gov.uk",
            "\"robin\"@example.gov.uk",
            "robin@@example.gov.uk",
            "ro@bin@example.gov.uk",
            ".robin@example.gov.uk",
            "rob..in@example.gov.uk",
            "robin@example..gov.uk",
            "robin@-example.gov.uk",
            "robin@example.gov.uk.",
            "robin@[127.0.0.1]",
            "robin@exa_mple.gov.uk",
        ] {
            assert!(normalise_email(bad).is_err(), "{bad}");
        }
        for good in [
            "o'neill+pulse@example.gov.uk",
            "first.last@sub-domain.example.gov.uk",
            "0@0.0",
        ] {
            assert_eq!(normalise_email(good).unwrap(), good);
        }
        // Letters beyond ASCII are not taken (GOV.UK Notify does not take
        // them either), not even those that lower-case to ASCII (the Kelvin
        // sign).
        for bad in [
            "josé@exemple.fr",
            "robin@münchen.de",
            "\u{212a}im@example.gov.uk",
        ] {
            assert!(normalise_email(bad).is_err(), "{bad}");
        }
        let words = |email: &str| normalise_email(email).unwrap_err().to_string();
        assert!(
            words("</title><script>@x.gov.uk").contains("an address cannot have '<' in it"),
            "{}",
            words("</title><script>@x.gov.uk")
        );
        assert!(words("a b@c.uk").contains("it has a space in it"));
        assert!(words("robin").contains("it has no @"));
        assert!(check_password("short").is_err());
        assert!(check_password("twelve chars").is_ok());
        // Common passwords, as they are and dressed up.
        for common in [
            "1qaz2wsx3edc",
            "qwerty123456",
            "Password123456!",
            "!!football2024",
            "aaaaaaaaaaaaaa",
        ] {
            assert!(check_password(common).is_err(), "{common}");
        }
        assert!(check_password("correct horse battery").is_ok());
        assert!(check_password_of("robin.smith-2025!", "robin.smith@example.gov.uk").is_err());
        assert!(check_password_of("correct horse battery", "robin@example.gov.uk").is_ok());
        assert!(check_password_of("robin keeps a long one", "robin@example.gov.uk").is_ok());
        assert!(check_password_of("my robin@example.gov.uk", "robin@example.gov.uk").is_err());
    }
}
