//! Tables kept on disk between runs, so that the first read of a large data
//! set after a restart reads one file instead of every record in the
//! database.
//!
//! A snapshot holds one data set's table exactly as it was at one version of
//! its records (see `store::data_sets::bump_version`: every change moves the
//! version on, and a new data set starts from the time it was made). A read
//! uses a snapshot at the version in the data set's row as it is; one at an
//! older version (changes made since through another instance, or just
//! before a crash) is brought up to date with only the records changed since
//! (`store::records::changes_since`); one at a newer version (a database put
//! back from a backup, say) is never used. Files are written under a temporary name and
//! renamed, so no reader meets half a file; a file that is not exactly as
//! expected (another format, cut short, a string out of range) is not used.
//!
//! The format, little-endian: `PULSETBL`, the format number, the data set's
//! id and version, the row count; the interned strings; each row's id,
//! timestamp, time of update and month; each column's name and cells (a tag
//! byte, then 0, 1, 4 or 8 bytes); then the row count again.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use super::chunked::Chunked;
use super::table::{Cell, Table};

const MAGIC: &[u8; 8] = b"PULSETBL";
/// Moves on whenever the format or what a table holds changes. (2: tables
/// kept before records carried the version of their change, which cannot be
/// brought up to date, are not used.)
const FORMAT: u32 = 2;
/// Longer strings are refused as damage (records are far smaller).
const LONGEST: usize = 64 << 20;

/// Where snapshots are kept, and from what size a table is worth one.
#[derive(Debug)]
pub struct Snapshots {
    dir: PathBuf,
    /// Tables with fewer rows load from the database about as fast.
    pub min_rows: usize,
}

impl Snapshots {
    /// Keeps snapshots in `dir` (made if missing).
    pub fn new(dir: &Path, min_rows: usize) -> io::Result<Snapshots> {
        std::fs::create_dir_all(dir)?;
        Ok(Snapshots {
            dir: dir.to_path_buf(),
            min_rows,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, data_set_id: i64) -> PathBuf {
        self.dir.join(format!("{data_set_id}.table"))
    }

    /// The data set's table kept on disk, if a whole snapshot of it is kept
    /// at `version` or before: the table and the version it holds.
    pub fn load(&self, data_set_id: i64, version: i64) -> Option<(Table, i64)> {
        let file = match File::open(self.path(data_set_id)) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return None,
            Err(e) => {
                tracing::warn!("could not open the snapshot of data set {data_set_id}: {e}");
                return None;
            }
        };
        let mut input = Input(BufReader::with_capacity(1 << 20, file));
        match read(&mut input, data_set_id, version) {
            Ok(table) => table,
            Err(e) => {
                tracing::warn!(
                    "the snapshot of data set {data_set_id} is damaged ({e}); \
                     its records are read from the database"
                );
                None
            }
        }
    }

    /// Keeps `table`, the data set's records at `version`, in place of any
    /// earlier snapshot.
    pub fn save(&self, data_set_id: i64, version: i64, table: &Table) -> io::Result<()> {
        let path = self.path(data_set_id);
        let temporary = self.dir.join(format!(
            ".{data_set_id}.{version}.{}.partial",
            std::process::id()
        ));
        let written = File::create(&temporary).and_then(|file| {
            let mut out = Output(BufWriter::with_capacity(1 << 20, file));
            write(&mut out, data_set_id, version, table)?;
            let file = out.0.into_inner().map_err(|e| e.into_error())?;
            file.sync_data()
        });
        match written.and_then(|()| std::fs::rename(&temporary, &path)) {
            Ok(()) => Ok(()),
            Err(e) => {
                let _ = std::fs::remove_file(&temporary);
                Err(e)
            }
        }
    }

    /// Forgets the data set's snapshot (the data set is gone).
    pub fn remove(&self, data_set_id: i64) {
        match std::fs::remove_file(self.path(data_set_id)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!("could not remove the snapshot of data set {data_set_id}: {e}")
            }
        }
    }
}

struct Output(BufWriter<File>);

