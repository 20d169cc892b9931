//! A data set held in memory by column, for fast reads.
//!
//! Values are cells of a few fixed kinds; strings are interned, so comparing and
//! grouping them compares numbers. Each row also keeps its month index (for
//! month, quarter and year periods) so that bucketing never touches a calendar.
//! Columns are [`Chunked`]: a new version of a table (records added, replaced
//! or removed) shares every chunk it did not change with the version readers
//! may still hold.

use std::sync::Arc;

use chrono::{DateTime, Datelike, Utc};
use rustc_hash::FxHashMap;
use serde_json::{Map, Number, Value};

use super::chunked::Chunked;
use crate::store::records::StoredRecord;

/// One field's cells, by row.
pub type Column = Chunked<Cell>;

/// One value of one field of one record.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cell {
    /// The record has no such field.
    Missing,
    Null,
    Bool(bool),
    Int(i64),
    Num(f64),
    /// An interned string: an index into [`Table::strings`].
    Str(u32),
}

/// A hashable, ordered stand-in for a present cell, used as a group key.
/// Orders as null < booleans < numbers < strings (strings by their text, which
/// the executor sorts separately).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    Null,
    Bool(bool),
    Int(i64),
    /// A float's bits; integral floats are keyed as `Int` so 3 and 3.0 group.
    Num(u64),
    Str(u32),
}

impl Cell {
    pub fn key(self) -> Option<Key> {
        Some(match self {
            Cell::Missing => return None,
            Cell::Null => Key::Null,
            Cell::Bool(b) => Key::Bool(b),
            Cell::Int(i) => Key::Int(i),
            Cell::Num(f) if f.fract() == 0.0 && f.abs() < 9e15 => Key::Int(f as i64),
            Cell::Num(f) => Key::Num(f.to_bits()),
            Cell::Str(s) => Key::Str(s),
        })
    }

    pub fn number(self) -> Option<f64> {
        match self {
            Cell::Int(i) => Some(i as f64),
            Cell::Num(f) => Some(f),
            _ => None,
        }
    }
}

/// A data set's records, by column.
#[derive(Clone, Debug, Default)]
pub struct Table {
    pub ids: Chunked<String>,
    /// `_timestamp`, microseconds since the epoch.
    pub ts: Chunked<i64>,
    pub updated_at: Chunked<i64>,
    /// `year * 12 + month0` of `_timestamp`.
    pub months: Chunked<i32>,
    pub columns: Vec<Column>,
    pub column_names: Vec<String>,
    column_index: FxHashMap<String, usize>,
    pub strings: Chunked<String>,
    /// Shared between versions until a new string comes.
    string_index: Arc<FxHashMap<String, u32>>,
}

