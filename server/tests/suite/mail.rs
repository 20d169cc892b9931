//! E-mail through a real SMTP server on 127.0.0.1 (aiosmtpd, from
//! end2end/mail/catch.py, which writes what arrives as JSON): invitations,
//! password resets and the link that stops e-mail, on SQLite and Postgres;
//! two senders on one database sending each message once; a server that is
//! down or refuses.

use crate::support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration as StdDuration;

use axum::http::{Method, StatusCode};
use chrono::Utc;
use serde_json::{json, Value};

use crate::support::{call, Backend, TestApp};
use app::model::Role;
use server::domain::mail::MailSettings;
use server::mail::{Mail, Transport};
use server::store::{orgs, users::NewUser};

const FROM: &str = "Pulse <pulse@pulse.test>";

/// The SMTP server, while it runs.
struct Catcher {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
}

impl Drop for Catcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn python() -> PathBuf {
    let tools = std::env::var("PULSE_MAIL_TOOLS").expect(
        "PULSE_MAIL_TOOLS is not set: the e-mail tests send to a real SMTP server \
         (aiosmtpd in $PULSE_MAIL_TOOLS/venv; scripts/setup --test installs it and \
         scripts/test sets it)",
    );
    PathBuf::from(tools).join("venv/bin/python")
}

/// Starts an SMTP server on a free port; with `login`, it asks for it.
fn catcher(login: Option<(&str, &str)>) -> Catcher {
    catcher_refusing(login, &[])
}

/// As [`catcher`], refusing mail to `refused` for good.
fn catcher_refusing(login: Option<(&str, &str)>, refused: &[&str]) -> Catcher {
    let dir = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../end2end/mail/catch.py");
    let mut command = Command::new(python());
    command
        .arg(&script)
        .arg("--dir")
        .arg(dir.path())
        .stdout(Stdio::piped());
    if let Some((user, password)) = login {
        command.args(["--user", user, "--password", password]);
    }
    for address in refused {
        command.args(["--refuse", address]);
    }
    let mut child = command.spawn().expect("the SMTP server could not start");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line.trim().parse().expect("the SMTP server said no port");
    Catcher { child, dir, port }
}

impl Catcher {
    fn messages(&self) -> Vec<Value> {
        let mut files: Vec<_> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|f| serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap())
            .collect()
    }

    /// Waits (up to 15 s) until `n` messages have arrived; returns them all.
    async fn wait_for(&self, n: usize) -> Vec<Value> {
        for _ in 0..150 {
            let got = self.messages();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(StdDuration::from_millis(100)).await;
        }
        panic!("{n} messages did not arrive in 15 s: {:?}", self.messages());
    }
}

fn settings() -> MailSettings {
    MailSettings {
        enabled: true,
        public_url: "http://pulse.test".into(),
        from: FROM.into(),
        ..MailSettings::default()
    }
}

/// Sends through `url` from now on: a sender task like `pulse serve`'s.
fn start_sender(app: &mut TestApp, url: &str) -> tokio::task::JoinHandle<()> {
    let mail = Mail::new(settings());
    app.with_mail(mail.clone());
    let transport = Transport::Smtp(server::mail::smtp(url).unwrap());
    tokio::spawn(server::mail::run_sender(
        app.store.clone(),
        mail,
        transport,
        server::mail::mailbox(FROM).unwrap(),
    ))
}

/// An admin, an editor of dept-a and a viewer; their headers.
async fn people(app: &TestApp) -> [Vec<(String, String)>; 3] {
    for slug in ["dept-a", "dept-b"] {
        let mut w = support::write(&app.store).await;
        orgs::upsert_org(
            &mut w,
            &orgs::OrgForUpsert {
                slug,
                title: if slug == "dept-a" {
                    "Department A"
                } else {
                    "Department B"
                },
                abbreviation: None,
                kind: orgs::OrgKind::Department,
                parent_id: None,
            },
        )
        .await
        .unwrap();
        support::done(w).await;
    }
    for (email, role, org) in [
        ("admin@pulse.test", Role::Admin, None),
        ("editor@pulse.test", Role::Editor, Some("dept-a")),
        ("viewer@pulse.test", Role::Viewer, Some("dept-a")),
    ] {
        let orgs: Vec<String> = org.into_iter().map(str::to_string).collect();
        support::add_user(
            &app.store,
            &NewUser {
                email,
                display_name: email.split('@').next().unwrap(),
                role,
                organisations: &orgs,
            },
            "the old long password",
        )
        .await;
    }
    [
        support::signed_in(app, "admin@pulse.test").await,
        support::signed_in(app, "editor@pulse.test").await,
        support::signed_in(app, "viewer@pulse.test").await,
    ]
}

/// The token of the link in a message's text that begins with `prefix`.
fn link_token(message: &Value, prefix: &str) -> String {
    let text = message["text"].as_str().unwrap();
    let start = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no link {prefix} in:\n{text}"));
    let rest = &text[start + prefix.len()..];
    rest.split(|c: char| c.is_whitespace())
        .next()
        .unwrap()
        .to_string()
}

