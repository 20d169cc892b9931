//! Spreadsheet uploads from the browser: a CSV or XLSX file read into records,
//! checked with the write API's rules and against what is stored, and shown
//! as a preview — every problem by row and column, how many records are new,
//! which would replace stored ones (before and after) — before anything is
//! stored. Storing is all or nothing, and only of a file without problems.

use super::json::shown;
use std::collections::HashMap;

use app::model::{UploadPreview, UploadProblem, UploadReplacement, UploadRow};
use serde_json::Value;

use crate::domain::ingest::{self, Refused};
use crate::domain::spreadsheet::{self, Format, Sheet};
use crate::error::{Error, Result};
use crate::store::{
    data_sets::DataSet,
    records,
    records::{same_values, Record, StoredRecord},
    Store,
};

/// The largest file taken (10 MiB, as the write API's bodies).
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;

/// The limit in words.
pub const LIMIT_WORDS: &str = "10 MB (10,485,760 bytes)";

/// Rows and replacements a preview lists (the counts cover every one).
const SHOWN: usize = 100;

/// Problems a preview lists (the count covers every one).
pub const SHOWN_PROBLEMS: usize = 1_000;

/// A checked upload: the preview, and the records to store when it has no
/// problems, each with its row in the file (`rows`). They are checked again
/// against the stored ones as they are stored (a record written meanwhile,
/// through this instance or another, is seen), and only those new or
/// different are written.
pub struct Prepared {
    pub preview: UploadPreview,
    pub records: Vec<Record>,
    pub rows: Vec<usize>,
    /// This upload's turn ([`TURNS`]), held until it is stored or dropped.
    _turn: Option<tokio::sync::SemaphorePermit<'static>>,
}

/// Uploads read, checked and held until stored one at a time: a file of
/// 10 MB takes hundreds of MB while it is checked (each record a kilobyte or
/// so), so several at once could take the server's memory. The next waits.
static TURNS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

/// A spreadsheet's column letter: 0 is `A`, 26 is `AA`.
fn letter(mut i: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// `C (count)` for the field `count` in the third column; the field alone when
/// the file has no such column (a missing one).
fn column_label(columns: &[String], field: &str) -> String {
    match columns.iter().position(|c| c == field) {
        Some(i) => format!("{} ({field})", letter(i)),
        None => field.to_string(),
    }
}

/// The field a schema's "required" message names (`"count" is a required property`).
fn required_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix('"')?;
    let (field, tail) = rest.split_once('"')?;
    tail.contains("required property").then_some(field)
}

/// The size, in words (`12.4 MB`).
fn size_words(bytes: usize) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}

/// Reads and checks a file for a data set. Errors are about the file as a
/// whole (too large, not a spreadsheet, empty, unreadable); problems with its
/// rows are in the preview: how many, and the first [`SHOWN_PROBLEMS`] (a file
/// of 300,000 wrong rows made a preview of 28 MB, which a browser took 48 s
/// to show).
pub async fn prepare(
    store: &Store,
    data_set: &DataSet,
    file_name: &str,
    bytes: &[u8],
) -> Result<Prepared> {
    let turn = TURNS
        .acquire()
        .await
        .map_err(|e| Error::Internal(e.into()))?;
    let mut prepared = check(store, data_set, file_name, bytes, turn).await?;
    let preview = &mut prepared.preview;
    preview.problem_count = preview.problems.len();
    preview.problems.truncate(SHOWN_PROBLEMS);
    Ok(prepared)
}

