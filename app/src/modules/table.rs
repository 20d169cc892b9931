//! Tables: the same figures as the charts, in words and numbers (with the
//! year earlier when there is one), and their sorting. Pure.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::figures::{
    CompletionFigures, Figures, Item, LatestFigure, LiveFigures, SatisfactionFigures, Step,
    TimeFigures,
};
use super::options::{label_for, unit};
use crate::kpi::{format_date, format_exact, format_percent, format_period};
use crate::model::{KpiKind, Module, Period, PeriodKind, Unit};

/// A table cell: its text, the number it shows (for sorting) and what the
/// page says of it beside it (a rate's small base: "from 12 responses: too
/// few to rely on").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    pub text: String,
    pub number: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Cell {
    /// As the page's table writes it: the text, then its note in brackets.
    pub fn shown(&self) -> String {
        match &self.note {
            Some(note) => format!("{} ({note})", self.text),
            None => self.text.clone(),
        }
    }
}

/// A module's figures as a table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TableData {
    pub headers: Vec<String>,
    /// Whether each column holds numbers (right-aligned).
    pub numeric: Vec<bool>,
    pub rows: Vec<Vec<Cell>>,
}

impl TableData {
    /// The rows ordered by column `column` (numbers as numbers, else by text).
    pub fn sorted(&self, column: usize, ascending: bool) -> Vec<Vec<Cell>> {
        let mut rows = self.rows.clone();
        if column < self.headers.len() {
            rows.sort_by(|a, b| {
                let (a, b) = (&a[column], &b[column]);
                // Cells without a number go last either way.
                let order = match (a.number, b.number) {
                    (Some(x), Some(y)) => x.total_cmp(&y),
                    (Some(_), None) => return std::cmp::Ordering::Less,
                    (None, Some(_)) => return std::cmp::Ordering::Greater,
                    (None, None) => a.text.cmp(&b.text),
                };
                if ascending {
                    order
                } else {
                    order.reverse()
                }
            });
        }
        rows
    }
}

/// A value in a unit, exactly enough for a table: counts in full, pounds and
/// pence, percents to 1 decimal place.
pub fn format_cell(value: Option<f64>, unit: Unit) -> Cell {
    let text = match value {
        None => "no data".to_string(),
        Some(v) => match unit {
            Unit::Number => format_exact(v),
            Unit::Pounds => {
                let pence = format!("{:.2}", v.abs());
                let (pounds, pence) = pence.split_once('.').unwrap_or((&pence, "00"));
                let sign = if v < 0.0 { "-" } else { "" };
                let pounds = crate::kpi::group_digits(pounds);
                format!("{sign}£{pounds}.{pence}")
            }
            Unit::Ratio => format_percent(v),
        },
    };
    Cell {
        text,
        number: value,
        note: None,
    }
}

/// A rate out of `base`: out of too few to rely on, with the words that say
/// so, as a headline has them.
fn rate_cell(rate: Option<f64>, kpi: KpiKind, base: Option<f64>) -> Cell {
    let mut cell = format_cell(rate, Unit::Ratio);
    if rate.is_some() {
        cell.note = crate::kpi::low_base_words(kpi, base);
    }
    cell
}

fn text_cell(text: String) -> Cell {
    Cell {
        text,
        number: None,
        note: None,
    }
}

fn period_cell(period: &Period) -> Cell {
    Cell {
        text: format_period(period),
        number: Some(period.start.timestamp() as f64),
        note: None,
    }
}

/// The period column's heading.
fn period_heading(periods: &[Period]) -> String {
    match periods.first().map(|p| p.kind) {
        Some(PeriodKind::Hour) => "Hour",
        Some(PeriodKind::Day) => "Day",
        Some(PeriodKind::Month) => "Month",
        Some(PeriodKind::Quarter) => "Quarter",
        Some(PeriodKind::Year) => "Year",
        _ => "Week",
    }
    .to_string()
}

