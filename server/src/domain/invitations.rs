//! Invitations and password resets by e-mail: admins (and editors, for their
//! own organisations, as viewers or editors) invite people, who set their
//! own password from the link; anyone who forgot theirs gets a link to set a
//! new one. Nobody ever handles another person's password.
//!
//! Each change is one write holding its audit row and the e-mail that tells
//! of it (the outbox), so a message goes out only for a change that was kept.

use chrono::Duration;
use serde_json::json;

use app::model::{
    Invitation, InvitationLookUp, InvitationSent, InvitationStatus, NewInvitationRequest,
    PasswordResetLookUp, Role, User,
};

use super::caller::{Caller, Permission};
use super::mail::{Letter, MailSettings, Part};
use super::sessions::Started;
use super::users::{self, check_password_of, normalise_email};
use super::Ctx;
use crate::error::{Error, Result};
use crate::store::{
    audit::Note,
    invitations::{self, NewInvitation},
    mail, sessions, users as user_store, Store,
};

/// How long an invitation's link works.
pub const INVITATION_LIFE: Duration = Duration::days(7);
/// How long a password reset's link works.
pub const RESET_LIFE: Duration = Duration::hours(1);
/// Password resets sent to one account in an hour, at most.
pub const RESETS_PER_HOUR: i64 = 3;

fn token() -> String {
    crate::store::api_keys::generate_secret()["pulse_".len()..].to_string()
}

fn role_words(role: Role) -> &'static str {
    match role {
        Role::Viewer => "a viewer (you can read your organisations' unpublished dashboards)",
        Role::Editor => {
            "an editor (you can build and change your organisations' dashboards, and explain their figures)"
        }
        Role::Admin => "an admin (you can manage everything in Pulse)",
    }
}

/// Who may invite whom: admins anyone; editors viewers and editors of their
/// own organisations (at least one).
fn check_inviter(caller: &Caller, request: &NewInvitationRequest) -> Result<()> {
    caller.require(Permission::ManageDashboards)?;
    if caller.can(Permission::Admin) {
        return Ok(());
    }
    let Some(me) = caller.acting_user() else {
        return Err(Error::Forbidden(
            "Only a person, or an admin's key, may invite people.".into(),
        ));
    };
    if request.role == Role::Admin {
        return Err(Error::Forbidden(
            "Only admins may invite admins: invite them as an editor or a viewer.".into(),
        ));
    }
    if request.organisations.is_empty() {
        return Err(Error::BadRequest(format!(
            "Name the organisations they will belong to: yours are {}.",
            me.organisations.join(", ")
        )));
    }
    if let Some(other) = request
        .organisations
        .iter()
        .find(|o| !me.organisations.contains(o))
    {
        return Err(Error::Forbidden(format!(
            "You may invite people to your own organisations only ({}), not `{other}`.",
            me.organisations.join(", ")
        )));
    }
    Ok(())
}

