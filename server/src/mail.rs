//! Sending e-mail: the SMTP server named by `--smtp-url` (STARTTLS whenever
//! the server offers it), or, with none, the server's log. A task in each
//! `pulse serve` takes messages from the outbox ([`crate::store::mail`]) one
//! at a time, each claimed so that no two instances send it, and tries a
//! message the server refused for a while again later: after 1, 5 and 15
//! minutes, then 1, 3, 6 and 12 hours, then gives up (at once for a
//! permanent refusal, such as an address the server does not know).

use std::sync::Arc;
use std::time::Duration as StdDuration;

use anyhow::{bail, Context};
use chrono::{Duration, Utc};
use lettre::{
    message::{header::HeaderName, header::HeaderValue, Mailbox, MultiPart},
    transport::smtp::{
        authentication::Credentials,
        client::{Tls, TlsParameters},
    },
    AsyncSmtpTransport, AsyncTransport, Tokio1Executor,
};
use tokio::sync::Notify;

use crate::domain::mail::MailSettings;
use crate::store::{mail, Store};

/// How long a sender holds a message it claimed before another may try it.
const HOLD: Duration = Duration::minutes(2);
/// How long a sender gives a message before it lets it go to be tried again
/// later: well inside [`HOLD`], so that no other instance sends it while
/// this one still is (a slow server's commands each have 30 seconds).
pub const SEND_WITHIN: StdDuration = StdDuration::from_secs(90);
/// How often a sender looks for messages written through other instances.
const POLL: StdDuration = StdDuration::from_secs(5);
/// How often an instance that sends through an SMTP server says so in the
/// database, and how long after it last did an instance without one
/// leaves the outbox to it.
const HERE_EVERY: Duration = Duration::seconds(30);
const HERE_FOR: Duration = Duration::seconds(90);
/// How long after an instance with an SMTP server last said so one without
/// still leaves the outbox alone: a deploy or a crash of it does not turn
/// the messages it would send (invitations and resets, whose links are
/// forgotten once sent) into lines of another's log; gone longer (retired,
/// or e-mail turned off), messages are not left waiting past a reset's
/// life.
const LEFT_FOR: Duration = Duration::hours(1);
/// The waits between attempts; a message is given up after the last.
const RETRIES: [i64; 7] = [60, 300, 900, 3600, 3 * 3600, 6 * 3600, 12 * 3600];

/// E-mail as this instance sends it: the settings pages and messages use,
/// and a bell that wakes the sender when a change has put mail in the outbox.
#[derive(Clone, Debug, Default)]
pub struct Mail {
    pub settings: MailSettings,
    wake: Arc<Notify>,
}

impl Mail {
    pub fn new(settings: MailSettings) -> Self {
        Mail {
            settings,
            wake: Arc::new(Notify::new()),
        }
    }

    /// Tells this instance's sender that there is mail to send.
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// Where messages go.
pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// No SMTP server: messages are written to the log.
    Log,
}

/// The transport for `smtp://user:password@host:port` (STARTTLS when the
/// server offers it; `?tls=required` insists on it), or
/// `smtps://user:password@host:port` (TLS from the start). The user name and
/// password are optional, and percent-encoded in the URL.
pub fn smtp(url: &str) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let parsed = url::Url::parse(url).with_context(|| {
        "the SMTP URL must be like smtp://user:password@mail.example.gov.uk:587".to_string()
    })?;
    let host = parsed
        .host_str()
        .filter(|h| !h.is_empty())
        .context("the SMTP URL names no host (like smtp://mail.example.gov.uk:587)")?
        .to_string();
    let tls_params = || TlsParameters::new(host.clone()).context("TLS cannot be set up");
    let required = parsed
        .query_pairs()
        .any(|(k, v)| k == "tls" && v == "required");
    let (tls, default_port) = match parsed.scheme() {
        "smtp" if required => (Tls::Required(tls_params()?), 587),
        "smtp" => (Tls::Opportunistic(tls_params()?), 587),
        "smtps" => (Tls::Wrapper(tls_params()?), 465),
        other => bail!("the SMTP URL must begin smtp:// or smtps://, not {other}://"),
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(parsed.port().unwrap_or(default_port))
        .tls(tls)
        .timeout(Some(StdDuration::from_secs(30)));
    if !parsed.username().is_empty() {
        let decode = |s: &str| {
            percent_decode(s).context("the SMTP URL's user name or password is not valid UTF-8")
        };
        builder = builder.credentials(Credentials::new(
            decode(parsed.username())?,
            decode(parsed.password().unwrap_or_default())?,
        ));
    }
    Ok(builder.build())
}

