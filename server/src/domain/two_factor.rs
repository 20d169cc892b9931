//! Two-factor sign-in: anyone turns it on from their settings page (a QR code
//! Pulse draws, the secret as text too, then a code from their app to show it
//! works, then 10 recovery codes shown once); signing in then asks for a code
//! after the password ([`crate::domain::sessions::second_step`]). Admins may
//! require it of admins and editors: until they set it up, those act as
//! viewers.

use app::model::{RecoveryCodes, Role, TwoFactorSetup, TwoFactorStatus};
use serde_json::json;

use super::caller::{Caller, Permission};
use super::totp;
use super::Ctx;
use crate::error::{Error, Result};
use crate::store::{audit::Note, two_factor, users, Store};

/// The setting that requires two factors of admins and editors.
const REQUIRED: &str = "two_factor_required";

/// Whether admins require two factors of admins and editors.
pub async fn required(store: &Store) -> Result<bool> {
    Ok(two_factor::setting(store, REQUIRED).await?.as_deref() == Some("true"))
}

/// Whether the person has two factors turned on.
pub async fn enabled(store: &Store, user_id: i64) -> Result<bool> {
    Ok(two_factor::secret(store, user_id)
        .await?
        .is_some_and(|s| s.confirmed_at.is_some()))
}

/// `user` as they act now: an admin or editor whom admins require two
/// factors of, and who has not set them up, acts as a viewer (signed in, by
/// their keys, in what Pulse sends them, in what their invitations allow).
pub async fn as_acting(store: &Store, mut user: app::model::User) -> Result<app::model::User> {
    if needed(store, user.id, user.role).await? {
        user.role = Role::Viewer;
    }
    Ok(user)
}

/// Whether someone of `role` without two factors must set them up before
/// acting as more than a viewer.
pub async fn needed(store: &Store, user_id: i64, role: Role) -> Result<bool> {
    Ok(role >= Role::Editor && required(store).await? && !enabled(store, user_id).await?)
}

fn person(caller: &Caller) -> Result<i64> {
    match caller {
        Caller::Person { user, .. } => Ok(user.id),
        _ => Err(Error::Unauthorized(
            "Two-factor sign-in belongs to a person signed in (not to a key): sign in first."
                .into(),
        )),
    }
}

/// The caller's two factors: on or off, recovery codes left, and whether
/// admins require them.
pub async fn status(ctx: &Ctx<'_>) -> Result<TwoFactorStatus> {
    let id = person(ctx.caller)?;
    let real = users::find(ctx.store, id)
        .await?
        .ok_or_else(|| Error::Unauthorized("You are not signed in.".into()))?
        .user;
    let enabled = enabled(ctx.store, id).await?;
    let required = required(ctx.store).await?;
    Ok(TwoFactorStatus {
        enabled,
        recovery_codes_left: if enabled {
            two_factor::recovery_codes_left(ctx.store, id).await?
        } else {
            0
        },
        required,
        required_of_you: required && real.role >= Role::Editor,
    })
}

/// Starts setting up: a new secret, its QR code and the link inside it.
/// Someone with two factors on already must turn them off first.
pub async fn begin(ctx: &Ctx<'_>) -> Result<TwoFactorSetup> {
    ctx.caller.check_csrf()?;
    let id = person(ctx.caller)?;
    let email = ctx
        .caller
        .acting_user()
        .map(|u| u.email.clone())
        .unwrap_or_default();
    let secret = totp::new_secret();
    let mut w = ctx.store.write().await?;
    if !two_factor::begin(&mut w, id, &secret, ctx.now).await? {
        return Err(Error::Conflict(
            "Two-factor sign-in is on already: turn it off first to set up another app.".into(),
        ));
    }
    w.commit(Note::new(
        &ctx.caller.actor(),
        "two_factor.begin",
        format!("user {id}"),
        json!({}),
        ctx.now,
    ))
    .await?;
    let uri = totp::otpauth_uri("Pulse", &email, &secret);
    Ok(TwoFactorSetup {
        qr_svg: totp::qr_svg(&uri),
        otpauth_uri: uri,
        secret,
    })
}

