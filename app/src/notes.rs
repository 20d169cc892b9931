//! Annotations ("notes") as the charts use them: which charts and periods a note
//! covers, which unusual points no note explains yet, a note's text as plain text
//! with line breaks and links, and the checks a note must pass (the server's and
//! the editor's, the same ones).

use chrono::{DateTime, Datelike, Utc};

use crate::kpi::{
    format_date, periods_between, unusual_points, Unusual, LOW_BASE, MAX_YEAR, MIN_YEAR,
};
use crate::model::{Annotation, NewAnnotation, Period, Unit};

/// The longest note, in characters.
pub const MAX_TEXT: usize = 2000;
/// The most tags a note may have, and the longest tag.
pub const MAX_TAGS: usize = 10;
pub const MAX_TAG: usize = 40;

/// Why a note cannot be stored, or `Ok`: its fields ([`check_fields`]), then
/// its range ([`check_range`]).
pub fn check(note: &NewAnnotation) -> Result<(), String> {
    check_fields(note)?;
    check_range(note)
}

/// Why the time of a note cannot be stored, or `Ok`: it is outside the
/// years a chart can show (1900 to 2200 in UTC, as records' times are), or
/// it ends before it starts. Rules beyond each field's own shape, which the
/// API answers with a 422.
pub fn check_range(note: &NewAnnotation) -> Result<(), String> {
    for (part, at) in [("start", Some(note.starts_at)), ("end", note.ends_at)] {
        if at.is_some_and(|t| !(MIN_YEAR..=MAX_YEAR).contains(&t.year())) {
            return Err(format!(
                "The {part} of the note must be in the years {MIN_YEAR} to {MAX_YEAR}"
            ));
        }
    }
    match note.ends_at {
        Some(end) if end < note.starts_at => {
            Err("The end of the range must be on or after its start".into())
        }
        _ => Ok(()),
    }
}

/// Why one of a note's fields cannot be stored, or `Ok`.
pub fn check_fields(note: &NewAnnotation) -> Result<(), String> {
    let text = note.text.trim();
    if text.is_empty() {
        return Err("Enter the text of the note".into());
    }
    let length = text.chars().count();
    if length > MAX_TEXT {
        return Err(format!(
            "The note must be {MAX_TEXT} characters or fewer (it has {length})"
        ));
    }
    if note.tags.len() > MAX_TAGS {
        return Err(format!("A note may have at most {MAX_TAGS} tags"));
    }
    for tag in &note.tags {
        let ok = !tag.is_empty()
            && tag.chars().count() <= MAX_TAG
            && tag
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == ' ');
        if !ok {
            return Err(format!(
                "The tag {tag:?} must be letters, digits, spaces and dashes ({MAX_TAG} at most)"
            ));
        }
    }
    if let Some(module) = &note.module {
        if module
            .split_once('/')
            .is_none_or(|(d, m)| d.is_empty() || m.is_empty())
        {
            return Err(format!(
                "The module {module:?} must be given as dashboard/module"
            ));
        }
    }
    Ok(())
}

/// Tags as a person types them: separated by commas, trimmed, without repeats.
pub fn parse_tags(text: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for tag in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        if !tags.iter().any(|t| t == tag) {
            tags.push(tag.to_string());
        }
    }
    tags
}

/// Whether a note belongs on the chart of module `module` of dashboard
/// `dashboard` (a note for the whole service belongs on all of them).
pub fn on_module(note: &Annotation, dashboard: &str, module: &str) -> bool {
    match &note.module {
        None => true,
        Some(m) => m.split_once('/') == Some((dashboard, module)),
    }
}

/// The first and last of `periods` (in order) that a note's moment or range
/// touches, or `None` when it lies outside them all.
pub fn span(note: &Annotation, periods: &[Period]) -> Option<(usize, usize)> {
    let (start, end) = (note.starts_at, note.end());
    let first = periods
        .iter()
        .position(|p| p.end > start && p.start <= end)?;
    let last = periods
        .iter()
        .rposition(|p| p.end > start && p.start <= end)?;
    Some((first, last))
}

/// A chart's periods and its series by name.
pub type ChartLines<'a> = (&'a [Period], &'a [NamedSeries]);