/// A JSON value from a record, for a table cell.
fn value_cell(key: &str, value: &Value) -> Cell {
    match value {
        Value::Null => text_cell(String::new()),
        Value::Bool(b) => text_cell(if *b { "yes" } else { "no" }.into()),
        Value::Number(n) => format_cell(n.as_f64(), Unit::Number),
        Value::String(s) if key.starts_with('_') => match DateTime::parse_from_rfc3339(s) {
            Ok(t) => Cell {
                text: format_date(t.with_timezone(&Utc)),
                number: Some(t.timestamp() as f64),
                note: None,
            },
            Err(_) => text_cell(s.clone()),
        },
        Value::String(s) => text_cell(s.clone()),
        other => text_cell(other.to_string()),
    }
}

/// The figures of a module as a table, newest period first (the one people ask
/// about), with the year earlier when there is one; a period not complete by
/// `complete_until` ([`crate::kpi::complete_until`]) says "so far".
pub fn table_data(
    module: &Module,
    figures: &Figures,
    previous: Option<&super::YearEarlier>,
    complete_until: DateTime<Utc>,
) -> TableData {
    let unit = unit(module);
    let (mut headers, mut rows) = match figures {
        Figures::Time(t) => time_table(t, unit, super::adds_up(module)),
        Figures::Kpi(k) => kpi_table(k, unit),
        Figures::Completion(c) => {
            let whole = c
                .periods
                .first()
                .is_some_and(|p| super::shared_by_days(module, p.kind));
            completion_table(c, super::options::rate_kpi(module), whole)
        }
        Figures::Satisfaction(s) => satisfaction_table(s),
        Figures::Journey(steps, ..) => return journey_table(steps),
        Figures::Table {
            columns,
            rows: records,
        } => return records_table(module, columns, records),
        Figures::Live(live) => return live_table(module, live),
        Figures::List(items) => return list_table(module, items),
    };
    let periods = match figures {
        Figures::Time(t) => t.periods.as_slice(),
        Figures::Completion(c) => c.periods.as_slice(),
        Figures::Satisfaction(s) => s.periods.as_slice(),
        _ => &[],
    };
    let so_far: Vec<bool> = periods
        .iter()
        .map(|p| !crate::kpi::is_complete(p, Some(complete_until)))
        .collect();
    for ((row, period), so_far) in rows.iter_mut().zip(periods).zip(&so_far) {
        if *so_far {
            row[0].text = crate::kpi::format_period_so_far(period);
        }
    }
    if let Some(previous) = previous.filter(|p| p.values.len() == rows.len()) {
        let (previous_unit, volume) = match figures {
            Figures::Completion(_) | Figures::Satisfaction(_) => (Unit::Ratio, false),
            _ => (unit, super::adds_up(module)),
        };
        // Of several series, a year earlier is their total's.
        headers.push(match figures {
            Figures::Time(t) if t.series.len() > 1 => "Total, a year earlier".into(),
            _ => "A year earlier".into(),
        });
        for (i, (row, value)) in rows.iter_mut().zip(&previous.values).enumerate() {
            // Part of a period beside the whole of one a year earlier is no
            // comparison: a volume so far leaves it out.
            row.push(if volume && so_far.get(i) == Some(&true) {
                text_cell(crate::kpi::NOT_YET_COMPARABLE.into())
            } else if let Some(words) = previous.too_few(i).filter(|_| value.is_some()) {
                // A rate of too few is given with its words, as a headline's.
                let mut cell = format_cell(*value, previous_unit);
                cell.note = Some(words);
                cell
            } else {
                format_cell(*value, previous_unit)
            });
        }
    }
    rows.reverse();
    TableData {
        numeric: headers.iter().enumerate().map(|(i, _)| i > 0).collect(),
        headers,
        rows,
    }
}

/// Headers and rows (oldest first) of values over time: a column per series,
/// and their total when there are several that `add` up (averages have none).
fn time_table(t: &TimeFigures, unit: Unit, add: bool) -> (Vec<String>, Vec<Vec<Cell>>) {
    let mut headers = vec![period_heading(&t.periods)];
    headers.extend(t.series.iter().map(|s| s.label.clone()));
    let totals = t.totals();
    let with_total = add && t.series.len() > 1;
    if with_total {
        headers.push("Total".into());
    }
    let rows = (0..t.periods.len())
        .map(|i| {
            let mut row = vec![period_cell(&t.periods[i])];
            row.extend(t.series.iter().map(|s| format_cell(s.values[i], unit)));
            if with_total {
                row.push(format_cell(totals[i], unit));
            }
            row
        })
        .collect();
    (headers, rows)
}