/// Invites someone: an e-mail with a link that lets them set their password
/// (7 days). An address with an account, with an invitation waiting, or
/// that asked for no more e-mail while e-mail reaches people, is a conflict.
pub async fn invite(
    ctx: &Ctx<'_>,
    settings: &MailSettings,
    request: &NewInvitationRequest,
) -> Result<InvitationSent> {
    check_inviter(ctx.caller, request)?;
    let email = normalise_email(&request.email)?;
    let name = match request.display_name.trim() {
        "" => email.split('@').next().unwrap_or_default().to_string(),
        name => name.to_string(),
    };
    if name.chars().count() > 100 {
        return Err(Error::BadRequest(
            "The name must be at most 100 characters long.".into(),
        ));
    }
    if user_store::find_by_email(ctx.store, &email)
        .await?
        .is_some()
    {
        return Err(Error::Conflict(format!(
            "{email} already has an account: they can sign in, or reset their password from \
             the sign-in page."
        )));
    }
    if let Some(waiting) = invitations::pending_for(ctx.store, &email, ctx.now)
        .await?
        .first()
    {
        return Err(Error::Conflict(format!(
            "{email} was invited by {} on {}: withdraw that invitation first to send another.",
            waiting.inviter_name,
            waiting.created_at.format("%-d %B %Y")
        )));
    }
    // Its link goes to the person invited, by e-mail, whenever e-mail reaches
    // people: given to the inviter instead, it would let them make an
    // account under someone else's address.
    let unsubscribed = mail::unsubscribed(ctx.store, &email).await?;
    if unsubscribed && settings.delivered() {
        return Err(Error::Conflict(format!(
            "{email} has asked Pulse to send it no more e-mail, so an invitation cannot reach \
             them (and its link goes to no one else). Whoever runs Pulse can invite them with \
             `pulse user invite`, which shows the link to pass on."
        )));
    }
    for slug in &request.organisations {
        if crate::store::orgs::find_org(ctx.store, slug)
            .await?
            .is_none()
        {
            return Err(Error::NotFound(format!(
                "There is no organisation `{slug}`."
            )));
        }
    }
    let inviter = ctx.caller.acting_user();
    let inviter_name = inviter.map_or_else(
        || "an admin of Pulse".to_string(),
        |u| u.display_name.clone(),
    );
    let secret = token();
    let link = settings.link(&format!("/invitation?token={secret}"));
    let organisations = organisation_titles(ctx.store, &request.organisations).await?;
    let mut parts = vec![Part::Text(format!(
        "{} has invited you to Pulse, where government services show how well they work.",
        super::access::capitalised(&inviter_name)
    ))];
    parts.push(Part::Text(format!(
        "You will be {}{}.",
        role_words(request.role),
        if organisations.is_empty() {
            String::new()
        } else {
            format!(" for {}", organisations.join(" and "))
        }
    )));
    parts.push(Part::Link {
        words: "Set your password and sign in".into(),
        url: link.clone(),
    });
    parts.push(Part::Text(format!(
        "The link works for 7 days, until {}, and only once.",
        (ctx.now + INVITATION_LIFE).format("%-d %B %Y at %H:%M UTC")
    )));
    let letter = Letter {
        kind: "invitation",
        to: email.clone(),
        subject: "You have been invited to Pulse".into(),
        parts,
        why: format!(
            "You were sent this because {inviter_name} invited {email}. If you did not expect \
             it, you can ignore it: nothing happens unless you set a password."
        ),
    };
    let unsubscribe = super::mail::unsubscribe_link(ctx.store, settings, &email).await?;
    let mut w = ctx.store.write().await?;
    // Looked for again in the write, the address held: the same person
    // invited twice at once (a double submit, through two instances) is
    // invited once.
    if invitations::pending_held(&mut w, &email, ctx.now).await? > 0 {
        return Err(Error::Conflict(format!(
            "{email} was invited a moment ago: withdraw that invitation first to send another."
        )));
    }
    let invitation = invitations::create(
        &mut w,
        &NewInvitation {
            email: &email,
            display_name: &name,
            role: request.role,
            organisations: &request.organisations,
            invited_by: inviter.map(|u| u.id),
            inviter_name: &inviter_name,
            expires_at: ctx.now + INVITATION_LIFE,
        },
        &secret,
        ctx.now,
    )
    .await?;
    if !unsubscribed {
        mail::enqueue(&mut w, &letter.message(unsubscribe), ctx.now).await?;
    }
    w.commit(Note::new(
        &ctx.caller.actor(),
        "invitation.create",
        format!("invitation {}", invitation.id),
        json!({ "email": email, "role": request.role, "organisations": request.organisations,
                "emailed": !unsubscribed }),
        ctx.now,
    ))
    .await?;
    let emailed = settings.delivered() && !unsubscribed;
    Ok(InvitationSent {
        invitation,
        emailed,
        link: (!emailed).then_some(link),
    })
}

async fn organisation_titles(store: &Store, slugs: &[String]) -> Result<Vec<String>> {
    let mut titles = Vec::with_capacity(slugs.len());
    for slug in slugs {
        titles.push(
            crate::store::orgs::find_org(store, slug)
                .await?
                .map_or_else(|| slug.clone(), |o| o.title),
        );
    }
    Ok(titles)
}

/// The invitations the caller may see: every one for admins, their own for
/// editors.
pub async fn list(ctx: &Ctx<'_>) -> Result<Vec<Invitation>> {
    ctx.caller.require(Permission::ManageDashboards)?;
    let by = if ctx.caller.can(Permission::Admin) {
        None
    } else {
        Some(
            ctx.caller
                .acting_user()
                .map(|u| u.id)
                .ok_or_else(|| Error::Forbidden("Only a person sees their invitations.".into()))?,
        )
    };
    Ok(invitations::list(ctx.store, by, ctx.now).await?)
}

