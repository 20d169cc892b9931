//! Two-factor sign-in through the API, with codes made independently of
//! Pulse (Python's pyotp, in $PULSE_MAIL_TOOLS/venv): set up, confirmed,
//! asked for after the password, each code once, recovery codes once,
//! throttled; admins require it of admins and editors, who act as viewers
//! until they set it up, and so do their keys. On SQLite and Postgres.

use crate::support;

use std::path::PathBuf;
use std::process::Command;

use axum::http::{Method, StatusCode};
use chrono::Utc;
use serde_json::{json, Value};

use crate::support::{call, TestApp};
use app::model::Role;
use server::store::users::NewUser;

const PASSWORD: &str = "a long enough password";

fn python() -> PathBuf {
    let tools = std::env::var("PULSE_MAIL_TOOLS").expect(
        "PULSE_MAIL_TOOLS is not set: the two-factor tests make codes with pyotp \
         (in $PULSE_MAIL_TOOLS/venv; scripts/setup --test installs it and scripts/test sets it)",
    );
    PathBuf::from(tools).join("venv/bin/python")
}

/// The code an authentication app shows for `secret` at `unix` seconds, as
/// pyotp makes it.
fn code_at(secret: &str, unix: i64) -> String {
    let out = Command::new(python())
        .args([
            "-c",
            "import pyotp, sys; print(pyotp.TOTP(sys.argv[1]).at(int(sys.argv[2])))",
            secret,
            &unix.to_string(),
        ])
        .output()
        .expect("pyotp could not run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

async fn person(app: &TestApp, email: &str, role: Role) -> Vec<(String, String)> {
    support::add_user(
        &app.store,
        &NewUser {
            email,
            display_name: email.split('@').next().unwrap(),
            role,
            organisations: &[],
        },
        PASSWORD,
    )
    .await;
    support::signed_in(app, email).await
}

/// Sets up and confirms two factors for `who`; their secret and recovery codes.
async fn turn_on(app: &TestApp, who: &[(String, String)]) -> (String, Vec<String>) {
    let setup = call(app, Method::POST, "/api/v1/two-factor/setup", who, None).await;
    assert_eq!(setup.status, StatusCode::CREATED, "{}", setup.text());
    let secret = setup.json()["secret"].as_str().unwrap().to_string();
    let confirmed = call(
        app,
        Method::POST,
        "/api/v1/two-factor",
        who,
        Some(&json!({"code": code_at(&secret, Utc::now().timestamp()), "password": PASSWORD})),
    )
    .await;
    assert_eq!(
        confirmed.status,
        StatusCode::CREATED,
        "{}",
        confirmed.text()
    );
    let codes = confirmed.json()["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    (secret, codes)
}

/// Signs in with the password; the waiting sign-in's cookie.
async fn password_step(app: &TestApp, email: &str) -> Vec<(String, String)> {
    let answer = call(
        app,
        Method::POST,
        "/api/v1/session",
        &[],
        Some(&json!({"email": email, "password": PASSWORD})),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let body = answer.json();
    assert_eq!(body["code_needed"], true);
    assert_eq!(body["user"], Value::Null, "not signed in until the code");
    let cookie = answer.header("set-cookie").to_string();
    assert!(cookie.starts_with("pulse_sign_in="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("Path=/api/v1/session"));
    let value = cookie.split(';').next().unwrap().to_string();
    vec![("cookie".into(), value)]
}

async fn code_step(app: &TestApp, waiting: &[(String, String)], code: &str) -> support::Answer {
    call(
        app,
        Method::POST,
        "/api/v1/session/code",
        waiting,
        Some(&json!({ "code": code })),
    )
    .await
}

async fn two_factors_sign_in(app: TestApp) {
    let jane = person(&app, "jane@pulse.test", Role::Editor).await;
    let status = call(&app, Method::GET, "/api/v1/two-factor", &jane, None).await;
    assert_eq!(status.json()["enabled"], false);

    // Set up: a QR code Pulse drew, and the key as text; a wrong code is refused.
    let setup = call(&app, Method::POST, "/api/v1/two-factor/setup", &jane, None).await;
    assert_eq!(setup.status, StatusCode::CREATED, "{}", setup.text());
    let setup = setup.json();
    let secret = setup["secret"].as_str().unwrap().to_string();
    assert_eq!(secret.len(), 32);
    let uri = setup["otpauth_uri"].as_str().unwrap();
    assert!(
        uri.starts_with("otpauth://totp/Pulse:jane%40pulse.test?secret="),
        "{uri}"
    );
    assert!(uri.contains(&secret) && uri.contains("issuer=Pulse"));
    assert!(setup["qr_svg"].as_str().unwrap().starts_with("<svg"));
    let now = Utc::now().timestamp();
    let wrong = format!(
        "{:06}",
        (code_at(&secret, now).parse::<u32>().unwrap() + 1) % 1_000_000
    );
    let refused = call(
        &app,
        Method::POST,
        "/api/v1/two-factor",
        &jane,
        Some(&json!({"code": wrong, "password": PASSWORD})),
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text()
    );
    let no_csrf = vec![jane[0].clone()];
    let forged = call(
        &app,
        Method::POST,
        "/api/v1/two-factor",
        &no_csrf,
        Some(&json!({"code": code_at(&secret, now), "password": PASSWORD})),
    )
    .await;
    assert_eq!(
        forged.status,
        StatusCode::FORBIDDEN,
        "a change needs the CSRF token"
    );
    // The session alone does not turn it on: someone who has it (not the
    // password) must not tie the account to their own phone.
    let no_password = call(
        &app,
        Method::POST,
        "/api/v1/two-factor",
        &jane,
        Some(&json!({"code": code_at(&secret, now), "password": "not jane's password"})),
    )
    .await;
    assert_eq!(
        no_password.status,
        StatusCode::FORBIDDEN,
        "{}",
        no_password.text()
    );
    assert!(no_password
        .text()
        .contains("Enter your current password to turn two-factor sign-in on"));
    // Jane is signed in elsewhere too (with the password alone): turning two
    // factors on signs that session out.
    let elsewhere = support::signed_in(&app, "jane@pulse.test").await;
    let seen = call(&app, Method::GET, "/api/v1/two-factor", &elsewhere, None).await;
    assert_eq!(seen.status, StatusCode::OK);
    let on = call(
        &app,
        Method::POST,
        "/api/v1/two-factor",
        &jane,
        Some(&json!({"code": code_at(&secret, now), "password": PASSWORD})),
    )
    .await;
    assert_eq!(on.status, StatusCode::CREATED, "{}", on.text());
    let gone = call(&app, Method::GET, "/api/v1/two-factor", &elsewhere, None).await;
    assert_eq!(gone.status, StatusCode::UNAUTHORIZED, "{}", gone.text());
    let here = call(&app, Method::GET, "/api/v1/two-factor", &jane, None).await;
    assert_eq!(
        here.status,
        StatusCode::OK,
        "the session that turned it on stays"
    );
    let recovery: Vec<String> = on.json()["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert_eq!(recovery.len(), 10);
    let status = call(&app, Method::GET, "/api/v1/two-factor", &jane, None)
        .await
        .json();
    assert_eq!(
        (
            status["enabled"].clone(),
            status["recovery_codes_left"].clone()
        ),
        (json!(true), json!(10))
    );
    let again = call(&app, Method::POST, "/api/v1/two-factor/setup", &jane, None).await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    // The password alone does not sign in; no waiting sign-in, no code step.
    let none = code_step(&app, &[], "123456").await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    let waiting = password_step(&app, "jane@pulse.test").await;
    // The code used to turn it on does not work again; the next one does.
    let used = code_step(&app, &waiting, &code_at(&secret, now)).await;
    assert_eq!(used.status, StatusCode::UNAUTHORIZED, "{}", used.text());
    let next = code_at(&secret, now + 30);
    let signed = code_step(&app, &waiting, &next).await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.text());
    assert_eq!(signed.json()["user"]["email"], "jane@pulse.test");
    assert!(signed
        .headers
        .get_all("set-cookie")
        .iter()
        .any(|c| c.to_str().unwrap().starts_with("pulse_session=")));
    // A waiting sign-in starts one session.
    let twice = code_step(&app, &waiting, &code_at(&secret, now + 60)).await;
    assert_eq!(twice.status, StatusCode::UNAUTHORIZED);

    // A recovery code, however typed, works once.
    let waiting = password_step(&app, "jane@pulse.test").await;
    let typed = format!(" {} ", recovery[3].to_uppercase());
    let by_recovery = code_step(&app, &waiting, &typed).await;
    assert_eq!(by_recovery.status, StatusCode::OK, "{}", by_recovery.text());
    let waiting = password_step(&app, "jane@pulse.test").await;
    assert_eq!(
        code_step(&app, &waiting, &recovery[3]).await.status,
        StatusCode::UNAUTHORIZED
    );
    let status = call(&app, Method::GET, "/api/v1/two-factor", &jane, None)
        .await
        .json();
    assert_eq!(status["recovery_codes_left"], 9);

    // Guessing codes is throttled like passwords.
    let waiting = password_step(&app, "jane@pulse.test").await;
    let mut statuses = Vec::new();
    for _ in 0..7 {
        statuses.push(code_step(&app, &waiting, "000000").await.status.as_u16());
    }
    // (one failure counted already: the recovery code used twice)
    assert_eq!(&statuses[..4], &[401; 4], "{statuses:?}");
    assert_eq!(&statuses[4..], &[429; 3], "{statuses:?}");

    // Admins require it of admins and editors, having it themselves first.
    let admin = person(&app, "admin@pulse.test", Role::Admin).await;
    let refused = call(
        &app,
        Method::PUT,
        "/api/v1/two-factor/requirement",
        &admin,
        Some(&json!({"required": true})),
    )
    .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text());
    turn_on(&app, &admin).await;
    let by_editor = call(
        &app,
        Method::PUT,
        "/api/v1/two-factor/requirement",
        &jane,
        Some(&json!({"required": true})),
    )
    .await;
    assert_eq!(by_editor.status, StatusCode::FORBIDDEN);
    // A second admin, without two factors, makes an admin key before they
    // are required.
    let ada = person(&app, "ada@pulse.test", Role::Admin).await;
    let made = call(
        &app,
        Method::POST,
        "/api/v1/api-keys",
        &ada,
        Some(&json!({"name": "scripts", "scopes": ["admin"]})),
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    let ada_key = vec![(
        "authorization".to_string(),
        format!("Bearer {}", made.json()["secret"].as_str().unwrap()),
    )];
    let users = call(&app, Method::GET, "/api/v1/users", &ada_key, None).await;
    assert_eq!(users.status, StatusCode::OK, "{}", users.text());
    let required = call(
        &app,
        Method::PUT,
        "/api/v1/two-factor/requirement",
        &admin,
        Some(&json!({"required": true})),
    )
    .await;
    assert_eq!(required.status, StatusCode::OK, "{}", required.text());
    assert_eq!(required.json()["required"], true);
    // A key is held to its owner as they are now: Ada's admin key does
    // nothing an admin does until she sets up two factors.
    let users = call(&app, Method::GET, "/api/v1/users", &ada_key, None).await;
    assert_eq!(users.status, StatusCode::FORBIDDEN, "{}", users.text());
    assert!(
        users.text().contains("its owner, ada@pulse.test")
            && users
                .text()
                .contains("until they set up the two-factor sign-in"),
        "{}",
        users.text()
    );
    // Nor may she give it a new secret meanwhile: that would grant
    // "admin" again, which she may not while she acts as a viewer.
    let key_id = made.json()["key"]["id"].as_i64().unwrap();
    let rotate = format!("/api/v1/api-keys/{key_id}/rotate");
    let rotated = call(&app, Method::POST, &rotate, &ada, None).await;
    assert_eq!(rotated.status, StatusCode::FORBIDDEN, "{}", rotated.text());
    assert!(
        rotated.json()["message"]
            .as_str()
            .unwrap()
            .starts_with("You may not grant \"admin\": only admins may. A new secret"),
        "{}",
        rotated.text()
    );
    turn_on(&app, &ada).await;
    let rotated = call(&app, Method::POST, &rotate, &ada, None).await;
    assert_eq!(rotated.status, StatusCode::CREATED, "{}", rotated.text());
    let ada_key = vec![(
        "authorization".to_string(),
        format!("Bearer {}", rotated.json()["secret"].as_str().unwrap()),
    )];
    let users = call(&app, Method::GET, "/api/v1/users", &ada_key, None).await;
    assert_eq!(users.status, StatusCode::OK, "{}", users.text());
    // An editor without it acts as a viewer until they set it up.
    let robin = person(&app, "robin@pulse.test", Role::Editor).await;
    let session = call(&app, Method::GET, "/api/v1/session", &robin, None)
        .await
        .json();
    assert_eq!(session["two_factor_needed"], true);
    assert_eq!(session["user"]["role"], "viewer");
    let invite = json!({"email": "new@pulse.test", "role": "viewer", "organisations": []});
    let as_viewer = call(
        &app,
        Method::POST,
        "/api/v1/invitations",
        &robin,
        Some(&invite),
    )
    .await;
    assert_eq!(
        as_viewer.status,
        StatusCode::FORBIDDEN,
        "{}",
        as_viewer.text()
    );
    // Signing in by the form takes them to where they set it up.
    let form = app
        .request(
            Method::POST,
            "/api/v1/session",
            &[("content-type", "application/x-www-form-urlencoded")],
            format!(
                "email=robin%40pulse.test&password={}&next=%2Fbuild",
                PASSWORD.replace(' ', "+")
            )
            .into_bytes(),
        )
        .await;
    assert_eq!(form.status, StatusCode::SEE_OTHER, "{}", form.text());
    assert_eq!(
        form.header("location"),
        "/settings/api-keys#two-factor-heading"
    );
    turn_on(&app, &robin).await;
    let session = call(&app, Method::GET, "/api/v1/session", &robin, None)
        .await
        .json();
    assert_eq!(
        (
            session["two_factor_needed"].clone(),
            session["user"]["role"].clone()
        ),
        (json!(false), json!("editor"))
    );
    // Jane may not turn it off while it is required; nor without her password.
    let wrong_password = call(
        &app,
        Method::POST,
        "/api/v1/two-factor/off",
        &jane,
        Some(&json!({"password": "not it at all"})),
    )
    .await;
    assert_eq!(wrong_password.status, StatusCode::FORBIDDEN);
    let kept = call(
        &app,
        Method::POST,
        "/api/v1/two-factor/off",
        &jane,
        Some(&json!({"password": PASSWORD})),
    )
    .await;
    assert_eq!(kept.status, StatusCode::CONFLICT, "{}", kept.text());
    call(
        &app,
        Method::PUT,
        "/api/v1/two-factor/requirement",
        &admin,
        Some(&json!({"required": false})),
    )
    .await;
    let off = call(
        &app,
        Method::POST,
        "/api/v1/two-factor/off",
        &jane,
        Some(&json!({"password": PASSWORD})),
    )
    .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.text());
    assert_eq!(off.json()["enabled"], false);
    // Signing in is one step again.
    let answer = call(
        &app,
        Method::POST,
        "/api/v1/session",
        &[],
        Some(&json!({"email": "jane@pulse.test", "password": PASSWORD})),
    )
    .await;
    assert_eq!(answer.json()["user"]["email"], "jane@pulse.test");

    // Each change is in the audit log.
    let audit = call(&app, Method::GET, "/api/v1/audit?limit=1000", &admin, None)
        .await
        .json();
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in [
        "two_factor.begin",
        "two_factor.enable",
        "two_factor.require",
        "two_factor.unrequire",
        "two_factor.disable",
        "session.code_asked",
    ] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
}

both!(two_factors_sign_in);

/// The password step of Jane's sign-in at `at`: the token of the sign-in
/// waiting for her code.
async fn code_needed(app: &TestApp, at: chrono::DateTime<Utc>) -> String {
    use server::domain::sessions::{sign_in, SignIn};
    match sign_in(
        &app.store,
        "jane@pulse.test",
        PASSWORD,
        "192.0.2.1",
        "test",
        at,
    )
    .await
    .unwrap()
    {
        SignIn::CodeNeeded(token) => token,
        _ => panic!("the password step did not ask for a code"),
    }
}

/// Codes guessed from many addresses, by someone who has the password: 10
/// wrong ones in 15 minutes for the account from anywhere, 30 in a day, then
/// none is tried, not even a right one, until the day is over.
async fn codes_are_guessed_slowly_from_anywhere(app: TestApp) {
    use server::domain::sessions::{
        second_step, SignIn, CODES_A_DAY, CODES_PER_ACCOUNT_EVERYWHERE,
    };
    let jane = person(&app, "jane@pulse.test", Role::Editor).await;
    let (secret, _) = turn_on(&app, &jane).await;
    let settings = server::domain::mail::MailSettings::default();
    let start = Utc::now();
    let windows = CODES_A_DAY / CODES_PER_ACCOUNT_EVERYWHERE;
    for window in 0..=windows {
        let at = start + chrono::Duration::minutes(16 * window);
        let waiting = code_needed(&app, at).await;
        let mut throttled = Vec::new();
        for i in 0..=CODES_PER_ACCOUNT_EVERYWHERE {
            let ip = format!("198.51.{window}.{i}");
            let outcome = second_step(&app.store, &settings, &waiting, "000000", &ip, "test", at)
                .await
                .unwrap();
            throttled.push(matches!(outcome, SignIn::Throttled));
        }
        let right = code_at(&secret, at.timestamp());
        let with_right = second_step(
            &app.store,
            &settings,
            &waiting,
            &right,
            "198.51.99.1",
            "test",
            at,
        )
        .await
        .unwrap();
        if window < windows {
            // The first 10 tried (and wrong), then none.
            let expected: Vec<bool> = (0..=CODES_PER_ACCOUNT_EVERYWHERE)
                .map(|i| i == CODES_PER_ACCOUNT_EVERYWHERE)
                .collect();
            assert_eq!(throttled, expected, "window {window}");
        } else {
            // The day's 30 are spent: nothing is tried, a right code neither.
            assert!(
                throttled.iter().all(|t| *t),
                "window {window}: {throttled:?}"
            );
            assert!(
                matches!(with_right, SignIn::Throttled),
                "a right code after 30 wrong ones"
            );
        }
    }
    // The next day, the right code signs in.
    // Jane was told, once that day, at the tenth wrong code: someone has her
    // password.
    let warnings: Vec<_> = server::store::mail::recent(&app.store, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.kind == "two-factor-warning")
        .collect();
    assert_eq!(warnings.len(), 1, "one warning a day");
    assert_eq!(warnings[0].to, "jane@pulse.test");
    assert!(
        warnings[0].text.contains("entered 10 wrong codes")
            && warnings[0].text.contains("the address 198.51.0.9")
            && warnings[0].text.contains("/forgot-password"),
        "{}",
        warnings[0].text
    );
    let at = start + chrono::Duration::days(1) + chrono::Duration::minutes(16 * windows);
    let waiting = code_needed(&app, at).await;
    let right = code_at(&secret, at.timestamp());
    let outcome = second_step(
        &app.store,
        &settings,
        &waiting,
        &right,
        "198.51.99.2",
        "test",
        at,
    )
    .await
    .unwrap();
    assert!(matches!(outcome, SignIn::Started(_)), "the next day");
}

both!(codes_are_guessed_slowly_from_anywhere);