/// [`prepare`], every problem listed, in its `turn`.
async fn check(
    store: &Store,
    data_set: &DataSet,
    file_name: &str,
    bytes: &[u8],
    turn: tokio::sync::SemaphorePermit<'static>,
) -> Result<Prepared> {
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(Error::TooLarge(format!(
            "{file_name} is {}; an upload may be at most {LIMIT_WORDS}. Split it into smaller files.",
            size_words(bytes.len()),
        )));
    }
    let format = Format::of(file_name, bytes).map_err(Error::Unsupported)?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::BadRequest(format!(
            "{file_name} is empty: there is nothing to upload"
        )));
    }
    // Read on a thread of its own: a large file takes a moment of work.
    // The turn goes with it and comes back: a reading goes on when whoever
    // asked has gone, and the next upload waits for it.
    let owned = bytes.to_vec();
    let (read, turn) = tokio::task::spawn_blocking(move || {
        let read = spreadsheet::read_bytes(format, &owned, spreadsheet::Bounds::UPLOAD);
        (read, turn)
    })
    .await
    .map_err(|e| Error::Internal(e.into()))?;
    let turn = Some(turn);
    let mut sheet =
        read.map_err(|e| Error::BadRequest(format!("{file_name} could not be read: {e}")))?;
    if sheet.rows.is_empty() {
        return Err(Error::Unprocessable(format!(
            "{file_name} has a header row but no records below it"
        )));
    }
    let mut preview = UploadPreview {
        data_set: format!("{}/{}", data_set.data_group, data_set.data_type),
        file_name: file_name.to_string(),
        format: format.as_str().into(),
        columns: sheet.columns.clone(),
        rows: sheet
            .rows
            .iter()
            .take(SHOWN)
            .map(|(row, record)| UploadRow {
                row: *row,
                record: record.clone(),
            })
            .collect(),
        records: sheet.rows.len(),
        new: 0,
        replaced: 0,
        unchanged: 0,
        replacements: Vec::new(),
        problems: Vec::new(),
        problem_count: 0,
        stored: false,
    };
    preview.problems = header_problems(data_set, &sheet);
    if !preview.problems.is_empty() {
        // Every row would repeat the header's problem: say it once.
        return Ok(Prepared {
            preview,
            records: Vec::new(),
            rows: Vec::new(),
            _turn: turn,
        });
    }
    // The records are moved on, not copied: a file may hold a million cells.
    let (rows, records): (Vec<usize>, Vec<Value>) =
        std::mem::take(&mut sheet.rows).into_iter().unzip();
    let checked = match ingest::check_for(data_set, Value::Array(records)) {
        Ok(checked) => checked,
        Err(Refused::BadSchema(e) | Refused::Json(e)) => {
            return Err(Error::Internal(anyhow::anyhow!(e)))
        }
        Err(Refused::Invalid { problems, .. }) => {
            preview.problems = problems
                .into_iter()
                .map(|p| {
                    let field = p
                        .field
                        .clone()
                        .or_else(|| required_field(&p.message).map(str::to_string));
                    UploadProblem {
                        row: Some(rows[p.index]),
                        column: field.map(|f| column_label(&sheet.columns, &f)),
                        message: p.message,
                    }
                })
                .collect();
            return Ok(Prepared {
                preview,
                records: Vec::new(),
                rows: Vec::new(),
                _turn: turn,
            });
        }
    };
    // A record twice in one file is a mistake (the second would silently win).
    if checked.ids_may_exist {
        let mut first: HashMap<&str, usize> = HashMap::new();
        for (record, row) in checked.records.iter().zip(&rows) {
            if let Some(earlier) = first.insert(record.id.as_str(), *row) {
                let same = if data_set.auto_ids.is_empty() {
                    "the same _id".to_string()
                } else {
                    format!("the same {}", data_set.auto_ids.join(", "))
                };
                preview.problems.push(UploadProblem {
                    row: Some(*row),
                    column: None,
                    message: format!(
                        "this row has {same} as row {earlier}: a record may appear only once"
                    ),
                });
                first.insert(record.id.as_str(), earlier);
            }
        }
        if !preview.problems.is_empty() {
            return Ok(Prepared {
                preview,
                records: Vec::new(),
                rows: Vec::new(),
                _turn: turn,
            });
        }
    }
    let stored = if checked.ids_may_exist {
        let ids: Vec<&str> = checked.records.iter().map(|r| r.id.as_str()).collect();
        records::find_many(store, data_set.id, &ids).await?
    } else {
        HashMap::new()
    };
    // A record whose identifying values make a stored record's id while
    // differing from its values would replace it by mistake.
    let clashes = ingest::clashes(&data_set.auto_ids, &checked.records, &stored);
    if !clashes.is_empty() {
        preview.problems = clashes
            .into_iter()
            .map(|p| UploadProblem {
                row: Some(rows[p.index]),
                column: None,
                message: p.message,
            })
            .collect();
        return Ok(Prepared {
            preview,
            records: Vec::new(),
            rows: Vec::new(),
            _turn: turn,
        });
    }
    compare(&mut preview, &checked.records, &rows, &stored);
    Ok(Prepared {
        preview,
        records: checked.records,
        rows,
        _turn: turn,
    })
}

