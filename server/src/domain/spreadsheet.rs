//! Spreadsheets as records: CSV and XLSX files (the first sheet), where the
//! first row is the header and each further row is one record. Numbers stay
//! numbers, `true`/`false` become booleans, empty cells are left out, and dates
//! in XLSX cells become ISO 8601 date-times. The records then go through the same
//! validation as the write API.

use std::path::Path;

use serde_json::{Map, Number, Value};

/// A spreadsheet's header and its records, each with the row it came from
/// (row 1 is the header, as a spreadsheet program numbers them).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sheet {
    pub columns: Vec<String>,
    pub rows: Vec<(usize, Value)>,
}

impl Sheet {
    /// The records alone, in row order.
    pub fn records(&self) -> Vec<Value> {
        self.rows.iter().map(|(_, r)| r.clone()).collect()
    }
}

/// The kinds of file Pulse reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    /// A file's format from its name, else its content: an XLSX file is a ZIP
    /// archive. The error says what the file is and what Pulse takes.
    pub fn of(file_name: &str, bytes: &[u8]) -> Result<Format, String> {
        let lower = file_name.to_ascii_lowercase();
        let extension = lower.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
        match extension {
            "csv" => Ok(Format::Csv),
            "xlsx" => Ok(Format::Xlsx),
            "xls" => Err(format!(
                "{file_name} is an old Excel workbook (.xls): save it as .xlsx or .csv and upload that"
            )),
            "" if bytes.starts_with(b"PK\x03\x04") => Ok(Format::Xlsx),
            "" => Ok(Format::Csv),
            _ => Err(format!(
                "{file_name} is neither a CSV file (.csv) nor an Excel workbook (.xlsx)"
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }
}

/// A file's records, in row order.
pub fn read_file(path: &Path) -> Result<Sheet, String> {
    let name = path.display().to_string();
    // The name alone decides, unless it has no extension.
    if path.extension().is_some() {
        Format::of(&name, &[])?;
    }
    let bytes = std::fs::read(path).map_err(|e| format!("could not read {name}: {e}"))?;
    let format = Format::of(&name, &bytes)?;
    read_bytes(format, &bytes).map_err(|e| format!("{name}: {e}"))
}

/// The records of a file's bytes, in the given format.
pub fn read_bytes(format: Format, bytes: &[u8]) -> Result<Sheet, String> {
    match format {
        Format::Csv => csv_records(bytes),
        Format::Xlsx => xlsx_records(bytes),
    }
}

/// A CSV cell as JSON: a number if it reads as one, a boolean for true/false,
/// text otherwise; `None` for an empty cell.
fn cell(text: &str) -> Option<Value> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Ok(i) = text.parse::<i64>() {
        return Some(Value::Number(i.into()));
    }
    if let Ok(f) = text.parse::<f64>() {
        if f.is_finite() && !text.starts_with('+') && !text.ends_with('.') {
            return Number::from_f64(f).map(Value::Number);
        }
    }
    match text {
        "true" => Some(Value::Bool(true)),
        "false" => Some(Value::Bool(false)),
        _ => Some(Value::String(text.to_string())),
    }
}

/// A bare date in a date column (`2026-11-16`, as spreadsheets are typed) is
/// the start of that day in UTC, written as Backdrop expects a date-time.
fn with_full_dates(mut record: Map<String, Value>) -> Map<String, Value> {
    for field in ["_timestamp", "_start_at", "_end_at"] {
        if let Some(Value::String(s)) = record.get(field) {
            if s.len() == 10 && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() {
                let full = format!("{s}T00:00:00Z");
                record.insert(field.to_string(), Value::String(full));
            }
        }
    }
    record
}

fn header(names: Vec<String>) -> Result<Vec<String>, String> {
    if names.iter().all(|n| n.trim().is_empty()) {
        return Err("the first row must name the fields, but it is empty".into());
    }
    let mut seen = std::collections::HashSet::new();
    for name in &names {
        if !name.trim().is_empty() && !seen.insert(name.trim()) {
            return Err(format!("the header names {:?} twice", name.trim()));
        }
    }
    Ok(names.into_iter().map(|n| n.trim().to_string()).collect())
}

/// Records from CSV text (a UTF-8 byte order mark, as Excel writes, is skipped).
pub fn csv_records(bytes: &[u8]) -> Result<Sheet, String> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err("the file is empty".into());
    }
    if std::str::from_utf8(bytes).is_err() {
        return Err(
            "the file is not text in UTF-8: save it as \"CSV UTF-8\" and upload it again".into(),
        );
    }
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(bytes);
    let columns = header(
        reader
            .headers()
            .map_err(|e| format!("the header row could not be read: {e}"))?
            .iter()
            .map(str::to_string)
            .collect(),
    )?;
    let mut rows = Vec::new();
    for row in reader.records() {
        let row = row.map_err(|e| match e.position() {
            Some(p) => format!("row {}: {}", p.line(), e),
            None => e.to_string(),
        })?;
        let line = row.position().map(|p| p.line() as usize).unwrap_or(0);
        let mut record = Map::new();
        for (name, text) in columns.iter().zip(row.iter()) {
            if let (false, Some(value)) = (name.is_empty(), cell(text)) {
                record.insert(name.clone(), value);
            }
        }
        // Rows with nothing in them (a trailing line of commas) are not records.
        if !record.is_empty() {
            rows.push((line, Value::Object(with_full_dates(record))));
        }
    }
    Ok(Sheet { columns, rows })
}

