//! E-mail as Pulse writes it: letters with a plain-text and an HTML part in
//! GOV.UK Notify's manner (short sentences, one clear link, who sent it and
//! why), the links they carry, and the signed link that stops further
//! e-mail without signing in.
//!
//! Messages go into the outbox in the same change as what they tell of
//! ([`crate::store::mail`]); `crate::mail` sends them.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::{Error, Result};
use crate::store::{mail, Store};
use app::html::escape;

/// What mail needs to know of this installation.
#[derive(Clone, Debug)]
pub struct MailSettings {
    /// Whether an SMTP server is configured (otherwise messages go to the log).
    pub enabled: bool,
    /// Where people reach this Pulse, for links (no trailing slash).
    pub public_url: String,
    /// The sender's address.
    pub from: String,
    /// When weekly digests are sent.
    pub digests: crate::domain::digests::Schedule,
    /// Whether another instance on this database sends through an SMTP
    /// server (it has said so lately): this one's sender keeps it up to date
    /// (`crate::mail::run_sender`), so an instance without a server of its
    /// own still tells people, rightly, that their mail is sent.
    pub sent_elsewhere: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings {
            enabled: false,
            public_url: "http://127.0.0.1:3000".into(),
            from: "Pulse <pulse@localhost>".into(),
            digests: Default::default(),
            sent_elsewhere: Default::default(),
        }
    }
}

impl MailSettings {
    /// Whether mail put in the outbox reaches people: this instance sends
    /// through an SMTP server, or another on its database does. Otherwise
    /// messages are written to the log, and pages and answers say so (an
    /// invitation's answer carries its link).
    pub fn delivered(&self) -> bool {
        self.enabled
            || self
                .sent_elsewhere
                .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// An absolute link to `path` (which begins with `/`).
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.public_url.trim_end_matches('/'))
    }
}

/// One part of a letter's body.
#[derive(Clone, Debug)]
pub enum Part {
    /// A paragraph.
    Text(String),
    /// A link on a line of its own (a button in HTML).
    Link { words: String, url: String },
    /// Something to copy exactly, on a line of its own.
    Code(String),
    /// A heading over the parts that follow.
    Heading(String),
    /// A list of short lines.
    List(Vec<String>),
    /// A small table: its column headings, and its rows (the first cell of
    /// each names the row).
    Table {
        head: Vec<String>,
        rows: Vec<Vec<String>>,
    },
}

/// A letter: to whom, about what, and what it says.
pub struct Letter {
    pub kind: &'static str,
    pub to: String,
    pub subject: String,
    /// The first words ("Dear …" is not Notify's way: the name, then the point).
    pub parts: Vec<Part>,
    /// Why they were sent it, for the end of the letter.
    pub why: String,
}

/// The name of the secret that signs unsubscribe links.
const SIGNING_SECRET: &str = "mail-signing-key";

async fn signing_key(store: &Store) -> Result<String> {
    Ok(mail::secret(store, SIGNING_SECRET, || {
        crate::store::api_keys::generate_secret()
    })
    .await?)
}

fn signature(key: &str, purpose: &str, value: &str) -> String {
    // HMAC takes a key of any length.
    let mut mac = <Hmac<Sha256>>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(purpose.as_bytes());
    mac.update(b"\n");
    mac.update(value.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The link that stops e-mail to `email` without signing in.
pub async fn unsubscribe_link(
    store: &Store,
    settings: &MailSettings,
    email: &str,
) -> Result<String> {
    let key = signing_key(store).await?;
    let token = signature(&key, "unsubscribe", email);
    Ok(settings.link(&format!(
        "/unsubscribe?address={}&token={token}",
        app::api::encode_component(email)
    )))
}

/// Whether `token` is the unsubscribe signature of `email`.
pub async fn check_unsubscribe(store: &Store, email: &str, token: &str) -> Result<()> {
    let key = signing_key(store).await?;
    let expected = signature(&key, "unsubscribe", email);
    if crate::store::api_keys::constant_time_eq(&expected, token) {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "This link to stop e-mail is not right: copy the whole link from the e-mail, or \
             sign in and turn e-mail off on your settings page."
                .into(),
        ))
    }
}