/// Withdraws an invitation still waiting (admins, or whoever sent it): its
/// link stops working.
pub async fn withdraw(ctx: &Ctx<'_>, id: i64) -> Result<Invitation> {
    ctx.caller.require(Permission::ManageDashboards)?;
    let invitation = invitations::find(ctx.store, id, ctx.now)
        .await?
        .filter(|i| {
            ctx.caller.can(Permission::Admin)
                || ctx
                    .caller
                    .acting_user()
                    .is_some_and(|me| i.invited_by == Some(me.id))
        })
        .ok_or_else(|| Error::NotFound(format!("There is no invitation {id} of yours.")))?;
    if invitation.status != InvitationStatus::Pending {
        return Err(Error::Conflict(format!(
            "The invitation to {} is {} already.",
            invitation.email,
            invitation.status.label().to_lowercase()
        )));
    }
    let mut w = ctx.store.write().await?;
    invitations::withdraw(&mut w, id, ctx.now).await?;
    w.commit(Note::new(
        &ctx.caller.actor(),
        "invitation.withdraw",
        format!("invitation {id}"),
        json!({ "email": invitation.email }),
        ctx.now,
    ))
    .await?;
    Ok(invitations::find(ctx.store, id, ctx.now)
        .await?
        .unwrap_or(invitation))
}

/// Why a link's token does not work, in words the holder can act on.
fn unusable(status: InvitationStatus, inviter: &str) -> Error {
    Error::Gone(match status {
        InvitationStatus::Accepted => {
            "This invitation has been used: sign in with the password you set, or reset it from \
             the sign-in page."
                .into()
        }
        InvitationStatus::Withdrawn => format!(
            "This invitation was withdrawn. Ask {inviter} to invite you again if you still need \
             to use Pulse."
        ),
        InvitationStatus::Expired => format!(
            "This invitation has expired (links work for 7 days). Ask {inviter} to invite you \
             again."
        ),
        InvitationStatus::Pending => "This invitation cannot be used.".into(),
    })
}