impl Output {
    fn bytes(&mut self, b: &[u8]) -> io::Result<()> {
        self.0.write_all(b)
    }
    fn u32(&mut self, n: u32) -> io::Result<()> {
        self.bytes(&n.to_le_bytes())
    }
    fn u64(&mut self, n: u64) -> io::Result<()> {
        self.bytes(&n.to_le_bytes())
    }
    fn i64(&mut self, n: i64) -> io::Result<()> {
        self.bytes(&n.to_le_bytes())
    }
    fn str(&mut self, s: &str) -> io::Result<()> {
        self.u32(s.len() as u32)?;
        self.bytes(s.as_bytes())
    }
    fn cell(&mut self, cell: Cell) -> io::Result<()> {
        match cell {
            Cell::Missing => self.bytes(&[0]),
            Cell::Null => self.bytes(&[1]),
            Cell::Bool(false) => self.bytes(&[2]),
            Cell::Bool(true) => self.bytes(&[3]),
            Cell::Int(i) => {
                self.bytes(&[4])?;
                self.i64(i)
            }
            Cell::Num(f) => {
                self.bytes(&[5])?;
                self.u64(f.to_bits())
            }
            Cell::Str(s) => {
                self.bytes(&[6])?;
                self.u32(s)
            }
        }
    }
}

fn write(out: &mut Output, data_set_id: i64, version: i64, table: &Table) -> io::Result<()> {
    out.bytes(MAGIC)?;
    out.u32(FORMAT)?;
    out.i64(data_set_id)?;
    out.i64(version)?;
    out.u64(table.len() as u64)?;
    out.u64(table.strings.len() as u64)?;
    for s in table.strings.iter() {
        out.str(s)?;
    }
    for id in table.ids.iter() {
        out.str(id)?;
    }
    for &t in table.ts.iter() {
        out.i64(t)?;
    }
    for &t in table.updated_at.iter() {
        out.i64(t)?;
    }
    for &m in table.months.iter() {
        out.u32(m as u32)?;
    }
    out.u32(table.columns.len() as u32)?;
    for (name, column) in table.column_names.iter().zip(&table.columns) {
        out.str(name)?;
        for &cell in column.iter() {
            out.cell(cell)?;
        }
    }
    out.u64(table.len() as u64)
}

struct Input(BufReader<File>);