async fn post_json(app: &TestApp, uri: &str, body: Value) -> support::Answer {
    call(app, Method::POST, uri, &[], Some(&body)).await
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> StatusCode {
    post_json(
        app,
        "/api/v1/session",
        json!({"email": email, "password": password}),
    )
    .await
    .status
}

async fn invitations_and_resets_arrive_and_work(backend: Backend) {
    let mut app = support::test_app(backend).await;
    let smtp = catcher(Some(("pulse", "s3cret pass")));
    let sender = start_sender(
        &mut app,
        &format!("smtp://pulse:s3cret%20pass@127.0.0.1:{}", smtp.port),
    );
    let [admin, editor, viewer] = people(&app).await;

    // An admin invites an editor of dept-a.
    let sent = call(
        &app,
        Method::POST,
        "/api/v1/invitations",
        &admin,
        Some(
            &json!({"email": " Jane@Pulse.test ", "display_name": "Jane Okafor",
                     "role": "editor", "organisations": ["dept-a"]}),
        ),
    )
    .await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.text());
    let sent = sent.json();
    assert_eq!(sent["emailed"], true);
    assert_eq!(sent["link"], Value::Null, "the link is only in the e-mail");
    assert_eq!(sent["invitation"]["email"], "jane@pulse.test");
    assert_eq!(sent["invitation"]["status"], "pending");
    let mail = smtp.wait_for(1).await.remove(0);
    assert_eq!(mail["rcpt_tos"], json!(["jane@pulse.test"]));
    assert_eq!(mail["authenticated_as"], "pulse", "the SMTP login was used");
    assert_eq!(mail["from"], FROM);
    assert_eq!(mail["subject"], "You have been invited to Pulse");
    assert_eq!(mail["content_type"], "multipart/alternative");
    let text = mail["text"].as_str().unwrap();
    let html = mail["html"].as_str().unwrap();
    assert!(text.contains("Admin has invited you to Pulse"), "{text}");
    assert!(
        text.contains("an editor") && text.contains("for Department A"),
        "{text}"
    );
    assert!(html.contains("Set your password and sign in"), "{html}");
    let token = link_token(&mail, "http://pulse.test/invitation?token=");
    assert!(html.contains(&format!("http://pulse.test/invitation?token={token}")));
    link_forgotten_once_sent(&app, "invitation", "jane@pulse.test", &token).await;
    let unsubscribe = link_token(&mail, "http://pulse.test/unsubscribe?");
    assert_eq!(
        mail["headers"]["list-unsubscribe"],
        format!("<http://pulse.test/api/v1/mail/unsubscribe?{unsubscribe}>")
    );
    assert_eq!(
        mail["headers"]["list-unsubscribe-post"],
        "List-Unsubscribe=One-Click"
    );

    // Its holder sees what it is for, without an account.
    let look = app.get(&format!("/api/v1/invitation?token={token}")).await;
    assert_eq!(look.status, StatusCode::OK, "{}", look.text());
    assert_eq!(look.json()["organisations"], json!(["Department A"]));
    assert_eq!(look.json()["inviter_name"], "admin");
    assert!(look.header("cache-control").contains("no-store"));
    // Passwords that would not do are refused with the reason; nothing is made.
    for (password, status, why) in [
        ("short one", 400, "at least 12"),
        ("Password123456!", 422, "most common passwords"),
        ("jane@pulse.test 2025", 422, "email address"),
    ] {
        let refused = post_json(
            &app,
            "/api/v1/invitation",
            json!({"token": token, "display_name": "Jane", "password": password}),
        )
        .await;
        assert_eq!(refused.status.as_u16(), status, "{password}");
        assert!(
            refused.text().contains(why),
            "{password}: {}",
            refused.text()
        );
    }
    assert_eq!(
        sign_in(&app, "jane@pulse.test", "Password123456!").await,
        StatusCode::UNAUTHORIZED
    );
    let accepted = post_json(
        &app,
        "/api/v1/invitation",
        json!({"token": token, "display_name": "Jane O.", "password": "kettle orbit lantern"}),
    )
    .await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text());
    assert!(accepted.header("set-cookie").starts_with("pulse_session="));
    let user = &accepted.json()["user"];
    assert_eq!(user["display_name"], "Jane O.");
    assert_eq!(user["role"], "editor");
    assert_eq!(user["organisations"], json!(["dept-a"]));
    assert_eq!(
        sign_in(&app, "jane@pulse.test", "kettle orbit lantern").await,
        StatusCode::OK
    );
    // Once only.
    let again = post_json(
        &app,
        "/api/v1/invitation",
        json!({"token": token, "display_name": "Jane", "password": "kettle orbit lantern 2"}),
    )
    .await;
    assert_eq!(again.status, StatusCode::GONE);
    assert!(again.text().contains("has been used"), "{}", again.text());
    let wrong = app.get("/api/v1/invitation?token=not-a-token").await;
    assert_eq!(wrong.status, StatusCode::NOT_FOUND);

    // Editors invite viewers and editors of their own organisations only.
    for (body, status, why) in [
        (
            json!({"email": "a@pulse.test", "role": "admin", "organisations": ["dept-a"]}),
            403,
            "Only admins may invite admins",
        ),
        (
            json!({"email": "a@pulse.test", "role": "viewer", "organisations": ["dept-b"]}),
            403,
            "your own organisations",
        ),
        (
            json!({"email": "a@pulse.test", "role": "viewer", "organisations": []}),
            400,
            "Name the organisations",
        ),
        (
            json!({"email": "not an address", "role": "viewer", "organisations": ["dept-a"]}),
            400,
            "is not an email address",
        ),
        (
            json!({"email": "jane@pulse.test", "role": "viewer", "organisations": ["dept-a"]}),
            409,
            "already has an account",
        ),
        (
            json!({"email": "a@pulse.test", "role": "viewer", "organisations": ["dept-a"], "extra": 1}),
            400,
            "extra",
        ),
    ] {
        let refused = call(
            &app,
            Method::POST,
            "/api/v1/invitations",
            &editor,
            Some(&body),
        )
        .await;
        assert_eq!(
            refused.status.as_u16(),
            status,
            "{body}: {}",
            refused.text()
        );
        assert!(refused.text().contains(why), "{body}: {}", refused.text());
    }
    let by_viewer = call(
        &app,
        Method::POST,
        "/api/v1/invitations",
        &viewer,
        Some(&json!({"email": "a@pulse.test", "role": "viewer", "organisations": ["dept-a"]})),
    )
    .await;
    assert_eq!(by_viewer.status, StatusCode::FORBIDDEN);
    let by_editor = call(
        &app,
        Method::POST,
        "/api/v1/invitations",
        &editor,
        Some(&json!({"email": "sam@pulse.test", "role": "viewer", "organisations": ["dept-a"]})),
    )
    .await;
    assert_eq!(
        by_editor.status,
        StatusCode::CREATED,
        "{}",
        by_editor.text()
    );
    let sam = by_editor.json()["invitation"]["id"].as_i64().unwrap();
    let twice = call(
        &app,
        Method::POST,
        "/api/v1/invitations",
        &admin,
        Some(&json!({"email": "sam@pulse.test", "role": "viewer", "organisations": ["dept-a"]})),
    )
    .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    assert!(twice.text().contains("withdraw that invitation first"));
    let mails = smtp.wait_for(2).await;
    let sam_token = link_token(&mails[1], "http://pulse.test/invitation?token=");
    assert!(mails[1]["text"]
        .as_str()
        .unwrap()
        .contains("Editor has invited you"));
    // The editor sees their own; the admin sees all.
    let mine = call(&app, Method::GET, "/api/v1/invitations", &editor, None).await;
    assert_eq!(mine.json()["invitations"].as_array().unwrap().len(), 1);
    let all = call(&app, Method::GET, "/api/v1/invitations", &admin, None).await;
    assert_eq!(all.json()["invitations"].as_array().unwrap().len(), 2);
    assert_eq!(all.json()["invitations"][1]["status"], "accepted");
    // An invitation carries its sender's rights only while they hold them:
    // the editor made a viewer, Sam's link stops working; made an editor
    // again, it works.
    let look = |token: String| {
        let app = &app;
        async move { app.get(&format!("/api/v1/invitation?token={token}")).await }
    };
    assert_eq!(look(sam_token.clone()).await.status, StatusCode::OK);
    for (role, status) in [("viewer", StatusCode::GONE), ("editor", StatusCode::OK)] {
        server::on_pool!(app.store, |pool| sqlx::query(
            "UPDATE users SET role = $1 WHERE email = 'editor@pulse.test'"
        )
        .bind(role)
        .execute(pool)
        .await
        .unwrap()
        .rows_affected());
        let answer = look(sam_token.clone()).await;
        assert_eq!(answer.status, status, "{role}: {}", answer.text());
        if status == StatusCode::GONE {
            assert!(
                answer
                    .text()
                    .contains("editor may no longer invite people as a viewer of dept-a"),
                "{}",
                answer.text()
            );
            let refused = post_json(
                &app,
                "/api/v1/invitation",
                json!({"token": sam_token, "display_name": "Sam", "password": "kettle orbit lantern"}),
            )
            .await;
            assert_eq!(refused.status, StatusCode::GONE, "{}", refused.text());
        }
    }
    // Withdrawn, its link stops working.
    let withdrawn = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/invitations/{sam}"),
        &editor,
        None,
    )
    .await;
    assert_eq!(withdrawn.status, StatusCode::OK, "{}", withdrawn.text());
    assert_eq!(withdrawn.json()["status"], "withdrawn");
    let gone = app
        .get(&format!("/api/v1/invitation?token={sam_token}"))
        .await;
    assert_eq!(gone.status, StatusCode::GONE);
    assert!(gone.text().contains("withdrawn"), "{}", gone.text());
    let again = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/invitations/{sam}"),
        &admin,
        None,
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    // An invitation past its 7 days has expired.
    let third = call(
        &app,
        Method::POST,
        "/api/v1/invitations",
        &admin,
        Some(&json!({"email": "kim@pulse.test", "role": "viewer", "organisations": []})),
    )
    .await;
    assert_eq!(third.status, StatusCode::CREATED);
    let kim_token = link_token(
        &smtp.wait_for(3).await[2],
        "http://pulse.test/invitation?token=",
    );
    server::on_pool!(app.store, |pool| sqlx::query(
        "UPDATE invitations SET expires_at = $1 WHERE email = 'kim@pulse.test'"
    )
    .bind(server::store::micros(
        Utc::now() - chrono::Duration::seconds(1)
    ))
    .execute(pool)
    .await
    .unwrap()
    .rows_affected());
    let expired = post_json(
        &app,
        "/api/v1/invitation",
        json!({"token": kim_token, "display_name": "Kim", "password": "kettle orbit lantern"}),
    )
    .await;
    assert_eq!(expired.status, StatusCode::GONE);
    assert!(expired.text().contains("expired"), "{}", expired.text());

    // A password reset: the same answer whoever asks; a link to the account's
    // address only; setting it ends every session.
    let before = support::signed_in(&app, "viewer@pulse.test").await;
    for email in ["viewer@pulse.test", "nobody@pulse.test"] {
        let asked = post_json(&app, "/api/v1/password-reset", json!({"email": email})).await;
        assert_eq!(asked.status, StatusCode::ACCEPTED);
        assert!(asked.text().contains("If this address has a Pulse account"));
    }
    let bad = post_json(&app, "/api/v1/password-reset", json!({"email": "nope"})).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let mails = smtp.wait_for(4).await;
    tokio::time::sleep(StdDuration::from_millis(500)).await;
    assert_eq!(
        smtp.messages().len(),
        4,
        "nothing to an address without an account"
    );
    let reset = &mails[3];
    assert_eq!(reset["rcpt_tos"], json!(["viewer@pulse.test"]));
    assert_eq!(reset["subject"], "Reset your Pulse password");
    let reset_token = link_token(reset, "http://pulse.test/reset-password?token=");
    link_forgotten_once_sent(&app, "password-reset", "viewer@pulse.test", &reset_token).await;
    let look = app
        .get(&format!("/api/v1/password-reset?token={reset_token}"))
        .await;
    assert_eq!(look.status, StatusCode::OK);
    assert_eq!(look.json()["email"], "viewer@pulse.test");
    let weak = post_json(
        &app,
        "/api/v1/password-reset/complete",
        json!({"token": reset_token, "password": "qwerty123456"}),
    )
    .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    let done = post_json(
        &app,
        "/api/v1/password-reset/complete",
        json!({"token": reset_token, "password": "a brand new passphrase"}),
    )
    .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text());
    assert!(done.header("set-cookie").starts_with("pulse_session="));
    let old_session = call(&app, Method::GET, "/api/v1/session", &before, None).await;
    assert_eq!(
        old_session.json()["user"],
        Value::Null,
        "the old session ended"
    );
    assert_eq!(
        sign_in(&app, "viewer@pulse.test", "the old long password").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        sign_in(&app, "viewer@pulse.test", "a brand new passphrase").await,
        StatusCode::OK
    );
    let reused = post_json(
        &app,
        "/api/v1/password-reset/complete",
        json!({"token": reset_token, "password": "yet another passphrase"}),
    )
    .await;
    assert_eq!(reused.status, StatusCode::GONE);
    // At most 3 links an hour for one account.
    for _ in 0..4 {
        post_json(
            &app,
            "/api/v1/password-reset",
            json!({"email": "editor@pulse.test"}),
        )
        .await;
    }
    smtp.wait_for(7).await;
    tokio::time::sleep(StdDuration::from_millis(500)).await;
    assert_eq!(
        smtp.messages().len(),
        7,
        "the fourth reset in an hour was not sent"
    );

    // The link at the foot of an e-mail stops e-mail, without signing in.
    let forged = app
        .request(
            Method::POST,
            "/api/v1/mail/unsubscribe?address=jane%40pulse.test&token=0000",
            &[],
            Vec::new(),
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let stopped = app
        .request(
            Method::POST,
            &format!("/api/v1/mail/unsubscribe?{unsubscribe}"),
            &[("content-type", "application/x-www-form-urlencoded")],
            b"List-Unsubscribe=One-Click".to_vec(),
        )
        .await;
    assert_eq!(stopped.status, StatusCode::OK, "{}", stopped.text());
    // The page's form does the same, and goes back to the page.
    let sam_unsubscribe = link_token(&mails[1], "http://pulse.test/unsubscribe?");
    let from_page = app
        .request(
            Method::POST,
            &format!("/api/v1/mail/unsubscribe?{sam_unsubscribe}"),
            &[("content-type", "application/x-www-form-urlencoded")],
            b"from_page=1".to_vec(),
        )
        .await;
    assert_eq!(from_page.status, StatusCode::SEE_OTHER);
    assert!(from_page.header("location").ends_with("&done=1"));
    // Unasked mail to such an address stops: an invitation is refused (its
    // link goes to no one but the person invited, or the inviter could make
    // an account under their address); a reset its owner asks for still
    // comes.
    let quiet = call(
        &app,
        Method::POST,
        "/api/v1/invitations",
        &admin,
        Some(&json!({"email": "sam@pulse.test", "role": "viewer", "organisations": ["dept-a"]})),
    )
    .await;
    assert_eq!(quiet.status, StatusCode::CONFLICT, "{}", quiet.text());
    assert!(
        quiet
            .text()
            .contains("sam@pulse.test has asked Pulse to send it no more e-mail"),
        "{}",
        quiet.text()
    );
    let listed = call(&app, Method::GET, "/api/v1/invitations", &admin, None).await;
    let listed = listed.json();
    let sams: Vec<_> = listed["invitations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["email"] == "sam@pulse.test")
        .map(|i| i["status"].clone())
        .collect();
    assert_eq!(sams, vec![json!("withdrawn")], "nothing was written");
    let outbox = call(&app, Method::GET, "/api/v1/mail", &admin, None).await;
    assert_eq!(outbox.status, StatusCode::OK);
    let outbox = outbox.json();
    assert_eq!(outbox["enabled"], true);
    assert_eq!(outbox["messages"].as_array().unwrap().len(), 7);
    assert!(outbox["messages"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["sent_at"].is_string() && m["attempts"] == 1));
    let asked = post_json(
        &app,
        "/api/v1/password-reset",
        json!({"email": "jane@pulse.test"}),
    )
    .await;
    assert_eq!(asked.status, StatusCode::ACCEPTED);
    assert_eq!(
        smtp.wait_for(8).await[7]["rcpt_tos"],
        json!(["jane@pulse.test"])
    );
    // Asked for eight times at once: no more than 3 are made (each counted in
    // its write, one after the other, on one instance or several).
    futures_util::future::join_all((0..8).map(|_| {
        post_json(
            &app,
            "/api/v1/password-reset",
            json!({"email": "admin@pulse.test"}),
        )
    }))
    .await;
    let made: i64 = server::on_pool!(&app.store, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM password_resets r JOIN users u ON u.id = r.user_id
         WHERE u.email = 'admin@pulse.test'"
    )
    .fetch_one(pool)
    .await)
    .unwrap();
    assert_eq!(made, 3, "resets made for eight asked at once");
    assert_eq!(smtp.wait_for(11).await.len(), 11);
    // One person invited four times at once (a double submit, through
    // several instances): invited once, the others told so.
    let invite =
        json!({"email": "twice@pulse.test", "role": "viewer", "organisations": ["dept-a"]});
    let answers = futures_util::future::join_all((0..4).map(|_| {
        call(
            &app,
            Method::POST,
            "/api/v1/invitations",
            &admin,
            Some(&invite),
        )
    }))
    .await;
    let mut statuses: Vec<u16> = answers.iter().map(|a| a.status.as_u16()).collect();
    statuses.sort();
    assert_eq!(
        statuses,
        [201, 409, 409, 409],
        "{:?}",
        answers.iter().map(|a| a.text()).collect::<Vec<_>>()
    );
    assert_eq!(smtp.wait_for(12).await.len(), 12);

    // Everything is in the audit log.
    let audit = call(&app, Method::GET, "/api/v1/audit?limit=1000", &admin, None).await;
    let text = audit.text();
    for action in [
        "invitation.create",
        "invitation.accept",
        "invitation.withdraw",
        "password.reset-request",
        "password.reset",
        "mail.unsubscribe",
    ] {
        assert!(text.contains(action), "{action} is not in the audit log");
    }
    sender.abort();
}