/// Records from the first sheet of an XLSX workbook.
pub fn xlsx_records(bytes: &[u8]) -> Result<Sheet, String> {
    use calamine::{Data, Reader, Xlsx};
    if bytes.is_empty() {
        return Err("the file is empty".into());
    }
    let mut workbook = Xlsx::new(std::io::Cursor::new(bytes))
        .map_err(|e| format!("it is not a readable XLSX workbook ({e})"))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or("the workbook has no sheets")?
        .map_err(|e| format!("the first sheet could not be read: {e}"))?;
    // Where the sheet's used cells start: row numbers are the spreadsheet's.
    let first_row = range.start().map(|(r, _)| r as usize + 1).unwrap_or(1);
    let mut rows_in = range.rows();
    let Some(first) = rows_in.next() else {
        return Err("the first sheet is empty".into());
    };
    let columns = header(first.iter().map(|c| c.to_string()).collect())?;
    let mut rows = Vec::new();
    for (i, row) in rows_in.enumerate() {
        let mut record = Map::new();
        for (name, data) in columns.iter().zip(row) {
            let value = match data {
                Data::Empty => None,
                Data::Int(i) => Some(Value::Number((*i).into())),
                Data::Float(f) if f.fract() == 0.0 && f.abs() < 9e15 => {
                    Some(Value::Number((*f as i64).into()))
                }
                Data::Float(f) => Number::from_f64(*f).map(Value::Number),
                Data::Bool(b) => Some(Value::Bool(*b)),
                Data::String(s) => cell(s).map(|v| match v {
                    // Text in a text cell stays text, even if it looks like a number.
                    Value::Number(_) | Value::Bool(_) => Value::String(s.trim().to_string()),
                    other => other,
                }),
                Data::DateTime(d) => d.as_datetime().map(|t| {
                    Value::String(
                        t.and_utc()
                            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    )
                }),
                Data::DateTimeIso(s) | Data::DurationIso(s) => Some(Value::String(s.clone())),
                Data::Error(e) => Some(Value::String(format!("#{e:?}"))),
            };
            if let (false, Some(value)) = (name.is_empty(), value) {
                record.insert(name.clone(), value);
            }
        }
        // Rows with nothing in them (trailing formatting) are not records.
        if !record.is_empty() {
            rows.push((first_row + 1 + i, Value::Object(with_full_dates(record))));
        }
    }
    Ok(Sheet { columns, rows })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn csv_rows_become_records_with_numbers_kept() {
        let text = "_timestamp,channel,count,rate,flag,note\n\
                    2013-03-11T00:00:00Z,digital,12,0.5,true,\n\
                    2013-03-12T00:00:00Z,phone,007,1e3,false,\"a, b\"\n";
        let sheet = csv_records(text.as_bytes()).unwrap();
        assert_eq!(
            sheet.rows.iter().map(|(r, _)| *r).collect::<Vec<_>>(),
            [2, 3]
        );
        assert_eq!(
            sheet.records(),
            vec![
                json!({"_timestamp": "2013-03-11T00:00:00Z", "channel": "digital", "count": 12, "rate": 0.5, "flag": true}),
                json!({"_timestamp": "2013-03-12T00:00:00Z", "channel": "phone", "count": 7, "rate": 1000.0, "flag": false, "note": "a, b"}),
            ]
        );
    }

    #[test]
    fn bare_dates_are_midnight_and_rows_keep_their_numbers() {
        let text = "\u{feff}_timestamp,stage,count\n2026-11-16,start,3\n,,\n2026-11-16T00:00:00+00:00,end,2\n";
        let sheet = csv_records(text.as_bytes()).unwrap();
        assert_eq!(sheet.columns, ["_timestamp", "stage", "count"]);
        assert_eq!(
            sheet.rows,
            vec![
                (
                    2,
                    json!({"_timestamp": "2026-11-16T00:00:00Z", "stage": "start", "count": 3})
                ),
                (
                    4,
                    json!({"_timestamp": "2026-11-16T00:00:00+00:00", "stage": "end", "count": 2})
                ),
            ]
        );
    }

    #[test]
    fn broken_csv_is_refused_clearly() {
        assert_eq!(csv_records(b"").unwrap_err(), "the file is empty");
        assert_eq!(
            csv_records(b"a1,a1\n1,2\n").unwrap_err(),
            "the header names \"a1\" twice"
        );
        let ragged = csv_records(b"a1,b1\n1,2\n3\n").unwrap_err();
        assert!(ragged.starts_with("row 3:"), "{ragged}");
        assert!(csv_records(b"a1,b1\n\xff\xfe,2\n")
            .unwrap_err()
            .contains("not text in UTF-8"));
        assert_eq!(
            Format::of("notes.txt", b"x").unwrap_err(),
            "notes.txt is neither a CSV file (.csv) nor an Excel workbook (.xlsx)"
        );
        assert!(Format::of("old.XLS", b"x").unwrap_err().contains(".xls"));
        assert_eq!(Format::of("upload", b"PK\x03\x04..."), Ok(Format::Xlsx));
    }

    #[test]
    fn xlsx_sheets_become_records() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data.xlsx");
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (c, name) in ["_timestamp", "channel", "count", "rate"]
            .iter()
            .enumerate()
        {
            sheet.write_string(0, c as u16, *name).unwrap();
        }
        sheet.write_string(1, 0, "2013-03-11T00:00:00Z").unwrap();
        sheet.write_string(1, 1, "digital").unwrap();
        sheet.write_number(1, 2, 12.0).unwrap();
        sheet.write_number(1, 3, 0.25).unwrap();
        sheet.write_string(2, 0, "2013-03-12T00:00:00Z").unwrap();
        sheet.write_string(2, 1, "0123").unwrap();
        book.save(&path).unwrap();
        assert_eq!(
            read_file(&path).unwrap().records(),
            vec![
                json!({"_timestamp": "2013-03-11T00:00:00Z", "channel": "digital", "count": 12, "rate": 0.25}),
                json!({"_timestamp": "2013-03-12T00:00:00Z", "channel": "0123"}),
            ]
        );
        std::fs::write(dir.path().join("broken.xlsx"), b"not a zip").unwrap();
        assert!(read_file(&dir.path().join("broken.xlsx"))
            .unwrap_err()
            .contains("broken.xlsx: it is not a readable XLSX workbook"));
        assert!(read_file(Path::new("notes.txt"))
            .unwrap_err()
            .contains("neither a CSV file"));
    }
}