/// The unusual figures of the chart of module `module` of `dashboard` that no
/// note on it explains, each with its series' name and its index in the
/// chart's periods: the rule of [`crate::kpi::unusual_points`] over each of
/// the chart's series (`shown`, in `unit`), given the periods the notes on
/// the chart cover (see [`on_module`] and [`span`]). With `history`, the same
/// series over the year before the chart's periods and them, the periods
/// before the chart's are put in front of its series, so that each period is
/// compared with the same period a year earlier (a chart of 52 weeks has no
/// year earlier of its own); only the chart's periods are flagged.
///
/// `received` is when the chart's data set was last written: a newest
/// period that had ended by then is complete, and a dip there is flagged;
/// otherwise (or without it) the newest period may still be filling in.
///
/// The one place a dashboard's charts and a board's "needs attention" list
/// find them, so the two cannot disagree.
pub fn unexplained_figures(
    notes: &[Annotation],
    dashboard: &str,
    module: &str,
    shown: ChartLines<'_>,
    history: Option<ChartLines<'_>>,
    unit: Unit,
    received: Option<DateTime<Utc>>,
) -> Vec<(String, Unusual)> {
    let (periods, series) = shown;
    let Some(first) = periods.first() else {
        return Vec::new();
    };
    let kind = first.kind;
    // The periods before the chart's that the history covers, with no gaps.
    let before: Vec<Period> = history
        .and_then(|(p, _)| p.first())
        .filter(|p| p.kind == kind && p.start < first.start)
        .map(|p| periods_between(kind, p.start, first.start))
        .unwrap_or_default();
    let earlier = |name: &str| -> Vec<Option<f64>> {
        let found = history.and_then(|(p, s)| {
            let values = &s.iter().find(|(n, _)| n == name)?.1;
            Some(
                p.iter()
                    .zip(values)
                    .map(|(p, v)| (p.start, *v))
                    .collect::<std::collections::BTreeMap<_, _>>(),
            )
        });
        before
            .iter()
            .map(|p| {
                found
                    .as_ref()
                    .and_then(|f| f.get(&p.start).copied().flatten())
            })
            .collect()
    };
    let offset = before.len();
    let all: Vec<Period> = before.iter().chain(periods).copied().collect();
    let spans: Vec<(usize, usize)> = notes
        .iter()
        .filter(|n| on_module(n, dashboard, module))
        .filter_map(|n| span(n, &all))
        .collect();
    series
        .iter()
        .flat_map(|(name, values)| {
            let filling_in = values
                .iter()
                .rposition(Option::is_some)
                .is_none_or(|i| received.is_none_or(|r| r < periods[i].end));
            let mut judged = earlier(name);
            judged.extend(values.iter().copied());
            // A rate of a period under way is compared with no whole one
            // (as its headline gives no change): neither judged nor a
            // neighbour. (A count so far that already stands out is news;
            // a dip in it is not: `filling_in`.)
            if unit == Unit::Ratio && filling_in {
                if let Some(newest) = judged.iter_mut().rev().find(|v| v.is_some()) {
                    *newest = None;
                }
            }
            // The first period with data may be only partly covered (data
            // that began in the middle of a month): it is neither judged nor
            // a neighbour, as a period under way is not.
            if let Some(i) = judged.iter().position(Option::is_some) {
                judged[i] = None;
            }
            // (so for a rate, the newest left is whole: its dip is news)
            let filling_in = filling_in && unit != Unit::Ratio;
            unusual_points(&judged, kind, unit, &spans, filling_in)
                .into_iter()
                .filter(|u| u.index >= offset)
                .map(move |u| {
                    (
                        name.clone(),
                        Unusual {
                            index: u.index - offset,
                            ..u
                        },
                    )
                })
        })
        .collect()
}

/// When a note is about, in words: "3 March 2025", or "3 March 2025 to 9 March 2025".
pub fn when(note: &Annotation) -> String {
    match note.ends_at {
        Some(end) if end.date_naive() != note.starts_at.date_naive() => {
            format!("{} to {}", format_date(note.starts_at), format_date(end))
        }
        _ => format_date(note.starts_at),
    }
}

/// A piece of a note's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    Text(String),
    /// A web address, shown as a link to itself.
    Link(String),
    Break,
}