/// Headers and the one row of a headline figure.
fn kpi_table(k: &LatestFigure, unit: Unit) -> (Vec<String>, Vec<Vec<Cell>>) {
    let headers = vec!["Period".into(), "Value".into(), "Period before".into()];
    let rows = vec![vec![
        k.period
            .as_ref()
            .map(period_cell)
            .unwrap_or_else(|| text_cell("no data".into())),
        format_cell(k.value, unit),
        format_cell(k.previous, unit),
    ]];
    (headers, rows)
}

/// Headers and rows (oldest first) of a rate of a part over its whole: the
/// whole, the part, the rate, named for what the rate is of (a digital
/// take-up's whole is every transaction, not people who started); counts
/// shared between periods by their days written `whole`.
fn completion_table(
    c: &CompletionFigures,
    kpi: KpiKind,
    whole: bool,
) -> (Vec<String>, Vec<Vec<Cell>>) {
    let count =
        |v: Option<f64>| format_cell(v.map(|v| if whole { v.round() } else { v }), Unit::Number);
    let (whole, part) = match kpi {
        KpiKind::DigitalTakeUp => ("All transactions", "Digital transactions"),
        KpiKind::UserSatisfaction => ("Responses", "Satisfied responses"),
        _ => ("Started", "Completed"),
    };
    let headers = vec![
        period_heading(&c.periods),
        whole.into(),
        part.into(),
        kpi.title().into(),
    ];
    let rates = c.rates();
    let rows = (0..c.periods.len())
        .map(|i| {
            vec![
                period_cell(&c.periods[i]),
                count(c.started[i]),
                count(c.completed[i]),
                rate_cell(rates[i], kpi, c.started[i]),
            ]
        })
        .collect();
    (headers, rows)
}

/// Headers and rows (oldest first) of satisfaction: responses, each rating's
/// count, the score.
fn satisfaction_table(s: &SatisfactionFigures) -> (Vec<String>, Vec<Vec<Cell>>) {
    let mut headers = vec![period_heading(&s.periods), "Responses".into()];
    headers.extend((1..=5).map(|i| format!("Rating {i}")));
    headers.push("Satisfaction".into());
    let scores = s.scores();
    let rows = (0..s.periods.len())
        .map(|i| {
            let sent = s.responses[i];
            let mut row = vec![period_cell(&s.periods[i]), format_cell(sent, Unit::Number)];
            row.extend(
                s.ratings[i]
                    .iter()
                    .map(|r| format_cell(sent.and(Some(*r)), Unit::Number)),
            );
            row.push(rate_cell(scores[i], KpiKind::UserSatisfaction, sent));
            row
        })
        .collect();
    (headers, rows)
}

/// A journey's steps in order: users, and the share of those who started.
fn journey_table(steps: &[Step]) -> TableData {
    let headers: Vec<String> = vec!["Step".into(), "Users".into(), "Of those who started".into()];
    let first = steps.first().map(|s| s.count).unwrap_or(0.0);
    let rows = steps
        .iter()
        .map(|s| {
            vec![
                text_cell(s.label.clone()),
                format_cell(Some(s.count), Unit::Number),
                rate_cell(
                    (first > 0.0).then(|| s.count / first),
                    KpiKind::CompletionRate,
                    Some(first),
                ),
            ]
        })
        .collect();
    TableData {
        numeric: headers.iter().enumerate().map(|(i, _)| i > 0).collect(),
        headers,
        rows,
    }
}

/// A realtime module's counts, newest first, each at its time of day (a
/// time of a day before the newest's says its date).
fn live_table(module: &Module, live: &LiveFigures) -> TableData {
    let value = module
        .options
        .get("value")
        .and_then(Value::as_str)
        .unwrap_or("value");
    let headers: Vec<String> = vec!["Time".into(), label_for(module, value)];
    let today = live.latest().map_or(DateTime::<Utc>::MIN_UTC, |(t, _)| t);
    let rows = live
        .points
        .iter()
        .rev()
        .map(|(t, v)| {
            vec![
                Cell {
                    text: crate::kpi::format_time(*t, today),
                    number: Some(t.timestamp() as f64),
                    note: None,
                },
                format_cell(Some(*v), unit(module)),
            ]
        })
        .collect();
    TableData {
        numeric: vec![false, true],
        headers,
        rows,
    }
}