async fn pending_by_token(
    store: &Store,
    token: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Invitation> {
    let invitation = invitations::find_by_token(store, token.trim(), now)
        .await?
        .ok_or_else(|| {
            Error::NotFound(
                "This invitation link is not right: copy the whole link from the e-mail.".into(),
            )
        })?;
    if invitation.status != InvitationStatus::Pending {
        return Err(unusable(invitation.status, &invitation.inviter_name));
    }
    inviter_still_may(store, &invitation).await?;
    Ok(invitation)
}

/// Refuses an invitation its sender could not send now: they have been
/// deactivated, made a viewer, taken out of one of its organisations, or act
/// as a viewer until they set up the two factors admins require. An
/// invitation carries its sender's rights only as long as they hold them.
/// (One sent by an admin's key without an owner, or from the command line,
/// has no sender to ask.)
async fn inviter_still_may(store: &Store, invitation: &Invitation) -> Result<()> {
    let Some(id) = invitation.invited_by else {
        return Ok(());
    };
    let may = match user_store::find(store, id).await? {
        Some(found) if found.user.active => {
            let user = super::two_factor::as_acting(store, found.user).await?;
            let request = NewInvitationRequest {
                email: invitation.email.clone(),
                display_name: invitation.display_name.clone(),
                role: invitation.role,
                organisations: invitation.organisations.clone(),
            };
            check_inviter(&Caller::reading_as(user), &request).is_ok()
        }
        _ => false,
    };
    if may {
        Ok(())
    } else {
        Err(Error::Gone(format!(
            "This invitation can no longer be used: {} may no longer invite people as {} of {}. \
             Ask someone in your organisation to invite you again.",
            invitation.inviter_name,
            invitation.role.with_article(),
            invitation.organisations.join(", ")
        )))
    }
}

/// What the holder of an invitation's link may know of it.
pub async fn look_up(
    store: &Store,
    token: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<InvitationLookUp> {
    let invitation = pending_by_token(store, token, now).await?;
    Ok(InvitationLookUp {
        organisations: organisation_titles(store, &invitation.organisations).await?,
        email: invitation.email,
        display_name: invitation.display_name,
        role: invitation.role,
        inviter_name: invitation.inviter_name,
        expires_at: invitation.expires_at,
        min_password: users::MIN_PASSWORD,
    })
}

/// Accepts an invitation: the account is made with the password its holder
/// chose, and they are signed in.
#[allow(clippy::too_many_arguments)]
pub async fn accept(
    store: &Store,
    token: &str,
    display_name: &str,
    password: &str,
    ip: &str,
    agent: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Started> {
    let invitation = pending_by_token(store, token, now).await?;
    if display_name.trim().chars().count() > 100 {
        return Err(Error::BadRequest(
            "Your name must be at most 100 characters long.".into(),
        ));
    }
    check_password_of(password, &invitation.email)?;
    let hash = {
        let password = password.to_string();
        tokio::task::spawn_blocking(move || users::hash_password(&password))
            .await
            .map_err(|e| Error::Internal(e.into()))??
    };
    let mut w = store.write().await?;
    if !invitations::accept(&mut w, invitation.id, now).await? {
        // Used, withdrawn or expired since it was read.
        return Err(Error::Gone(
            "This invitation has just been used or withdrawn.".into(),
        ));
    }
    let user = users::create_in(
        &mut w,
        &app::model::NewUserRequest {
            email: invitation.email.clone(),
            display_name: match display_name.trim() {
                "" => invitation.display_name.clone(),
                name => name.to_string(),
            },
            role: invitation.role,
            organisations: invitation.organisations.clone(),
            password: String::new(),
        },
        &hash,
        now,
    )
    .await?;
    let (session, token) = sessions::start(&mut w, user.id, ip, agent, now).await?;
    w.commit(Note::new(
        &person(&user, &session).actor(),
        "invitation.accept",
        format!("invitation {}", invitation.id),
        json!({ "user": user.id, "email": user.email, "role": user.role, "address": ip }),
        now,
    ))
    .await?;
    Ok(Started {
        user,
        session,
        token,
    })
}

fn person(user: &User, session: &crate::store::sessions::Session) -> Caller {
    Caller::Person {
        user: user.clone(),
        session: session.clone(),
        csrf_ok: true,
        changes: true,
    }
}

/// Sends a link to set a new password to `email`, if it is an active
/// account's (the answer is the same either way, so it never says whether
/// an address has an account); at most [`RESETS_PER_HOUR`] an hour.
pub async fn request_reset(
    store: &Store,
    settings: &MailSettings,
    email: &str,
    ip: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    let email = normalise_email(email)?;
    let Some(found) = user_store::find_by_email(store, &email).await? else {
        return Ok(());
    };
    if !found.user.active
        || invitations::resets_since(store, found.user.id, now - Duration::hours(1)).await?
            >= RESETS_PER_HOUR
    {
        return Ok(());
    }
    let secret = token();
    let link = settings.link(&format!("/reset-password?token={secret}"));
    let letter = Letter {
        kind: "password-reset",
        to: email.clone(),
        subject: "Reset your Pulse password".into(),
        parts: vec![
            Part::Text(format!(
                "{}, someone (we hope you) asked to reset the password of your Pulse account.",
                found.user.display_name
            )),
            Part::Link {
                words: "Set a new password".into(),
                url: link,
            },
            Part::Text(format!(
                "The link works for 1 hour, until {}, and only once. Setting a new password \
                 signs you out everywhere else.",
                (now + RESET_LIFE).format("%H:%M UTC on %-d %B %Y")
            )),
            Part::Text(
                "If you did not ask, you can ignore this e-mail: your password stays as it is."
                    .into(),
            ),
        ],
        why: format!(
            "You were sent this because a password reset was asked for {email} from the \
             address {ip}."
        ),
    };
    let unsubscribe = super::mail::unsubscribe_link(store, settings, &email).await?;
    let mut w = store.write().await?;
    // Counted again in the write: asked for many times at once, through
    // several instances, no more than the bound are sent.
    if invitations::resets_since_held(&mut w, found.user.id, now - Duration::hours(1)).await?
        >= RESETS_PER_HOUR
    {
        return Ok(());
    }
    let id =
        invitations::create_reset(&mut w, found.user.id, &secret, now + RESET_LIFE, now).await?;
    // Asked for by the person themselves: sent even to an address that
    // stopped Pulse's other e-mail.
    mail::enqueue(&mut w, &letter.message(unsubscribe), now).await?;
    w.commit(Note::new(
        &crate::store::audit::Actor {
            label: format!("anonymous ({ip})"),
            via: "none",
        },
        "password.reset-request",
        format!("user {}", found.user.id),
        json!({ "reset": id, "address": ip }),
        now,
    ))
    .await?;
    Ok(())
}

async fn reset_by_token(
    store: &Store,
    token: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(crate::store::invitations::Reset, User)> {
    let reset = invitations::find_reset(store, token.trim())
        .await?
        .ok_or_else(|| {
            Error::NotFound(
                "This password reset link is not right: copy the whole link from the e-mail."
                    .into(),
            )
        })?;
    if reset.used {
        return Err(Error::Gone(
            "This link has been used. If you need to, ask for another from the sign-in page."
                .into(),
        ));
    }
    if now >= reset.expires_at {
        return Err(Error::Gone(
            "This link has expired (links work for 1 hour): ask for another from the sign-in \
             page."
                .into(),
        ));
    }
    let user = user_store::find(store, reset.user_id)
        .await?
        .map(|u| u.user)
        .filter(|u| u.active)
        .ok_or_else(|| Error::Gone("This account can no longer sign in.".into()))?;
    Ok((reset, user))
}

/// What the holder of a reset link may know of it.
pub async fn look_up_reset(
    store: &Store,
    token: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<PasswordResetLookUp> {
    let (reset, user) = reset_by_token(store, token, now).await?;
    Ok(PasswordResetLookUp {
        email: user.email,
        expires_at: reset.expires_at,
        min_password: users::MIN_PASSWORD,
    })
}

/// Sets a new password from a reset link: every session of the account ends
/// (and every other reset link), and a new one starts here, unless the
/// person has two-factor sign-in on (`None`: they sign in with the new
/// password and a code, so a link by e-mail alone never signs anyone in).
pub async fn complete_reset(
    store: &Store,
    token: &str,
    password: &str,
    ip: &str,
    agent: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(Option<Started>, u64)> {
    let (reset, user) = reset_by_token(store, token, now).await?;
    let two_factors = super::two_factor::enabled(store, user.id).await?;
    check_password_of(password, &user.email)?;
    let hash = {
        let password = password.to_string();
        tokio::task::spawn_blocking(move || users::hash_password(&password))
            .await
            .map_err(|e| Error::Internal(e.into()))??
    };
    let mut w = store.write().await?;
    if !invitations::use_reset(&mut w, reset.id, now).await? {
        return Err(Error::Gone("This link has just been used.".into()));
    }
    invitations::end_resets(&mut w, user.id, now).await?;
    user_store::set_password_hash(&mut w, user.id, &hash).await?;
    let ended = sessions::end_all(&mut w, user.id).await?;
    if two_factors {
        w.commit(Note::new(
            &crate::store::audit::Actor {
                label: format!("user:{}", user.email),
                via: "session",
            },
            "password.reset",
            format!("user {}", user.id),
            json!({ "sessions_ended": ended, "address": ip, "signed_in": false }),
            now,
        ))
        .await?;
        return Ok((None, ended));
    }
    let (session, token) = sessions::start(&mut w, user.id, ip, agent, now).await?;
    w.commit(Note::new(
        &person(&user, &session).actor(),
        "password.reset",
        format!("user {}", user.id),
        json!({ "sessions_ended": ended, "address": ip }),
        now,
    ))
    .await?;
    Ok((
        Some(Started {
            user,
            session,
            token,
        }),
        ended,
    ))
}

/// Stops e-mail to `email` (from a signed link, without signing in).
pub async fn unsubscribe(
    store: &Store,
    email: &str,
    token: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool> {
    // An address that is not one cannot be a link Pulse signed.
    let email = normalise_email(email).unwrap_or_else(|_| email.to_string());
    super::mail::check_unsubscribe(store, &email, token.trim()).await?;
    let mut w = store.write().await?;
    let changed = mail::unsubscribe(&mut w, &email, now).await?;
    w.commit(Note::new(
        &crate::store::audit::Actor {
            label: format!("the holder of {email}'s unsubscribe link"),
            via: "none",
        },
        "mail.unsubscribe",
        format!("email {email}"),
        json!({ "changed": changed }),
        now,
    ))
    .await?;
    Ok(changed)
}

/// Whether Pulse sends e-mail, and the latest messages (admins).
pub async fn status(ctx: &Ctx<'_>, settings: &MailSettings) -> Result<app::model::MailStatus> {
    ctx.caller.require(Permission::Admin)?;
    let messages = mail::recent(ctx.store, 100)
        .await?
        .into_iter()
        .map(|m| app::model::MailMessage {
            id: m.id,
            kind: m.kind,
            to: m.to,
            subject: m.subject,
            created_at: m.created_at,
            attempts: m.attempts,
            sent_at: m.sent_at,
            failed_at: m.failed_at,
            last_error: m.last_error,
        })
        .collect();
    Ok(app::model::MailStatus {
        enabled: settings.delivered(),
        elsewhere: !settings.enabled && settings.delivered(),
        from: settings.from.clone(),
        messages,
    })
}