/// A note's text in pieces: lines, and the `http://` and `https://` addresses in
/// them. Nothing else is markup: the page shows every other character as it is.
pub fn parts(text: &str) -> Vec<Part> {
    let mut out = Vec::new();
    for (n, line) in text.trim().lines().enumerate() {
        if n > 0 {
            out.push(Part::Break);
        }
        let mut rest = line;
        while !rest.is_empty() {
            let at = ["https://", "http://"]
                .iter()
                .filter_map(|scheme| rest.find(scheme))
                .min();
            let Some(at) = at else {
                out.push(Part::Text(rest.to_string()));
                break;
            };
            if at > 0 {
                out.push(Part::Text(rest[..at].to_string()));
            }
            let link = &rest[at..];
            let length = link
                .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"'))
                .unwrap_or(link.len());
            // A full stop, comma or closing bracket after an address ends the sentence.
            let trimmed = link[..length].trim_end_matches(['.', ',', ')', ';', ':', '!', '?']);
            let scheme_only = trimmed.ends_with("//");
            if scheme_only {
                out.push(Part::Text(trimmed.to_string()));
            } else {
                out.push(Part::Link(trimmed.to_string()));
            }
            rest = &link[trimmed.len()..];
        }
    }
    out
}

/// A series of a chart: its name and its values.
pub type NamedSeries = (String, Vec<Option<f64>>);

/// The periods and named series of a chart that notes and unusual figures go
/// on: a time series' series, a completion rate, a satisfaction score. `None`
/// for figures without a time axis. A rate out of fewer than
/// [`crate::kpi::LOW_BASE`] is left out (`None`): too few to rely on, as its
/// headline says, it is neither judged unusual nor a neighbour of one (9
/// people of 9 finishing in Christmas week is no 100% to explain).
pub fn chart_series(figures: &crate::modules::Figures) -> Option<(Vec<Period>, Vec<NamedSeries>)> {
    use crate::modules::Figures;
    let enough = |rates: Vec<Option<f64>>, bases: &[Option<f64>]| -> Vec<Option<f64>> {
        rates
            .into_iter()
            .zip(bases)
            .map(|(rate, base)| rate.filter(|_| base.is_some_and(|b| b.round() >= LOW_BASE)))
            .collect()
    };
    match figures {
        Figures::Time(t) => Some((
            t.periods.clone(),
            t.series
                .iter()
                .map(|s| (s.label.clone(), s.values.clone()))
                .collect(),
        )),
        Figures::Completion(c) => Some((
            c.periods.clone(),
            vec![("Completion rate".to_string(), enough(c.rates(), &c.started))],
        )),
        Figures::Satisfaction(s) => Some((
            s.periods.clone(),
            vec![(
                "Satisfaction score".to_string(),
                enough(s.scores(), &s.responses),
            )],
        )),
        _ => None,
    }
}

/// The midnight (UTC) starting a date typed as `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    let mut fields = text.trim().splitn(3, '-');
    let mut next = || fields.next()?.parse::<u32>().ok();
    let (y, m, d) = (next()?, next()?, next()?);
    chrono::NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

