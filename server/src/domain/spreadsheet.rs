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

/// How much of a file is read before it is refused. Every cell is kept as a
/// record's field until the file is stored, and an XLSX file is a zip of XML
/// that unpacks to ten times its size or so, or, made to, to thousands of times.
#[derive(Clone, Copy, Debug)]
pub struct Bounds {
    /// The most cells with something in them.
    pub cells: usize,
    /// The most records (rows with something in them).
    pub records: usize,
    /// The most a workbook's parts may unpack to, together.
    pub unpacked_bytes: u64,
    /// The most columns naming fields other than `_timestamp` and `_id`
    /// (checked before any row is read).
    pub columns: usize,
    /// The most text the records may hold, counting each field's name once
    /// per record that has it (it is copied into each): a name or a cell of
    /// megabytes, copied into every row, would otherwise take gigabytes.
    pub text_bytes: usize,
}

impl Bounds {
    /// An upload's (at most 10 MB): a million cells, a sheet of 100,000 rows
    /// of ten fields, say (a CSV file of 10 MB of figures holds fewer); half a
    /// million records, hourly figures for 57 years (each costs a kilobyte or
    /// so while it is checked, whatever it holds); and a workbook whose parts
    /// unpack to 200 MB (one of 10 MB of figures unpacks to less).
    /// Fields as a data set may have them (and `_timestamp` and `_id`); and
    /// 64 MB of text (a file of 10 MB of figures, its names copied into
    /// every row, holds about 30).
    pub const UPLOAD: Bounds = Bounds {
        cells: 1_000_000,
        records: 500_000,
        unpacked_bytes: 200_000_000,
        columns: super::records::MAX_FIELDS,
        text_bytes: 64_000_000,
    };
    /// A file on the operator's own machine (`pulse import`): all of it.
    pub const NONE: Bounds = Bounds {
        cells: usize::MAX,
        records: usize::MAX,
        unpacked_bytes: u64::MAX,
        columns: usize::MAX,
        text_bytes: usize::MAX,
    };

    /// Refuses a file of more cells, or records, than the bounds.
    fn check(self, cells: usize, records: usize) -> Result<(), String> {
        let (what, bound) = if cells > self.cells {
            ("cells with something in them", self.cells)
        } else if records > self.records {
            ("records", self.records)
        } else {
            return Ok(());
        };
        Err(format!(
            "it has more than {} {what}; split it into smaller files",
            app::kpi::format_count(bound as f64)
        ))
    }

    /// Refuses records holding more text than the bounds (see
    /// [`Bounds::text_bytes`]), checked as each cell is kept.
    fn check_text(self, held: usize) -> Result<(), String> {
        if held <= self.text_bytes {
            return Ok(());
        }
        Err(format!(
            "its records would hold more than {} MB of text (each field's name counts once in \
             each row): a field's name or a cell is far longer than figures need. Shorten them, \
             or split the file",
            self.text_bytes / 1_000_000
        ))
    }

    /// Refuses a header naming more columns than the bounds, before any row
    /// is read.
    fn check_columns(self, columns: &[String]) -> Result<(), String> {
        let fields = columns
            .iter()
            .filter(|c| !c.is_empty() && c.as_str() != "_id" && c.as_str() != "_timestamp")
            .count();
        if fields <= self.columns {
            return Ok(());
        }
        Err(format!(
            "it has {} columns of fields; a data set's records may have at most {} fields \
             between them (and _timestamp and _id). Send figures of many kinds as a row per \
             kind, with a column naming the kind",
            app::kpi::format_count(fields as f64),
            self.columns
        ))
    }
}

/// The longest text one cell may hold (1 MB): far more than any figure or
/// label, and checked before the cell is copied.
const LONGEST_CELL: usize = 1_000_000;

/// Refuses a cell (or a header's name) longer than [`LONGEST_CELL`].
fn check_cell(row: u64, text: &str) -> Result<(), String> {
    if text.len() <= LONGEST_CELL {
        return Ok(());
    }
    Err(format!(
        "row {row}: a cell holds {} of text, more than the {} MB a cell may have",
        size(text.len()),
        LONGEST_CELL / 1_000_000
    ))
}

/// Bytes in words: "1.5 MB".
fn size(bytes: usize) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}

/// Columns in a sheet (A to XFD).
const EXCEL_COLUMNS: u32 = 16_384;
/// Rows in a sheet.
const EXCEL_ROWS: u32 = 1_048_576;
/// The day number of 31 December 9999, the last date a sheet can hold, and one.
const EXCEL_LAST_DAY: f64 = 2_958_466.0;

/// A column's letters as a spreadsheet program shows them (0 is A, 26 AA).
fn column_letters(column: u32) -> String {
    let mut letters = Vec::new();
    let mut n = u64::from(column) + 1;
    while n > 0 {
        letters.push(b'A' + ((n - 1) % 26) as u8);
        n = (n - 1) / 26;
    }
    letters.iter().rev().map(|&b| b as char).collect()
}