/// A ranked list as a table: rank, item, value, in the list's order.
fn list_table(module: &Module, items: &[Item]) -> TableData {
    let pairs = crate::query_string::pairs(&module.query);
    let item = module
        .options
        .get("label")
        .and_then(Value::as_str)
        .or_else(|| {
            pairs
                .iter()
                .rev()
                .find(|(k, _)| k == "group_by")
                .map(|(_, v)| v.as_str())
        })
        .map_or_else(|| "Item".to_string(), |f| label_for(module, f));
    let value = crate::query_string::first(&pairs, "collect")
        .map(|c| c.split(':').next().unwrap_or(c))
        .map_or_else(|| "Value".to_string(), |f| label_for(module, f));
    let headers: Vec<String> = vec!["Rank".into(), item, value];
    let rows = items
        .iter()
        .enumerate()
        .map(|(i, it)| {
            vec![
                format_cell(Some((i + 1) as f64), Unit::Number),
                text_cell(it.label.clone()),
                format_cell(it.value, unit(module)),
            ]
        })
        .collect();
    TableData {
        numeric: vec![true, false, true],
        headers,
        rows,
    }
}

/// Records as they are, in their order; a column is numeric when it holds
/// numbers and nothing else but blanks.
fn records_table(module: &Module, columns: &[String], records: &[Vec<Value>]) -> TableData {
    let headers: Vec<String> = columns
        .iter()
        .map(|c| match c.as_str() {
            "_timestamp" => "Date".to_string(),
            "_start_at" => "From".to_string(),
            "_end_at" => "To".to_string(),
            other => label_for(module, other),
        })
        .collect();
    let rows: Vec<Vec<Cell>> = records
        .iter()
        .map(|r| {
            columns
                .iter()
                .zip(r)
                .map(|(c, v)| value_cell(c, v))
                .collect()
        })
        .collect();
    let numeric = (0..columns.len())
        .map(|i| {
            records.iter().any(|r| r[i].is_number())
                && records.iter().all(|r| r[i].is_number() || r[i].is_null())
        })
        .collect();
    TableData {
        headers,
        numeric,
        rows,
    }
}

/// A table as a download: the same columns, headings and words as on the
/// page, newest first.
impl TableData {
    /// As CSV (RFC 4180: CRLF line ends, fields quoted when they need it). A
    /// field a spreadsheet would run as a formula starts with `'`.
    pub fn to_csv(&self) -> String {
        let (headers, rows) = self.written();
        let mut csv = csv_line(headers.iter().map(String::as_str));
        for row in &rows {
            csv.push_str(&csv_line(row.iter().map(String::as_str)));
        }
        csv
    }

    /// As JSON: `{"title", "columns": [...], "rows": [[...], ...]}`, every
    /// cell as written in the table.
    pub fn to_json(&self, title: &str) -> String {
        let (headers, rows) = self.written();
        serde_json::json!({ "title": title, "columns": headers, "rows": rows }).to_string()
    }

    /// The headings and cells of a download: as on the page, but a cell's
    /// note in a column of its own after the cell's ("Completion rate:
    /// note"), so that a figure stays a figure a spreadsheet reads as one.
    fn written(&self) -> (Vec<String>, Vec<Vec<String>>) {
        let noted: Vec<bool> = (0..self.headers.len())
            .map(|i| {
                self.rows
                    .iter()
                    .any(|r| r.get(i).is_some_and(|c| c.note.is_some()))
            })
            .collect();
        let mut headers = Vec::new();
        for (header, noted) in self.headers.iter().zip(&noted) {
            headers.push(header.clone());
            if *noted {
                headers.push(format!("{header}: note"));
            }
        }
        let rows = (self.rows.iter())
            .map(|row| {
                let mut cells = Vec::new();
                for (cell, noted) in row.iter().zip(&noted) {
                    cells.push(cell.text.clone());
                    if *noted {
                        cells.push(cell.note.clone().unwrap_or_default());
                    }
                }
                cells
            })
            .collect();
        (headers, rows)
    }
}