/// A time as a date field shows it: `YYYY-MM-DD`.
pub fn date_value(t: DateTime<Utc>) -> String {
    use chrono::Datelike;
    format!("{:04}-{:02}-{:02}", t.year(), t.month(), t.day())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PeriodKind, Visibility};
    use chrono::TimeZone;

    fn day(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
    }

    fn note(start: DateTime<Utc>, end: Option<DateTime<Utc>>) -> Annotation {
        Annotation {
            id: 1,
            service: "s".into(),
            module: None,
            starts_at: start,
            ends_at: end,
            text: "t".into(),
            tags: vec![],
            visibility: Visibility::Public,
            author: "a".into(),
            version: 1,
            created_at: start,
            updated_at: start,
        }
    }

    #[test]
    fn a_moment_covers_its_period_and_a_range_every_period_it_touches() {
        // Weeks starting Mondays 3, 10, 17, 24 March 2014.
        let weeks = periods_between(PeriodKind::Week, day(2014, 3, 3), day(2014, 3, 31));
        assert_eq!(span(&note(day(2014, 3, 12), None), &weeks), Some((1, 1)));
        assert_eq!(span(&note(day(2014, 3, 10), None), &weeks), Some((1, 1)));
        assert_eq!(
            span(&note(day(2014, 3, 9), Some(day(2014, 3, 18))), &weeks),
            Some((0, 2))
        );
        assert_eq!(span(&note(day(2014, 4, 1), None), &weeks), None);
        assert_eq!(
            span(&note(day(2014, 1, 1), Some(day(2015, 1, 1))), &weeks),
            Some((0, 3))
        );
    }

    #[test]
    fn a_chart_s_figures_are_explained_by_the_notes_on_it() {
        // 20 weeks from Monday 6 January 2014 with a spike in week 12.
        let weeks = periods_between(PeriodKind::Week, day(2014, 1, 6), day(2014, 5, 26));
        let mut values: Vec<Option<f64>> = (0..weeks.len())
            .map(|i| Some(1000.0 + (i % 3) as f64 * 20.0))
            .collect();
        values[12] = Some(4000.0);
        let series = vec![("Digital".to_string(), values)];
        let found = |notes: &[Annotation]| -> Vec<(String, usize)> {
            unexplained_figures(notes, "d", "m", (&weeks, &series), None, Unit::Number, None)
                .into_iter()
                .map(|(name, u)| (name, u.index))
                .collect()
        };
        assert_eq!(found(&[]), vec![("Digital".to_string(), 12)]);
        // A note for the service, or for this module, on the week after it.
        let mut n = note(day(2014, 4, 8), None);
        assert_eq!(found(std::slice::from_ref(&n)), vec![]);
        n.module = Some("d/m".into());
        assert_eq!(found(std::slice::from_ref(&n)), vec![]);
        // A note on another module, or far from it, does not explain it.
        n.module = Some("d/other".into());
        assert_eq!(found(std::slice::from_ref(&n)).len(), 1);
        let far = note(day(2014, 2, 1), Some(day(2014, 3, 1)));
        assert_eq!(found(&[far]).len(), 1);
    }

    #[test]
    fn a_rate_of_too_few_or_of_a_period_under_way_is_never_unusual() {
        use crate::modules::{CompletionFigures, Figures};
        // 20 weeks of 900 starts finishing about 70%; week 12 at 100%.
        let weeks = periods_between(PeriodKind::Week, day(2014, 1, 6), day(2014, 5, 26));
        let started: Vec<Option<f64>> = (0..weeks.len()).map(|_| Some(900.0)).collect();
        let mut completed: Vec<Option<f64>> = (0..weeks.len())
            .map(|i| Some(630.0 + (i % 3) as f64 * 9.0))
            .collect();
        completed[12] = Some(900.0);
        let found = |started: &[Option<f64>], completed: &[Option<f64>], received| -> Vec<usize> {
            let figures = Figures::Completion(CompletionFigures {
                periods: weeks.clone(),
                started: started.to_vec(),
                completed: completed.to_vec(),
            });
            let (periods, series) = chart_series(&figures).unwrap();
            unexplained_figures(
                &[],
                "d",
                "m",
                (&periods, &series),
                None,
                Unit::Ratio,
                received,
            )
            .into_iter()
            .map(|(_, u)| u.index)
            .collect()
        };
        let all_in = Some(day(2014, 6, 1));
        assert_eq!(found(&started, &completed, all_in), vec![12]);
        // 9 of 9 in week 12: too few to rely on, so nothing to explain.
        let (mut few, mut all_few) = (started.clone(), completed.clone());
        few[12] = Some(9.0);
        all_few[12] = Some(9.0);
        assert_eq!(found(&few, &all_few, all_in), Vec::<usize>::new());
        // The newest week at 100% of 900, while it is under way: not yet.
        let mut newest = completed.clone();
        newest[12] = Some(639.0);
        newest[19] = Some(900.0);
        assert_eq!(found(&started, &newest, all_in), vec![19]);
        assert_eq!(
            found(&started, &newest, Some(day(2014, 5, 21))),
            Vec::<usize>::new()
        );
        // A dip in the last whole week beside it is still marked.
        let mut dip = completed.clone();
        dip[12] = Some(639.0);
        dip[18] = Some(360.0);
        assert_eq!(found(&started, &dip, Some(day(2014, 5, 21))), vec![18]);
    }

    #[test]
    fn a_chart_of_a_year_is_judged_against_the_year_before_it() {
        // A chart of 52 weeks from Monday 6 January 2014 with its deadline
        // week (27 January) three times the usual; the year before had one too.
        let weeks = periods_between(PeriodKind::Week, day(2014, 1, 6), day(2015, 1, 5));
        let ordinary = |i: usize| Some(1000.0 + (i % 3) as f64 * 20.0);
        let mut values: Vec<Option<f64>> = (0..weeks.len()).map(ordinary).collect();
        values[3] = Some(3000.0);
        let series = vec![("Digital".to_string(), values)];
        let found = |history: Option<ChartLines<'_>>| -> Vec<usize> {
            unexplained_figures(
                &[],
                "d",
                "m",
                (&weeks, &series),
                history,
                Unit::Number,
                None,
            )
            .into_iter()
            .map(|(_, u)| u.index)
            .collect()
        };
        assert_eq!(found(None), vec![3]);
        // The history: the year before (from 7 January 2013) and the chart's.
        let all = periods_between(PeriodKind::Week, day(2013, 1, 7), day(2015, 1, 5));
        let mut earlier: Vec<Option<f64>> = (0..all.len()).map(ordinary).collect();
        earlier[3] = Some(2900.0);
        let history = vec![("Digital".to_string(), earlier.clone())];
        assert_eq!(found(Some((&all, &history))), Vec::<usize>::new());
        // Without last year's peak, this year's stands out, at its index in
        // the chart.
        earlier[3] = Some(1000.0);
        let history = vec![("Digital".to_string(), earlier)];
        assert_eq!(found(Some((&all, &history))), vec![3]);
    }

    #[test]
    fn text_keeps_lines_and_links_and_nothing_else() {
        assert_eq!(
            parts("Outage.\nSee https://status.example/x, then <b>more</b>"),
            vec![
                Part::Text("Outage.".into()),
                Part::Break,
                Part::Text("See ".into()),
                Part::Link("https://status.example/x".into()),
                Part::Text(", then <b>more</b>".into()),
            ]
        );
        assert_eq!(
            parts("(http://a.example/b)."),
            vec![
                Part::Text("(".into()),
                Part::Link("http://a.example/b".into()),
                Part::Text(").".into())
            ]
        );
        assert_eq!(
            parts("just https://"),
            vec![Part::Text("just ".into()), Part::Text("https://".into())]
        );
        assert_eq!(
            parts("javascript:alert(1)"),
            vec![Part::Text("javascript:alert(1)".into())]
        );
    }

    #[test]
    fn notes_are_checked() {
        let ok = NewAnnotation {
            service: "s".into(),
            module: Some("d/m".into()),
            starts_at: day(2020, 1, 1),
            ends_at: Some(day(2020, 1, 8)),
            text: "Deadline".into(),
            tags: vec!["deadline".into(), "tax year".into()],
            visibility: Visibility::Internal,
        };
        assert_eq!(check(&ok), Ok(()));
        let bad = |change: fn(&mut NewAnnotation)| {
            let mut n = ok.clone();
            change(&mut n);
            check(&n).unwrap_err()
        };
        assert!(bad(|n| n.text = "  \n".into()).contains("Enter the text"));
        assert!(bad(|n| n.text = "x".repeat(2001)).contains("2000 characters or fewer"));
        assert!(bad(|n| n.ends_at = Some(day(2019, 1, 1))).contains("on or after"));
        assert!(bad(|n| n.tags = vec!["<script>".into()]).contains("tag"));
        assert!(bad(|n| n.tags = vec!["a".into(); 11]).contains("at most 10"));
        assert!(bad(|n| n.module = Some("m".into())).contains("dashboard/module"));
        // Notes are in the years a chart can show, as records are.
        assert_eq!(
            bad(|n| n.starts_at = DateTime::<Utc>::MIN_UTC),
            "The start of the note must be in the years 1900 to 2200"
        );
        assert_eq!(
            bad(|n| n.ends_at = Some(DateTime::<Utc>::MAX_UTC)),
            "The end of the note must be in the years 1900 to 2200"
        );
        assert_eq!(
            check(&NewAnnotation {
                starts_at: day(1900, 1, 1),
                ends_at: Some(day(2200, 12, 31)),
                ..ok.clone()
            }),
            Ok(())
        );
    }

    #[test]
    fn typed_tags_and_dates() {
        assert_eq!(
            parse_tags(" outage, ,deadline,outage "),
            vec!["outage", "deadline"]
        );
        assert_eq!(parse_date("2024-02-29"), Some(day(2024, 2, 29)));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(date_value(day(2024, 2, 29)), "2024-02-29");
        assert_eq!(
            when(&note(day(2024, 1, 1), Some(day(2024, 1, 7)))),
            "1 January 2024 to 7 January 2024"
        );
        assert_eq!(when(&note(day(2024, 1, 1), None)), "1 January 2024");
    }
}