fn percent_decode(s: &str) -> anyhow::Result<String> {
    let bytes: Vec<u8> = form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned().into_bytes())
        .unwrap_or_default();
    Ok(String::from_utf8(bytes)?)
}

/// The sender's address, checked.
pub fn mailbox(from: &str) -> anyhow::Result<Mailbox> {
    from.parse::<Mailbox>().with_context(|| {
        format!("{from:?} is not an e-mail address to send from (like \"Pulse <pulse@example.gov.uk>\")")
    })
}

/// The message as sent: plain text and HTML, with its unsubscribe headers
/// (RFC 8058's one click goes to the API's POST of the same link).
fn build(message: &mail::Message, from: &Mailbox) -> anyhow::Result<lettre::Message> {
    let to: Mailbox = message
        .to
        .parse()
        .with_context(|| format!("{:?} is not an e-mail address", message.to))?;
    let mut builder = lettre::Message::builder()
        .from(from.clone())
        .to(to)
        .subject(message.subject.clone());
    if !message.unsubscribe_url.is_empty() {
        let one_click =
            message
                .unsubscribe_url
                .replacen("/unsubscribe?", "/api/v1/mail/unsubscribe?", 1);
        builder = builder
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{one_click}>"),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_string(),
            ));
    }
    Ok(builder.multipart(MultiPart::alternative_plain_html(
        message.text.clone(),
        message.html.clone(),
    ))?)
}

/// Sends one message; `Err((permanent, why))` when it was not sent.
async fn send(
    transport: &Transport,
    from: &Mailbox,
    message: &mail::Message,
) -> Result<(), (bool, String)> {
    match transport {
        Transport::Log => {
            tracing::info!(
                to = %message.to,
                subject = %message.subject,
                "e-mail is off (no --smtp-url): this message is written here instead of sent\n{}",
                message.text
            );
            Ok(())
        }
        Transport::Smtp(smtp) => {
            let built = build(message, from).map_err(|e| (true, format!("{e:#}")))?;
            smtp.send(built)
                .await
                .map(|_| ())
                .map_err(|e| (e.is_permanent(), e.to_string()))
        }
    }
}

/// Sends what the outbox holds, for as long as the server runs.
///
/// Instances on one database may differ: one without an SMTP server would
/// write to its log the messages one with a server can send. So an
/// instance with a server says so in the database every 30 seconds, and
/// one without leaves the outbox alone while an instance with one has said
/// so in the last hour (it writes messages to its log only when none
/// has); its pages say mail is sent while one has said so in the last 90
/// seconds.
pub async fn run_sender(store: Store, mail: Mail, transport: Transport, from: Mailbox) {
    let mut said_here: Option<chrono::DateTime<Utc>> = None;
    let mut leaving_it = false;
    loop {
        let now = Utc::now();
        let sent_one = match transport {
            Transport::Smtp(_) => {
                if said_here.is_none_or(|at| now - at >= HERE_EVERY) {
                    match mail::smtp_sender_here(&store, now).await {
                        Ok(()) => said_here = Some(now),
                        Err(e) => {
                            tracing::warn!("could not note that this instance sends e-mail: {e}")
                        }
                    }
                }
                send_next(&store, &transport, &from).await
            }
            Transport::Log => {
                // (an outbox that cannot be read is left alone)
                let seen = mail::smtp_sender_seen(&store).await.map_err(|e| {
                    tracing::warn!("the outbox could not be read: {e}");
                });
                let other = seen.is_ok_and(|seen| seen.is_some_and(|at| now - at < HERE_FOR));
                let left = seen.is_err()
                    || seen.is_ok_and(|seen| seen.is_some_and(|at| now - at < LEFT_FOR));
                mail.settings
                    .sent_elsewhere
                    .store(other, std::sync::atomic::Ordering::Relaxed);
                if left != leaving_it {
                    leaving_it = left;
                    if left {
                        tracing::info!(
                            "an instance on this database sends e-mail through an SMTP server \
                             (or did in the last hour): this one leaves the outbox to it"
                        );
                    }
                }
                !left && send_next(&store, &transport, &from).await
            }
        };
        if !sent_one {
            tokio::select! {
                _ = mail.wake.notified() => {}
                _ = tokio::time::sleep(POLL) => {}
            }
        }
    }
}