#[tokio::test]
async fn invitations_and_resets_on_sqlite() {
    invitations_and_resets_arrive_and_work(Backend::Sqlite).await;
}

#[tokio::test]
async fn invitations_and_resets_on_postgres() {
    invitations_and_resets_arrive_and_work(Backend::Postgres).await;
}

/// `pulse user invite` on the app's database, as an admin at its terminal
/// runs it: (whether it worked, standard output, standard error).
fn invite_command(app: &TestApp, args: &[&str]) -> (bool, String, String) {
    let public_url: &[&str] = if args.contains(&"--public-url") {
        &[]
    } else {
        &["--public-url", "http://pulse.test/"]
    };
    let out = Command::new(env!("CARGO_BIN_EXE_pulse"))
        .args(["user", "invite"])
        .args(public_url)
        .args(args)
        .args(["--database", &app.url])
        .env_remove("PULSE_PUBLIC_URL")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// An admin at the server invites someone from the command line: the
/// command prints the link, the instance's sender e-mails the same link,
/// and it lets them set a password and sign in; bad input is refused in
/// words, and nothing is written then.
async fn an_invitation_from_the_command_line(backend: Backend) {
    let mut app = support::test_app(backend).await;
    let smtp = catcher(None);
    let sender = start_sender(&mut app, &format!("smtp://127.0.0.1:{}", smtp.port));
    let [admin, ..] = people(&app).await;

    for (args, why) in [
        (
            vec![
                "--email",
                "sam@pulse.test",
                "--role",
                "editor",
                "--org",
                "dept-z",
            ],
            "There is no organisation `dept-z`.",
        ),
        (
            vec!["--email", "admin@pulse.test", "--role", "viewer"],
            "admin@pulse.test already has an account",
        ),
        (
            vec!["--email", "not an address", "--role", "viewer"],
            "email",
        ),
        (
            vec![
                "--email",
                "sam@pulse.test",
                "--role",
                "viewer",
                "--public-url",
                "pulse.test",
            ],
            "--public-url must be like https://pulse.example.gov.uk",
        ),
    ] {
        let (ok, _, err) = invite_command(&app, &args);
        assert!(!ok, "{args:?} was taken");
        assert!(err.contains(why), "{args:?}: {err}");
    }
    let listed = call(&app, Method::GET, "/api/v1/invitations", &admin, None).await;
    assert_eq!(
        listed.json()["invitations"],
        json!([]),
        "nothing was written"
    );

    let (ok, out, err) = invite_command(
        &app,
        &[
            "--email",
            " Sam@Pulse.test",
            "--name",
            "Sam Adeyemi",
            "--role",
            "editor",
            "--org",
            "dept-a",
        ],
    );
    assert!(ok, "{err}");
    assert!(
        out.starts_with(
            "sam@pulse.test is invited as an editor. Send them this link some safe way"
        ),
        "{out}"
    );
    let printed = out
        .lines()
        .find_map(|l| l.strip_prefix("http://pulse.test/invitation?token="))
        .unwrap_or_else(|| panic!("no link in:\n{out}"))
        .to_string();
    let mail = smtp.wait_for(1).await.remove(0);
    assert_eq!(mail["rcpt_tos"], json!(["sam@pulse.test"]));
    let text = mail["text"].as_str().unwrap();
    assert!(
        text.contains("An admin of Pulse has invited you to Pulse"),
        "{text}"
    );
    assert!(
        text.contains("an editor") && text.contains("for Department A"),
        "{text}"
    );
    assert_eq!(
        link_token(&mail, "http://pulse.test/invitation?token="),
        printed
    );
    let listed = call(&app, Method::GET, "/api/v1/invitations", &admin, None).await;
    assert_eq!(
        listed.json()["invitations"][0]["inviter_name"],
        "an admin of Pulse"
    );
    let (ok, _, err) = invite_command(&app, &["--email", "sam@pulse.test", "--role", "viewer"]);
    assert!(!ok);
    assert!(err.contains("withdraw that invitation first"), "{err}");

    let accepted = post_json(
        &app,
        "/api/v1/invitation",
        json!({"token": printed, "display_name": "Sam Adeyemi", "password": "kettle orbit lantern"}),
    )
    .await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text());
    assert_eq!(accepted.json()["user"]["role"], "editor");
    assert_eq!(accepted.json()["user"]["organisations"], json!(["dept-a"]));
    assert_eq!(
        sign_in(&app, "sam@pulse.test", "kettle orbit lantern").await,
        StatusCode::OK
    );
    sender.abort();
}

#[tokio::test]
async fn an_invitation_from_the_command_line_on_sqlite() {
    an_invitation_from_the_command_line(Backend::Sqlite).await;
}

#[tokio::test]
async fn an_invitation_from_the_command_line_on_postgres() {
    an_invitation_from_the_command_line(Backend::Postgres).await;
}

/// Messages put in the outbox directly, as a change would.
async fn enqueue(app: &TestApp, n: usize) {
    let mut w = support::write(&app.store).await;
    for i in 0..n {
        server::store::mail::enqueue(
            &mut w,
            &server::store::mail::NewMessage {
                kind: "test",
                to: format!("person{i}@pulse.test"),
                subject: format!("Message {i}"),
                text: format!("Text {i}"),
                html: format!("<p>HTML {i}</p>"),
                unsubscribe_url: String::new(),
            },
            Utc::now(),
        )
        .await
        .unwrap();
    }
    support::done(w).await;
}

async fn two_senders_send_each_message_once(backend: Backend) {
    let app = support::test_app(backend).await;
    let smtp = catcher(None);
    let url = format!("smtp://127.0.0.1:{}", smtp.port);
    let from = server::mail::mailbox(FROM).unwrap();
    let senders: Vec<_> = (0..2)
        .map(|_| {
            tokio::spawn(server::mail::run_sender(
                app.store.clone(),
                Mail::new(settings()),
                Transport::Smtp(server::mail::smtp(&url).unwrap()),
                from.clone(),
            ))
        })
        .collect();
    enqueue(&app, 30).await;
    let got = smtp.wait_for(30).await;
    tokio::time::sleep(StdDuration::from_secs(6)).await;
    let got_after = smtp.messages();
    assert_eq!(got_after.len(), 30, "a message was sent twice");
    let mut to: Vec<String> = got
        .iter()
        .map(|m| m["rcpt_tos"][0].as_str().unwrap().to_string())
        .collect();
    to.sort();
    to.dedup();
    assert_eq!(to.len(), 30);
    for s in senders {
        s.abort();
    }
}

