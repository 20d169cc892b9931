//! The `pulse` command as a person runs it: a key with a scope that means
//! nothing is refused, with the scopes that exist named, and no key is made.

use std::process::Command;

fn pulse(db: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pulse"))
        .args(args)
        .args(["--database", db])
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn keys_get_only_scopes_that_exist() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/pulse.db", dir.path().display());
    let (ok, _, err) = pulse(
        &db,
        &["key", "create", "--name", "k", "--scope", "anything"],
    );
    assert!(!ok);
    assert!(err.contains("\"anything\" is not a scope"), "{err}");
    assert!(err.contains("annotations:write"), "{err}");
    let (ok, _, err) = pulse(
        &db,
        &[
            "key",
            "create",
            "--name",
            "k",
            "--scope",
            "data-set:nope:write",
        ],
    );
    assert!(!ok);
    assert!(err.contains("There is no data set `nope`."), "{err}");
    let (ok, out, err) = pulse(
        &db,
        &[
            "key",
            "create",
            "--name",
            "k",
            "--scope",
            "annotations:write",
            "--scope",
            "read:unpublished",
        ],
    );
    assert!(ok, "{err}");
    let key: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        key["key"]["scopes"],
        serde_json::json!(["annotations:write", "read:unpublished"])
    );
    assert!(key["secret"].as_str().unwrap().starts_with("pulse_"));
}