/// Sends the next message due, if there is one: whether there was.
pub async fn send_next(store: &Store, transport: &Transport, from: &Mailbox) -> bool {
    send_next_within(store, transport, from, SEND_WITHIN).await
}

/// [`send_next`], letting a message go (to be tried again later) when the
/// server has not taken it `within` that long.
pub async fn send_next_within(
    store: &Store,
    transport: &Transport,
    from: &Mailbox,
    within: StdDuration,
) -> bool {
    let message = match mail::claim(store, Utc::now(), HOLD).await {
        Ok(Some(message)) => message,
        Ok(None) => return false,
        Err(e) => {
            tracing::warn!("the outbox could not be read: {e}");
            return false;
        }
    };
    let outcome = match tokio::time::timeout(within, send(transport, from, &message)).await {
        Ok(outcome) => outcome,
        Err(_) => Err((
            false,
            format!(
                "the mail server had not taken it after {} seconds",
                within.as_secs()
            ),
        )),
    };
    let now = Utc::now();
    let noted = match outcome {
        Ok(()) => {
            tracing::info!(id = message.id, kind = %message.kind, to = %message.to, "e-mail sent");
            let note = match transport {
                Transport::Log => "e-mail is off: written to the server's log",
                Transport::Smtp(_) => "",
            };
            mail::sent(store, message.id, note, now).await
        }
        Err((permanent, why)) => {
            let retry = (!permanent)
                .then(|| RETRIES.get(message.attempts as usize - 1).copied())
                .flatten()
                .map(|seconds| now + Duration::seconds(seconds));
            tracing::warn!(
                id = message.id,
                to = %message.to,
                "e-mail not sent ({why}); {}",
                match retry {
                    Some(at) => format!("trying again at {at}"),
                    None => "given up".to_string(),
                }
            );
            mail::not_sent(store, message.id, &why, retry, now).await
        }
    };
    if let Err(e) = noted {
        tracing::warn!(
            "what became of e-mail {} could not be noted: {e}",
            message.id
        );
    }
    true
}

/// Reminds the editors of late data, and sends alerts on figures and weekly
/// digests of boards, for as long as the server runs: a check every `every`
/// ([`crate::domain::reminders::check`], [`crate::domain::alerts::check`],
/// [`crate::domain::digests::check`]), waking the sender when it wrote
/// something. Of several instances on one database, one makes each round
/// ([`mail::claim_checks`]), the others skip it.
pub async fn run_reminders(
    store: Store,
    cache: crate::domain::query::Cache,
    mail: Mail,
    every: StdDuration,
) {
    let mut newest = crate::domain::reminders::Newest::default();
    // (a minute at most: an instance started again, or with a shorter
    // `every`, does not wait for a long round's hold to end)
    let hold = Duration::from_std(every)
        .unwrap_or(Duration::seconds(60))
        .min(Duration::seconds(60));
    loop {
        match mail::claim_checks(&store, Utc::now(), hold).await {
            Ok(true) => tracing::debug!("this instance takes this round of checks"),
            Ok(false) => {
                tracing::debug!("another instance takes this round of checks");
                tokio::time::sleep(every).await;
                continue;
            }
            // Checked anyway: each message is still written once.
            Err(e) => tracing::warn!("the round of checks could not be taken: {e}"),
        }
        match crate::domain::reminders::check(
            &store,
            &cache,
            &mail.settings,
            &mut newest,
            Utc::now(),
        )
        .await
        {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!("{n} reminders of late data (or notes that it came) written");
                mail.wake();
            }
            Err(e) => tracing::warn!("late data could not be checked: {e}"),
        }
        match crate::domain::alerts::check(&store, &cache, &mail.settings, Utc::now()).await {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!("{n} alerts on figures written");
                mail.wake();
            }
            Err(e) => tracing::warn!("alerts on figures could not be checked: {e}"),
        }
        match crate::domain::digests::check(&store, &cache, &mail.settings, Utc::now()).await {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!("{n} weekly digests written");
                mail.wake();
            }
            Err(e) => tracing::warn!("weekly digests could not be sent: {e}"),
        }
        tokio::time::sleep(every).await;
    }
}