impl Table {
    pub fn len(&self) -> usize {
        self.ts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    /// The column of `field`, if any record has it.
    pub fn column(&self, field: &str) -> Option<&Column> {
        self.column_index.get(field).map(|&i| &self.columns[i])
    }

    /// The interned id of `s`, if any record holds that string.
    pub fn string_id(&self, s: &str) -> Option<u32> {
        self.string_index.get(s).copied()
    }

    fn intern(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.string_index.get(s) {
            return id;
        }
        let id = self.strings.len() as u32;
        self.strings.push(s.to_string());
        Arc::make_mut(&mut self.string_index).insert(s.to_string(), id);
        id
    }

    fn column_mut(&mut self, field: &str) -> usize {
        if let Some(&i) = self.column_index.get(field) {
            return i;
        }
        let i = self.columns.len();
        self.columns
            .push(Chunked::filled(Cell::Missing, self.ts.len()));
        self.column_names.push(field.to_string());
        self.column_index.insert(field.to_string(), i);
        i
    }

    /// A field's value as a cell (interning a string).
    fn cell(&mut self, value: &Value) -> Cell {
        match value {
            Value::Null => Cell::Null,
            Value::Bool(b) => Cell::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => Cell::Int(i),
                None => Cell::Num(n.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(s) => Cell::Str(self.intern(s)),
            // Records never hold objects or arrays (validation refuses them).
            Value::Array(_) | Value::Object(_) => Cell::Null,
        }
    }

    /// Appends one record.
    pub fn push(&mut self, record: &StoredRecord) {
        self.ids.push(record.id.clone());
        self.ts.push(record.timestamp.timestamp_micros());
        self.updated_at.push(record.updated_at.timestamp_micros());
        self.months.push(month_index(record.timestamp));
        for column in &mut self.columns {
            column.push(Cell::Missing);
        }
        let row = self.len() - 1;
        self.write_fields(row, &record.fields);
    }

    /// Puts `record` in row `row` (which must exist) in place of what was
    /// there: the same id, its time and fields.
    pub fn replace(&mut self, row: usize, record: &StoredRecord) {
        let ts = record.timestamp.timestamp_micros();
        if self.ts[row] != ts {
            self.ts.set(row, ts);
            self.months.set(row, month_index(record.timestamp));
        }
        self.updated_at
            .set(row, record.updated_at.timestamp_micros());
        // Fields the record no longer has go; only cells that change are
        // written (so only their chunks are copied).
        for (c, name) in self.column_names.iter().enumerate() {
            if !record.fields.contains_key(name) && self.columns[c][row] != Cell::Missing {
                self.columns[c].set(row, Cell::Missing);
            }
        }
        self.write_fields(row, &record.fields);
    }

    fn write_fields(&mut self, row: usize, fields: &Map<String, Value>) {
        for (field, value) in fields {
            let cell = self.cell(value);
            let c = self.column_mut(field);
            // (NaN is never equal, so it is always written)
            if self.columns[c][row] != cell {
                self.columns[c].set(row, cell);
            }
        }
    }

    /// Removes row `row` (which must exist): the last row moves into its
    /// place.
    pub fn swap_remove(&mut self, row: usize) {
        self.ids.swap_remove(row);
        self.ts.swap_remove(row);
        self.updated_at.swap_remove(row);
        self.months.swap_remove(row);
        for column in &mut self.columns {
            column.swap_remove(row);
        }
    }

    /// Gives back the room that growing the columns left spare.
    pub fn shrink_to_fit(&mut self) {
        self.ids.shrink_to_fit();
        self.ts.shrink_to_fit();
        self.updated_at.shrink_to_fit();
        self.months.shrink_to_fit();
        for column in &mut self.columns {
            column.shrink_to_fit();
        }
    }

    /// A table from its columns (read back from a snapshot); `None` if a
    /// column or a string comes twice, or the columns' lengths differ.
    pub fn from_parts(
        ids: Chunked<String>,
        ts: Chunked<i64>,
        updated_at: Chunked<i64>,
        months: Chunked<i32>,
        columns: Vec<Column>,
        column_names: Vec<String>,
        strings: Chunked<String>,
    ) -> Option<Table> {
        let rows = ts.len();
        if [ids.len(), updated_at.len(), months.len()]
            .into_iter()
            .chain(columns.iter().map(|c| c.len()))
            .any(|len| len != rows)
            || columns.len() != column_names.len()
        {
            return None;
        }
        let mut column_index = FxHashMap::default();
        for (i, name) in column_names.iter().enumerate() {
            if column_index.insert(name.clone(), i).is_some() {
                return None;
            }
        }
        let mut string_index = FxHashMap::default();
        string_index.reserve(strings.len());
        for (i, s) in strings.iter().enumerate() {
            if string_index.insert(s.clone(), i as u32).is_some() {
                return None;
            }
        }
        Some(Table {
            ids,
            ts,
            updated_at,
            months,
            columns,
            column_names,
            column_index,
            strings,
            string_index: Arc::new(string_index),
        })
    }

    /// Builds a table from records.
    pub fn from_records(records: &[StoredRecord]) -> Table {
        let mut table = Table::default();
        for r in records {
            table.push(r);
        }
        table
    }

    /// A cell as JSON.
    pub fn value(&self, cell: Cell) -> Value {
        match cell {
            Cell::Missing | Cell::Null => Value::Null,
            Cell::Bool(b) => Value::Bool(b),
            Cell::Int(i) => Value::Number(i.into()),
            Cell::Num(f) => Number::from_f64(f)
                .map(Value::Number)
                .unwrap_or(Value::Null),
            Cell::Str(s) => Value::String(self.strings[s as usize].clone()),
        }
    }

    /// A group key as JSON.
    pub fn key_value(&self, key: Key) -> Value {
        match key {
            Key::Null => Value::Null,
            Key::Bool(b) => Value::Bool(b),
            Key::Int(i) => Value::Number(i.into()),
            Key::Num(bits) => Number::from_f64(f64::from_bits(bits))
                .map(Value::Number)
                .unwrap_or(Value::Null),
            Key::Str(s) => Value::String(self.strings[s as usize].clone()),
        }
    }
}

/// `year * 12 + month0` of a time.
pub fn month_index(t: DateTime<Utc>) -> i32 {
    t.year() * 12 + t.month0() as i32
}