/// Turns two factors on once `password` is the person's and `code` (from the
/// app set up with [`begin`]'s secret) matches: the 10 recovery codes, shown
/// this once. The person's other sessions end (one signed in elsewhere with
/// the password alone is signed out).
pub async fn confirm(ctx: &Ctx<'_>, code: &str, password: &str) -> Result<RecoveryCodes> {
    ctx.caller.check_csrf()?;
    let id = person(ctx.caller)?;
    let pending = match two_factor::secret(ctx.store, id).await? {
        Some(s) if s.confirmed_at.is_none() => s,
        Some(_) => {
            return Err(Error::Conflict(
                "Two-factor sign-in is on already.".into(),
            ))
        }
        None => {
            return Err(Error::Conflict(
                "Start setting up two-factor sign-in first: the secret comes from POST /api/v1/two-factor/setup.".into(),
            ))
        }
    };
    super::sessions::confirm_password(ctx, id, password, "turn two-factor sign-in on").await?;
    let Some(step) = totp::verify(&pending.secret, code, ctx.now.timestamp()) else {
        return Err(Error::Unprocessable(
            "Enter the 6-digit code your authentication app shows now: that code did not match."
                .into(),
        ));
    };
    let codes = totp::recovery_codes();
    let hashed: Vec<String> = codes
        .iter()
        .map(|c| totp::normalise_recovery_code(c))
        .collect();
    let mut w = ctx.store.write().await?;
    if !two_factor::confirm(&mut w, id, step, &hashed, ctx.now).await? {
        return Err(Error::Conflict("Two-factor sign-in is on already.".into()));
    }
    let keep = ctx.caller.session().map_or(0, |s| s.id);
    let ended = crate::store::sessions::end_others(&mut w, id, keep).await?;
    w.commit(Note::new(
        &ctx.caller.actor(),
        "two_factor.enable",
        format!("user {id}"),
        json!({ "other_sessions_ended": ended }),
        ctx.now,
    ))
    .await?;
    Ok(RecoveryCodes {
        recovery_codes: codes,
    })
}

/// Turns two factors off, given the person's password; refused while admins
/// require them of the person's role.
pub async fn disable(ctx: &Ctx<'_>, password: &str) -> Result<TwoFactorStatus> {
    ctx.caller.check_csrf()?;
    let id = person(ctx.caller)?;
    let found =
        super::sessions::confirm_password(ctx, id, password, "turn two-factor sign-in off").await?;
    if found.user.role >= Role::Editor && required(ctx.store).await? {
        return Err(Error::Conflict(
            "Your admins require two-factor sign-in of admins and editors, so it stays on.".into(),
        ));
    }
    let mut w = ctx.store.write().await?;
    two_factor::remove(&mut w, id).await?;
    w.commit(Note::new(
        &ctx.caller.actor(),
        "two_factor.disable",
        format!("user {id}"),
        json!({}),
        ctx.now,
    ))
    .await?;
    status(ctx).await
}

/// Requires (or stops requiring) two factors of admins and editors (admins,
/// who must have them on themselves first, so they are not made viewers).
pub async fn require(ctx: &Ctx<'_>, on: bool) -> Result<TwoFactorStatus> {
    ctx.caller.require(Permission::Admin)?;
    if on && !enabled(ctx.store, person(ctx.caller)?).await? {
        return Err(Error::Conflict(
            "Turn on two-factor sign-in for yourself first (on your settings page): otherwise \
             requiring it would make you a viewer until you did."
                .into(),
        ));
    }
    let mut w = ctx.store.write().await?;
    two_factor::set_setting(&mut w, REQUIRED, if on { "true" } else { "false" }).await?;
    w.commit(Note::new(
        &ctx.caller.actor(),
        if on {
            "two_factor.require"
        } else {
            "two_factor.unrequire"
        },
        "admins and editors",
        json!({ "required": on }),
        ctx.now,
    ))
    .await?;
    match ctx.caller {
        Caller::Person { .. } => status(ctx).await,
        _ => Ok(TwoFactorStatus {
            required: on,
            ..TwoFactorStatus::default()
        }),
    }
}
