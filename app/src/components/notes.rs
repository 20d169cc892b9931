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

use leptos::prelude::*;

use crate::components::chart::{grid_bottom, Marks, Placed, GRID_TOP};
use crate::kpi::{format_value, unusual_points, Unusual};
use crate::model::{Annotation, NewAnnotation, Period, Unit, Visibility};
use crate::modules::DashboardView;
use crate::notes::{self as rules, Part};

/// The notes of the page's service, shared by its charts.
#[derive(Clone, Copy)]
pub struct NotesState {
    service: StoredValue<Option<String>>,
    dashboard: StoredValue<String>,
    list: RwSignal<Vec<Annotation>>,
    may_annotate: bool,
    csrf: StoredValue<String>,
}

impl NotesState {
    /// Deletes note `id` through the API: gone from every chart at once, then
    /// `done`; or the API's reason in `problem`.
    fn delete(self, id: i64, problem: RwSignal<Option<String>>, done: impl FnOnce() + 'static) {
        let token = self.csrf.get_value();
        leptos::task::spawn_local(async move {
            let path = format!("/api/v1/annotations/{id}");
            match crate::api::send_json::<crate::model::Done>("DELETE", path, None, token).await {
                Ok(_) => {
                    self.list.update(|l| l.retain(|n| n.id != id));
                    done();
                }
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    }
}

/// Makes the dashboard's notes available to its charts.
/// A dashboard's service's targets, for its charts.
#[derive(Clone, Debug, Default)]
pub struct ServiceTargets(pub Vec<crate::boards::Target>);

pub fn provide_notes(view: &DashboardView) {
    provide_context(ServiceTargets(view.targets.clone()));
    provide_context(NotesState {
        service: StoredValue::new(view.dashboard.service.clone()),
        dashboard: StoredValue::new(view.dashboard.slug.clone()),
        list: RwSignal::new(view.notes.annotations.clone()),
        may_annotate: view.notes.may_annotate && view.dashboard.service.is_some(),
        csrf: StoredValue::new(view.csrf.clone().unwrap_or_default()),
    });
}

/// Where an anchor is drawn: its x, and its y when placed by value.
type Point = (f64, Option<f64>);

/// Unusual figures at one period, across a chart's series.
#[derive(Clone, Debug, PartialEq)]
struct SpikeAt {
    index: usize,
    /// The value to place the marker at (the first series'), if placed by value.
    y: Option<f64>,
    /// "Digital: 612,000 (about 150,000 expected)" for each series.
    words: Vec<String>,
    rise: bool,
}

/// A mark over the chart.
#[derive(Clone, Debug, PartialEq)]
enum Mark {
    /// A note (numbered as in the list) over periods `first..=last`.
    Note {
        number: usize,
        note: Annotation,
        first: usize,
        last: usize,
    },
    Spike(SpikeAt),
}

/// A note being written or edited.
#[derive(Clone, Copy)]
struct Draft {
    open: RwSignal<bool>,
    /// The note being edited (none for a new one).
    id: RwSignal<Option<i64>>,
    /// Where on the chart it was opened (none: below the chart).
    at: RwSignal<Option<(f64, f64)>>,
    from: RwSignal<String>,
    to: RwSignal<String>,
    text: RwSignal<String>,
    tags: RwSignal<String>,
    internal: RwSignal<bool>,
    this_chart: RwSignal<bool>,
    problem: RwSignal<Option<String>>,
    saving: RwSignal<bool>,
}

impl Draft {
    fn new() -> Draft {
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
        }
    }

    /// Opens the editor for a new note over `from..=to` (dates as `YYYY-MM-DD`).
    fn start(&self, from: String, to: String, at: Option<(f64, f64)>) {
        self.id.set(None);
        self.at.set(at);
        self.from.set(from);
        self.to.set(to);
        self.text.set(String::new());
        self.tags.set(String::new());
        self.internal.set(false);
        self.this_chart.set(false);
        self.problem.set(None);
        self.open.set(true);
    }

    /// Opens the editor on a stored note.
    fn edit(&self, note: &Annotation, at: Option<(f64, f64)>) {
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
        self.open.set(true);
    }
}

/// The first day of period `i`, and the last day of period `j`, as dates.
fn dates_of(periods: &[Period], i: usize, j: usize) -> (String, String) {
    let first = periods.get(i).map(|p| rules::date_value(p.start));
    let last = periods
        .get(j)
        .map(|p| rules::date_value(p.end - chrono::Duration::days(1)));
    (first.unwrap_or_default(), last.unwrap_or_default())
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

/// The notes of one chart, or nothing on a page without notes (a dashboard of
/// no service). `series` are the chart's series by name; `by_value` says
/// whether unusual points are marked at their value (lines and bars) or along
/// the top (stacked areas, whose heights are not the values).
pub fn chart_notes(
    module: &str,
    chart_id: &str,
    periods: Vec<Period>,
    series: Vec<rules::NamedSeries>,
    unit: Unit,
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
    let kind = periods.first().map(|p| p.kind);
    let periods = StoredValue::new(periods);

    // Unusual figures, found once: the figures do not change on the page.
    let mut spikes: Vec<SpikeAt> = Vec::new();
    if let Some(kind) = kind {
        for (name, values) in &series {
            for Unusual {
                index,
                value,
                expected,
                score,
                ..
            } in unusual_points(values, kind)
            {
                let words = format!(
                    "{name}: {} (about {} expected)",
                    format_value(Some(value), unit),
                    format_value(Some(expected), unit)
                );
                match spikes.iter_mut().find(|s| s.index == index) {
                    Some(s) => s.words.push(words),
                    None => spikes.push(SpikeAt {
                        index,
                        y: Some(if unit == Unit::Ratio {
                            value * 100.0
                        } else {
                            value
                        }),
                        words: vec![words],
                        rise: score > 0.0,
                    }),
                }
            }
        }
    }
    spikes.sort_by_key(|s| s.index);

    // The notes on this chart, numbered in time order, and the unusual figures
    // no note explains.
    let here = {
        let (dashboard, module) = (dashboard.clone(), module.clone());
        Memo::new(move |_| {
            let list = state.list.get();
            periods.with_value(|periods| {
                let mut marks: Vec<Mark> = list
                    .iter()
                    .filter(|n| rules::on_module(n, &dashboard, &module))
                    .filter_map(|n| {
                        let (first, last) = rules::span(n, periods)?;
                        Some((n.clone(), first, last))
                    })
                    .enumerate()
                    .map(|(i, (note, first, last))| Mark::Note {
                        number: i + 1,
                        note,
                        first,
                        last,
                    })
                    .collect();
                let spans: Vec<(usize, usize)> = marks
                    .iter()
                    .filter_map(|m| match m {
                        Mark::Note { first, last, .. } => Some((*first, *last)),
                        Mark::Spike(_) => None,
                    })
                    .collect();
                let unexplained: Vec<usize> = {
                    let all: Vec<Unusual> = spikes
                        .iter()
                        .map(|s| Unusual {
                            index: s.index,
                            value: 0.0,
                            expected: 0.0,
                            score: 0.0,
                            recurring: false,
                        })
                        .collect();
                    rules::unexplained(&all, &spans)
                        .iter()
                        .map(|u| u.index)
                        .collect()
                };
                marks.extend(
                    spikes
                        .iter()
                        .filter(|s| unexplained.contains(&s.index))
                        .cloned()
                        .map(Mark::Spike),
                );
                marks
            })
        })
    };
    let anchors = Signal::derive(move || {
        let by_value = by_value.get();
        here.with(|marks| {
            marks
                .iter()
                .flat_map(|m| match m {
                    Mark::Note { first, last, .. } => vec![(*first, None), (*last, None)],
                    Mark::Spike(s) => vec![(s.index, s.y.filter(|_| by_value))],
                })
                .collect::<Vec<_>>()
        })
    });
    let placed = RwSignal::new(Placed::default());
    let selecting = RwSignal::new(None::<(f64, f64)>);
    let draft = Draft::new();
    let card = RwSignal::new(None::<i64>);
    let may = state.may_annotate;
    let on_point = may.then(|| {
        Callback::new(move |(i, x, y): (usize, f64, f64)| {
            let (from, _) = periods.with_value(|p| dates_of(p, i, i));
            if !from.is_empty() {
                card.set(None);
                draft.start(from, String::new(), Some((x, y)));
            }
        })
    });
    let on_range = may.then(|| {
        Callback::new(move |(a, b): (usize, usize)| {
            let count = periods.with_value(Vec::len);
            if count == 0 {
                return;
            }
            let (a, b) = (a.min(count - 1), b.min(count - 1));
            let (from, to) = periods.with_value(|p| dates_of(p, a, b));
            // The editor opens where the drag began.
            let x = selecting
                .get_untracked()
                .map(|(x0, x1)| x0.min(x1))
                .unwrap_or(0.0);
            card.set(None);
            draft.start(
                from,
                if a == b { String::new() } else { to },
                Some((x, GRID_TOP)),
            );
        })
    });
    let marks = Marks {
        anchors,
        placed,
        on_point,
        on_range,
        selecting,
    };
    let bottom = grid_bottom(zoom);
    let chart_id = chart_id.to_string();
    let add_button = NodeRef::<leptos::html::Button>::new();

    let overlay = {
        let chart_id = chart_id.clone();
        let (dashboard, module) = (dashboard.clone(), module.clone());
        view! {
            <div class="pulse-marks">
                {move || selecting.get().map(|(a, b)| view! {
                    <div class="pulse-band pulse-band--selecting" style=format!(
                        "left:{}px;width:{}px;top:{GRID_TOP}px;bottom:{bottom}px", a.min(b), (a - b).abs()
                    )></div>
                })}
                {move || {
                    let placed = placed.get();
                    let mut cursor = 0;
                    // Pins that would cover each other go one below the other.
                    let mut pins: Vec<f64> = Vec::new();
                    here.get()
                        .into_iter()
                        .map(|mark| {
                            let chart_id = chart_id.clone();
                            match mark {
                                Mark::Note { number, note, .. } => {
                                    let (a, b) = (placed.points.get(cursor).copied().flatten(),
                                        placed.points.get(cursor + 1).copied().flatten());
                                    cursor += 2;
                                    let row = match (a, b) {
                                        (Some((xa, _)), Some((xb, _))) => {
                                            let middle = pin_x(&note, xa, xb);
                                            let row = pins.iter().filter(|x| (*x - middle).abs() < 26.0).count();
                                            pins.push(middle);
                                            row
                                        }
                                        _ => 0,
                                    };
                                    note_mark((number, row), note, (a, b), placed.step, bottom, &chart_id, card)
                                }
                                Mark::Spike(spike) => {
                                    let at = placed.points.get(cursor).copied().flatten();
                                    cursor += 1;
                                    spike_mark(spike, at, &chart_id, periods, draft, card, may)
                                }
                            }
                        })
                        .collect_view()
                }}
                {move || card.get().and_then(|id| {
                    state.list.with(|l| l.iter().find(|n| n.id == id).cloned())
                }).map(|note| view! { <NoteCard note card draft may state/> })}
                <Show when=move || draft.open.get() && draft.at.get().is_some()>
                    <LazyEditor draft state dashboard=dashboard.clone() module=module.clone() return_to=add_button anchored=true/>
                </Show>
            </div>
        }
        .into_any()
    };

    let button = may.then(|| {
        view! {
            <button type="button" class="govuk-button govuk-button--secondary pulse-add-note"
                id=format!("{chart_id}-add-note") node_ref=add_button
                on:click=move |_| {
                    let count = periods.with_value(Vec::len);
                    let (from, _) = periods.with_value(|p| dates_of(p, count.saturating_sub(1), 0));
                    card.set(None);
                    draft.start(from, String::new(), None);
                }>
                "Add a note"
            </button>
        }
        .into_any()
    });

    let below = {
        let (dashboard, module) = (dashboard.clone(), module.clone());
        view! {
            <Show when=move || draft.open.get() && draft.at.get().is_none()>
                <LazyEditor draft state dashboard=dashboard.clone() module=module.clone() return_to=add_button anchored=false/>
            </Show>
            <NotesList here id=format!("{chart_id}-notes") draft may state controls=true/>
        }
        .into_any()
    };
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

/// A note over the chart: a shaded band for a range (a line for a moment) and
/// a numbered pin that shows the note when hovered or focused, and opens it
/// (with Edit and Delete for editors) when pressed.
/// Where a note's pin goes: over its moment, or the middle of its range.
fn pin_x(note: &Annotation, first: f64, last: f64) -> f64 {
    if is_range(note) {
        (first + last) / 2.0
    } else {
        first
    }
}

fn is_range(note: &Annotation) -> bool {
    note.ends_at.is_some_and(|e| e > note.starts_at)
}

fn note_mark(
    (number, row): (usize, usize),
    note: Annotation,
    (first, last): (Option<Point>, Option<Point>),
    step: f64,
    bottom: f64,
    chart_id: &str,
    card: RwSignal<Option<i64>>,
) -> AnyView {
    let (Some((a, _)), Some((b, _))) = (first, last) else {
        return ().into_any();
    };
    let range = is_range(&note);
    let (left, width) = if range {
        (a - step / 2.0, (b - a) + step)
    } else {
        (a, 0.0)
    };
    let middle = pin_x(&note, a, b);
    let top = GRID_TOP - 14.0 + 28.0 * row as f64;
    let tip_id = format!("{chart_id}-note-{}-tip", note.id);
    let id = note.id;
    let band = if range {
        view! {
            <div class="pulse-band" data-note=id style=format!(
                "left:{left}px;width:{width}px;top:{GRID_TOP}px;bottom:{bottom}px"
            )></div>
        }
        .into_any()
    } else {
        view! {
            <div class="pulse-note-line" data-note=id style=format!(
                "left:{left}px;top:{GRID_TOP}px;bottom:{bottom}px"
            )></div>
        }
        .into_any()
    };
    let when = rules::when(&note);
    let label = format!("Note {number}, {when}");
    view! {
        {band}
        <button type="button" class="pulse-pin" id=format!("{chart_id}-note-{id}")
            data-note=id style=format!("left:{middle}px;top:{top}px")
            aria-label=label aria-describedby=tip_id.clone() aria-expanded=move || (card.get() == Some(id)).to_string()
            on:click=move |_| card.update(|c| *c = if *c == Some(id) { None } else { Some(id) })>
            {number}
        </button>
        <div class="pulse-tip" role="tooltip" id=tip_id style=format!("left:{middle}px;top:{}px", top + 20.0)>
            <strong>{when}</strong><br/>{note_text(&note.text)}
        </div>
    }
    .into_any()
}

/// A marker on an unusual figure no note explains: for editors a button that
/// opens the editor there ("Explain this spike"), for others a quiet mark with
/// the figures in its tooltip.
fn spike_mark(
    spike: SpikeAt,
    at: Option<Point>,
    chart_id: &str,
    periods: StoredValue<Vec<Period>>,
    draft: Draft,
    card: RwSignal<Option<i64>>,
    may: bool,
) -> AnyView {
    let Some((x, y)) = at else {
        return ().into_any();
    };
    let y = y.unwrap_or(GRID_TOP);
    let period = periods.with_value(|p| {
        p.get(spike.index)
            .map(crate::kpi::format_period)
            .unwrap_or_default()
    });
    let what = if spike.rise { "spike" } else { "dip" };
    let figures = spike.words.join("; ");
    let tip_id = format!("{chart_id}-spike-{}-tip", spike.index);
    let style = format!("left:{x}px;top:{y}px");
    let tip_style = format!("left:{x}px;top:{}px", y + 12.0);
    let id = format!("{chart_id}-spike-{}", spike.index);
    let class = if spike.rise {
        "pulse-spike pulse-spike--rise"
    } else {
        "pulse-spike pulse-spike--dip"
    };
    let tip = if may {
        format!("Unusual {what} in {period}, not explained yet. {figures}. Press to explain it.")
    } else {
        format!("Unusual {what} in {period}, not explained yet. {figures}.")
    };
    let marker = if may {
        let index = spike.index;
        view! {
            <button type="button" class=class id=id style=style data-index=index
                aria-label=format!("Explain this {what}: {period}") aria-describedby=tip_id.clone()
                on:click=move |_| {
                    let (from, _) = periods.with_value(|p| dates_of(p, index, index));
                    card.set(None);
                    draft.start(from, String::new(), Some((x, y)));
                }>
                <span class="govuk-visually-hidden">"Explain this "{what}</span>
            </button>
        }
        .into_any()
    } else {
        view! {
            <span class=class id=id style=style tabindex="0" role="img" data-index=spike.index
                aria-label=format!("Unusual {what}, not explained yet: {period}") aria-describedby=tip_id.clone()></span>
        }
        .into_any()
    };
    view! {
        {marker}
        <div class="pulse-tip pulse-tip--spike" role="tooltip" id=tip_id style=tip_style>{tip}</div>
    }
    .into_any()
}

/// An opened note: its text in full, who wrote it, and for editors Edit and
/// Delete (with a question first).
#[component]
fn NoteCard(
    note: Annotation,
    card: RwSignal<Option<i64>>,
    draft: Draft,
    may: bool,
    state: NotesState,
) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let id = note.id;
    let edited = note.version > 1;
    let edit_note = note.clone();
    let close = move || card.set(None);
    let remove = move |_| state.delete(id, problem, move || card.set(None));
    view! {
        <div class="pulse-note-card" role="dialog" aria-labelledby=format!("note-{id}-when") id=format!("note-card-{id}")
            on:keydown=move |ev| if ev.key() == "Escape" { close() }>
            <p class="govuk-body-s govuk-!-margin-bottom-1" id=format!("note-{id}-when")>
                <strong>{rules::when(&note)}</strong>
                {(note.visibility == Visibility::Internal).then(|| view! { " " <strong class="govuk-tag govuk-tag--grey">"Internal"</strong> })}
            </p>
            <p class="govuk-body-s pulse-note-card__text">{note_text(&note.text)}</p>
            <p class="govuk-body-s pulse-note-card__by">{format!("By {}{}", note.author, if edited { " (edited)" } else { "" })}</p>
            {move || problem.get().map(|p| view! { <p class="govuk-error-message">{p}</p> })}
            <div class="govuk-button-group">
                {may.then(|| view! {
                    <button type="button" class="govuk-button govuk-button--secondary" on:click=move |_| {
                        card.set(None);
                        draft.edit(&edit_note, draft.at.get_untracked().or(Some((0.0, GRID_TOP))));
                    }>"Edit"</button>
                    <Show when=move || !confirming.get()
                        fallback=move || view! {
                            <button type="button" class="govuk-button govuk-button--warning" on:click=remove>"Yes, delete the note"</button>
                            <button type="button" class="govuk-button govuk-button--secondary" on:click=move |_| confirming.set(false)>"Keep it"</button>
                        }>
                        <button type="button" class="govuk-button govuk-button--warning" on:click=move |_| confirming.set(true)>"Delete"</button>
                    </Show>
                })}
                <button type="button" class="govuk-button govuk-button--secondary" on:click=move |_| close()>"Close"</button>
            </div>
        </div>
    }
}

/// The editor, whose code only editors need: fetched (as wasm of its own, see
/// `app/src/lib.rs`) the first time an editor opens it.
#[component]
fn LazyEditor(
    draft: Draft,
    state: NotesState,
    dashboard: String,
    module: String,
    return_to: NodeRef<leptos::html::Button>,
    anchored: bool,
) -> impl IntoView {
    view! {
        <Suspense fallback=|| view! { <p class="govuk-body-s">"Opening the editor…"</p> }>
            {
                let (dashboard, module) = (dashboard.clone(), module.clone());
                Suspend::new(async move {
                    editor_view(draft, state, dashboard, module, return_to, anchored).await
                })
            }
        </Suspense>
    }
}

#[lazy]
fn editor_view(
    draft: Draft,
    state: NotesState,
    dashboard: String,
    module: String,
    return_to: NodeRef<leptos::html::Button>,
    anchored: bool,
) -> AnyView {
    view! { <Editor draft state dashboard module return_to anchored/> }.into_any()
}

/// The form that writes a note: opened at a point of the chart, over a dragged
/// range, or from "Add a note" (below the chart). Escape or Cancel closes it.
#[component]
fn Editor(
    draft: Draft,
    state: NotesState,
    dashboard: String,
    module: String,
    return_to: NodeRef<leptos::html::Button>,
    anchored: bool,
) -> impl IntoView {
    let first = NodeRef::<leptos::html::Input>::new();
    let text_ref = NodeRef::<leptos::html::Textarea>::new();
    Effect::new(move |_| {
        // A click on the chart has set the date: the text comes next. From the
        // button, the date comes first. (On the next frame: the form may not
        // be in the document yet when its elements exist.)
        let (text, date) = (text_ref.get(), first.get());
        request_animation_frame(move || {
            if anchored {
                if let Some(t) = text {
                    let _ = t.focus();
                }
            } else if let Some(f) = date {
                let _ = f.focus();
            }
        });
    });
    let prefix = format!("{dashboard}-{module}-note");
    let module_path = format!("{dashboard}/{module}");
    let close = move || {
        draft.open.set(false);
        if !anchored {
            if let Some(b) = return_to.get_untracked() {
                let _ = b.focus();
            }
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if draft.saving.get_untracked() {
            return;
        }
        let Some(starts_at) = rules::parse_date(&draft.from.get_untracked()) else {
            draft.problem.set(Some(
                "Enter the date of the note, for example 2025-01-31".into(),
            ));
            return;
        };
        let to = draft.to.get_untracked();
        let ends_at = if to.trim().is_empty() {
            None
        } else {
            match rules::parse_date(&to) {
                Some(t) => Some(t),
                None => {
                    draft.problem.set(Some("Enter the end of the range as a date, for example 2025-02-06, or leave it empty".into()));
                    return;
                }
            }
        };
        let note = NewAnnotation {
            service: state.service.get_value().unwrap_or_default(),
            module: draft
                .this_chart
                .get_untracked()
                .then(|| module_path.clone()),
            starts_at,
            ends_at: ends_at.filter(|e| *e != starts_at),
            text: draft.text.get_untracked(),
            tags: rules::parse_tags(&draft.tags.get_untracked()),
            visibility: if draft.internal.get_untracked() {
                Visibility::Internal
            } else {
                Visibility::Public
            },
        };
        if let Err(problem) = rules::check(&note) {
            draft.problem.set(Some(problem));
            return;
        }
        let (method, path) = match draft.id.get_untracked() {
            Some(id) => ("PUT", format!("/api/v1/annotations/{id}")),
            None => ("POST", "/api/v1/annotations".to_string()),
        };
        let token = state.csrf.get_value();
        draft.saving.set(true);
        leptos::task::spawn_local(async move {
            let answer =
                crate::api::send_json::<Annotation>(method, path, crate::api::body(&note), token)
                    .await;
            draft.saving.set(false);
            match answer {
                Ok(saved) => {
                    state.list.update(|l| {
                        match l.iter_mut().find(|n| n.id == saved.id) {
                            Some(old) => *old = saved,
                            None => l.push(saved),
                        }
                        l.sort_by_key(|n| (n.starts_at, n.id));
                    });
                    close();
                }
                Err(e) => draft.problem.set(Some(e.to_string())),
            }
        });
    };
    let style = move || {
        draft.at.get().map(|(x, y)| {
            format!(
                "left:max(0px, min({x}px, calc(100% - 21rem)));top:{}px",
                y + 12.0
            )
        })
    };
    let class = if anchored {
        "pulse-note-editor pulse-note-editor--anchored"
    } else {
        "pulse-note-editor"
    };
    let heading = move || {
        if draft.id.get().is_some() {
            "Edit the note"
        } else {
            "Add a note"
        }
    };
    view! {
        <form class=class style=style role="dialog" aria-labelledby=format!("{prefix}-heading")
            id=format!("{prefix}-editor") novalidate on:submit=submit
            on:keydown=move |ev| if ev.key() == "Escape" { close() }>
            <h3 class="govuk-heading-s" id=format!("{prefix}-heading")>{heading}</h3>
            {move || draft.problem.get().map(|p| view! {
                <div class="govuk-error-summary" role="alert">
                    <h4 class="govuk-error-summary__title">"There is a problem"</h4>
                    <div class="govuk-error-summary__body"><p class="govuk-body-s">{p}</p></div>
                </div>
            })}
            <div class="pulse-note-editor__dates">
                <div class="govuk-form-group">
                    <label class="govuk-label govuk-label--s" for=format!("{prefix}-from")>"Date"</label>
                    <input class="govuk-input" type="date" id=format!("{prefix}-from") node_ref=first
                        prop:value=move || draft.from.get()
                        on:input=move |ev| draft.from.set(event_target_value(&ev))/>
                </div>
                <div class="govuk-form-group">
                    <label class="govuk-label govuk-label--s" for=format!("{prefix}-to")>"Until (for a range)"</label>
                    <input class="govuk-input" type="date" id=format!("{prefix}-to")
                        prop:value=move || draft.to.get()
                        on:input=move |ev| draft.to.set(event_target_value(&ev))/>
                </div>
            </div>
            <div class="govuk-form-group">
                <label class="govuk-label govuk-label--s" for=format!("{prefix}-text")>"What happened"</label>
                <div class="govuk-hint" id=format!("{prefix}-text-hint")>"Plain text. Web addresses become links."</div>
                <textarea class="govuk-textarea" id=format!("{prefix}-text") rows="3" node_ref=text_ref
                    aria-describedby=format!("{prefix}-text-hint")
                    prop:value=move || draft.text.get()
                    on:input=move |ev| draft.text.set(event_target_value(&ev))></textarea>
            </div>
            <div class="govuk-form-group">
                <label class="govuk-label govuk-label--s" for=format!("{prefix}-tags")>"Tags (optional, separated by commas)"</label>
                <input class="govuk-input" type="text" id=format!("{prefix}-tags")
                    prop:value=move || draft.tags.get()
                    on:input=move |ev| draft.tags.set(event_target_value(&ev))/>
            </div>
            <div class="govuk-form-group">
                <div class="govuk-checkboxes govuk-checkboxes--small">
                    <div class="govuk-checkboxes__item">
                        <input class="govuk-checkboxes__input" type="checkbox" id=format!("{prefix}-internal")
                            prop:checked=move || draft.internal.get()
                            on:change=move |ev| draft.internal.set(event_target_checked(&ev))/>
                        <label class="govuk-label govuk-checkboxes__label" for=format!("{prefix}-internal")>
                            "Internal: only people of the service's organisation see it"
                        </label>
                    </div>
                    <div class="govuk-checkboxes__item">
                        <input class="govuk-checkboxes__input" type="checkbox" id=format!("{prefix}-this-chart")
                            prop:checked=move || draft.this_chart.get()
                            on:change=move |ev| draft.this_chart.set(event_target_checked(&ev))/>
                        <label class="govuk-label govuk-checkboxes__label" for=format!("{prefix}-this-chart")>
                            "On this chart only (otherwise on every chart of the service)"
                        </label>
                    </div>
                </div>
            </div>
            <div class="govuk-button-group">
                <button type="submit" class="govuk-button" disabled=move || draft.saving.get()>"Save the note"</button>
                <button type="button" class="govuk-button govuk-button--secondary" on:click=move |_| close()>"Cancel"</button>
            </div>
        </form>
    }
}

/// The notes of a chart in a list: date, text, author; for editors, Edit and
/// Delete (under the chart, not in its table view).
#[component]
fn NotesList(
    here: Memo<Vec<Mark>>,
    id: String,
    draft: Draft,
    may: bool,
    state: NotesState,
    controls: bool,
) -> impl IntoView {
    let items = move || {
        here.get()
            .into_iter()
            .filter_map(|m| match m {
                Mark::Note { number, note, .. } => Some((number, note)),
                Mark::Spike(_) => None,
            })
            .collect::<Vec<_>>()
    };
    let unexplained =
        move || here.with(|m| m.iter().filter(|m| matches!(m, Mark::Spike(_))).count());
    let heading_id = format!("{id}-heading");
    let list_id = id.clone();
    view! {
        <div class="pulse-notes" id=list_id>
            <h3 class="govuk-heading-s" id=heading_id.clone()>"Notes on this chart"</h3>
            {move || {
                let items = items();
                if items.is_empty() {
                    return view! { <p class="govuk-body-s pulse-notes__none">"No notes for these dates."</p> }.into_any();
                }
                view! {
                    <ol class="govuk-list pulse-notes__list" aria-labelledby=heading_id.clone()>
                        {items.into_iter().map(|(number, note)| {
                            let item_id = format!("{id}-{}", note.id);
                            let edit_note = note.clone();
                            let note_id = note.id;
                            let confirming = RwSignal::new(false);
                            let problem = RwSignal::new(None::<String>);
                            let remove = move |_| state.delete(note_id, problem, || ());
                            view! {
                                <li class="pulse-notes__item" id=item_id data-note=note.id>
                                    <span class="pulse-notes__number" aria-hidden="true">{number}</span>
                                    <div class="pulse-notes__body">
                                        <p class="govuk-body-s govuk-!-margin-bottom-1">
                                            <strong class="pulse-notes__when">{rules::when(&note)}</strong>
                                            {(note.visibility == Visibility::Internal).then(|| view! { " " <strong class="govuk-tag govuk-tag--grey">"Internal"</strong> })}
                                            {note.module.is_some().then(|| view! { " " <span class="govuk-tag govuk-tag--blue">"This chart"</span> })}
                                        </p>
                                        <p class="govuk-body-s govuk-!-margin-bottom-1 pulse-notes__text">{note_text(&note.text)}</p>
                                        <p class="govuk-body-s pulse-notes__by">
                                            {format!("By {}", note.author)}
                                            {(note.version > 1).then_some(" (edited)")}
                                            {(!note.tags.is_empty()).then(|| format!(" · Tags: {}", note.tags.join(", ")))}
                                        </p>
                                        {move || problem.get().map(|p| view! { <p class="govuk-error-message">{p}</p> })}
                                        {(controls && may).then(|| view! {
                                            <div class="govuk-button-group pulse-notes__actions">
                                                <button type="button" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0"
                                                    on:click=move |_| draft.edit(&edit_note, None)>
                                                    "Edit"<span class="govuk-visually-hidden">{format!(" note {number}")}</span>
                                                </button>
                                                <Show when=move || !confirming.get()
                                                    fallback=move || view! {
                                                        <button type="button" class="govuk-button govuk-button--warning govuk-!-margin-bottom-0" on:click=remove>
                                                            "Yes, delete note "{number}
                                                        </button>
                                                        <button type="button" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0"
                                                            on:click=move |_| confirming.set(false)>"Keep it"</button>
                                                    }>
                                                    <button type="button" class="govuk-button govuk-button--warning govuk-!-margin-bottom-0"
                                                        on:click=move |_| confirming.set(true)>
                                                        "Delete"<span class="govuk-visually-hidden">{format!(" note {number}")}</span>
                                                    </button>
                                                </Show>
                                            </div>
                                        })}
                                    </div>
                                </li>
                            }
                        }).collect_view()}
                    </ol>
                }.into_any()
            }}
            {move || (controls && unexplained() > 0).then(|| {
                let n = unexplained();
                let words = if n == 1 { "1 unusual figure on this chart has".to_string() } else { format!("{n} unusual figures on this chart have") };
                view! {
                    <p class="govuk-body-s pulse-notes__unexplained">
                        {format!("{words} no note yet (marked with a small circle on the chart).")}
                        {may.then_some(" Press one to explain it.")}
                    </p>
                }
            })}
        </div>
    }
}