/// One line of a download's CSV (RFC 4180: a CRLF at its end, fields quoted
/// when they need it); a field a spreadsheet would run as a formula starts
/// with `'`. Every CSV made for people to open (a module's table, the
/// explorer's, a board's) is written by it.
pub fn csv_line<'a>(cells: impl IntoIterator<Item = &'a str>) -> String {
    cells
        .into_iter()
        .map(csv_field)
        .collect::<Vec<_>>()
        .join(",")
        + "\r\n"
}

fn csv_field(text: &str) -> String {
    let formula = text.starts_with(['=', '+', '@', '\t', '\r'])
        || (text.starts_with('-')
            && !text[1..].starts_with(|c: char| c.is_ascii_digit() || c == '£'));
    let text = if formula {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// The name a module's download is saved as:
/// `{dashboard}-{module}-{period}-{from}-{to}.{extension}`, the period being
/// the kind of period shown and `from`, `to` the first and last days shown;
/// `{dashboard}-{module}.{extension}` for figures not over time.
pub fn download_name(dashboard: &str, module: &str, figures: &Figures, extension: &str) -> String {
    let periods = match figures {
        Figures::Time(t) => t.periods.as_slice(),
        Figures::Completion(c) => c.periods.as_slice(),
        Figures::Satisfaction(s) => s.periods.as_slice(),
        _ => &[],
    };
    match (periods.first(), periods.last()) {
        (Some(first), Some(last)) => format!(
            "{dashboard}-{module}-{}-{}-{}.{extension}",
            first.kind.as_str(),
            crate::notes::date_value(first.start),
            crate::notes::date_value(last.end - chrono::Duration::seconds(1)),
        ),
        _ => format!("{dashboard}-{module}.{extension}"),
    }
}

/// `text` as a `data:` URL of type `mime` (UTF-8), for a link that downloads
/// it without asking the server again, with or without JavaScript.
pub fn data_url(mime: &str, text: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut url = String::with_capacity(text.len() * 2 + 32);
    url.push_str("data:");
    url.push_str(mime);
    url.push_str(";charset=utf-8,");
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            url.push(b as char);
        } else {
            url.push('%');
            url.push(HEX[usize::from(b >> 4)] as char);
            url.push(HEX[usize::from(b & 15)] as char);
        }
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ModuleType;
    use crate::modules::figures;
    use crate::modules::fixtures::{module, week};
    use serde_json::json;

    #[test]
    fn a_rates_table_names_its_whole_and_part_by_what_the_rate_is_of() {
        let rows = vec![
            week("2026-11-09", json!({"channel": "digital", "count:sum": 90})),
            week("2026-11-09", json!({"channel": "phone", "count:sum": 10})),
        ];
        let headers = |options| {
            let m = module(
                ModuleType::CompletionRate,
                "period=week&group_by=channel&collect=count:sum",
                options,
            );
            let f = figures(&m, &rows, DateTime::<Utc>::MAX_UTC).unwrap();
            table_data(&m, &f, None, DateTime::<Utc>::MAX_UTC).headers
        };
        assert_eq!(
            headers(json!({"start": "*", "end": "digital", "kpi": "digital_take_up"})),
            [
                "Week",
                "All transactions",
                "Digital transactions",
                "Digital take-up"
            ]
        );
        assert_eq!(
            headers(json!({"start": "*", "end": "digital"})),
            ["Week", "Started", "Completed", "Completion rate"]
        );
    }

    #[test]
    fn a_rate_a_year_earlier_of_too_few_says_so_and_is_not_drawn() {
        let m = module(
            ModuleType::CompletionRate,
            "period=week&group_by=stage&collect=count:sum",
            json!({"start": "start", "end": "done"}),
        );
        let week_of = |day: &str, started: u32, done: u32| {
            vec![
                week(day, json!({"stage": "start", "count:sum": started})),
                week(day, json!({"stage": "done", "count:sum": done})),
            ]
        };
        let rows = [
            week_of("2026-11-09", 1240, 794),
            week_of("2026-11-16", 1300, 832),
        ]
        .concat();
        // A year earlier: 11 of 12 in the first week (91.7%), 900 of 1,000 in
        // the second.
        let earlier = [
            week_of("2025-11-10", 12, 11),
            week_of("2025-11-17", 1000, 900),
        ]
        .concat();
        let year_earlier = crate::modules::year_earlier_totals(&m, &earlier);
        assert_eq!(year_earlier.bases, [Some(12.0), Some(1000.0)]);
        // The chart draws no point for the rate of 12.
        assert_eq!(year_earlier.relied_on(), [None, Some(0.9)]);
        let f = figures(&m, &rows, DateTime::<Utc>::MAX_UTC).unwrap();
        let t = table_data(&m, &f, Some(&year_earlier), DateTime::<Utc>::MAX_UTC);
        let earlier_cells: Vec<String> = t.rows.iter().map(|r| r.last().unwrap().shown()).collect();
        assert_eq!(
            earlier_cells,
            [
                "90.0%",
                "91.7% (from 12 people who started: too few to rely on)"
            ]
        );
        // A download keeps the figure a figure, its note in a column of its own.
        let csv = t.to_csv();
        let lines: Vec<&str> = csv.lines().collect();
        let heading = t.headers.last().unwrap();
        assert!(
            lines[0].ends_with(&format!("{heading},{heading}: note")),
            "{csv}"
        );
        assert!(lines[1].ends_with(",90.0%,"), "{csv}");
        assert!(
            lines[2].ends_with(",91.7%,from 12 people who started: too few to rely on"),
            "{csv}"
        );
        let json: Value = serde_json::from_str(&t.to_json("Completion")).unwrap();
        let last = json["rows"][1].as_array().unwrap();
        assert_eq!(last[last.len() - 2], "91.7%");
    }

    #[test]
    fn a_volume_so_far_is_not_set_beside_a_whole_period_a_year_earlier() {
        let rows = vec![
            week("2026-11-09", json!({"count:sum": 1200, "count:mean": 1200})),
            week("2026-11-16", json!({"count:sum": 300, "count:mean": 300})),
        ];
        // Three days into the week of 16 November.
        let until = DateTime::parse_from_rfc3339("2026-11-19T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let year_earlier = [Some(1100.0), Some(1150.0)];
        let cells = |query: &str| {
            let m = module(ModuleType::SingleTimeseries, query, json!({}));
            let f = figures(&m, &rows, DateTime::<Utc>::MAX_UTC).unwrap();
            let earlier = crate::modules::YearEarlier {
                values: year_earlier.to_vec(),
                ..Default::default()
            };
            let t = table_data(&m, &f, Some(&earlier), until);
            t.rows
                .iter()
                .map(|r| (r[0].text.clone(), r.last().unwrap().text.clone()))
                .collect::<Vec<_>>()
        };
        let sums = cells("period=week&collect=count:sum");
        assert_eq!(sums[0].0, "16 to 22 November 2026 so far");
        assert_eq!(sums[0].1, "not yet comparable (the period is not over)");
        assert_eq!(sums[1].1, "1,100");
        // A mean so far is a mean of what there is: it stays comparable.
        let means = cells("period=week&collect=count:mean");
        assert_eq!(means[0].1, "1,150");
    }

    #[test]
    fn counts_shared_by_days_are_written_whole_and_rates_use_the_shares() {
        // Weekly stages shown by month: each week shared by its days. The
        // rate is of the shares (18.43 of 36.14 is 51.0%, as the service
        // page has it, not 18 of 36, 50.0%); the counts are written whole.
        let month = |start: &str, end: &str, extra: Value| {
            let mut row = json!({
                "_start_at": format!("{start}T00:00:00+00:00"),
                "_end_at": format!("{end}T00:00:00+00:00"),
            });
            row.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            row
        };
        let mut m = module(
            ModuleType::CompletionRate,
            "period=month&group_by=stage&collect=count:sum",
            json!({"start": "start", "end": "done"}),
        );
        m.data_set = Some("renew/completion-rate".into());
        let rows = vec![
            month(
                "2025-10-01",
                "2025-11-01",
                json!({"stage": "start", "count:sum": 36.14}),
            ),
            month(
                "2025-10-01",
                "2025-11-01",
                json!({"stage": "done", "count:sum": 18.43}),
            ),
        ];
        let f = figures(&m, &rows, DateTime::<Utc>::MAX_UTC).unwrap();
        let t = table_data(&m, &f, None, DateTime::<Utc>::MAX_UTC);
        let texts: Vec<&str> = t.rows[0].iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, ["October 2025", "36", "18", "51.0%"]);
        // By channel: whole counts, their total of the whole counts.
        let mut m = module(
            ModuleType::GroupedTimeseries,
            "period=month&group_by=channel&collect=count:sum",
            json!({}),
        );
        m.data_set = Some("renew/transactions-by-channel".into());
        let rows = vec![
            month(
                "2025-10-01",
                "2025-11-01",
                json!({"channel": "digital", "count:sum": 14.6}),
            ),
            month(
                "2025-10-01",
                "2025-11-01",
                json!({"channel": "phone", "count:sum": 14.6}),
            ),
        ];
        let f = figures(&m, &rows, DateTime::<Utc>::MAX_UTC).unwrap();
        let t = table_data(&m, &f, None, DateTime::<Utc>::MAX_UTC);
        let texts: Vec<&str> = t.rows[0].iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, ["October 2025", "15", "15", "30"]);
        // Weeks by week are no shares: a sum sent with a fraction keeps it;
        // nor are hours, or pounds, counts: shared, they keep theirs.
        let mut m = module(
            ModuleType::SingleTimeseries,
            "period=week&collect=hours:sum",
            json!({}),
        );
        m.data_set = Some("renew/transactions-by-channel".into());
        let rows = vec![week("2026-11-09", json!({"hours:sum": 12.5}))];
        let f = figures(&m, &rows, DateTime::<Utc>::MAX_UTC).unwrap();
        let t = table_data(&m, &f, None, DateTime::<Utc>::MAX_UTC);
        assert_eq!(t.rows[0][1].text, "12.5");
        m.query = "period=month&collect=hours:sum".into();
        let rows = vec![month(
            "2025-10-01",
            "2025-11-01",
            json!({"hours:sum": 53.57}),
        )];
        let f = figures(&m, &rows, DateTime::<Utc>::MAX_UTC).unwrap();
        let t = table_data(&m, &f, None, DateTime::<Utc>::MAX_UTC);
        assert_eq!(t.rows[0][1].text, "53.57");
        m.query = "period=month&collect=count:sum".into();
        m.module_type = ModuleType::Kpi;
        let f = figures(
            &m,
            &[month(
                "2025-10-01",
                "2025-11-01",
                json!({"count:sum": 1843.29}),
            )],
            DateTime::<Utc>::MAX_UTC,
        )
        .unwrap();
        let Figures::Kpi(k) = f else {
            panic!("not a KPI")
        };
        assert_eq!(k.value, Some(1843.0));
        // A journey's users over months: whole too.
        let mut m = module(
            ModuleType::Journey,
            "period=month&group_by=step&collect=count:sum",
            json!({}),
        );
        m.data_set = Some("renew/journey".into());
        let rows = vec![
            month(
                "2025-10-01",
                "2025-11-01",
                json!({"step": "start", "count:sum": 100.43}),
            ),
            month(
                "2025-11-01",
                "2025-12-01",
                json!({"step": "start", "count:sum": 50.43}),
            ),
        ];
        let f = figures(&m, &rows, DateTime::<Utc>::MAX_UTC).unwrap();
        let Figures::Journey(steps, ..) = f else {
            panic!("not a journey")
        };
        assert_eq!(steps[0].count, 151.0);
    }

    #[test]
    fn tables_show_the_chart_figures_newest_first_and_sort_by_number() {
        let m = module(
            ModuleType::GroupedTimeseries,
            "period=week&group_by=channel&collect=count:sum",
            json!({}),
        );
        let rows = vec![
            week(
                "2026-11-09",
                json!({"channel": "digital", "count:sum": 1200}),
            ),
            week("2026-11-09", json!({"channel": "phone", "count:sum": 5})),
            week("2026-11-16", json!({"channel": "digital", "count:sum": 30})),
            week("2026-11-16", json!({"channel": "phone", "count:sum": null})),
        ];
        let f = figures(&m, &rows, chrono::DateTime::<chrono::Utc>::MAX_UTC).unwrap();
        let t = table_data(
            &m,
            &f,
            Some(&crate::modules::YearEarlier {
                values: vec![Some(1000.0), None],
                ..Default::default()
            }),
            DateTime::<Utc>::MAX_UTC,
        );
        assert_eq!(
            t.headers,
            ["Week", "Digital", "Phone", "Total", "Total, a year earlier"]
        );
        let texts: Vec<Vec<&str>> = t
            .rows
            .iter()
            .map(|r| r.iter().map(|c| c.text.as_str()).collect())
            .collect();
        assert_eq!(
            texts,
            [
                ["16 to 22 November 2026", "30", "no data", "30", "no data"],
                ["9 to 15 November 2026", "1,200", "5", "1,205", "1,000"],
            ]
        );
        let by_digital = t.sorted(1, true);
        assert_eq!(by_digital[0][1].text, "30");
        let by_phone = t.sorted(2, false);
        assert_eq!(by_phone[0][2].text, "5");
    }

    #[test]
    fn downloads_hold_the_table_as_shown_and_are_named_by_what_they_show() {
        let m = module(
            ModuleType::GroupedTimeseries,
            "period=week&group_by=channel&collect=count:sum",
            json!({}),
        );
        let rows = vec![
            week(
                "2026-11-09",
                json!({"channel": "digital", "count:sum": 1200}),
            ),
            week("2026-11-16", json!({"channel": "digital", "count:sum": 30})),
        ];
        let f = figures(&m, &rows, DateTime::<Utc>::MAX_UTC).unwrap();
        let t = table_data(&m, &f, None, DateTime::<Utc>::MAX_UTC);
        assert_eq!(
            t.to_csv(),
            "Week,Digital\r\n16 to 22 November 2026,30\r\n9 to 15 November 2026,\"1,200\"\r\n"
        );
        let json: Value = serde_json::from_str(&t.to_json("By channel")).unwrap();
        assert_eq!(
            json,
            json!({"title": "By channel", "columns": ["Week", "Digital"],
                "rows": [["16 to 22 November 2026", "30"], ["9 to 15 November 2026", "1,200"]]})
        );
        assert_eq!(
            download_name("tax", "by-channel", &f, "csv"),
            "tax-by-channel-week-2026-11-09-2026-11-22.csv"
        );
        let journey = Figures::Journey(Vec::new(), None, 0, Vec::new());
        assert_eq!(
            download_name("tax", "steps", &journey, "json"),
            "tax-steps.json"
        );
    }

    #[test]
    fn csv_fields_are_quoted_and_never_run_as_formulas() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a, b"), "\"a, b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_field("@SUM"), "'@SUM");
        assert_eq!(csv_field("-cmd"), "'-cmd");
        assert_eq!(csv_field("-£2.00"), "-£2.00");
        assert_eq!(csv_field("-12.5%"), "-12.5%");
    }

    #[test]
    fn data_urls_escape_everything_but_the_unreserved() {
        assert_eq!(
            data_url("text/csv", "a b,£\r\n"),
            "data:text/csv;charset=utf-8,a%20b%2C%C2%A3%0D%0A"
        );
    }

    #[test]
    fn cells_show_pounds_and_pence_and_percents() {
        assert_eq!(format_cell(Some(1234.5), Unit::Pounds).text, "£1,234.50");
        assert_eq!(format_cell(Some(4.567), Unit::Pounds).text, "£4.57");
        assert_eq!(format_cell(Some(0.7821), Unit::Ratio).text, "78.2%");
        assert_eq!(format_cell(Some(2.5), Unit::Number).text, "2.5");
        assert_eq!(format_cell(None, Unit::Number).text, "no data");
    }
}