/// A number as a message says it: as it is, or in scientific notation when
/// that is shorter ("-1e300", not three hundred digits).
fn short_number(x: f64) -> String {
    let plain = x.to_string();
    let scientific = format!("{x:e}");
    if scientific.len() < plain.len() {
        scientific
    } else {
        plain
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
    read_bytes(format, &bytes, Bounds::NONE).map_err(|e| format!("{name}: {e}"))
}

/// The records of a file's bytes, in the given format.
pub fn read_bytes(format: Format, bytes: &[u8], bounds: Bounds) -> Result<Sheet, String> {
    match format {
        Format::Csv => csv_records(bytes, bounds),
        Format::Xlsx => xlsx_records(bytes, bounds),
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

/// The fields' names from a header row, its empty cells at the end left off
/// (a column without a name is not read).
fn header(mut names: Vec<String>) -> Result<Vec<String>, String> {
    while names.last().is_some_and(|n| n.trim().is_empty()) {
        names.pop();
    }
    if names.is_empty() {
        return Err("the first row must name the fields, but it is empty".into());
    }
    let mut seen = std::collections::HashSet::new();
    for name in &names {
        check_cell(1, name)?;
        if !name.trim().is_empty() && !seen.insert(name.trim()) {
            return Err(format!(
                "the header names {} twice",
                super::json::shown(name.trim())
            ));
        }
    }
    Ok(names.into_iter().map(|n| n.trim().to_string()).collect())
}

/// Records from CSV text (a UTF-8 byte order mark, as Excel writes, is skipped).
pub fn csv_records(bytes: &[u8], bounds: Bounds) -> Result<Sheet, String> {
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
    bounds.check_columns(&columns)?;
    let mut rows = Vec::new();
    let (mut cells, mut held) = (0, 0usize);
    for row in reader.records() {
        let row = row.map_err(|e| match e.position() {
            Some(p) => format!("row {}: {}", p.line(), e),
            None => e.to_string(),
        })?;
        let line = row.position().map(|p| p.line() as usize).unwrap_or(0);
        let mut record = Map::new();
        for (name, text) in columns.iter().zip(row.iter()) {
            check_cell(line as u64, text)?;
            if let (false, Some(value)) = (name.is_empty(), cell(text)) {
                held = held.saturating_add(name.len() + text.len());
                bounds.check_text(held)?;
                record.insert(name.clone(), value);
            }
        }
        cells += record.len();
        bounds.check(cells, rows.len() + usize::from(!record.is_empty()))?;
        // Rows with nothing in them (a trailing line of commas) are not records.
        if !record.is_empty() {
            rows.push((line, Value::Object(with_full_dates(record))));
        }
    }
    Ok(Sheet { columns, rows })
}

/// The lists the workbook reader makes of a workbook's parts before its
/// sheet is read, each element an entry (in its own words), and the most
/// entries a file may bring: a few hundred kilobytes of `<xf/>`, packed,
/// unpack to 40 million cell formats, 7 GB as the reader keeps them. Texts
/// (`si`) are bounded by the cells an upload may have instead.
const LISTED: [(&str, &str, u64); 10] = [
    ("si", "different texts", 0),
    ("xf", "cell formats", 65_536),
    ("font", "fonts", 65_536),
    ("fill", "fills", 65_536),
    ("border", "borders", 65_536),
    ("numFmt", "number formats", 65_536),
    ("dxf", "conditional formats", 65_536),
    ("sheet", "sheets", 65_536),
    ("definedName", "defined names", 65_536),
    ("Relationship", "relationships", 65_536),
];

/// Checks that a workbook's parts unpack to at most the bound, unpacking
/// them to count (what each part says of its size is not trusted), and
/// that the lists the reader makes before its sheet is read are no longer
/// than a workbook of figures has: its texts (as many as it says it holds,
/// and as it holds) at most `cells`, the rest as [`LISTED`] says.
fn unpacks_within(bytes: &[u8], bound: u64, cells: usize) -> Result<(), String> {
    use std::io::Read;
    let unreadable =
        |e: &dyn std::fmt::Display| format!("it is not a readable XLSX workbook ({e})");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    let mut left = bound;
    let mut scan = PartScan::default();
    // Parts not named as XML (pictures, whose bytes may run long) that hold
    // a piece too long for the reader, should it read them as XML.
    let mut long = std::collections::HashSet::new();
    for i in 0..zip.len() {
        let part = zip.by_index(i).map_err(|e| unreadable(&e))?;
        let name = part.name().map(|name| zip_key(&name)).unwrap_or_default();
        let xml = name.ends_with(".xml") || name.ends_with(".rels");
        scan.pieces.state = Piece::Text;
        scan.pieces.length = 0;
        scan.pieces.longest = 0;
        let unpacked = std::io::copy(&mut part.take(left.saturating_add(1)), &mut scan)
            .map_err(|e| unreadable(&e))?;
        if !xml && scan.pieces.longest > LONGEST_PIECE {
            long.insert(name);
            scan.pieces.longest = 0;
        }
        // The number of different texts a workbook says it holds is what the
        // reader makes room for before reading them: a file of a kilobyte
        // saying 10,000,000,000,000 would have it ask for 240 TB (and the
        // server stop).
        if scan.unique.largest > cells as u64 {
            return Err(format!(
                "it says it holds {} different texts, more than the {} cells an upload may \
                 have: save it again from your spreadsheet program, or as CSV",
                app::kpi::format_count(scan.unique.largest as f64),
                app::kpi::format_count(cells as f64)
            ));
        }
        if scan.pieces.longest > LONGEST_PIECE {
            return Err(format!(
                "a piece of its XML (a text, a tag or a comment) is longer than {} MB, far more \
                 than a cell may hold ({} MB): save it again from your spreadsheet program, or \
                 as CSV",
                LONGEST_PIECE / 1_000_000,
                LONGEST_CELL / 1_000_000
            ));
        }
        for ((_, words, most), &held) in LISTED.iter().zip(&scan.tags.counts) {
            let most = if *most == 0 { cells as u64 } else { *most };
            if held > most {
                return Err(format!(
                    "it holds more than {} {words}, more than a workbook of figures has: save it \
                     again from your spreadsheet program, or as CSV",
                    app::kpi::format_count(most as f64)
                ));
            }
        }
        left = left.checked_sub(unpacked).ok_or_else(|| {
            format!(
                "it unpacks to more than {} MB, more than a workbook of figures holds (a workbook is compressed: \
                 this one is mostly empty space or repeated cells). Save it again from your spreadsheet program, \
                 or as CSV",
                bound / 1_000_000
            )
        })?;
    }
    if !long.is_empty() {
        if let Some(part) = read_as_xml(&mut zip, &long).map_err(|e| unreadable(&e))? {
            return Err(format!(
                "its workbook is read from a part named {part}, which holds a piece longer than \
                 {} MB: save it again from your spreadsheet program, or as CSV",
                LONGEST_PIECE / 1_000_000
            ));
        }
    }
    Ok(())
}

/// A part's name as the workbook reader looks it up: `\` as `/`, in
/// lower case.
fn zip_key(name: &str) -> String {
    name.replace('\\', "/").to_ascii_lowercase()
}

/// Which of the `long` parts (by [`zip_key`]) the workbook reader would read
/// as XML though they are not named so: the workbook the package's
/// relationships name (any of them, whatever their type) and the parts its
/// own relationships name (sheets), found as the reader finds them. Parts
/// named `.xml` or `.rels` are bounded as they are unpacked.
fn read_as_xml(
    zip: &mut zip::ZipArchive<std::io::Cursor<&[u8]>>,
    long: &std::collections::HashSet<String>,
) -> Result<Option<String>, String> {
    let names: std::collections::HashMap<String, String> = zip
        .file_names()
        .filter_map(Result::ok)
        .map(|name| (zip_key(&name), name.to_string()))
        .collect();
    // Each of the package's relationships' targets as a workbook: its
    // folder, and the name of its own relationships' part.
    let mut workbooks = Vec::new();
    let mut found = None;
    targets(zip, &names, "_rels/.rels", |target| {
        let (folder, name) = target.split_at(target.rfind('/').map_or(0, |i| i + 1));
        let folder = folder.strip_prefix('/').unwrap_or(folder).to_string();
        let name = if name.is_empty() {
            "workbook.xml"
        } else {
            name
        };
        let workbook = zip_key(&format!("{folder}{name}"));
        if long.contains(&workbook) {
            found.get_or_insert(workbook);
        }
        let rels = format!("{folder}_rels/{name}.rels");
        if names.contains_key(&zip_key(&rels)) && workbooks.len() < names.len() {
            workbooks.push((folder, rels));
        }
    })?;
    workbooks.sort();
    workbooks.dedup();
    for (folder, rels) in workbooks {
        if found.is_some() {
            break;
        }
        targets(zip, &names, &rels, |target| {
            let path = match target.strip_prefix('/') {
                Some(path) => zip_key(path),
                None => zip_key(&format!("{folder}{target}")),
            };
            if long.contains(&path) {
                found.get_or_insert(path);
            }
        })?;
    }
    Ok(found.map(|key| names.get(&key).cloned().unwrap_or(key)))
}

/// Calls `each` with the `Target` of every `Relationship` in the part named
/// `name` (by [`zip_key`]), read as the workbook reader reads it (an XML
/// reader, streaming), as written and with its references read (the reader
/// reads the package's so, a workbook's as written).
fn targets(
    zip: &mut zip::ZipArchive<std::io::Cursor<&[u8]>>,
    names: &std::collections::HashMap<String, String>,
    name: &str,
    mut each: impl FnMut(&str),
) -> Result<(), String> {
    use quick_xml::events::Event;
    let Some(name) = names.get(&zip_key(name)) else {
        return Ok(());
    };
    let part = zip.by_name(name).map_err(|e| e.to_string())?;
    let mut xml = quick_xml::Reader::from_reader(std::io::BufReader::new(part));
    let config = xml.config_mut();
    config.check_end_names = false;
    config.check_comments = false;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf).map_err(|e| e.to_string())? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "Relationship" => {
                for attribute in e.attributes().with_checks(false) {
                    let attribute = attribute.map_err(|e| e.to_string())?;
                    if attribute.key.as_ref() != "Target" {
                        continue;
                    }
                    let raw = &attribute.value;
                    each(raw);
                    if let Ok(read) = quick_xml::escape::unescape(raw) {
                        if read != *raw {
                            each(&read);
                        }
                    }
                }
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

/// What [`unpacks_within`] reads of a workbook's parts as they stream by:
/// the texts they say they hold, and how many of each [`LISTED`] element.
#[derive(Default)]
struct PartScan {
    unique: UniqueCounts,
    tags: Tags,
    pieces: Pieces,
}

impl std::io::Write for PartScan {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for &b in buf {
            self.unique.feed(b);
            self.tags.feed(b);
            self.pieces.feed(b);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The longest piece of XML a workbook may hold: a text, a tag with its
/// attributes, a comment, a CDATA section. The reader holds a piece whole
/// while it reads it (a text of 150 MB took the server's memory from 62 MB
/// to 534 MB), and no cell may hold more than [`LONGEST_CELL`] anyway.
const LONGEST_PIECE: u64 = 4_000_000;

/// The longest piece of the XML written through it (see [`LONGEST_PIECE`]),
/// as an XML reader divides it: a tag ends at a `>` outside its quoted
/// values, a comment at `-->`, a CDATA section at `]]>`, an instruction at
/// `?>`, a text at the next `<`.
#[derive(Default)]
struct Pieces {
    state: Piece,
    /// The bytes of the piece so far, and of the longest.
    length: u64,
    longest: u64,
    /// The last bytes read (to find where a piece ends), and the first of a
    /// markup piece (to tell a comment or CDATA from a tag).
    last: [u8; 3],
    opening: [u8; 8],
}

#[derive(Clone, Copy, Default, PartialEq)]
enum Piece {
    #[default]
    Text,
    /// Within `<`…, its kind not known yet.
    Markup,
    /// Within a tag, in quotes when `Some` of them.
    Tag(Option<u8>),
    /// Within `<!…` (a document type), so many `[` deep, in quotes when
    /// `Some` of them: it ends at a `>` outside both.
    Bang(u32, Option<u8>),
    /// Until the three bytes that end it (a leading 0 matches any byte),
    /// once it is at least so long (`<!---->` is the shortest comment).
    Until([u8; 3], u64),
}

impl Pieces {
    fn feed(&mut self, b: u8) {
        self.last = [self.last[1], self.last[2], b];
        let at = self.length as usize;
        self.length += 1;
        self.longest = self.longest.max(self.length);
        let begin = |this: &mut Pieces, state: Piece| {
            this.state = state;
            this.length = 1;
            this.opening = [0; 8];
        };
        match self.state {
            Piece::Text if b == b'<' => begin(self, Piece::Markup),
            Piece::Text => {}
            Piece::Markup => {
                if at <= self.opening.len() {
                    self.opening[at - 1] = b;
                }
                let seen = &self.opening[..at.min(8)];
                self.state = if seen == b"?" {
                    Piece::Until(*b"\0?>", 4)
                } else if seen == b"!--" {
                    Piece::Until(*b"-->", 7)
                } else if seen == b"![CDATA[" {
                    Piece::Until(*b"]]>", 12)
                } else if b"![CDATA[".starts_with(seen) || b"!--".starts_with(seen) {
                    Piece::Markup
                } else if seen.first() == Some(&b'!') {
                    Piece::Bang(0, None)
                } else if b == b'>' {
                    Piece::Text
                } else {
                    Piece::Tag(None)
                };
                if self.state == Piece::Text {
                    self.length = 0;
                }
            }
            Piece::Tag(None) if b == b'"' || b == b'\'' => self.state = Piece::Tag(Some(b)),
            Piece::Tag(Some(quote)) if b == quote => self.state = Piece::Tag(None),
            Piece::Tag(None) if b == b'>' => {
                self.state = Piece::Text;
                self.length = 0;
            }
            Piece::Tag(_) => {}
            Piece::Bang(depth, Some(quote)) if b == quote => self.state = Piece::Bang(depth, None),
            Piece::Bang(_, Some(_)) => {}
            Piece::Bang(depth, None) => match b {
                b'"' | b'\'' => self.state = Piece::Bang(depth, Some(b)),
                b'[' => self.state = Piece::Bang(depth.saturating_add(1), None),
                b']' => self.state = Piece::Bang(depth.saturating_sub(1), None),
                b'>' if depth == 0 => {
                    self.state = Piece::Text;
                    self.length = 0;
                }
                _ => {}
            },
            Piece::Until(end, shortest) => {
                let ended = self.length >= shortest
                    && if end[0] == 0 {
                        self.last[1..] == end[1..]
                    } else {
                        self.last == end
                    };
                if ended {
                    self.state = Piece::Text;
                    self.length = 0;
                }
            }
        }
    }
}

/// How many elements of each [`LISTED`] name XML holds (by their names
/// without a prefix, as the reader matches them; `<si/>` counts as `<si>`).
#[derive(Default)]
struct Tags {
    counts: [u64; LISTED.len()],
    /// Within a start tag's name: the bytes of it so far (a name longer
    /// than any listed is left uncounted).
    name: Option<([u8; 16], usize)>,
}

impl Tags {
    fn feed(&mut self, b: u8) {
        self.name = match self.name {
            _ if b == b'<' => Some(([0; 16], 0)),
            None => None,
            Some((mut name, len)) if b.is_ascii_alphanumeric() || b"_:.-".contains(&b) => {
                if len < name.len() {
                    name[len] = b;
                }
                Some((name, len.saturating_add(1)))
            }
            Some((name, len)) => {
                if len <= name.len() {
                    let full = &name[..len];
                    let local = full.rsplit(|&c| c == b':').next().unwrap_or(full);
                    if let Some(i) = LISTED.iter().position(|(tag, ..)| tag.as_bytes() == local) {
                        self.counts[i] += 1;
                    }
                }
                None
            }
        };
    }
}

/// The largest `uniqueCount="…"` in XML written through it, read as it
/// streams by (a workbook's list of texts may unpack to 200 MB).
#[derive(Default)]
struct UniqueCounts {
    state: Seen,
    largest: u64,
}

/// How much of `uniqueCount="123` the text just read holds.
#[derive(Clone, Copy, Default)]
enum Seen {
    /// So many letters of the name.
    #[default]
    Name0,
    Name(usize),
    /// The name, then the `=`, then the quote and so many digits' value
    /// (a `+` may lead them).
    Equals(bool),
    Value(u64, bool),
}

impl UniqueCounts {
    const NAME: &'static [u8] = b"uniqueCount";

    fn feed(&mut self, b: u8) {
        let restart = if b == Self::NAME[0] {
            Seen::Name(1)
        } else {
            Seen::Name0
        };
        self.state = match self.state {
            Seen::Name0 => restart,
            Seen::Name(n) if b == Self::NAME[n] => {
                if n + 1 == Self::NAME.len() {
                    Seen::Equals(false)
                } else {
                    Seen::Name(n + 1)
                }
            }
            Seen::Name(_) => restart,
            Seen::Equals(eq) if b.is_ascii_whitespace() => Seen::Equals(eq),
            Seen::Equals(false) if b == b'=' => Seen::Equals(true),
            Seen::Equals(true) if b == b'"' || b == b'\'' => Seen::Value(0, false),
            Seen::Equals(_) => restart,
            Seen::Value(0, false) if b == b'+' => Seen::Value(0, true),
            Seen::Value(n, _) if b.is_ascii_digit() => Seen::Value(
                n.saturating_mul(10).saturating_add(u64::from(b - b'0')),
                true,
            ),
            Seen::Value(n, _) => {
                self.largest = self.largest.max(n);
                restart
            }
        };
    }
}

impl std::io::Write for UniqueCounts {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for &b in buf {
            self.feed(b);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Records from the first sheet of an XLSX workbook. Only the cells with
/// something in them are kept, so a sheet's far corner costs nothing.
pub fn xlsx_records(bytes: &[u8], bounds: Bounds) -> Result<Sheet, String> {
    use calamine::{Data, DataRef, Reader, Xlsx, XlsxError};
    if bytes.is_empty() {
        return Err("the file is empty".into());
    }
    if bounds.unpacked_bytes < u64::MAX {
        unpacks_within(bytes, bounds.unpacked_bytes, bounds.cells)?;
    }
    let mut workbook = Xlsx::new(std::io::Cursor::new(bytes))
        .map_err(|e| format!("it is not a readable XLSX workbook ({e})"))?;
    let name = workbook
        .sheet_names()
        .first()
        .cloned()
        .ok_or("the workbook has no sheets")?;
    let unreadable = |e: XlsxError| format!("the first sheet could not be read: {e}");
    // (row, column, value), as the sheet holds them.
    let mut cells: Vec<(u32, u32, Data)> = Vec::new();
    let mut held = 0usize;
    match workbook.worksheet_cells_reader(&name) {
        Ok(mut reader) => {
            while let Some(cell) = reader.next_cell().map_err(unreadable)? {
                if matches!(cell.get_value(), DataRef::Empty) {
                    continue;
                }
                bounds.check(cells.len() + 1, 0)?;
                let (row, column) = cell.get_position();
                // Text is looked at before it is copied: one shared string
                // may be the text of every cell.
                let text = match cell.get_value() {
                    DataRef::String(text)
                    | DataRef::DateTimeIso(text)
                    | DataRef::DurationIso(text) => Some(text.as_str()),
                    DataRef::SharedString(text) => Some(*text),
                    _ => None,
                };
                if let Some(text) = text {
                    check_cell(row as u64 + 1, text)?;
                    held = held.saturating_add(text.len());
                    bounds.check_text(held)?;
                }
                // A sheet is at most 16,384 columns (A to XFD) by 1,048,576
                // rows; a cell beyond is in no file a spreadsheet program
                // wrote, and its column would size the header.
                if column >= EXCEL_COLUMNS || row >= EXCEL_ROWS {
                    return Err(format!(
                        "it has a cell, {}{}, beyond the last one a sheet can have (XFD1048576): \
                         save it again from your spreadsheet program and upload that",
                        column_letters(column),
                        row as u64 + 1
                    ));
                }
                cells.push((row, column, cell.get_value().clone().into()));
            }
        }
        // A chart sheet first: nothing to read.
        Err(XlsxError::NotAWorksheet(_)) => {}
        Err(e) => return Err(unreadable(e)),
    }
    cells.sort_by_key(|&(row, column, _)| (row, column));
    let Some(&(header_row, _, _)) = cells.first() else {
        return Err("the first sheet is empty".into());
    };
    // Columns count from the leftmost cell used anywhere, as the sheet shows them.
    let first_column = cells.iter().map(|c| c.1).min().unwrap_or(0);
    let width = cells
        .iter()
        .map(|c| c.1 - first_column + 1)
        .max()
        .unwrap_or(1) as usize;
    let mut names = vec![String::new(); width];
    for (_, column, data) in cells.iter().take_while(|c| c.0 == header_row) {
        names[(column - first_column) as usize] = data.to_string();
    }
    let columns = header(names)?;
    bounds.check_columns(&columns)?;
    let mut rows = Vec::new();
    let mut record = Map::new();
    let mut at = header_row;
    for (row, column, data) in cells.into_iter().skip_while(|c| c.0 == header_row) {
        if row != at {
            // Rows with nothing in them (trailing formatting) are not records.
            if !record.is_empty() {
                bounds.check(0, rows.len() + 1)?;
                rows.push((
                    at as usize + 1,
                    Value::Object(with_full_dates(std::mem::take(&mut record))),
                ));
            }
            at = row;
        }
        let Some(name) = columns.get((column - first_column) as usize) else {
            continue;
        };
        let value = match data {
            Data::Empty => None,
            Data::Int(i) => Some(Value::Number(i.into())),
            Data::Float(f) if f.fract() == 0.0 && f.abs() < 9e15 => {
                Some(Value::Number((f as i64).into()))
            }
            Data::Float(f) if !f.is_finite() => {
                return Err(format!(
                    "row {}: a cell holds {f}, which is no number a sheet can hold",
                    row as u64 + 1
                ));
            }
            Data::Float(f) => Number::from_f64(f).map(Value::Number),
            Data::Bool(b) => Some(Value::Bool(b)),
            Data::String(s) => cell(&s).map(|v| match v {
                // Text in a text cell stays text, even if it looks like a number.
                Value::Number(_) | Value::Bool(_) => Value::String(s.trim().to_string()),
                other => other,
            }),
            // A date is a day number from 1900 (or 1904); one beyond the last
            // a sheet can show (31 December 9999) is refused before it is
            // turned into a date, which would overflow.
            Data::DateTime(d) if !(-EXCEL_LAST_DAY..EXCEL_LAST_DAY).contains(&d.as_f64()) => {
                return Err(format!(
                    "row {}: a date cell holds {}, which is no date a sheet can show",
                    row as u64 + 1,
                    short_number(d.as_f64())
                ));
            }
            Data::DateTime(d) => d.as_datetime().map(|t| {
                Value::String(
                    t.and_utc()
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                )
            }),
            Data::DateTimeIso(s) | Data::DurationIso(s) => Some(Value::String(s)),
            Data::Error(e) => Some(Value::String(format!("#{e:?}"))),
        };
        if let (false, Some(value)) = (name.is_empty(), value) {
            held = held.saturating_add(name.len());
            bounds.check_text(held)?;
            record.insert(name.clone(), value);
        }
    }
    if !record.is_empty() {
        bounds.check(0, rows.len() + 1)?;
        rows.push((at as usize + 1, Value::Object(with_full_dates(record))));
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
        let sheet = csv_records(text.as_bytes(), Bounds::UPLOAD).unwrap();
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
        let sheet = csv_records(text.as_bytes(), Bounds::UPLOAD).unwrap();
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
        assert_eq!(
            csv_records(b"", Bounds::UPLOAD).unwrap_err(),
            "the file is empty"
        );
        assert_eq!(
            csv_records(b"a1,a1\n1,2\n", Bounds::UPLOAD).unwrap_err(),
            "the header names \"a1\" twice"
        );
        let ragged = csv_records(b"a1,b1\n1,2\n3\n", Bounds::UPLOAD).unwrap_err();
        assert!(ragged.starts_with("row 3:"), "{ragged}");
        assert!(csv_records(b"a1,b1\n\xff\xfe,2\n", Bounds::UPLOAD)
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

    #[test]
    fn a_cell_in_a_sheets_far_corner_costs_nothing() {
        // A1 to XFD1048576 is 17 billion cells: a reader that made the sheet
        // whole would ask for hundreds of gigabytes and stop the server.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("far.xlsx");
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(2, 1, "_timestamp").unwrap();
        sheet.write_string(2, 2, "count").unwrap();
        sheet.write_string(4, 1, "2013-03-11").unwrap();
        sheet.write_number(4, 2, 12.0).unwrap();
        sheet.write_number(1_048_575, 16_383, 1.0).unwrap();
        book.save(&path).unwrap();
        let read = read_file(&path).unwrap();
        assert_eq!(read.columns, ["_timestamp", "count"]);
        // Rows keep the sheet's numbers; the far cell has no field's name.
        assert_eq!(
            read.rows,
            vec![(
                5,
                json!({"_timestamp": "2013-03-11T00:00:00Z", "count": 12})
            )]
        );
    }

    /// A workbook written by hand: its one sheet's `rows` (`<row>` elements)
    /// and its cell formats (`<xf>` elements), as no spreadsheet program would.
    fn handmade(rows: &str, formats: &str) -> Vec<u8> {
        handmade_with(rows, formats, None)
    }

    /// [`handmade`], with its list of texts (`xl/sharedStrings.xml`).
    fn handmade_with(rows: &str, formats: &str, shared: Option<String>) -> Vec<u8> {
        let sheet = Named {
            package: "xl/workbook.xml",
            sheet: "worksheets/sheet1.xml",
            part: "xl/worksheets/sheet1.xml",
            before: "",
        };
        handmade_as(sheet, rows, formats, shared, Vec::new())
    }

    /// Where a handmade workbook's parts are: the workbook as the package's
    /// relationships name it, the sheet as the workbook's do, the sheet's
    /// part, and what the workbook's relationships hold before theirs.
    #[derive(Clone, Copy)]
    struct Named<'a> {
        package: &'a str,
        sheet: &'a str,
        part: &'a str,
        before: &'a str,
    }

    /// [`handmade_with`], its parts `named`, with `more` parts.
    fn handmade_as(
        named: Named,
        rows: &str,
        formats: &str,
        shared: Option<String>,
        more: Vec<(&str, Vec<u8>)>,
    ) -> Vec<u8> {
        let Named {
            package,
            sheet,
            part,
            before,
        } = named;
        use std::io::Write;
        let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
        let relationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
        let parts = [
            (
                "[Content_Types].xml",
                r#"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#
                    .to_string(),
            ),
            (
                "_rels/.rels",
                format!(
                    r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="{package}"/></Relationships>"#
                ),
            ),
            (
                "xl/workbook.xml",
                format!(
                    r#"<workbook xmlns="{main}" xmlns:r="{relationships}"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#
                ),
            ),
            (
                "xl/_rels/workbook.xml.rels",
                format!(
                    r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{before}<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="{sheet}"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#
                ),
            ),
            (
                "xl/styles.xml",
                format!(r#"<styleSheet xmlns="{main}"><cellXfs>{formats}</cellXfs></styleSheet>"#),
            ),
        ];
        let sheet_xml =
            format!(r#"<worksheet xmlns="{main}"><sheetData>{rows}</sheetData></worksheet>"#);
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, bytes) in parts
            .iter()
            .map(|(name, text)| (*name, text.as_bytes()))
            .chain(std::iter::once((part, sheet_xml.as_bytes())))
            .chain(
                shared
                    .iter()
                    .map(|text| ("xl/sharedStrings.xml", text.as_bytes())),
            )
            .chain(more.iter().map(|(name, bytes)| (*name, bytes.as_slice())))
        {
            zip.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    #[test]
    fn a_sheet_in_a_part_not_named_as_xml_is_bounded_as_xml() {
        // A sheet's part may be named anything by the workbook's
        // relationships; the reader reads it as XML whatever its name, and
        // would hold a text of 199 MB there whole.
        let header = r#"<row r="1"><c r="A1" t="inlineStr"><is><t>_timestamp</t></is></c><c r="B1" t="inlineStr"><is><t>count</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>2013-03-11</t></is></c><c r="B2"><v>12</v></c></row>"#;
        let long = format!(
            r#"{header}<row r="3"><c r="A3" t="inlineStr"><is><t>{}</t></is></c></row>"#,
            "y".repeat(5_000_000)
        );
        let png = Named {
            package: "xl/workbook.xml",
            sheet: "worksheets/sheet1.png",
            part: "xl/worksheets/sheet1.png",
            before: "",
        };
        let crafted = [
            png,
            Named {
                sheet: "/xl/media/Sheet1.PNG",
                part: "xl/media/Sheet1.PNG",
                ..png
            },
            // Read as an XML reader reads it: a `Target='` in a comment, or
            // in another attribute's value, starts no value.
            Named {
                before: "<!-- Target=' -->",
                ..png
            },
            Named {
                before: r#"<Relationship Id="rId9" Type="x Target='" Target="other.xml"/>"#,
                ..png
            },
            // The package's target read as the reader reads it: `xl/…` with
            // a character reference of 70,000 digits.
            Named {
                package: &format!("&#{}120;l/workbook.xml", "0".repeat(70_000)),
                ..png
            },
        ];
        for named in crafted {
            let what = format!("{} {}", &named.before, &named.sheet);
            let refused = xlsx_records(
                &handmade_as(named, &long, "", None, Vec::new()),
                Bounds::UPLOAD,
            )
            .unwrap_err();
            assert!(
                refused.starts_with("its workbook is read from a part named xl/")
                    && refused.contains("a piece longer than 4 MB"),
                "{what}: {refused}"
            );
        }
        // A picture beside it whose bytes run long is no XML: read.
        let picture = vec![0xFF; 5_000_000];
        for named in [
            Named {
                sheet: "worksheets/sheet1.xml",
                part: "xl/worksheets/sheet1.xml",
                ..png
            },
            png,
        ] {
            let read = xlsx_records(
                &handmade_as(
                    named,
                    header,
                    "",
                    None,
                    vec![("xl/media/image1.bmp", picture.clone())],
                ),
                Bounds::UPLOAD,
            )
            .unwrap();
            assert_eq!(read.columns, ["_timestamp", "count"]);
            assert_eq!(read.rows.len(), 1);
        }
    }

    #[test]
    fn a_workbook_saying_it_holds_more_texts_than_cells_is_refused_unread() {
        // The reader makes room for as many texts as the list says it holds:
        // 10,000,000,000,000 would be 240 TB asked for, and the server
        // stopped, by a file of a kilobyte.
        let header = r#"<row r="1"><c r="A1" t="inlineStr"><is><t>_timestamp</t></is></c><c r="B1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>2013-03-11</t></is></c><c r="B2"><v>12</v></c></row>"#;
        let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
        for tag in [
            r#"uniqueCount="10000000000000""#,
            "uniqueCount = '+10000000000000'",
            r#"count="2" uniqueCount="99999999999999999999999999""#,
        ] {
            let shared = format!(
                r#"<?xml version="1.0"?><sst xmlns="{main}" {tag}><si><t>count</t></si></sst>"#
            );
            let refused =
                xlsx_records(&handmade_with(header, "", Some(shared)), Bounds::UPLOAD).unwrap_err();
            assert!(
                refused.starts_with("it says it holds ")
                    && refused.contains("different texts, more than the 1,000,000 cells"),
                "{tag}: {refused}"
            );
        }
        // Saying few and holding more texts than cells, or more cell formats
        // than a workbook has (each a list entry the reader keeps before the
        // sheet is read: 40 million of them were 7 GB): refused.
        let many = format!(
            r#"<sst xmlns="{main}" uniqueCount="1">{}</sst>"#,
            "<si/>".repeat(1_000_001)
        );
        let refused =
            xlsx_records(&handmade_with(header, "", Some(many)), Bounds::UPLOAD).unwrap_err();
        assert!(
            refused.starts_with("it holds more than 1,000,000 different texts"),
            "{refused}"
        );
        let formats = r#"<x:xf numFmtId="0"/>"#.repeat(65_537);
        let refused = xlsx_records(&handmade(header, &formats), Bounds::UPLOAD).unwrap_err();
        assert!(
            refused.starts_with("it holds more than 65,536 cell formats"),
            "{refused}"
        );
        // A text of 5 MB, or a tag, a comment or a document type as long
        // (whatever `>` they hold where a reader reads on): refused before
        // the reader holds it whole. Short pieces of each kind pass.
        let long = "y".repeat(5_000_000);
        let split = "a>".repeat(2_500_000);
        let pieces = [
            format!(r#"<sst xmlns="{main}" uniqueCount="1"><si><t>{long}</t></si></sst>"#),
            format!(r#"<sst xmlns="{main}" uniqueCount="1" x="{split}"><si><t>a</t></si></sst>"#),
            format!(
                r#"<sst xmlns="{main}" uniqueCount="1"><!-- {split} --><si><t>a</t></si></sst>"#
            ),
            format!(
                r#"<!DOCTYPE sst [ <!ENTITY a "{split}"> ]><sst xmlns="{main}" uniqueCount="1"><si><t>a</t></si></sst>"#
            ),
            format!(
                r#"<sst xmlns="{main}" uniqueCount="1"><si><t><![CDATA[{split}]]></t></si></sst>"#
            ),
        ];
        for (i, shared) in pieces.into_iter().enumerate() {
            let refused =
                xlsx_records(&handmade_with(header, "", Some(shared)), Bounds::UPLOAD).unwrap_err();
            assert!(refused.starts_with("a piece of its XML"), "{i}: {refused}");
        }
        let short = format!(
            r#"<?xml version="1.0"?><!DOCTYPE sst [ <!ENTITY a "b>"> ]><sst xmlns="{main}" uniqueCount="1"><!-- a > b --><si><t><![CDATA[count]]></t></si></sst>"#
        );
        let read = xlsx_records(&handmade_with(header, "", Some(short)), Bounds::UPLOAD).unwrap();
        assert_eq!(read.columns, ["_timestamp", "count"]);
        // As many as it holds: read.
        let shared =
            format!(r#"<sst xmlns="{main}" count="1" uniqueCount="1"><si><t>count</t></si></sst>"#);
        let read = xlsx_records(&handmade_with(header, "", Some(shared)), Bounds::UPLOAD).unwrap();
        assert_eq!(read.columns, ["_timestamp", "count"]);
        assert_eq!(read.rows.len(), 1);
        // Read as it streams by, whichever way it is cut.
        let text = br#"<sst uniqueCount= "123456" >"#;
        for cut in 0..text.len() {
            use std::io::Write;
            let mut counts = UniqueCounts::default();
            counts.write_all(&text[..cut]).unwrap();
            counts.write_all(&text[cut..]).unwrap();
            assert_eq!(counts.largest, 123_456, "cut at {cut}");
        }
    }

    #[test]
    fn text_copied_into_every_row_is_bounded_before_it_is_copied() {
        // One text of 2 MB, shared by a cell (it could be by every cell).
        let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
        let long = "x".repeat(2_000_000);
        let shared = format!(
            r#"<sst xmlns="{main}" uniqueCount="2"><si><t>count</t></si><si><t>{long}</t></si></sst>"#
        );
        let rows = r#"<row r="1"><c r="A1" t="inlineStr"><is><t>_timestamp</t></is></c><c r="B1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>2013-03-11</t></is></c><c r="B2" t="s"><v>1</v></c></row>"#;
        let refused =
            xlsx_records(&handmade_with(rows, "", Some(shared)), Bounds::UPLOAD).unwrap_err();
        assert_eq!(
            refused,
            "row 2: a cell holds 2.0 MB of text, more than the 1 MB a cell may have"
        );
        // A field's name of 900 KB, copied into each row's record: refused
        // once the records would hold 64 MB, not after.
        let name = "n".repeat(900_000);
        let mut csv = format!("_timestamp,{name}\n");
        for _ in 0..100 {
            csv.push_str("2013-03-11,1\n");
        }
        let refused = csv_records(csv.as_bytes(), Bounds::UPLOAD).unwrap_err();
        assert!(
            refused.starts_with("its records would hold more than 64 MB of text"),
            "{refused}"
        );
        assert_eq!(
            csv_records(csv.as_bytes(), Bounds::NONE)
                .unwrap()
                .rows
                .len(),
            100
        );
        // A name of 5 MB is refused in the header, before any row.
        let csv = format!("_timestamp,{}\n2013-03-11,1\n", "n".repeat(5_000_000));
        assert_eq!(
            csv_records(csv.as_bytes(), Bounds::UPLOAD).unwrap_err(),
            "row 1: a cell holds 5.0 MB of text, more than the 1 MB a cell may have"
        );
        // More columns than a data set may have fields: refused before the rows.
        let wide: Vec<String> = (0..101).map(|i| format!("f{i:03}")).collect();
        let csv = format!("_timestamp,_id,{}\n", wide.join(","));
        assert!(csv_records(csv.as_bytes(), Bounds::UPLOAD)
            .unwrap_err()
            .starts_with(
                "it has 101 columns of fields; a data set's records may have at most 100"
            ));
    }

    #[test]
    fn a_cell_beyond_a_sheets_last_column_is_refused_not_made_room_for() {
        // Column LXQEASW is the 4,000,000,000th: a header as wide would ask
        // for about 100 GB, and a failed allocation stops the process.
        let header = r#"<row r="1"><c r="A1" t="inlineStr"><is><t>_timestamp</t></is></c><c r="B1" t="inlineStr"><is><t>count</t></is></c>"#;
        for far in ["LXQEASW1", "XFE1", "A1048577"] {
            let rows = format!(r#"{header}<c r="{far}" t="inlineStr"><is><t>x</t></is></c></row>"#);
            let refused = xlsx_records(&handmade(&rows, ""), Bounds::UPLOAD).unwrap_err();
            assert!(
                refused.starts_with(&format!("it has a cell, {far}, beyond the last one")),
                "{far}: {refused}"
            );
        }
        // The last cell a sheet has is read (and, with no field's name, left out).
        let rows = format!(
            r#"{header}</row><row r="2"><c r="A2" t="inlineStr"><is><t>2013-03-11</t></is></c><c r="B2"><v>12</v></c><c r="XFD2"><v>1</v></c></row>"#
        );
        let read = xlsx_records(&handmade(&rows, ""), Bounds::UPLOAD).unwrap();
        assert_eq!(
            read.rows,
            vec![(
                2,
                json!({"_timestamp": "2013-03-11T00:00:00Z", "count": 12})
            )]
        );
    }

    #[test]
    fn columns_are_named_as_a_sheet_names_them() {
        let named: Vec<String> = [0, 25, 26, 701, 702, 16_383, 3_999_999_999, u32::MAX]
            .into_iter()
            .map(column_letters)
            .collect();
        assert_eq!(
            named,
            ["A", "Z", "AA", "ZZ", "AAA", "XFD", "LXQEASV", "MWLQKWV"]
        );
    }

    #[test]
    fn a_date_cell_no_sheet_can_show_is_refused_with_its_row() {
        // Format 14 is a date: each cell's number is a day from 1900.
        let formats = r#"<xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/>"#;
        let sheet = |day: &str| {
            format!(
                r#"<row r="1"><c r="A1" t="inlineStr"><is><t>_timestamp</t></is></c><c r="B1" t="inlineStr"><is><t>count</t></is></c></row><row r="2"><c r="A2" s="1"><v>{day}</v></c><c r="B2"><v>3</v></c></row>"#
            )
        };
        let read = xlsx_records(&handmade(&sheet("41344"), formats), Bounds::UPLOAD).unwrap();
        assert_eq!(
            read.rows,
            vec![(2, json!({"_timestamp": "2013-03-11T00:00:00Z", "count": 3}))]
        );
        let sheet_of = |number: &str| {
            format!(
                r#"<row r="1"><c r="A1" t="inlineStr"><is><t>_timestamp</t></is></c><c r="B1" t="inlineStr"><is><t>count</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>2013-03-11</t></is></c><c r="B2"><v>{number}</v></c></row>"#
            )
        };
        for number in ["inf", "-inf", "NaN", "1e400"] {
            let refused = xlsx_records(&handmade(&sheet_of(number), ""), Bounds::NONE).unwrap_err();
            assert!(
                refused.starts_with("row 2: a cell holds")
                    && refused.ends_with("which is no number a sheet can hold"),
                "{number}: {refused}"
            );
        }
        let refused = xlsx_records(&handmade(&sheet("-1e300"), formats), Bounds::NONE).unwrap_err();
        assert_eq!(
            refused,
            "row 2: a date cell holds -1e300, which is no date a sheet can show"
        );
        for day in ["-1e300", "1e300", "2958466", "NaN"] {
            let refused = xlsx_records(&handmade(&sheet(day), formats), Bounds::NONE).unwrap_err();
            assert!(
                refused.starts_with("row 2: a date cell holds")
                    && refused.ends_with("which is no date a sheet can show"),
                "{day}: {refused}"
            );
        }
    }

    /// A workbook of a header of `fields` and `rows` records of a 1 in
    /// each, with a part (a picture, say) of `padding` zeros beside its sheet.
    fn workbook(fields: &[&str], rows: u32, padding: usize) -> Vec<u8> {
        use std::io::Write;
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_row(0, 0, fields.iter().copied()).unwrap();
        for row in 1..=rows {
            sheet.write_row(row, 0, vec![1.0; fields.len()]).unwrap();
        }
        let made = book.save_to_buffer().unwrap();
        let mut from = zip::ZipArchive::new(std::io::Cursor::new(made)).unwrap();
        let mut to = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for i in 0..from.len() {
            to.raw_copy_file(from.by_index(i).unwrap()).unwrap();
        }
        let options = zip::write::SimpleFileOptions::default().large_file(true);
        to.start_file("xl/media/padding.bin", options).unwrap();
        for _ in 0..padding / 1_000_000 {
            to.write_all(&[0; 1_000_000]).unwrap();
        }
        to.write_all(&vec![0; padding % 1_000_000]).unwrap();
        to.finish().unwrap().into_inner()
    }

    #[test]
    fn workbooks_that_unpack_to_too_much_are_refused_before_they_are_read() {
        // 201 MB of zeros, a few hundred kilobytes packed.
        let padded = workbook(&["_timestamp", "count"], 1, 201_000_000);
        assert!(padded.len() < 1_000_000, "{}", padded.len());
        let refused = xlsx_records(&padded, Bounds::UPLOAD).unwrap_err();
        assert!(
            refused.starts_with("it unpacks to more than 200 MB"),
            "{refused}"
        );
        // Just within the bound, or from the operator's own machine, it is read.
        let within = workbook(&["_timestamp", "count"], 1, 190_000_000);
        assert_eq!(xlsx_records(&within, Bounds::UPLOAD).unwrap().rows.len(), 1);
        assert_eq!(xlsx_records(&padded, Bounds::NONE).unwrap().rows.len(), 1);
    }

    #[test]
    fn files_of_more_cells_than_the_bound_are_refused() {
        let cells = Bounds::UPLOAD.cells;
        // Two cells in the header, two in each record.
        let within = workbook(&["_timestamp", "count"], cells as u32 / 2 - 1, 0);
        assert_eq!(
            xlsx_records(&within, Bounds::UPLOAD).unwrap().rows.len(),
            cells / 2 - 1
        );
        let more = workbook(&["_timestamp", "count"], cells as u32 / 2, 0);
        let refused =
            "it has more than 1,000,000 cells with something in them; split it into smaller files";
        assert_eq!(xlsx_records(&more, Bounds::UPLOAD).unwrap_err(), refused);
        assert_eq!(
            xlsx_records(&more, Bounds::NONE).unwrap().rows.len(),
            cells / 2
        );
        // The same for CSV, by the cells with something in them.
        let csv = |records: usize| format!("_timestamp,count,note\n{}", "1,2,\n".repeat(records));
        let read = csv_records(csv(cells / 2).as_bytes(), Bounds::UPLOAD).unwrap();
        assert_eq!(read.rows.len(), cells / 2);
        let more = csv(cells / 2 + 1);
        assert_eq!(
            csv_records(more.as_bytes(), Bounds::UPLOAD).unwrap_err(),
            refused
        );
        assert!(csv_records(more.as_bytes(), Bounds::NONE).is_ok());
        // Records of one cell each: at most half a million.
        let narrow = |records: usize| format!("_timestamp\n{}", "1\n".repeat(records));
        let records = Bounds::UPLOAD.records;
        assert!(csv_records(narrow(records).as_bytes(), Bounds::UPLOAD).is_ok());
        assert_eq!(
            csv_records(narrow(records + 1).as_bytes(), Bounds::UPLOAD).unwrap_err(),
            "it has more than 500,000 records; split it into smaller files"
        );
        let narrow = workbook(&["_timestamp"], records as u32 + 1, 0);
        assert_eq!(
            xlsx_records(&narrow, Bounds::UPLOAD).unwrap_err(),
            "it has more than 500,000 records; split it into smaller files"
        );
    }
}
