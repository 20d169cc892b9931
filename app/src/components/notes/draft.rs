//! A note being written or edited: the editor's fields, shared by the marks
//! and buttons that open the editor and the editor itself.

use leptos::prelude::*;

use crate::components::navigation::KeptFocus;
use crate::model::{Annotation, Period, Visibility};
use crate::notes as rules;

/// A note being written or edited.
#[derive(Clone, Copy)]
pub(super) struct Draft {
    pub(super) open: RwSignal<bool>,
    /// The note being edited (none for a new one).
    pub(super) id: RwSignal<Option<i64>>,
    /// Where on the chart it was opened (none: below the chart).
    pub(super) at: RwSignal<Option<(f64, f64)>>,
    pub(super) from: RwSignal<String>,
    pub(super) to: RwSignal<String>,
    pub(super) text: RwSignal<String>,
    pub(super) tags: RwSignal<String>,
    pub(super) internal: RwSignal<bool>,
    pub(super) this_chart: RwSignal<bool>,
    pub(super) problem: RwSignal<Option<String>>,
    pub(super) saving: RwSignal<bool>,
    /// The field of the editor the focus is in (or was lost from as the
    /// figures reloaded).
    pub(super) focus: KeptFocus,
    /// Opened, and not yet given the focus: its first field takes it (drawn
    /// again later, it only gives the focus back).
    pub(super) fresh: RwSignal<bool>,
}

impl Draft {
    pub(super) fn new() -> Draft {
        Draft {
            open: RwSignal::new(false),
            id: RwSignal::new(None),
            at: RwSignal::new(None),
            from: RwSignal::new(String::new()),
            to: RwSignal::new(String::new()),
            text: RwSignal::new(String::new()),
            tags: RwSignal::new(String::new()),
            internal: RwSignal::new(false),
            this_chart: RwSignal::new(false),
            problem: RwSignal::new(None),
            saving: RwSignal::new(false),
            focus: KeptFocus::default(),
            fresh: RwSignal::new(false),
        }
    }

    /// Opens the editor for a new note over `from..=to` (dates as `YYYY-MM-DD`).
    pub(super) fn start(&self, from: String, to: String, at: Option<(f64, f64)>) {
        self.id.set(None);
        self.at.set(at);
        self.from.set(from);
        self.to.set(to);
        self.text.set(String::new());
        self.tags.set(String::new());
        self.internal.set(false);
        self.this_chart.set(false);
        self.problem.set(None);
        self.focus.forget();
        self.fresh.set(true);
        self.open.set(true);
    }

    /// Opens the editor on a stored note.
    pub(super) fn edit(&self, note: &Annotation, at: Option<(f64, f64)>) {
        self.id.set(Some(note.id));
        self.at.set(at);
        self.from.set(rules::date_value(note.starts_at));
        self.to
            .set(note.ends_at.map(rules::date_value).unwrap_or_default());
        self.text.set(note.text.clone());
        self.tags.set(note.tags.join(", "));
        self.internal.set(note.visibility == Visibility::Internal);
        self.this_chart.set(note.module.is_some());
        self.problem.set(None);
        self.focus.forget();
        self.fresh.set(true);
        self.open.set(true);
    }
}

/// The first day of period `i`, and the last day of period `j`, as dates.
pub(super) fn dates_of(periods: &[Period], i: usize, j: usize) -> (String, String) {
    let first = periods.get(i).map(|p| rules::date_value(p.start));
    let last = periods
        .get(j)
        .map(|p| rules::date_value(p.end - chrono::Duration::days(1)));
    (first.unwrap_or_default(), last.unwrap_or_default())
}
