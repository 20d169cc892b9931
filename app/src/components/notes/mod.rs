//! Notes on the charts: pins and shaded bands for editors' notes, subtle
//! markers on unusual figures nobody has explained yet, the editor that opens
//! where an editor clicks (or shift-drags) on a chart or from "Add a note", and
//! the list of a chart's notes under it.
//!
//! A dashboard page provides [`NotesState`] (its service's notes and whether the
//! viewer may write them); every time chart of the page reads it, so a note
//! saved on one chart appears at once on every chart whose time axis covers it.
//! Without JavaScript the lists are there (server-rendered); the marks, which
//! need the drawn chart's geometry, come with hydration.
//!
//! The parts: `marks` (which notes and unusual figures a chart marks),
//! `overlay` (the marks drawn over the chart), `card` (an opened note),
//! `draft` and `editor` (writing a note; the editor's code is fetched when
//! first opened) and `list` (the notes under the chart and in its table).

use leptos::prelude::*;

use crate::components::chart::{grid_bottom, Marks, Placed};
use crate::model::{Annotation, Period, Unit};
use crate::modules::DashboardView;
use crate::notes::{self as rules, Part};

mod card;
mod draft;
mod editor;
mod list;
mod marks;
mod overlay;

use draft::Draft;
use editor::LazyEditor;
use list::NotesList;
use marks::{anchors_of, marks_here, ChartSeries, Mark};

/// The notes of the page's service, shared by its charts. Kept by the page
/// (see [`NotesHome`]), not by the figures it shows: a note saved or deleted
/// while the figures reload is not lost with them.
#[derive(Clone, Copy)]
pub struct NotesState {
    service: StoredValue<Option<String>>,
    dashboard: StoredValue<String>,
    list: RwSignal<Vec<Annotation>>,
    may_annotate: bool,
    csrf: StoredValue<String>,
    /// The notes this page saved (`Some`) or deleted (`None`) that the
    /// figures last loaded may not have known of yet, with how many figures
    /// have loaded since.
    changed: StoredValue<Vec<Change>>,
}