impl Letter {
    /// The letter as a message for the outbox, with its unsubscribe link.
    pub fn message(&self, unsubscribe_url: String) -> mail::NewMessage {
        mail::NewMessage {
            kind: self.kind,
            to: self.to.clone(),
            subject: self.subject.clone(),
            text: self.text(&unsubscribe_url),
            html: self.html(&unsubscribe_url),
            unsubscribe_url,
        }
    }

    fn text(&self, unsubscribe_url: &str) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Link { words, url } => {
                    out.push_str(words);
                    out.push_str(":\n");
                    out.push_str(url);
                }
                Part::Code(c) => {
                    out.push_str("    ");
                    out.push_str(c);
                }
                Part::Heading(h) => {
                    out.push_str(h);
                    out.push('\n');
                    out.push_str(&"-".repeat(h.chars().count()));
                }
                Part::List(lines) => {
                    let items: Vec<String> = lines.iter().map(|l| format!("* {l}")).collect();
                    out.push_str(&items.join("\n"));
                }
                Part::Table { head, rows } => {
                    // A line a row: "Name: heading value, heading value".
                    let lines: Vec<String> = rows
                        .iter()
                        .map(|row| {
                            let cells: Vec<String> = row
                                .iter()
                                .zip(head.iter())
                                .skip(1)
                                .map(|(cell, heading)| format!("{} {cell}", heading.to_lowercase()))
                                .collect();
                            format!(
                                "* {}: {}",
                                row.first().map(String::as_str).unwrap_or_default(),
                                cells.join(", ")
                            )
                        })
                        .collect();
                    out.push_str(&lines.join("\n"));
                }
            }
            out.push_str("\n\n");
        }
        out.push_str("---\n");
        out.push_str(&self.why);
        out.push_str("\n\nTo stop e-mail from Pulse to this address:\n");
        out.push_str(unsubscribe_url);
        out.push('\n');
        out
    }

    fn html(&self, unsubscribe_url: &str) -> String {
        let font = "font-family: Helvetica, Arial, sans-serif;";
        let mut body = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => body.push_str(&format!(
                    "<p style=\"{font} font-size: 19px; line-height: 1.315789474; margin: 0 0 30px 0; color: #0b0c0c;\">{}</p>\n",
                    escape(t)
                )),
                Part::Link { words, url } => body.push_str(&format!(
                    "<p style=\"margin: 0 0 30px 0;\"><a href=\"{}\" style=\"{font} font-size: 19px; display: inline-block; padding: 8px 10px; background: #00703c; color: #ffffff; text-decoration: none; font-weight: bold;\">{}</a></p>\n\
                     <p style=\"{font} font-size: 16px; margin: 0 0 30px 0; color: #505a5f;\">Or copy this link into your browser: {}</p>\n",
                    escape(url),
                    escape(words),
                    escape(url)
                )),
                Part::Code(c) => body.push_str(&format!(
                    "<p style=\"font-family: monospace; font-size: 19px; margin: 0 0 30px 0; padding: 15px; background: #f3f2f1;\">{}</p>\n",
                    escape(c)
                )),
                Part::Heading(h) => body.push_str(&format!(
                    "<h2 style=\"{font} font-size: 24px; line-height: 1.25; font-weight: bold; margin: 0 0 15px 0; color: #0b0c0c;\">{}</h2>\n",
                    escape(h)
                )),
                Part::List(lines) => {
                    body.push_str(&format!(
                        "<ul style=\"{font} font-size: 19px; line-height: 1.315789474; margin: 0 0 30px 0; padding-left: 20px; color: #0b0c0c;\">\n"
                    ));
                    for line in lines {
                        body.push_str(&format!(
                            "<li style=\"margin-bottom: 5px;\">{}</li>\n",
                            escape(line)
                        ));
                    }
                    body.push_str("</ul>\n");
                }
                Part::Table { head, rows } => {
                    let cell = format!(
                        "{font} font-size: 16px; line-height: 1.25; padding: 10px 20px 10px 0; border-bottom: 1px solid #b1b4b6; text-align: left; vertical-align: top; color: #0b0c0c;"
                    );
                    body.push_str(
                        "<table cellpadding=\"0\" cellspacing=\"0\" style=\"border-collapse: collapse; margin: 0 0 30px 0;\">\n<thead><tr>",
                    );
                    for h in head {
                        body.push_str(&format!(
                            "<th scope=\"col\" style=\"{cell} font-weight: bold;\">{}</th>",
                            escape(h)
                        ));
                    }
                    body.push_str("</tr></thead>\n<tbody>\n");
                    for row in rows {
                        body.push_str("<tr>");
                        for (i, value) in row.iter().enumerate() {
                            if i == 0 {
                                body.push_str(&format!(
                                    "<th scope=\"row\" style=\"{cell} font-weight: normal;\">{}</th>",
                                    escape(value)
                                ));
                            } else {
                                body.push_str(&format!(
                                    "<td style=\"{cell}\">{}</td>",
                                    escape(value)
                                ));
                            }
                        }
                        body.push_str("</tr>\n");
                    }
                    body.push_str("</tbody></table>\n");
                }
            }
        }
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{subject}</title></head>\n\
             <body style=\"margin: 0; padding: 0; background: #ffffff;\">\n\
             <table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" style=\"border-collapse: collapse;\">\
             <tr><td style=\"background: #0b0c0c; padding: 10px 20px;\">\
             <span style=\"{font} font-size: 28px; font-weight: bold; color: #ffffff;\">Pulse</span></td></tr>\
             <tr><td style=\"background: #1d70b8; height: 10px; line-height: 10px; font-size: 1px;\">&nbsp;</td></tr>\
             <tr><td style=\"padding: 30px 20px 10px 20px; max-width: 580px;\">\n{body}\
             <hr style=\"border: 0; border-top: 1px solid #b1b4b6; margin: 0 0 20px 0;\">\
             <p style=\"{font} font-size: 16px; color: #505a5f; margin: 0 0 15px 0;\">{why}</p>\
             <p style=\"{font} font-size: 16px; color: #505a5f; margin: 0 0 30px 0;\">\
             <a href=\"{unsubscribe}\" style=\"color: #1d70b8;\">Stop e-mail from Pulse to this address</a></p>\
             </td></tr></table>\n</body></html>\n",
            subject = escape(&self.subject),
            why = escape(&self.why),
            unsubscribe = escape(unsubscribe_url),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letter() -> Letter {
        Letter {
            kind: "test",
            to: "robin@example.gov.uk".into(),
            subject: "A <test> & more".into(),
            parts: vec![
                Part::Text("Hello <b>Robin</b>.".into()),
                Part::Link {
                    words: "Set your password".into(),
                    url: "https://pulse.example/a?b=1&c=2".into(),
                },
                Part::Code("AB12-CD34".into()),
            ],
            why: "You were invited.".into(),
        }
    }

    #[test]
    fn both_parts_say_the_same_and_html_escapes() {
        let m = letter().message("https://pulse.example/unsubscribe?address=x&token=y".into());
        assert!(m.text.contains("Hello <b>Robin</b>."));
        assert!(m
            .text
            .contains("Set your password:\nhttps://pulse.example/a?b=1&c=2"));
        assert!(m.text.contains("    AB12-CD34"));
        assert!(m
            .text
            .contains("https://pulse.example/unsubscribe?address=x&token=y"));
        assert!(m.html.contains("Hello &lt;b&gt;Robin&lt;/b&gt;."));
        assert!(m
            .html
            .contains("href=\"https://pulse.example/a?b=1&amp;c=2\""));
        assert!(m.html.contains("<title>A &lt;test&gt; &amp; more</title>"));
        assert!(m.html.contains("unsubscribe?address=x&amp;token=y"));
        assert!(!m.html.contains("<b>Robin"));
    }

    #[test]
    fn signatures_depend_on_key_purpose_and_value() {
        let a = signature("key", "unsubscribe", "a@example.gov.uk");
        assert_eq!(a.len(), 64);
        assert_eq!(a, signature("key", "unsubscribe", "a@example.gov.uk"));
        assert_ne!(a, signature("other", "unsubscribe", "a@example.gov.uk"));
        assert_ne!(a, signature("key", "other", "a@example.gov.uk"));
        assert_ne!(a, signature("key", "unsubscribe", "b@example.gov.uk"));
        // RFC 4231, test case 2.
        let mut mac = <Hmac<Sha256>>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        let hex: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