fn damaged(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

impl Input {
    fn array<const N: usize>(&mut self) -> io::Result<[u8; N]> {
        let mut b = [0; N];
        self.0.read_exact(&mut b)?;
        Ok(b)
    }
    fn u8(&mut self) -> io::Result<u8> {
        Ok(self.array::<1>()?[0])
    }
    fn u32(&mut self) -> io::Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn u64(&mut self) -> io::Result<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    fn i64(&mut self) -> io::Result<i64> {
        Ok(i64::from_le_bytes(self.array()?))
    }
    fn string(&mut self) -> io::Result<String> {
        let len = self.u32()? as usize;
        if len > LONGEST {
            return Err(damaged("a string longer than any record holds"));
        }
        let mut b = vec![0; len];
        self.0.read_exact(&mut b)?;
        String::from_utf8(b).map_err(|_| damaged("a string that is not UTF-8"))
    }
    fn cell(&mut self, strings: u32) -> io::Result<Cell> {
        Ok(match self.u8()? {
            0 => Cell::Missing,
            1 => Cell::Null,
            2 => Cell::Bool(false),
            3 => Cell::Bool(true),
            4 => Cell::Int(self.i64()?),
            5 => Cell::Num(f64::from_bits(self.u64()?)),
            6 => match self.u32()? {
                s if s < strings => Cell::Str(s),
                _ => return Err(damaged("a string index out of range")),
            },
            _ => return Err(damaged("a cell of no known kind")),
        })
    }
}

/// The table in `input` and its version: `None` if it holds another data set
/// or a version after `version`.
fn read(input: &mut Input, data_set_id: i64, version: i64) -> io::Result<Option<(Table, i64)>> {
    if &input.array::<8>()? != MAGIC || input.u32()? != FORMAT {
        // Another format (an older Pulse's, say): loaded again and replaced.
        return Ok(None);
    }
    if input.i64()? != data_set_id {
        return Ok(None);
    }
    let kept = input.i64()?;
    if kept > version {
        return Ok(None);
    }
    let rows = input.u64()?;
    if rows > u32::MAX as u64 {
        return Err(damaged("more rows than a table holds"));
    }
    let rows = rows as usize;
    let string_count = input.u64()?;
    if string_count > u32::MAX as u64 {
        return Err(damaged("more strings than a table holds"));
    }
    let mut strings = Chunked::default();
    for _ in 0..string_count {
        strings.push(input.string()?);
    }
    let mut ids = Chunked::default();
    for _ in 0..rows {
        ids.push(input.string()?);
    }
    let mut ts = Chunked::default();
    for _ in 0..rows {
        ts.push(input.i64()?);
    }
    let mut updated_at = Chunked::default();
    for _ in 0..rows {
        updated_at.push(input.i64()?);
    }
    let mut months = Chunked::default();
    for _ in 0..rows {
        months.push(input.u32()? as i32);
    }
    let column_count = input.u32()?;
    let mut columns = Vec::new();
    let mut names = Vec::new();
    for _ in 0..column_count {
        names.push(input.string()?);
        let mut column = Chunked::default();
        for _ in 0..rows {
            column.push(input.cell(string_count as u32)?);
        }
        columns.push(column);
    }
    if input.u64()? as usize != rows {
        return Err(damaged("the end does not match the start"));
    }
    Table::from_parts(ids, ts, updated_at, months, columns, names, strings)
        .map(|table| Some((table, kept)))
        .ok_or_else(|| damaged("a column or string twice"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::records::StoredRecord;
    use chrono::{TimeZone, Utc};
    use serde_json::json;

    fn record(n: i64, fields: serde_json::Value) -> StoredRecord {
        StoredRecord {
            id: format!("r{n}"),
            timestamp: Utc.timestamp_opt(1_700_000_000 + n * 86_400, 0).unwrap(),
            updated_at: Utc.timestamp_opt(1_800_000_000 + n, 0).unwrap(),
            fields: fields.as_object().unwrap().clone(),
        }
    }

    /// Every row of a table, as JSON, with its id and times.
    fn dump(table: &Table) -> Vec<String> {
        (0..table.len())
            .map(|row| {
                let cells: Vec<String> = table
                    .column_names
                    .iter()
                    .map(|name| {
                        let cell = table.column(name).unwrap()[row];
                        format!("{name}={cell:?}:{}", table.value(cell))
                    })
                    .collect();
                format!(
                    "{} {} {} {} {}",
                    table.ids[row],
                    table.ts[row],
                    table.updated_at[row],
                    table.months[row],
                    cells.join(",")
                )
            })
            .collect()
    }

    fn sample() -> Table {
        let mut records = vec![
            record(
                1,
                json!({"channel": "online", "count": 3, "rate": 0.25, "ok": true}),
            ),
            record(2, json!({"channel": "phone", "count": null, "ok": false})),
            record(3, json!({"channel": "online", "note": "ünïcode ✓"})),
        ];
        // Across several chunks.
        for n in 4..40_000 {
            records.push(record(n, json!({"channel": "paper", "count": n})));
        }
        Table::from_records(&records)
    }

    #[test]
    fn a_saved_table_loads_exactly_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let snapshots = Snapshots::new(dir.path(), 0).unwrap();
        let table = sample();
        snapshots.save(7, 42, &table).unwrap();
        let (loaded, _) = snapshots.load(7, 42).expect("the snapshot");
        assert_eq!(dump(&loaded), dump(&table));
        assert_eq!(loaded.column_names, table.column_names);
        // Strings are found by their text, as in the table saved.
        assert_eq!(loaded.string_id("phone"), table.string_id("phone"));
        assert!(loaded.string_id("phone").is_some());
        // No temporary file is left behind.
        let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(files.len(), 1);
    }

    #[test]
    fn a_newer_version_or_another_data_set_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let snapshots = Snapshots::new(dir.path(), 0).unwrap();
        snapshots.save(7, 42, &sample()).unwrap();
        // An older one is, with its version (to be brought up to date).
        let (table, kept) = snapshots.load(7, 43).expect("an older snapshot");
        assert_eq!((dump(&table), kept), (dump(&sample()), 42));
        assert!(snapshots.load(7, 41).is_none());
        assert!(snapshots.load(8, 42).is_none());
        snapshots.remove(7);
        assert!(snapshots.load(7, 42).is_none());
    }

    #[test]
    fn a_damaged_file_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let snapshots = Snapshots::new(dir.path(), 0).unwrap();
        snapshots.save(7, 42, &sample()).unwrap();
        let path = dir.path().join("7.table");
        let whole = std::fs::read(&path).unwrap();
        // Cut short anywhere.
        for cut in [10, 40, whole.len() / 2, whole.len() - 1] {
            std::fs::write(&path, &whole[..cut]).unwrap();
            assert!(snapshots.load(7, 42).is_none(), "cut at {cut}");
        }
        // A cell of no known kind: the last cell (before the closing row
        // count) is the last row's `note`, missing, so one tag byte.
        let mut bad = whole.clone();
        let last = bad.len() - 9;
        bad[last] = 99;
        std::fs::write(&path, &bad).unwrap();
        assert!(snapshots.load(7, 42).is_none());
        // Whole again, it is used.
        std::fs::write(&path, &whole).unwrap();
        assert!(snapshots.load(7, 42).is_some());
    }
}