impl NotesState {
    /// Deletes note `id` through the API: gone from every chart at once, then
    /// `done`; or the API's reason in `problem`.
    fn delete(self, id: i64, problem: RwSignal<Option<String>>, done: impl FnOnce() + 'static) {
        // (Its page reloading its figures, the note still shown is one whose
        // state has gone: nothing is done, rather than a panic.)
        let Some(token) = self.csrf.try_get_value() else {
            return;
        };
        leptos::task::spawn_local(async move {
            let path = format!("/api/v1/annotations/{id}");
            match crate::api::send_json::<crate::model::Done>("DELETE", path, None, token).await {
                Ok(_) => {
                    self.remember(id, None);
                    done();
                }
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    }

    /// A note saved (`Some`) or deleted (`None`) by this page: on every chart
    /// at once, and over the notes of figures loaded before the server had it.
    fn remember(self, id: i64, note: Option<Annotation>) {
        self.changed.update_value(|c| {
            c.retain(|change| change.id != id);
            c.push(Change { id, note, loads: 0 });
        });
        self.list.update(|l| apply(l, &self.changed.get_value()));
    }

    /// The notes of newly loaded figures, with this page's own changes that
    /// they do not show yet.
    fn loaded(self, mut notes: Vec<Annotation>) {
        self.changed.update_value(|c| {
            c.retain_mut(|change| {
                change.loads += 1;
                !change.shown_in(&notes)
            })
        });
        apply(&mut notes, &self.changed.get_value());
        self.list.set(notes);
    }
}

/// A note this page saved (`Some`) or deleted (`None`), and how many loads
/// of the figures there have been since.
#[derive(Clone)]
struct Change {
    id: i64,
    note: Option<Annotation>,
    loads: u8,
}

impl Change {
    /// Whether `notes`, as loaded, need this change no more: they show it (or
    /// a later edit of the note), or they were asked for after it was made.
    /// Of the figures loaded after a change, only the first can have been
    /// asked for before it was made (a page asked again drops the answer it
    /// was waiting for), so from the second on, what the server says stands
    /// (someone else may have edited or deleted the note since).
    fn shown_in(&self, notes: &[Annotation]) -> bool {
        let there = notes.iter().find(|n| n.id == self.id);
        let shown = match (&self.note, there) {
            (Some(mine), Some(theirs)) => theirs.version >= mine.version,
            (None, None) => true,
            _ => false,
        };
        shown || self.loads >= 2
    }
}

/// `notes` with `changes` made to them, in the order the charts list them.
fn apply(notes: &mut Vec<Annotation>, changes: &[Change]) {
    for change in changes {
        notes.retain(|n| n.id != change.id);
        notes.extend(change.note.clone());
    }
    notes.sort_by_key(|n| (n.starts_at, n.id));
}

/// What a dashboard page keeps while its figures reload (a view chosen, say):
/// the notes of its service and each chart's note being written, so that the
/// editor stays open with what was typed, and a note saved meanwhile is sent.
#[derive(Clone, Copy)]
pub struct NotesHome {
    owner: StoredValue<Owner>,
    state: StoredValue<Option<NotesState>>,
    drafts: StoredValue<Vec<(String, Draft)>>,
}

impl NotesHome {
    /// Provides the page's notes home, for the figures it draws.
    pub fn provide() {
        provide_context(NotesHome {
            // A child of the page's: disposed with it (the page's own owner
            // kept in its own store would never be).
            owner: StoredValue::new(Owner::new()),
            state: StoredValue::new(None),
            drafts: StoredValue::new(Vec::new()),
        });
    }

    /// The draft of chart `chart_id` of dashboard `dashboard`: the one it had
    /// before the figures reloaded (the page stays as another dashboard is
    /// opened: a note begun on one is not carried to the other's chart).
    fn draft(self, dashboard: &str, chart_id: &str) -> Draft {
        let key = format!("{dashboard} {chart_id}");
        if let Some(draft) = self
            .drafts
            .with_value(|d| d.iter().find(|(k, _)| *k == key).map(|(_, d)| *d))
        {
            return draft;
        }
        let draft = self.owner.with_value(|o| o.with(Draft::new));
        self.drafts.update_value(|d| d.push((key, draft)));
        draft
    }
}

/// A dashboard's service's targets, for its charts.
#[derive(Clone, Debug, Default)]
pub struct ServiceTargets(pub Vec<crate::boards::Target>);

/// Makes the dashboard's notes available to its charts: those the page
/// (its [`NotesHome`]) has, with the notes of `view`.
pub fn provide_notes(view: &DashboardView) {
    provide_context(ServiceTargets(view.targets.clone()));
    let new = || NotesState {
        service: StoredValue::new(view.dashboard.service.clone()),
        dashboard: StoredValue::new(view.dashboard.slug.clone()),
        list: RwSignal::new(view.notes.annotations.clone()),
        may_annotate: view.notes.may_annotate && view.dashboard.service.is_some(),
        csrf: StoredValue::new(view.csrf.clone().unwrap_or_default()),
        changed: StoredValue::new(Vec::new()),
    };
    let Some(home) = use_context::<NotesHome>() else {
        provide_context(new());
        return;
    };
    let kept = home.state.get_value().filter(|s| {
        s.dashboard.try_with_value(|d| *d == view.dashboard.slug) == Some(true)
            && s.csrf
                .try_with_value(|c| c == view.csrf.as_deref().unwrap_or_default())
                == Some(true)
    });
    let state = match kept {
        Some(state) => {
            state.loaded(view.notes.annotations.clone());
            state
        }
        None => {
            let state = home.owner.with_value(|o| o.with(new));
            home.state.set_value(Some(state));
            state
        }
    };
    provide_context(state);
}

/// A note's text: its lines, with web addresses as links. Everything else is
/// shown as text (Leptos escapes it).
fn note_text(text: &str) -> impl IntoView {
    rules::parts(text)
        .into_iter()
        .map(|part| match part {
            Part::Text(t) => t.into_any(),
            Part::Link(url) => view! {
                <a class="govuk-link" href=url.clone() rel="nofollow noopener">{url.clone()}</a>
            }
            .into_any(),
            Part::Break => view! { <br/> }.into_any(),
        })
        .collect_view()
}

/// What a chart needs to show notes: its place in the dashboard, its periods,
/// its series (to find unusual figures), and how values are written.
pub struct ChartNotes {
    pub marks: Option<Marks>,
    pub overlay: Option<AnyView>,
    pub button: Option<AnyView>,
    pub below: Option<AnyView>,
    pub in_table: Option<AnyView>,
}

/// What the parts of one chart's notes share: the page's notes, the chart's
/// periods and marks, the editor's draft and the note opened over the chart.
#[derive(Clone, Copy)]
struct ChartState {
    state: NotesState,
    periods: StoredValue<Vec<Period>>,
    /// The notes and unexplained unusual figures the chart marks.
    here: Memo<Vec<Mark>>,
    /// Where the chart has drawn the marks' anchors.
    placed: RwSignal<Placed>,
    /// The range being dragged over the chart, in pixels.
    selecting: RwSignal<Option<(f64, f64)>>,
    draft: Draft,
    /// The note whose card is open.
    card: RwSignal<Option<i64>>,
    /// Whether the viewer may write notes.
    may: bool,
    /// Where the chart's grid ends, in pixels from its bottom.
    bottom: f64,
    /// "Add a note", where the focus goes back when the editor below closes.
    add_button: NodeRef<leptos::html::Button>,
}

/// What a chart's unusual figures are found in: its periods, its series by
/// name, the same series over the year before them too (when loaded), and
/// the unit of their values.
pub struct ChartFigures {
    pub periods: Vec<Period>,
    pub series: Vec<rules::NamedSeries>,
    pub history: Option<(Vec<Period>, Vec<rules::NamedSeries>)>,
    pub unit: Unit,
    /// When the chart's data set was last written (its freshness).
    pub received: Option<chrono::DateTime<chrono::Utc>>,
}

/// The notes of one chart, or nothing on a page without notes (a dashboard of
/// no service). `figures` are the chart's series; `by_value` says
/// whether unusual points are marked at their value (lines and bars) or along
/// the top (stacked areas, whose heights are not the values).
pub fn chart_notes(
    module: &str,
    chart_id: &str,
    figures: ChartFigures,
    zoom: bool,
    by_value: Signal<bool>,
) -> ChartNotes {
    let Some(state) = use_context::<NotesState>().filter(|s| s.service.with_value(Option::is_some))
    else {
        return ChartNotes {
            marks: None,
            overlay: None,
            button: None,
            below: None,
            in_table: None,
        };
    };
    let dashboard = state.dashboard.get_value();
    let module = module.to_string();
    let ChartFigures {
        periods,
        series,
        history,
        unit,
        received,
    } = figures;
    let periods = StoredValue::new(periods);
    // The figures do not change on the page; the notes that explain them may.
    let series = StoredValue::new(ChartSeries {
        series,
        history,
        unit,
        received,
    });
    let here = marks_here(state, dashboard.clone(), module.clone(), periods, series);
    let anchors = anchors_of(here, by_value);
    let chart = ChartState {
        state,
        periods,
        here,
        placed: RwSignal::new(Placed::default()),
        selecting: RwSignal::new(None::<(f64, f64)>),
        draft: use_context::<NotesHome>()
            .map(|home| home.draft(&dashboard, chart_id))
            .unwrap_or_else(Draft::new),
        card: RwSignal::new(None::<i64>),
        may: state.may_annotate,
        bottom: grid_bottom(zoom),
        add_button: NodeRef::<leptos::html::Button>::new(),
    };
    let marks = Marks {
        anchors,
        placed: chart.placed,
        on_point: overlay::on_point(chart),
        on_range: overlay::on_range(chart),
        selecting: chart.selecting,
    };
    let chart_id = chart_id.to_string();
    let overlay = overlay::overlay(chart, &chart_id, &dashboard, &module);
    let button = chart.may.then(|| overlay::add_button(chart, &chart_id));
    let below = below(chart, &chart_id, &dashboard, &module);
    let ChartState {
        here,
        draft,
        may,
        state,
        ..
    } = chart;
    let in_table = view! {
        <NotesList here id=format!("{chart_id}-table-notes") draft may state controls=false/>
    }
    .into_any();
    ChartNotes {
        marks: Some(marks),
        overlay: Some(overlay),
        button,
        below: Some(below),
        in_table: Some(in_table),
    }
}

/// Under the chart: the editor opened from "Add a note", and the list of the
/// chart's notes.
fn below(chart: ChartState, chart_id: &str, dashboard: &str, module: &str) -> AnyView {
    let ChartState {
        state,
        here,
        draft,
        may,
        add_button,
        ..
    } = chart;
    let (dashboard, module) = (dashboard.to_string(), module.to_string());
    view! {
        <Show when=move || draft.open.get() && draft.at.get().is_none()>
            <LazyEditor draft state dashboard=dashboard.clone() module=module.clone() return_to=add_button anchored=false/>
        </Show>
        <NotesList here id=format!("{chart_id}-notes") draft may state controls=true/>
    }
    .into_any()
}

/// The "Delete" button's two handlers: asking (the question's first button,
/// `confirm_id`, takes the focus) and keeping the note (focus back on
/// "Delete", `delete_id`).
fn confirming(
    confirming: RwSignal<bool>,
    delete_id: &str,
    confirm_id: &str,
) -> (
    impl Fn(leptos::ev::MouseEvent) + Clone + 'static,
    impl Fn(leptos::ev::MouseEvent) + Clone + 'static,
) {
    use crate::components::navigation::focus_soon;
    let (delete_id, confirm_id) = (delete_id.to_string(), confirm_id.to_string());
    let ask = move |_| {
        let _ = confirming.try_set(true);
        focus_soon(vec![confirm_id.clone()]);
    };
    let keep = move |_| {
        let _ = confirming.try_set(false);
        focus_soon(vec![delete_id.clone()]);
    };
    (ask, keep)
}
