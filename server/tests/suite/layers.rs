//! The server's layers, as its folders name them: `http/` and `cli/` call
//! `domain/`, which calls `store/`; nothing calls upward, the domain knows no
//! HTTP, the store checks no rules (it has its own error type), and every
//! change is made by a domain function (only the domain begins a write).
//! Read from the source itself, so a new import that breaks the layering
//! fails here, with the file and the line.

use std::path::{Path, PathBuf};

fn sources(folder: &str) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src")
            .join(folder),
        &mut out,
    );
    assert!(!out.is_empty(), "no sources in {folder}");
    out
}

/// The file's code without its unit tests (which may reach across layers to
/// build their fixtures) and without comments.
fn code(path: &Path) -> Vec<(usize, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    let end = text.find("#[cfg(test)]").unwrap_or(text.len());
    text[..end]
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.split("//").next().unwrap_or("").to_string()))
        .collect()
}

/// The modules of the crate a file names, with their lines: `crate::x::…`
/// paths, and the first names inside `use crate::{…}` groups.
fn crate_modules(lines: &[(usize, String)]) -> Vec<(usize, String)> {
    let text: String = lines.iter().map(|(_, l)| format!("{l}\n")).collect();
    let line_of = |at: usize| text[..at].matches('\n').count() + 1;
    let word = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut found = Vec::new();
    for (at, _) in text.match_indices("crate::") {
        let after = &text[at + "crate::".len()..];
        let Some(group) = after.strip_prefix('{') else {
            found.push((line_of(at), word(after)));
            continue;
        };
        // The group's names at its top level: after `{` or a `,`.
        let (mut depth, mut expecting) = (1usize, true);
        for (i, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 1 => break,
                '}' => depth -= 1,
                ',' if depth == 1 => expecting = true,
                c if expecting && (c.is_alphanumeric() || c == '_') => {
                    let position = at + "crate::{".len() + i;
                    found.push((line_of(position), word(&group[i..])));
                    expecting = false;
                }
                _ => {}
            }
        }
    }
    found
}

fn refusals(folder: &str, forbidden: &[&str]) -> Vec<String> {
    let mut wrong = Vec::new();
    for path in sources(folder) {
        let lines = code(&path);
        for (n, module) in crate_modules(&lines) {
            if forbidden.contains(&module.as_str()) {
                wrong.push(format!(
                    "{}:{n} uses crate::{module}",
                    path.strip_prefix(env!("CARGO_MANIFEST_DIR"))
                        .unwrap()
                        .display()
                ));
            }
        }
    }
    wrong
}

#[test]
fn the_store_calls_nothing_above_it_and_has_its_own_errors() {
    let wrong = refusals("store", &["domain", "http", "cli", "demo", "error"]);
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn the_domain_calls_only_the_store_and_knows_no_http() {
    let mut wrong = refusals("domain", &["http", "cli", "demo"]);
    for path in sources("domain") {
        for (n, line) in code(&path) {
            if line.contains("axum") {
                wrong.push(format!("{}:{n} uses axum", path.display()));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn the_http_layer_does_not_call_the_command_line() {
    let wrong = refusals("http", &["cli", "demo"]);
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn only_the_domain_begins_a_change() {
    let mut wrong = Vec::new();
    for folder in ["http", "cli"] {
        for path in sources(folder) {
            for (n, line) in code(&path) {
                if line.contains(".write().await") {
                    wrong.push(format!("{}:{n} begins a write", path.display()));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// The checker itself: it finds what it looks for, in both forms.
#[test]
fn the_checker_reads_paths_and_groups() {
    let lines: Vec<(usize, String)> = [
        "use crate::domain::caller::Caller;",
        "use crate::{",
        "    http::{app, AppState},",
        "    leptos_options,",
        "};",
        "let x = crate::store::Store::connect(url);",
    ]
    .iter()
    .enumerate()
    .map(|(i, l)| (i + 1, l.to_string()))
    .collect();
    let names: Vec<String> = crate_modules(&lines).into_iter().map(|(_, m)| m).collect();
    assert_eq!(names, ["domain", "http", "leptos_options", "store"]);
}