/// Counts in `preview` the records new, replaced and the same as `stored`
/// (those are left as they are: no history entry), and lists the first
/// replaced with their values before and after; `rows` are the records'
/// rows in the file.
pub fn compare(
    preview: &mut UploadPreview,
    records: &[Record],
    rows: &[usize],
    stored: &HashMap<String, StoredRecord>,
) {
    (preview.new, preview.replaced, preview.unchanged) = (0, 0, 0);
    preview.replacements.clear();
    for (record, row) in records.iter().zip(rows) {
        match stored.get(&record.id) {
            None => preview.new += 1,
            Some(old) => {
                let before = old.to_history_value();
                let after = record.to_history_value();
                if same_values(&before, &after) {
                    preview.unchanged += 1;
                } else {
                    preview.replaced += 1;
                    if preview.replacements.len() < SHOWN {
                        preview.replacements.push(UploadReplacement {
                            row: *row,
                            id: record.id.clone(),
                            before,
                            after,
                        });
                    }
                }
            }
        }
    }
}

/// Columns the data set cannot take (its schema allows no other fields), or
/// identifying columns it needs and the file lacks.
fn header_problems(data_set: &DataSet, sheet: &Sheet) -> Vec<UploadProblem> {
    let mut problems = Vec::new();
    let closed = data_set
        .schema
        .as_ref()
        .is_some_and(|s| s.get("additionalProperties") == Some(&Value::Bool(false)));
    let known: Vec<&str> = data_set
        .schema
        .as_ref()
        .and_then(|s| s.get("properties"))
        .and_then(Value::as_object)
        .map(|p| {
            p.keys()
                .map(String::as_str)
                .filter(|k| !["_id", "_start_at", "_end_at"].contains(k))
                .collect()
        })
        .unwrap_or_default();
    if closed {
        for (i, column) in sheet.columns.iter().enumerate() {
            if !column.is_empty() && column != "_id" && !known.contains(&column.as_str()) {
                problems.push(UploadProblem {
                    row: Some(1),
                    column: Some(format!("{} ({column})", letter(i))),
                    message: format!(
                        "{} is not a field of this data set; its fields are {}",
                        shown(column),
                        known.join(", ")
                    ),
                });
            }
        }
    }
    for field in &data_set.auto_ids {
        if !sheet.columns.contains(field) {
            problems.push(UploadProblem {
                row: Some(1),
                column: None,
                message: format!("the header has no {field} column, which identifies each record"),
            });
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn columns_have_spreadsheet_letters() {
        assert_eq!(letter(0), "A");
        assert_eq!(letter(2), "C");
        assert_eq!(letter(25), "Z");
        assert_eq!(letter(26), "AA");
        assert_eq!(letter(27), "AB");
        assert_eq!(letter(701), "ZZ");
        assert_eq!(letter(702), "AAA");
        let columns = vec!["_timestamp".to_string(), "count".to_string()];
        assert_eq!(column_label(&columns, "count"), "B (count)");
        assert_eq!(column_label(&columns, "stage"), "stage");
    }

    #[test]
    fn required_messages_name_their_field() {
        assert_eq!(
            required_field("\"count\" is a required property"),
            Some("count")
        );
        assert_eq!(required_field("\"x\" is not of type \"integer\""), None);
    }

    #[test]
    fn numbers_compare_by_value() {
        assert!(same_values(
            &json!({"a": 3, "b": "x"}),
            &json!({"b": "x", "a": 3.0})
        ));
        assert!(!same_values(&json!({"a": 3}), &json!({"a": 4})));
        assert!(!same_values(&json!({"a": 3}), &json!({"a": 3, "b": 1})));
    }
}