/// Two instances on one database, one with an SMTP server and one without:
/// every message is sent by the one with, none written to the other's log.
async fn an_instance_without_smtp_leaves_the_outbox_to_one_with(backend: Backend) {
    let mut app = support::test_app(backend).await;
    // This app is the instance without a server: what it tells people.
    let without_mail = Mail::new(MailSettings {
        enabled: false,
        ..settings()
    });
    app.with_mail(without_mail.clone());
    let [admin, ..] = people(&app).await;
    assert_eq!(
        mail_told(&app, &admin).await,
        (false, false),
        "alone, e-mail is off"
    );
    let smtp = catcher(None);
    let from = server::mail::mailbox(FROM).unwrap();
    let url = format!("smtp://127.0.0.1:{}", smtp.port);
    let with = tokio::spawn(server::mail::run_sender(
        app.store.clone(),
        Mail::new(settings()),
        Transport::Smtp(server::mail::smtp(&url).unwrap()),
        from.clone(),
    ));
    // Once it has said it is there (its first step)...
    for _ in 0..100 {
        if server::store::mail::smtp_sender_seen(&app.store)
            .await
            .unwrap()
            .is_some()
        {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    let without = tokio::spawn(server::mail::run_sender(
        app.store.clone(),
        without_mail.clone(),
        Transport::Log,
        from,
    ));
    enqueue(&app, 20).await;
    smtp.wait_for(20).await;
    tokio::time::sleep(StdDuration::from_secs(6)).await;
    assert_eq!(smtp.messages().len(), 20);
    // Its pages say mail is sent (by the other), and an invitation's answer
    // carries no link: the e-mail carries it.
    assert_eq!(mail_told(&app, &admin).await, (true, true));
    let session = call(&app, Method::GET, "/api/v1/session", &admin, None)
        .await
        .json();
    assert_eq!(session["mail_enabled"], json!(true), "{session}");
    let sent = call(
        &app,
        Method::POST,
        "/api/v1/invitations",
        &admin,
        Some(&json!({"email": "newcomer@pulse.test", "role": "viewer", "organisations": []})),
    )
    .await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.text());
    assert_eq!(sent.json()["emailed"], true);
    assert_eq!(
        sent.json()["link"],
        Value::Null,
        "the link is only in the e-mail"
    );
    smtp.wait_for(21).await;
    // The SMTP server holds a message before its sender has written down that
    // it went: look again for a while before calling one unsent.
    let mut logged = Vec::new();
    for _ in 0..100 {
        logged = outbox(&app)
            .await
            .into_iter()
            .filter(|m| m.sent_at.is_none() || !m.last_error.is_empty())
            .map(|m| (m.to, m.last_error))
            .collect();
        if logged.is_empty() {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    assert_eq!(logged, vec![], "messages not sent through the SMTP server");
    // The one with a server gone two minutes (a deploy, a crash): the other
    // says mail is not sent now, and leaves the messages waiting for it.
    with.abort();
    server::store::mail::smtp_sender_here(&app.store, Utc::now() - chrono::Duration::minutes(2))
        .await
        .unwrap();
    enqueue(&app, 1).await;
    for _ in 0..30 {
        if mail_told(&app, &admin).await == (false, false) {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    assert_eq!(mail_told(&app, &admin).await, (false, false));
    tokio::time::sleep(StdDuration::from_secs(6)).await;
    let waiting = outbox(&app)
        .await
        .into_iter()
        .filter(|m| m.to == "person0@pulse.test" && m.sent_at.is_none())
        .count();
    assert_eq!(waiting, 1, "a message left for the instance with a server");
    // Gone for more than an hour: the other writes messages to its log.
    server::store::mail::smtp_sender_here(&app.store, Utc::now() - chrono::Duration::minutes(61))
        .await
        .unwrap();
    let mut noted = String::new();
    for _ in 0..100 {
        let newest = outbox(&app).await.into_iter().find(|m| {
            m.to == "person0@pulse.test" && m.sent_at.is_some() && !m.last_error.is_empty()
        });
        if let Some(m) = newest {
            noted = m.last_error;
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    assert_eq!(noted, "e-mail is off: written to the server's log");
    assert_eq!(smtp.messages().len(), 21);
    assert_eq!(
        mail_told(&app, &admin).await,
        (false, false),
        "the other has gone"
    );
    without.abort();
}

/// What `/api/v1/mail` tells an admin: whether mail reaches people, and
/// whether another instance sends it.
async fn mail_told(app: &TestApp, admin: &[(String, String)]) -> (bool, bool) {
    let status = call(app, Method::GET, "/api/v1/mail", admin, None).await;
    assert_eq!(status.status, StatusCode::OK, "{}", status.text());
    let status = status.json();
    (
        status["enabled"] == json!(true),
        status["elsewhere"] == json!(true),
    )
}

#[tokio::test]
async fn smtp_and_no_smtp_on_sqlite() {
    an_instance_without_smtp_leaves_the_outbox_to_one_with(Backend::Sqlite).await;
}

#[tokio::test]
async fn smtp_and_no_smtp_on_postgres() {
    an_instance_without_smtp_leaves_the_outbox_to_one_with(Backend::Postgres).await;
}

#[tokio::test]
async fn two_senders_on_sqlite() {
    two_senders_send_each_message_once(Backend::Sqlite).await;
}

#[tokio::test]
async fn two_senders_on_postgres() {
    two_senders_send_each_message_once(Backend::Postgres).await;
}

/// A server that takes a message and then says nothing (a stalled link) is
/// let go well before the claim's hold runs out, so no other instance sends
/// the message while this one still is; it is tried again later.
#[tokio::test]
async fn a_mail_server_that_stalls_is_let_go_before_another_instance_may_send() {
    let app = support::test_app(Backend::Sqlite).await;
    let from = server::mail::mailbox(FROM).unwrap();
    // Greets, then never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        use std::io::Write;
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let _ = stream.write_all(b"220 stalling.test ESMTP\r\n");
            held.push(stream);
        }
    });
    enqueue(&app, 1).await;
    let stalled = Transport::Smtp(server::mail::smtp(&format!("smtp://127.0.0.1:{port}")).unwrap());
    let started = std::time::Instant::now();
    assert!(
        server::mail::send_next_within(&app.store, &stalled, &from, StdDuration::from_secs(2))
            .await
    );
    assert!(
        started.elapsed() < StdDuration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let message = &server::store::mail::recent(&app.store, 10).await.unwrap()[0];
    assert_eq!(message.attempts, 1);
    assert!(message.sent_at.is_none() && message.failed_at.is_none());
    assert!(
        message
            .last_error
            .contains("had not taken it after 2 seconds"),
        "{}",
        message.last_error
    );
    // The bound every instance uses is well inside the two minutes a claim
    // is held.
    assert!(server::mail::SEND_WITHIN < StdDuration::from_secs(120));
}

/// A server that cannot be reached is tried again later; one that refuses
/// for good (a wrong login) is given up at once; nothing is lost.
#[tokio::test]
async fn a_mail_server_down_or_refusing_is_noted_and_retried() {
    let app = support::test_app(Backend::Sqlite).await;
    let from = server::mail::mailbox(FROM).unwrap();
    // Nobody listens on this port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    enqueue(&app, 1).await;
    let started = std::time::Instant::now();
    let down = Transport::Smtp(server::mail::smtp(&format!("smtp://127.0.0.1:{port}")).unwrap());
    assert!(server::mail::send_next(&app.store, &down, &from).await);
    let message = &server::store::mail::recent(&app.store, 10).await.unwrap()[0];
    assert_eq!(message.attempts, 1);
    assert!(message.sent_at.is_none() && message.failed_at.is_none());
    assert!(!message.last_error.is_empty());
    // Not due again for a minute.
    assert!(!server::mail::send_next(&app.store, &down, &from).await);
    assert!(
        started.elapsed() < StdDuration::from_secs(10),
        "{:?}",
        started.elapsed()
    );

    // A server that refuses the address for good: given up at once.
    let smtp = catcher_refusing(None, &["person0@pulse.test"]);
    let refusing =
        Transport::Smtp(server::mail::smtp(&format!("smtp://127.0.0.1:{}", smtp.port)).unwrap());
    enqueue(&app, 1).await;
    let started = std::time::Instant::now();
    assert!(server::mail::send_next(&app.store, &refusing, &from).await);
    let message = &server::store::mail::recent(&app.store, 10).await.unwrap()[0];
    assert!(message.failed_at.is_some(), "{message:?}");
    assert!(
        message.last_error.contains("No such mailbox"),
        "{message:?}"
    );
    assert!(smtp.messages().is_empty());
    assert!(
        started.elapsed() < StdDuration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    // Given up, a message keeps its text for whoever looks into why, unless
    // it holds a sign-in link: an invitation's is forgotten as a sent one's is.
    assert_eq!(message.text, "Text 0");
    let mut w = support::write(&app.store).await;
    server::store::mail::enqueue(
        &mut w,
        &server::store::mail::NewMessage {
            kind: "invitation",
            to: "person0@pulse.test".to_string(),
            subject: "You are invited".to_string(),
            text: "Set your password: http://pulse.test/invitation?token=secret".to_string(),
            html: "<p><a href=\"http://pulse.test/invitation?token=secret\">Set it</a></p>"
                .to_string(),
            unsubscribe_url: String::new(),
        },
        Utc::now(),
    )
    .await
    .unwrap();
    support::done(w).await;
    assert!(server::mail::send_next(&app.store, &refusing, &from).await);
    let invitation = &server::store::mail::recent(&app.store, 10).await.unwrap()[0];
    assert_eq!(invitation.kind, "invitation");
    assert!(invitation.failed_at.is_some(), "{invitation:?}");
    assert_eq!(
        (invitation.text.as_str(), invitation.html.as_str()),
        ("", "")
    );
    assert!(smtp.messages().is_empty());

    // Bad settings are refused when Pulse starts.
    for (url, why) in [
        ("http://mail.example", "smtp:// or smtps://"),
        ("smtp://", "names no host"),
        ("not a url", "must be like"),
    ] {
        let error = server::mail::smtp(url).err().unwrap();
        assert!(format!("{error:#}").contains(why), "{url}: {error:#}");
    }
    assert!(server::mail::mailbox("not an address").is_err());
}

/// A service of dept-a, renew-a-permit, and an editor of dept-b
/// (other@pulse.test), who is not its editor.
async fn renew_a_permit(app: &TestApp) {
    let mut w = support::write(&app.store).await;
    let dept = orgs::upsert_org(
        &mut w,
        &orgs::OrgForUpsert {
            slug: "dept-a",
            title: "Department A",
            abbreviation: None,
            kind: orgs::OrgKind::Department,
            parent_id: None,
        },
    )
    .await
    .unwrap();
    orgs::upsert_service(
        &mut w,
        &orgs::ServiceForUpsert {
            slug: "renew-a-permit",
            title: "Renew a permit",
            description: "",
            organisation_id: dept,
        },
    )
    .await
    .unwrap();
    support::done(w).await;
    support::add_user(
        &app.store,
        &NewUser {
            email: "other@pulse.test",
            display_name: "Other",
            role: Role::Editor,
            organisations: &["dept-b".to_string()],
        },
        "the old long password",
    )
    .await;
}

/// [`renew_a_permit`] with a weekly data set expected every 8 days (whose
/// newest record is `newest`): its write token.
async fn late_data_fixture(app: &TestApp, newest: chrono::DateTime<Utc>) -> String {
    renew_a_permit(app).await;
    let token = app
        .data_set(
            json!({"data_group": "renew-a-permit", "data_type": "transactions-by-channel",
                         "max_age_expected": 8 * 86_400}),
        )
        .await;
    post_record(app, &token, newest).await;
    token
}

async fn post_record(app: &TestApp, token: &str, at: chrono::DateTime<Utc>) {
    let stamp = at.format("%Y-%m-%dT00:00:00Z").to_string();
    let answer = app
        .send(
            Method::POST,
            "/data/renew-a-permit/transactions-by-channel",
            token,
            &json!({"_timestamp": stamp, "channel": "digital", "count": 12}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
}

/// One check, as each instance makes every minute.
async fn check(app: &TestApp, now: chrono::DateTime<Utc>) -> usize {
    let mut newest = server::domain::reminders::Newest::default();
    server::domain::reminders::check(
        &app.store,
        &Default::default(),
        &settings(),
        &mut newest,
        now,
    )
    .await
    .unwrap()
}

/// Once the `kind` of message to `to` is sent, the outbox keeps neither its
/// text nor its link (`token`), which signs its holder in.
async fn link_forgotten_once_sent(app: &TestApp, kind: &str, to: &str, token: &str) {
    let mut kept = None;
    for _ in 0..100 {
        let mut messages = outbox(app).await;
        messages.retain(|m| m.kind == kind && m.to == to);
        assert!(!messages.is_empty(), "no {kind} to {to} in the outbox");
        if messages
            .iter()
            .all(|m| m.sent_at.is_some() && m.text.is_empty() && m.html.is_empty())
        {
            return;
        }
        kept = messages.into_iter().find(|m| m.text.contains(token));
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    panic!("the outbox keeps the {kind} to {to}: {kept:?}");
}

/// Every message in the outbox, newest first.
async fn outbox(app: &TestApp) -> Vec<server::store::mail::Message> {
    server::store::mail::recent(&app.store, 100).await.unwrap()
}

async fn reminders_of(app: &TestApp, who: &[(String, String)]) -> Value {
    let answer = call(app, Method::GET, "/api/v1/reminders", who, None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    answer.json()["data_sets"][0].clone()
}

async fn late_data_reminds_its_editors_once_then_once_more(backend: Backend) {
    let mut app = support::test_app(backend).await;
    let smtp = catcher(None);
    let sender = start_sender(&mut app, &format!("smtp://127.0.0.1:{}", smtp.port));
    let [admin, editor, viewer] = people(&app).await;
    let now = Utc::now();
    let token = late_data_fixture(&app, now - chrono::Duration::days(20)).await;

    // Two instances checking at once: one reminder, to the service's editor.
    let (a, b) = tokio::join!(check(&app, now), check(&app, now));
    assert_eq!(a + b, 1, "one reminder between the two checks");
    let mail = smtp.wait_for(1).await.remove(0);
    assert_eq!(mail["rcpt_tos"], json!(["editor@pulse.test"]));
    assert_eq!(
        mail["subject"],
        "Renew a permit: the Transactions by channel figures are late"
    );
    let text = mail["text"].as_str().unwrap();
    // Watched with 8 days, weekly figures are expected as Pulse expects its
    // weekly types: within 17 days of their week's start (a record is dated
    // by its week's Monday, so 8 days would call figures sent on time late).
    assert!(text.contains("to be no more than 17 days old"), "{text}");
    assert!(
        text.contains(&format!(
            "The newest Pulse holds are dated {}",
            (now - chrono::Duration::days(20)).format("%-d %B %Y")
        )),
        "{text}"
    );
    assert!(text.contains("http://pulse.test/data-sets/renew-a-permit/transactions-by-channel"));
    assert!(
        text.contains("you are an editor of Renew a permit"),
        "{text}"
    );
    assert!(mail["html"]
        .as_str()
        .unwrap()
        .contains("Send or upload the figures"));
    assert!(mail["headers"]["list-unsubscribe"]
        .as_str()
        .unwrap()
        .contains("unsubscribe?address=editor%40pulse.test"));

    // Not one a minute: nothing more until a week has passed; then the second
    // and last.
    for later in [1, 60 * 24, 60 * 24 * 7 - 1] {
        assert_eq!(check(&app, now + chrono::Duration::minutes(later)).await, 0);
    }
    // (A check in the future writes its message for then: read the outbox.)
    assert_eq!(check(&app, now + chrono::Duration::days(7)).await, 1);
    let second = &outbox(&app).await[0];
    assert_eq!(second.to, "editor@pulse.test");
    assert_eq!(
        second.subject,
        "Reminder: Renew a permit: the Transactions by channel figures are still late"
    );
    assert!(second.text.contains("This is the last reminder"));
    assert_eq!(check(&app, now + chrono::Duration::days(30)).await, 0);

    // Admins see it; nobody else does.
    let seen = reminders_of(&app, &admin).await;
    assert_eq!(seen["data_set"], "renew-a-permit/transactions-by-channel");
    assert_eq!(seen["service_title"], "Renew a permit");
    assert_eq!(seen["late"], true);
    assert_eq!(seen["reminders_sent"], 2);
    assert_eq!(seen["recipients"], json!(["editor@pulse.test"]));
    for who in [&editor, &viewer] {
        let refused = call(&app, Method::GET, "/api/v1/reminders", who, None).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(
        app.get("/api/v1/reminders").await.status,
        StatusCode::UNAUTHORIZED
    );

    // The figures come: a note that they did, once.
    post_record(&app, &token, now).await;
    assert_eq!(check(&app, now).await, 1);
    let mails = smtp.wait_for(2).await;
    assert_eq!(
        mails[1]["subject"],
        "Renew a permit: the Transactions by channel figures have come"
    );
    assert!(mails[1]["text"]
        .as_str()
        .unwrap()
        .contains("http://pulse.test/services/renew-a-permit"));
    assert_eq!(check(&app, now).await, 0);
    let seen = reminders_of(&app, &admin).await;
    assert_eq!(
        (seen["late"].clone(), seen["reminders_sent"].clone()),
        (json!(false), json!(0))
    );

    // Paused by an admin: late again, but nobody is written to until resumed.
    let path = "/api/v1/reminders/renew-a-permit/transactions-by-channel";
    for (who, status) in [
        (&editor, StatusCode::FORBIDDEN),
        (&viewer, StatusCode::FORBIDDEN),
    ] {
        let refused = call(&app, Method::PUT, path, who, Some(&json!({"paused": true}))).await;
        assert_eq!(refused.status, status);
    }
    let bad = call(
        &app,
        Method::PUT,
        path,
        &admin,
        Some(&json!({"paused": "yes"})),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.text());
    let missing = call(
        &app,
        Method::PUT,
        "/api/v1/reminders/renew-a-permit/nothing-here",
        &admin,
        Some(&json!({"paused": true})),
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let paused = call(
        &app,
        Method::PUT,
        path,
        &admin,
        Some(&json!({"paused": true})),
    )
    .await;
    assert_eq!(paused.status, StatusCode::OK, "{}", paused.text());
    assert_eq!(paused.json()["paused"], true);
    assert_eq!(paused.json()["paused_by"], "admin@pulse.test");
    let much_later = now + chrono::Duration::days(40);
    assert_eq!(check(&app, much_later).await, 0);
    let seen = reminders_of(&app, &admin).await;
    assert_eq!(seen["paused"], true);
    assert_eq!(seen["late"], false, "late is judged at the request's time");
    let resumed = call(
        &app,
        Method::PUT,
        path,
        &admin,
        Some(&json!({"paused": false})),
    )
    .await;
    assert_eq!(resumed.json()["paused"], false);
    assert_eq!(
        check(&app, much_later).await,
        1,
        "resumed while late: the first"
    );
    assert_eq!(
        outbox(&app).await[0].subject,
        "Renew a permit: the Transactions by channel figures are late"
    );

    // Every step is in the audit log, by Pulse itself.
    let audit = call(&app, Method::GET, "/api/v1/audit?limit=1000", &admin, None).await;
    let actions: Vec<String> = audit.json()["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    for action in [
        "late_data.remind",
        "late_data.remind_again",
        "late_data.received",
        "late_data.late",
        "late_data.pause",
        "late_data.resume",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
    let written = outbox(&app).await;
    assert_eq!(written.len(), 4, "nobody else was written to");
    assert!(written.iter().all(|m| m.to == "editor@pulse.test"));
    sender.abort();
}

#[tokio::test]
async fn late_data_reminders_on_sqlite() {
    late_data_reminds_its_editors_once_then_once_more(Backend::Sqlite).await;
}

#[tokio::test]
async fn late_data_reminders_on_postgres() {
    late_data_reminds_its_editors_once_then_once_more(Backend::Postgres).await;
}

/// Late data in date again only because it is expected later now (its
/// `max_age_expected` raised, or Pulse's rule for it): no letter says the
/// figures came, as none did; the reminders stop quietly.
async fn a_longer_expected_age_is_no_news_of_figures(backend: Backend) {
    let app = support::test_app(backend).await;
    people(&app).await;
    let now = Utc::now();
    late_data_fixture(&app, now - chrono::Duration::days(20)).await;
    // (checked after the record was written, as a check every minute is)
    let now = Utc::now();
    assert_eq!(check(&app, now).await, 1, "the first reminder");
    let admin_key = app.admin_key().await;
    let raised = app
        .send(
            Method::PATCH,
            "/api/v1/data-sets/renew-a-permit/transactions-by-channel",
            &admin_key,
            &json!({"max_age_expected": 30 * 86_400}),
        )
        .await;
    assert_eq!(raised.status, StatusCode::OK, "{}", raised.text());
    assert_eq!(check(&app, now + chrono::Duration::minutes(1)).await, 0);
    let letters: Vec<String> = outbox(&app).await.into_iter().map(|m| m.subject).collect();
    assert_eq!(
        letters,
        ["Renew a permit: the Transactions by channel figures are late"]
    );
    let audit = app
        .send(
            Method::GET,
            "/api/v1/audit?limit=100",
            &admin_key,
            &Value::Null,
        )
        .await;
    assert_eq!(audit.status, StatusCode::OK, "{}", audit.text());
    let actions: Vec<String> = audit.json()["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    assert!(
        actions.iter().any(|a| a == "late_data.clear")
            && !actions.iter().any(|a| a == "late_data.received"),
        "{actions:?}"
    );
}

#[tokio::test]
async fn a_longer_expected_age_is_no_news_of_figures_on_sqlite() {
    a_longer_expected_age_is_no_news_of_figures(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_longer_expected_age_is_no_news_of_figures_on_postgres() {
    a_longer_expected_age_is_no_news_of_figures(Backend::Postgres).await;
}

/// The Monday `weeks` weeks before the one `now` is in.
fn monday(now: chrono::DateTime<Utc>, weeks: i64) -> chrono::DateTime<Utc> {
    use chrono::{Datelike, TimeZone};
    let day =
        now.date_naive() - chrono::Duration::days(now.weekday().num_days_from_monday() as i64);
    let start = Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).unwrap());
    start - chrono::Duration::weeks(weeks)
}

/// A week's transactions of renew-a-permit: `digital` online, `other` by phone.
async fn post_week(
    app: &TestApp,
    token: &str,
    week: chrono::DateTime<Utc>,
    digital: u32,
    other: u32,
) {
    post_records(app, token, week, digital, other, false).await;
}

/// As [`post_week`], each record with an id of its week and channel, so
/// that sending the week again corrects it (the records are replaced).
async fn post_week_by_id(
    app: &TestApp,
    token: &str,
    week: chrono::DateTime<Utc>,
    digital: u32,
    other: u32,
) {
    post_records(app, token, week, digital, other, true).await;
}

async fn post_records(
    app: &TestApp,
    token: &str,
    week: chrono::DateTime<Utc>,
    digital: u32,
    other: u32,
    by_id: bool,
) {
    let stamp = week.format("%Y-%m-%dT00:00:00Z").to_string();
    let records: Vec<Value> = [("digital", digital), ("phone", other)]
        .into_iter()
        .map(|(channel, count)| {
            let mut record = json!({"_timestamp": stamp, "channel": channel, "count": count});
            if by_id {
                record["_id"] = json!(format!("{stamp}-{channel}"));
            }
            record
        })
        .collect();
    let answer = app
        .send(
            Method::POST,
            "/data/renew-a-permit/transactions-by-channel",
            token,
            &Value::Array(records),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
}

async fn check_alerts(app: &TestApp, now: chrono::DateTime<Utc>) -> usize {
    let cache = server::domain::query::Cache::default();
    server::domain::alerts::check(&app.store, &cache, &settings(), now)
        .await
        .unwrap()
}

async fn alerts_arrive_once_per_event(backend: Backend) {
    let mut app = support::test_app(backend).await;
    let smtp = catcher(None);
    let _sender = start_sender(&mut app, &format!("smtp://127.0.0.1:{}", smtp.port));
    let [admin, editor, viewer] = people(&app).await;
    renew_a_permit(&app).await;
    let mut w = support::write(&app.store).await;
    server::store::targets::set(
        &mut w,
        &app::boards::NewTarget {
            service: "renew-a-permit".into(),
            kpi: app::model::KpiKind::DigitalTakeUp,
            value: 0.9,
            effective_from: chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
        },
        "test",
        Utc::now(),
    )
    .await
    .unwrap();
    support::done(w).await;
    let outsider = support::signed_in(&app, "other@pulse.test").await;
    // Unpublished: its department's people see it, others do not.
    let token = app
        .data_set(json!({"data_group": "renew-a-permit", "data_type": "transactions-by-channel"}))
        .await;
    let now = Utc::now();
    post_week(&app, &token, monday(now, 3), 80, 20).await;
    post_week(&app, &token, monday(now, 2), 80, 20).await;

    let make = |who: &[(String, String)], body: Value| {
        let who = who.to_vec();
        let app = &app;
        async move { call(app, Method::POST, "/api/v1/alerts", &who, Some(&body)).await }
    };
    let below = json!({"service": "renew-a-permit", "kpi": "digital_take_up",
                       "rule": "misses_target", "threshold": 0.75});
    let made = make(&editor, below.clone()).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    let made = made.json();
    assert_eq!(made["description"], "Digital take-up falls below 75.0%");
    assert_eq!(made["service_title"], "Renew a permit");
    assert_eq!(
        made["checked_through"].as_str().unwrap()[..10],
        monday(now, 2).format("%Y-%m-%d").to_string(),
        "the newest complete week counts as judged"
    );
    let moves = make(
        &editor,
        json!({"service": "renew-a-permit", "kpi": "transactions",
               "rule": "changes_by_percent", "threshold": 10}),
    )
    .await;
    assert_eq!(moves.status, StatusCode::CREATED, "{}", moves.text());
    assert_eq!(
        moves.json()["description"],
        "Transactions move more than 10% against the period before"
    );
    // The same alert asked for six times at once (a double submit, through
    // several instances): made once, the others told it exists.
    let once = json!({"service": "renew-a-permit", "kpi": "transactions",
                      "rule": "changes_by_percent", "threshold": 20});
    let answers = futures_util::future::join_all((0..6).map(|_| make(&editor, once.clone()))).await;
    let mut statuses: Vec<u16> = answers.iter().map(|a| a.status.as_u16()).collect();
    statuses.sort();
    assert_eq!(
        statuses,
        [201, 409, 409, 409, 409, 409],
        "{:?}",
        answers.iter().map(|a| a.text()).collect::<Vec<_>>()
    );
    assert!(answers
        .iter()
        .all(|a| a.status == StatusCode::CREATED || a.text().contains("already have this alert")));
    let once_made = answers
        .iter()
        .find(|a| a.status == StatusCode::CREATED)
        .unwrap()
        .json();
    let gone = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/alerts/{}", once_made["id"]),
        &editor,
        None,
    )
    .await;
    assert!(gone.status.is_success(), "{}", gone.text());
    // The service's own target (90%).
    let own = make(
        &viewer,
        json!({"service": "renew-a-permit", "kpi": "digital_take_up", "rule": "misses_target"}),
    )
    .await;
    assert_eq!(own.status, StatusCode::CREATED, "{}", own.text());

    // Bad requests, each in words.
    for (who, body, status, words) in [
        (&editor, below.clone(), 409, "already have this alert"),
        (
            &editor,
            json!({"service": "renew-a-permit", "kpi": "digital_take_up",
                   "rule": "misses_target", "threshold": 75}),
            400,
            "fraction from 0 to 1",
        ),
        (
            &editor,
            json!({"service": "renew-a-permit", "kpi": "transactions",
                   "rule": "changes_by_points", "threshold": 5}),
            400,
            "not a percentage",
        ),
        (
            &editor,
            json!({"service": "renew-a-permit", "kpi": "transactions", "rule": "changes_by_percent"}),
            400,
            "`threshold` is needed",
        ),
        (
            &editor,
            json!({"service": "renew-a-permit", "kpi": "completion_rate", "rule": "unusual"}),
            422,
            "no figures for completion rate",
        ),
        (
            &editor,
            json!({"service": "renew-a-permit", "kpi": "transactions", "rule": "sometimes"}),
            400,
            "rule",
        ),
        (
            &editor,
            json!({"service": "renew-a-permit", "kpi": "transactions", "rule": "unusual", "when": 1}),
            400,
            "when",
        ),
        (&outsider, below.clone(), 404, "no service `renew-a-permit`"),
        (&Vec::new(), below.clone(), 401, "Sign in"),
    ] {
        let answer = make(who, body.clone()).await;
        assert_eq!(answer.status.as_u16(), status, "{body}: {}", answer.text());
        assert!(answer.text().contains(words), "{body}: {}", answer.text());
    }

    // Nothing new: nothing sent.
    assert_eq!(check_alerts(&app, now).await, 0);

    // A new week completes: digital take-up 60% (below 75% and below the
    // service's 90%); transactions the same as the week before. Two
    // instances checking at once send each alert once.
    post_week(&app, &token, monday(now, 1), 60, 40).await;
    let (a, b) = tokio::join!(check_alerts(&app, now), check_alerts(&app, now));
    assert_eq!(a + b, 2, "the two take-up alerts, each once");
    assert_eq!(check_alerts(&app, now).await, 0, "once per event");
    let mails = smtp.wait_for(2).await;
    let to = |m: &Value| m["rcpt_tos"][0].as_str().unwrap().to_string();
    let mine = mails
        .iter()
        .find(|m| to(m) == "editor@pulse.test")
        .expect("the editor's alert");
    assert_eq!(
        mine["subject"],
        "Renew a permit: Digital take-up fell below the target of 75.0%"
    );
    let text = mine["text"].as_str().unwrap();
    let week = monday(now, 1);
    assert!(
        text.contains(&format!(
            "Digital take-up for Renew a permit was 60.0% in {}",
            app::kpi::format_period(&app::model::Period {
                kind: app::model::PeriodKind::Week,
                start: week,
                end: week + chrono::Duration::weeks(1),
            })
        )),
        "{text}"
    );
    assert!(
        text.contains(
            "You asked Pulse to tell you when this happens: \"Digital take-up falls below 75.0%\""
        ),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "http://pulse.test/services/renew-a-permit?period=week&from={}&to={}",
            week.format("%Y-%m"),
            (week + chrono::Duration::days(6)).format("%Y-%m")
        )),
        "{text}"
    );
    assert!(
        text.contains("http://pulse.test/settings/notifications"),
        "{text}"
    );
    assert!(mine["html"]
        .as_str()
        .unwrap()
        .contains("See the figures for"));
    assert!(mine["headers"]["list-unsubscribe"].as_str().is_some());
    let theirs = mails
        .iter()
        .find(|m| to(m) == "viewer@pulse.test")
        .expect("the viewer's alert");
    assert_eq!(
        theirs["subject"],
        "Renew a permit: Digital take-up fell below its target of 90.0%"
    );

    // Each sees their own alerts, and what was sent.
    let listed = call(&app, Method::GET, "/api/v1/alerts", &editor, None).await;
    assert_eq!(listed.status, StatusCode::OK);
    let listed = listed.json();
    assert_eq!(listed["email"], "editor@pulse.test");
    assert_eq!(listed["receiving"], true);
    assert_eq!(listed["alerts"].as_array().unwrap().len(), 2);
    assert_eq!(listed["alerts"][0]["sent"], 1);
    assert_eq!(listed["alerts"][1]["sent"], 0);
    let theirs = call(&app, Method::GET, "/api/v1/alerts", &viewer, None)
        .await
        .json();
    assert_eq!(theirs["alerts"].as_array().unwrap().len(), 1);

    // The viewer stops e-mail; the next week the editor hears twice (take-up
    // still low, transactions up 50%), the viewer not at all.
    let stop = call(
        &app,
        Method::PUT,
        "/api/v1/e-mail",
        &viewer,
        Some(&json!({"receive": false})),
    )
    .await;
    assert_eq!(stop.status, StatusCode::OK, "{}", stop.text());
    let theirs = call(&app, Method::GET, "/api/v1/alerts", &viewer, None)
        .await
        .json();
    assert_eq!(theirs["receiving"], false);
    post_week_by_id(&app, &token, monday(now, 0), 90, 60).await;
    let next_week = now + chrono::Duration::weeks(1);
    assert_eq!(check_alerts(&app, next_week).await, 2);
    let newest: Vec<_> = outbox(&app).await.into_iter().take(2).collect();
    assert!(newest.iter().all(|m| m.to == "editor@pulse.test"));
    assert!(
        newest.iter().any(|m| m.subject
            == "Renew a permit: Transactions rose by 50.0% against the period before (100)"),
        "{:?}",
        newest.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );

    // That week's records are corrected: take-up 93.3%, not 60.0%, the
    // same 150 transactions. The editor is told once of the take-up figure
    // (the rule no longer holds), not of the transactions (shown the same).
    post_week_by_id(&app, &token, monday(now, 0), 140, 10).await;
    let (a, b) = tokio::join!(check_alerts(&app, next_week), check_alerts(&app, next_week));
    assert_eq!(
        a + b,
        1,
        "one correction, once: {:?}",
        outbox(&app)
            .await
            .iter()
            .take(3)
            .map(|m| (&m.to, &m.subject))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        check_alerts(&app, next_week).await,
        0,
        "once per correction"
    );
    let corrected = outbox(&app).await.remove(0);
    assert_eq!(corrected.to, "editor@pulse.test");
    let this_week = app::kpi::format_period(&app::model::Period {
        kind: app::model::PeriodKind::Week,
        start: monday(now, 0),
        end: monday(now, 0) + chrono::Duration::weeks(1),
    });
    assert_eq!(
        corrected.subject,
        format!("Renew a permit: Digital take-up for {this_week} corrected to 93.3%")
    );
    for words in [
        format!("Digital take-up for Renew a permit was 93.3% in {this_week}, not 60.0%."),
        format!(
            "So your alert's rule no longer holds for {this_week}: \"Digital take-up falls below 75.0%\"."
        ),
    ] {
        assert!(corrected.text.contains(&words), "{}", corrected.text);
    }
    // Corrected again, back below the target: told again, that it holds.
    post_week_by_id(&app, &token, monday(now, 0), 90, 60).await;
    assert_eq!(check_alerts(&app, next_week).await, 1);
    let again = outbox(&app).await.remove(0);
    assert!(
        again.text.contains("not 93.3%.")
            && again
                .text
                .contains("So it still fell below the target of 75.0%."),
        "{}",
        again.text
    );
    assert_eq!(check_alerts(&app, next_week).await, 0);

    // Deleting: one's own, or an admin anyone's; others are told there is none.
    let id = made["id"].as_i64().unwrap();
    let path = format!("/api/v1/alerts/{id}");
    let refused = call(&app, Method::DELETE, &path, &viewer, None).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    let deleted = call(&app, Method::DELETE, &path, &editor, None).await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.text());
    let again = call(&app, Method::DELETE, &path, &admin, None).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let audit = call(&app, Method::GET, "/api/v1/audit", &admin, None)
        .await
        .text();
    for action in [
        "alert.create",
        "alert.send",
        "alert.correct",
        "alert.delete",
        "mail.unsubscribe",
    ] {
        assert!(audit.contains(action), "{action} is not in the audit log");
    }

    // A person's bound, with alerts asked for at once: all of them saw the
    // count before any was made, so it is counted again as each is made.
    let most = server::domain::alerts::MOST;
    for i in 0..most - 2 {
        let made = make(
            &admin,
            json!({"service": "renew-a-permit", "kpi": "transactions",
                   "rule": "changes_by_percent", "threshold": 1 + i}),
        )
        .await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    }
    let answers = futures_util::future::join_all((0..6).map(|i| {
        make(
            &admin,
            json!({"service": "renew-a-permit", "kpi": "transactions",
                   "rule": "changes_by_percent", "threshold": 500 + i}),
        )
    }))
    .await;
    let mut statuses: Vec<u16> = answers.iter().map(|a| a.status.as_u16()).collect();
    statuses.sort();
    assert_eq!(statuses, [201, 201, 422, 422, 422, 422], "{:?}", statuses);
    let listed = call(&app, Method::GET, "/api/v1/alerts", &admin, None).await;
    assert_eq!(listed.json()["alerts"].as_array().unwrap().len(), most);
}

#[tokio::test]
async fn alerts_on_sqlite() {
    alerts_arrive_once_per_event(Backend::Sqlite).await;
}

#[tokio::test]
async fn alerts_on_postgres() {
    alerts_arrive_once_per_event(Backend::Postgres).await;
}

async fn check_digests(app: &TestApp, now: chrono::DateTime<Utc>) -> usize {
    let cache = server::domain::query::Cache::default();
    server::domain::digests::check(&app.store, &cache, &settings(), now)
        .await
        .unwrap()
}

async fn weekly_digests_arrive_once_a_week(backend: Backend) {
    use server::domain::digests::Schedule;
    let mut app = support::test_app(backend).await;
    let smtp = catcher(None);
    let _sender = start_sender(&mut app, &format!("smtp://127.0.0.1:{}", smtp.port));
    let [admin, editor, viewer] = people(&app).await;
    renew_a_permit(&app).await;
    let token = app
        .data_set(json!({"data_group": "renew-a-permit", "data_type": "transactions-by-channel"}))
        .await;
    let now = Utc::now();
    post_week(&app, &token, monday(now, 3), 80, 20).await;
    post_week(&app, &token, monday(now, 2), 80, 20).await;

    let make = |who: &[(String, String)], body: Value| {
        let who = who.to_vec();
        let app = &app;
        async move { call(app, Method::POST, "/api/v1/digests", &who, Some(&body)).await }
    };
    let made = make(&editor, json!({"board": "dept-a"})).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    let made = made.json();
    assert_eq!(made["title"], "Department A");
    assert_eq!(made["url"], "/boards/dept-a");
    assert_eq!(made["sent"], 0);
    let schedule = Schedule::default();
    let due = schedule.due_after(now);
    assert_eq!(
        made["next_at"].as_str().unwrap(),
        due.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
    );
    // A board's address as it is written in the browser is taken too.
    let theirs = make(&viewer, json!({"board": "/boards/dept-a/"})).await;
    assert_eq!(theirs.status, StatusCode::CREATED, "{}", theirs.text());

    // Bad requests, each in words.
    for (who, body, status, words) in [
        (
            &editor,
            json!({"board": "dept-a"}),
            409,
            "already get the board",
        ),
        (
            &editor,
            json!({"board": "dept-z"}),
            404,
            "There is no board \\\"dept-z\\\"",
        ),
        (
            &editor,
            json!({"board": "portfolio/nope"}),
            404,
            "There is no board",
        ),
        (&editor, json!({"board": " "}), 400, "`board` is needed"),
        (
            &editor,
            json!({"board": "dept-b", "when": "friday"}),
            400,
            "when",
        ),
        (&editor, json!({}), 400, "board"),
        (&Vec::new(), json!({"board": "dept-b"}), 401, "Sign in"),
    ] {
        let answer = make(who, body.clone()).await;
        assert_eq!(answer.status.as_u16(), status, "{body}: {}", answer.text());
        assert!(answer.text().contains(words), "{body}: {}", answer.text());
    }
    let listed = call(&app, Method::GET, "/api/v1/digests", &editor, None).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text());
    let listed = listed.json();
    assert_eq!(listed["schedule"], "Mondays at 07:00 (UK time)");
    assert_eq!(listed["digests"].as_array().unwrap().len(), 1);

    // Nothing is due until the next Monday 07:00; then two instances at
    // once send each digest once.
    assert_eq!(check_digests(&app, now).await, 0);
    assert_eq!(
        check_digests(&app, due - chrono::Duration::seconds(1)).await,
        0
    );
    let at = due + chrono::Duration::minutes(1);
    let (a, b) = tokio::join!(check_digests(&app, at), check_digests(&app, at));
    assert_eq!(a + b, 2, "the editor's and the viewer's, each once");
    assert_eq!(check_digests(&app, at).await, 0, "once a week");
    // (written into the outbox at that Monday's time, so the sender waits
    // for it: read from the outbox; a copy below goes through SMTP)
    let mails = outbox(&app).await;
    assert_eq!(mails.len(), 2);
    let mine = mails
        .iter()
        .find(|m| m.to == "editor@pulse.test")
        .expect("the editor's digest");
    assert_eq!(mine.kind, "digest");
    assert_eq!(mine.subject, "Department A: your weekly digest from Pulse");
    let text = &mine.text;
    for words in [
        "Headline figures",
        "* Digital take-up: now 80.0%",
        "This is the first digest of this board",
        "Needs attention",
        "No notes were written on these services in the last week.",
        "See the board of Department A:\nhttp://pulse.test/boards/dept-a",
        "You get this digest Mondays at 07:00 (UK time).",
        "http://pulse.test/settings/notifications",
    ] {
        assert!(text.contains(words), "{words:?} is not in:\n{text}");
    }
    let html = &mine.html;
    assert!(html.contains("<th scope=\"row\""), "{html}");
    assert!(html.contains(">Headline figures</h2>"), "{html}");
    assert!(mine
        .unsubscribe_url
        .starts_with("http://pulse.test/unsubscribe?"));

    // The week after: more figures came, and a note was written; another,
    // public too, on a module of a dashboard not yet published, which only
    // the department's people may see (nor may others read its notes: the
    // API would not show them).
    post_week(&app, &token, monday(now, 2), 60, 40).await;
    let draft = call(
        &app,
        Method::POST,
        "/api/v1/dashboards",
        &editor,
        Some(&json!({
            "slug": "permit-draft", "title": "Permit draft", "service": "renew-a-permit",
            "status": "unpublished",
            "modules": [{"type": "single_timeseries", "slug": "count", "title": "Count",
                "data_set": "renew-a-permit/transactions-by-channel",
                "query": "period=week&duration=4&collect=count:sum"}]
        })),
    )
    .await;
    assert_eq!(draft.status, StatusCode::CREATED, "{}", draft.text());
    for (module, text) in [
        (None, "Phone lines were closed for a day"),
        (
            Some("permit-draft/count".to_string()),
            "The draft's relaunch is on 3 March",
        ),
    ] {
        // (written during that week: the store is told its time)
        let mut w = support::write(&app.store).await;
        server::store::annotations::create(
            &mut w,
            &app::model::NewAnnotation {
                service: "renew-a-permit".into(),
                module,
                starts_at: monday(now, 2),
                ends_at: None,
                text: text.into(),
                tags: Vec::new(),
                visibility: app::model::Visibility::Public,
            },
            (None, "editor"),
            at + chrono::Duration::days(2),
        )
        .await
        .unwrap();
        support::done(w).await;
    }
    let week_on = at + chrono::Duration::weeks(1);
    assert_eq!(check_digests(&app, week_on).await, 2);
    let newest = outbox(&app).await;
    let second = newest
        .iter()
        .find(|m| m.to == "editor@pulse.test")
        .expect("the editor's second digest");
    for words in [
        "* Digital take-up: now 70.0%, at the last digest 80.0%",
        // (each figure with the week it is of)
        "* Renew a permit: digital take-up 70.0% (",
        "), was 80.0% (",
        "Renew a permit (editor, from ",
        "Phone lines were closed for a day",
        "The draft's relaunch is on 3 March",
    ] {
        assert!(
            second.text.contains(words),
            "{words:?} is not in:\n{}",
            second.text
        );
    }

    // A copy on request: as it would be sent, once a minute at most.
    let id = made["id"].as_i64().unwrap();
    let path = format!("/api/v1/digests/{id}/copy");
    let copied = call(&app, Method::POST, &path, &editor, None).await;
    assert_eq!(copied.status, StatusCode::ACCEPTED, "{}", copied.text());
    assert_eq!(copied.json()["to"], "editor@pulse.test");
    let again = call(&app, Method::POST, &path, &editor, None).await;
    assert_eq!(
        again.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        again.text()
    );
    let theirs = call(&app, Method::POST, &path, &viewer, None).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND, "{}", theirs.text());
    let arrived = smtp.wait_for(1).await;
    let copy = &arrived[0];
    assert_eq!(copy["rcpt_tos"][0], "editor@pulse.test");
    assert_eq!(
        copy["subject"],
        "Department A: your weekly digest from Pulse"
    );
    let text = copy["text"].as_str().unwrap();
    assert!(text.contains("You were sent this copy"), "{text}");
    assert!(copy["html"].as_str().unwrap().contains("<table"));
    assert!(copy["headers"]["list-unsubscribe"].as_str().is_some());
    assert_eq!(
        check_digests(&app, week_on).await,
        0,
        "a copy changes nothing"
    );

    // The viewer stops e-mail: the next week only the editor's is sent. More
    // than a day late, none is.
    let stop = call(
        &app,
        Method::PUT,
        "/api/v1/e-mail",
        &viewer,
        Some(&json!({"receive": false})),
    )
    .await;
    assert_eq!(stop.status, StatusCode::OK, "{}", stop.text());
    let late = week_on + chrono::Duration::weeks(1) + chrono::Duration::days(1);
    assert_eq!(check_digests(&app, late).await, 0, "more than a day late");
    assert_eq!(
        check_digests(&app, week_on + chrono::Duration::weeks(2)).await,
        1
    );
    assert_eq!(outbox(&app).await[0].to, "editor@pulse.test");

    // Stopping: one's own, or an admin anyone's; others are told there is none.
    let path = format!("/api/v1/digests/{id}");
    let refused = call(&app, Method::DELETE, &path, &viewer, None).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    let deleted = call(&app, Method::DELETE, &path, &editor, None).await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.text());
    let again = call(&app, Method::DELETE, &path, &admin, None).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let audit = call(&app, Method::GET, "/api/v1/audit?limit=1000", &admin, None)
        .await
        .text();
    for action in [
        "digest.create",
        "digest.send",
        "digest.copy",
        "digest.delete",
    ] {
        assert!(audit.contains(action), "{action} is not in the audit log");
    }

    // Someone of another department gets the board too: its public note on
    // the service, not the one on the draft dashboard's module.
    let other = support::signed_in(&app, "other@pulse.test").await;
    let theirs = call(
        &app,
        Method::POST,
        "/api/v1/digests",
        &other,
        Some(&json!({"board": "dept-a"})),
    )
    .await;
    assert_eq!(theirs.status, StatusCode::CREATED, "{}", theirs.text());
    let path = format!("/api/v1/digests/{}/copy", theirs.json()["id"]);
    let copied = call(&app, Method::POST, &path, &other, None).await;
    assert_eq!(copied.status, StatusCode::ACCEPTED, "{}", copied.text());
    let copy = outbox(&app).await.remove(0);
    assert_eq!(copy.to, "other@pulse.test");
    assert!(
        copy.text.contains("Phone lines were closed for a day"),
        "{}",
        copy.text
    );
    assert!(
        !copy.text.contains("relaunch") && !copy.html.contains("relaunch"),
        "a note on an unpublished dashboard's module reached another department:\n{}",
        copy.text
    );
}

#[tokio::test]
async fn weekly_digests_on_sqlite() {
    weekly_digests_arrive_once_a_week(Backend::Sqlite).await;
}

#[tokio::test]
async fn weekly_digests_on_postgres() {
    weekly_digests_arrive_once_a_week(Backend::Postgres).await;
}

/// Runs `sql` on the app's database, as an earlier Pulse or an operator would.
async fn execute(app: &TestApp, sql: &str) -> u64 {
    match app.store.db() {
        server::store::Db::Sqlite(pool) => sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(pool)
            .await
            .unwrap()
            .rows_affected(),
        server::store::Db::Postgres(pool) => sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(pool)
            .await
            .unwrap()
            .rows_affected(),
    }
}

/// A database an earlier Pulse kept sent invitations and resets in, whole:
/// the upgrade (migration 0020) empties those sent or given up, and keeps
/// the text of those still to send and of other kinds.
async fn links_sent_before_are_forgotten_by_the_upgrade(backend: Backend) {
    let app = support::test_app(backend).await;
    let mut w = support::write(&app.store).await;
    for (kind, to) in [
        ("invitation", "sent@pulse.test"),
        ("password-reset", "given-up@pulse.test"),
        ("invitation", "waiting@pulse.test"),
        ("test", "other@pulse.test"),
    ] {
        server::store::mail::enqueue(
            &mut w,
            &server::store::mail::NewMessage {
                kind,
                to: to.to_string(),
                subject: "Subject".to_string(),
                text: format!("Link for {to}"),
                html: format!("<p>Link for {to}</p>"),
                unsubscribe_url: String::new(),
            },
            Utc::now(),
        )
        .await
        .unwrap();
    }
    support::done(w).await;
    // As the earlier Pulse left them: sent, given up, waiting, and another
    // kind sent, every text kept.
    let done = "to_address IN ('sent@pulse.test', 'other@pulse.test')";
    assert_eq!(
        execute(&app, &format!("UPDATE outbox SET sent_at = 1 WHERE {done}")).await,
        2
    );
    let given_up = "to_address = 'given-up@pulse.test'";
    assert_eq!(
        execute(
            &app,
            &format!("UPDATE outbox SET failed_at = 1 WHERE {given_up}")
        )
        .await,
        1
    );
    assert_eq!(
        execute(&app, "DELETE FROM _sqlx_migrations WHERE version = 20").await,
        1,
        "migration 0020 ran when the database was made"
    );
    app.store.migrate().await.unwrap();
    let mut kept: Vec<(String, String, String)> = server::store::mail::recent(&app.store, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.to, m.text, m.html))
        .collect();
    kept.sort();
    let whole = |to: &str| {
        (
            to.to_string(),
            format!("Link for {to}"),
            format!("<p>Link for {to}</p>"),
        )
    };
    let empty = |to: &str| (to.to_string(), String::new(), String::new());
    assert_eq!(
        kept,
        [
            empty("given-up@pulse.test"),
            whole("other@pulse.test"),
            empty("sent@pulse.test"),
            whole("waiting@pulse.test"),
        ]
    );
}

#[tokio::test]
async fn links_sent_before_are_forgotten_on_sqlite() {
    links_sent_before_are_forgotten_by_the_upgrade(Backend::Sqlite).await;
}

#[tokio::test]
async fn links_sent_before_are_forgotten_on_postgres() {
    links_sent_before_are_forgotten_by_the_upgrade(Backend::Postgres).await;
}
