//! Spreadsheets as records: CSV and XLSX files (the first sheet), where the
//! first row is the header and each further row is one record. Numbers stay
//! numbers, `true`/`false` become booleans, empty cells are left out, and dates
//! in XLSX cells become ISO 8601 date-times. The records then go through the same
//! validation as the write API.

use std::path::Path;

use serde_json::{Map, Number, Value};

/// A file's records, in row order.
pub fn read_file(path: &Path) -> Result<Vec<Value>, String> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match extension.as_str() {
        "csv" => {
            let bytes = std::fs::read(path)
                .map_err(|e| format!("could not read {}: {e}", path.display()))?;
            csv_records(&bytes)
        }
        "xlsx" => xlsx_records(path),
        _ => Err(format!(
            "{} is neither a .csv nor an .xlsx file",
            path.display()
        )),
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

/// Records from CSV text.
pub fn csv_records(bytes: &[u8]) -> Result<Vec<Value>, String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err("the file is empty".into());
    }
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(bytes);
    let names = header(
        reader
            .headers()
            .map_err(|e| format!("the header row could not be read: {e}"))?
            .iter()
            .map(str::to_string)
            .collect(),
    )?;
    let mut records = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let row = row.map_err(|e| format!("row {}: {e}", i + 2))?;
        let mut record = Map::new();
        for (name, text) in names.iter().zip(row.iter()) {
            if let (false, Some(value)) = (name.is_empty(), cell(text)) {
                record.insert(name.clone(), value);
            }
        }
        records.push(Value::Object(record));
    }
    Ok(records)
}

/// Records from the first sheet of an XLSX workbook.
pub fn xlsx_records(path: &Path) -> Result<Vec<Value>, String> {
    use calamine::{open_workbook, Data, Reader, Xlsx};
    let mut workbook: Xlsx<_> = open_workbook(path)
        .map_err(|e| format!("{} is not a readable XLSX workbook: {e}", path.display()))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or("the workbook has no sheets")?
        .map_err(|e| format!("the first sheet could not be read: {e}"))?;
    let mut rows = range.rows();
    let Some(first) = rows.next() else {
        return Err("the first sheet is empty".into());
    };
    let names = header(first.iter().map(|c| c.to_string()).collect())?;
    let mut records = Vec::new();
    for row in rows {
        let mut record = Map::new();
        for (name, data) in names.iter().zip(row) {
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
            records.push(Value::Object(record));
        }
    }
    Ok(records)
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
        let records = csv_records(text.as_bytes()).unwrap();
        assert_eq!(
            records,
            vec![
                json!({"_timestamp": "2013-03-11T00:00:00Z", "channel": "digital", "count": 12, "rate": 0.5, "flag": true}),
                json!({"_timestamp": "2013-03-12T00:00:00Z", "channel": "phone", "count": 7, "rate": 1000.0, "flag": false, "note": "a, b"}),
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
            read_file(&path).unwrap(),
            vec![
                json!({"_timestamp": "2013-03-11T00:00:00Z", "channel": "digital", "count": 12, "rate": 0.25}),
                json!({"_timestamp": "2013-03-12T00:00:00Z", "channel": "0123"}),
            ]
        );
        std::fs::write(dir.path().join("broken.xlsx"), b"not a zip").unwrap();
        assert!(read_file(&dir.path().join("broken.xlsx"))
            .unwrap_err()
            .contains("is not a readable XLSX workbook"));
        assert!(read_file(Path::new("notes.txt"))
            .unwrap_err()
            .contains("neither a .csv nor an .xlsx"));
    }
}
