//! The controls of a chart's view: the period, the first and last month and a
//! year-earlier overlay, kept in the page's URL so that a link reproduces the view.
//!
//! A GET form: it submits without JavaScript; once the page is interactive, each
//! change navigates at once (without scrolling) and the page re-queries the API.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;

use super::navigation::{use_go, KeptFocus};

use crate::model::PeriodKind;
use crate::modules::{Range, ViewParams, Zoom, VIEW_PERIODS};
use crate::query_string;

/// The query parameters a view is made of, and those a page keeps beside them.
const KEPT: [&str; 8] = [
    "period", "range", "from", "to", "compare", "sort", "order", "zoom",
];

/// The query in the browser's address bar (none on the server).
pub fn address_query() -> Option<ParamsMap> {
    Some(
        query_string::pairs(&address_search()?)
            .into_iter()
            .collect(),
    )
}

/// The address bar's query string, without its `?`.
fn address_search() -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        let search = web_sys::window()?.location().search().ok()?;
        Some(search.trim_start_matches('?').to_string())
    }
    #[cfg(not(feature = "hydrate"))]
    None
}

/// The page's view parameters as a query string, with `changes` applied (an empty
/// value removes a parameter).
pub fn view_query(q: &ParamsMap, changes: &[(&str, &str)]) -> String {
    // A zoom is kept when the period changes (it is a span of days), and
    // dropped with the span of time it was made in.
    let new_span = changes
        .iter()
        .any(|(k, _)| matches!(*k, "range" | "from" | "to"));
    let mut pairs = query_string::kept(&KEPT, |field| q.get(field), changes);
    // Values are periods, months, column numbers, words and a zoom's days;
    // anything else is dropped here and refused by the API.
    pairs.retain(|(key, value)| {
        if key == Zoom::KEY {
            return !new_span && Zoom::parse(value).is_some();
        }
        value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    query_string::encode(&pairs)
}

/// The view in the page's URL, as the page asks the API for it: months that
/// are not valid, out of order or too many periods apart are left out (the
/// controls say why), so any URL gets a page quickly.
pub fn current_view(q: &ParamsMap) -> ViewParams {
    ViewParams::from_query(|name| q.get(name)).usable()
}

/// What a page keeps of its view controls while its figures reload: the
/// controls are drawn again with the figures, and neither months typed but
/// not yet applied (kept as they are typed, with what is wrong with them once
/// they are left) nor the keyboard focus may be lost then. A page provides one ([`ViewDraft::provide`]) outside the
/// part that reloads; controls without one keep their own.
#[derive(Clone, Copy)]
pub struct ViewDraft {
    months: RwSignal<Option<TypedMonths>>,
    /// The control that last had the focus, while the focus is in the
    /// controls (or was lost with them).
    focus: KeptFocus,
    /// The query a choice just made sends the page to, until the page goes
    /// there (on the next frame): a choice made before then starts from it,
    /// and the controls show it, not the address it replaces (months typed
    /// then were taken for months typed over the page before, and dropped
    /// when it came; a period chosen then lost the months before it).
    pending: RwSignal<Option<String>>,
}

#[derive(Clone, Debug, PartialEq)]
struct TypedMonths {
    from: String,
    to: String,
    /// The URL's months when these were typed.
    typed_over: (String, String),
    /// What is wrong with them, once they were left (none while typing).
    problem: Option<String>,
}

impl Default for ViewDraft {
    fn default() -> Self {
        Self {
            months: RwSignal::new(None),
            focus: KeptFocus::default(),
            pending: RwSignal::new(None),
        }
    }
}

impl ViewDraft {
    /// Keeps one for the controls drawn inside the calling component.
    pub fn provide() {
        provide_context(Self::default());
    }

    /// The query the page is going to, while the address bar does not have
    /// it yet.
    fn pending_query(&self, tracked: bool) -> Option<ParamsMap> {
        let pending = if tracked {
            self.pending.try_get()
        } else {
            self.pending.try_get_untracked()
        };
        Some(
            query_string::pairs(&pending.flatten()?)
                .into_iter()
                .collect(),
        )
    }

    /// Once controls drawn again are on the page, gives the focus back to
    /// the control that had it, if the focus was lost (it is on the page's
    /// body).
    fn refocus(&self) {
        let focus = self.focus;
        Effect::new(move |_| focus.give_back());
    }
}

/// Shows `value` in the text field `field`: once as the field comes (which
/// makes it the field's own value, no longer its `value` attribute's), then
/// only where it shows something else (another page's months after Back, a
/// draft).
///
/// Not `prop:value`: with `erase_components` an element's attributes are
/// one list, which Leptos sets again whole when the controls are drawn
/// again with the page's figures, each property first set to `undefined`.
/// The field then read "undefined", then its months again, which put the
/// caret at the end: months selected to be typed over (as `fill` does) when
/// the figures arrived were typed after instead ("2023-072023-10"), and the
/// last of four months entered quickly was refused.
fn keep_value(field: NodeRef<leptos::html::Input>, value: impl Fn() -> String + 'static) {
    Effect::new(move |set: Option<bool>| {
        let value = value();
        let Some(input) = field.get() else {
            return false;
        };
        if set != Some(true) || input.value() != value {
            input.set_value(&value);
        }
        true
    });
}

/// The first and last months typed in the controls an event happened in (an
/// input's or the form's own), read from the page ([`super::form_value`]):
/// read through the controls' node references while the page's figures
/// reloaded, the months were empty, and months typed and entered quickly one
/// after another ended with the URL's months cleared.
fn typed_in(ev: &leptos::ev::Event) -> Option<(String, String)> {
    Some((
        super::form_value(ev, "input[name=from]")?,
        super::form_value(ev, "input[name=to]")?,
    ))
}

/// `f` of the URL a choice just made is going to (`going_to`), else of the
/// controls' view of the URL, else, once that view has gone, of the address
/// bar's (all tracked but the last). The controls still shown while the
/// page's figures reload are drawn again as months are typed in them: drawn
/// from no URL then, they emptied the months typed (and the range chosen),
/// and Enter applied the empty months.
fn with_url<T: Default>(
    query: Memo<ParamsMap>,
    going_to: impl Fn() -> Option<ParamsMap>,
    f: impl Fn(&ParamsMap) -> T,
) -> T {
    going_to()
        .as_ref()
        .map(&f)
        .or_else(|| query.try_with(&f))
        .or_else(|| address_query().as_ref().map(&f))
        .unwrap_or_default()
}

/// The period switch, the months and the overlay. `action` is the page's path;
/// `id` prefixes the controls' ids; `what` names what is shown ("transactions").
#[component]
pub fn ViewControls(
    #[prop(into)] action: String,
    #[prop(into)] id: String,
    #[prop(into)] what: String,
    /// The period the page shows when none is chosen; without one, the list
    /// starts with "as each chart was set up".
    #[prop(optional)]
    default_period: Option<&'static str>,
    /// The submit button's words (it matters only without JavaScript).
    #[prop(default = "Update charts")]
    button: &'static str,
    /// Whether "All the data" is offered (a page that knows its oldest figure).
    #[prop(default = false)]
    all: bool,
    /// The periods the page's data can be shown by (its finest frequency and
    /// longer); every period when not given.
    #[prop(optional)]
    periods: Option<Vec<PeriodKind>>,
    /// Whether the controls change one chart (a module's or a service's
    /// page), which their words say: "the chart", not "each chart".
    #[prop(default = false)]
    one_chart: bool,
    /// Why the named range chosen is not what the page shows
    /// ([`ViewParams::range_problem`]).
    #[prop(optional_no_strip)]
    range_problem: Option<String>,
) -> impl IntoView {
    let range_problem = StoredValue::new(range_problem);
    let (usual_span, as_set_up) = if one_chart {
        ("The chart's usual span", "As the chart was set up")
    } else {
        ("The usual span of each chart", "As each chart was set up")
    };
    let periods = periods.unwrap_or_else(|| VIEW_PERIODS.to_vec());
    let query = use_query_map();
    // (`try_` throughout: the months typed are kept by the page, so these
    // controls' closures may be asked once more after the controls have gone)
    let draft = use_context::<ViewDraft>().unwrap_or_default();
    // The URL the page is going to (a choice just made), or at.
    let going_to = move || draft.pending_query(true);
    let current =
        move |field: &str| with_url(query, going_to, |q| q.get(field).unwrap_or_default());
    // The page's query when a control is used. While the page's figures
    // reload, the controls still shown are those drawn with the last ones,
    // whose own view of the URL has gone with them: then it is read from the
    // address bar (every navigation so far is in it). A choice made then was
    // lost: on a page of 50 charts, one run in three of five quick choices
    // of period ended with the select on one period and the page on another.
    // And a choice just made, whose navigation waits for the next frame,
    // comes first.
    let query_now = move || {
        draft
            .pending_query(false)
            .or_else(|| query.try_with_untracked(ParamsMap::clone))
            .or_else(address_query)
    };
    let go = {
        let go = use_go(false);
        let action = action.clone();
        move |changes: &[(&str, &str)]| {
            if let Some(q) = query_now() {
                let next = view_query(&q, changes);
                let _ = draft.pending.try_set(Some(next.clone()));
                go(query_string::href(&action, &next));
                // Gone there: frames' callbacks run in the order asked for,
                // and the navigation asked first. A choice made since, in
                // the same frame, is its own to forget (forgotten here, the
                // controls read the URL before it for a moment).
                request_animation_frame(move || {
                    if draft.pending.try_get_untracked().flatten().as_ref() == Some(&next) {
                        let _ = draft.pending.try_set(None);
                    }
                });
            }
        }
    };
    let change = {
        let go = go.clone();
        move |field: &'static str| {
            let go = go.clone();
            move |ev: leptos::ev::Event| go(&[(field, &event_target_value(&ev))])
        }
    };
    let compare = {
        let go = go.clone();
        move |ev: leptos::ev::Event| {
            go(&[(
                "compare",
                if event_target_checked(&ev) {
                    "year"
                } else {
                    ""
                },
            )])
        }
    };
    let period = move || {
        let p = current("period");
        if p.is_empty() {
            default_period.unwrap_or("default").to_string()
        } else {
            p
        }
    };
    // The months apply together, once both are set and in order (or both
    // cleared): a half-set or reversed range says so here and changes nothing.
    let months_of = |q: &ParamsMap| {
        (
            q.get("from").unwrap_or_default(),
            q.get("to").unwrap_or_default(),
        )
    };
    let url_months = move || with_url(query, going_to, months_of);
    // Months typed over the URL's months still showing (a navigation since
    // replaces them).
    // (`try_`: the page that keeps the draft may be going while these
    // controls are drawn for the last time)
    let typed = move || {
        draft
            .months
            .try_get()
            .flatten()
            .filter(|d| d.typed_over == url_months())
    };
    let url_months_now = move || query_now().map(|q| months_of(&q));
    // Each key kept as it is typed, so months typed while the controls are
    // drawn again (the page's figures arriving) come back with them.
    let typing = move |ev: leptos::ev::Event| {
        let (Some((from, to)), Some(typed_over)) = (typed_in(&ev), url_months_now()) else {
            return;
        };
        let _ = draft.months.try_update(|draft| {
            let problem = draft
                .take()
                .filter(|d| d.typed_over == typed_over)
                .and_then(|d| d.problem);
            *draft = Some(TypedMonths {
                from,
                to,
                typed_over,
                problem,
            });
        });
    };
    let months = {
        let go = go.clone();
        move |ev: &leptos::ev::Event| {
            let Some((from, to)) = typed_in(ev) else {
                return;
            };
            let problem = match (from.is_empty(), to.is_empty()) {
                (true, true) => None,
                (false, true) => Some("Enter the last month too, or clear the first.".to_string()),
                (true, false) => Some("Enter the first month too, or clear the last.".to_string()),
                (false, false) => ViewParams::problem(|name| match name {
                    "from" => Some(from.clone()),
                    "to" => Some(to.clone()),
                    _ => None,
                }),
            };
            let Some(typed_over) = url_months_now() else {
                return;
            };
            match problem {
                // The months the page shows already (Enter pressed again).
                None if (&from, &to) == (&typed_over.0, &typed_over.1) => {
                    let _ = draft.months.try_set(None);
                }
                None => {
                    let _ = draft.months.try_set(None);
                    go(&[("from", &from), ("to", &to), ("range", "")]);
                }
                Some(problem) => {
                    let _ = draft.months.try_set(Some(TypedMonths {
                        from,
                        to,
                        typed_over,
                        problem: Some(problem),
                    }));
                }
            }
        }
    };
    let problem = move || {
        typed()
            .and_then(|d| d.problem)
            .or_else(|| with_url(query, going_to, |q| ViewParams::problem(|name| q.get(name))))
            .or_else(|| range_problem.try_get_value().flatten())
    };
    // Months a named span takes the place of are not shown (sent without
    // JavaScript, the form carries both: [`ViewParams::from_query`]).
    let named = move || {
        with_url(query, going_to, |q| {
            ViewParams::from_query(|name| q.get(name)).range.is_some()
        })
    };
    let month_value = move |field: &'static str| {
        move || match typed() {
            Some(d) if field == "from" => d.from,
            Some(d) => d.to,
            None if named() => String::new(),
            None => current(field),
        }
    };
    let (from_field, to_field) = (NodeRef::new(), NodeRef::new());
    keep_value(from_field, month_value("from"));
    keep_value(to_field, month_value("to"));
    // The controls are drawn again when the page's figures arrive: the one
    // in use keeps the keyboard focus.
    draft.refocus();
    // The time picker: a named span (its months worked out when the page is
    // read), or months of one's own below it.
    let range = move || {
        with_url(query, going_to, |q| {
            match (
                ViewParams::from_query(|name| q.get(name)).range,
                q.get("from"),
                q.get("to"),
            ) {
                (Some(r), _, _) => r.key().to_string(),
                (_, Some(f), _) | (_, _, Some(f)) if !f.is_empty() => "custom".to_string(),
                _ => String::new(),
            }
        })
    };
    let field = |name: &str| format!("{id}-{name}");
    let range_id = field("range");
    let (period_id, from_id, to_id, compare_id) = (
        field("period"),
        field("from"),
        field("to"),
        field("compare"),
    );
    let choose_range = {
        let go = go.clone();
        let from = from_id.clone();
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            if value == "custom" {
                // The months below say which (the field on the page then:
                // these controls may be ones drawn before the figures
                // reloaded).
                crate::components::navigation::focus_soon(vec![from.clone()]);
                return;
            }
            let _ = draft.months.try_set(None);
            go(&[("range", &value), ("from", ""), ("to", "")]);
        }
    };
    let now = crate::modules::now();
    let range_options = std::iter::once(("".to_string(), usual_span.to_string()))
        .chain(
            Range::ALL
                .into_iter()
                .filter(|r| all || *r != Range::All)
                .map(|r| (r.key().to_string(), r.label(now))),
        )
        .chain(std::iter::once((
            "custom".to_string(),
            "Months of my choice (below)".to_string(),
        )))
        .map(|(value, label)| {
            let (key, shown) = (value.clone(), value.clone());
            view! {
                <option value=value selected=move || range() == key prop:selected=move || range() == shown>{label}</option>
            }
        })
        .collect_view();
    let to_error = field("to-error");
    let (months_sent, months_from) = (months.clone(), months.clone());
    view! {
        <form method="get" action=action class="pulse-filters" id=format!("{id}-controls")
            // Enter in a month: the months typed, as when they are left (sent
            // as the form, they would go with the range chosen above them,
            // which takes their place). Months changed fire `change` first,
            // which applies them and forgets the draft: not applied twice.
            on:submit={
                let months = months_sent.clone();
                move |ev| {
                    ev.prevent_default();
                    if draft.months.try_get_untracked().flatten().is_some() {
                        months(&ev);
                    }
                }
            }
            on:focusin=move |ev| draft.focus.focused(&ev) on:focusout=move |ev| draft.focus.left(&ev)>
            <div class="govuk-form-group">
                <label class="govuk-label" for=period_id.clone()>{format!("Show {what} by")}</label>
                <select class="govuk-select" id=period_id name="period" on:change=change("period")>
                    {[("default", as_set_up), ("day", "Day"), ("week", "Week"), ("month", "Month"), ("quarter", "Quarter"), ("year", "Year")]
                        .into_iter()
                        .filter(|(value, _)| *value != "default" || default_period.is_none())
                        .filter(|(value, _)| {
                            PeriodKind::parse(value).is_none_or(|p| periods.contains(&p))
                        })
                        .map(|(value, label)| {
                            let submitted = if value == "default" { "" } else { value };
                            view! {
                                <option value=submitted selected=move || period() == value
                                    prop:selected=move || period() == value>{label}</option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="govuk-form-group">
                <label class="govuk-label" for=range_id.clone()>"Time"</label>
                <select class="govuk-select" id=range_id name="range" on:change=choose_range>{range_options}</select>
                // Sent with the form (without JavaScript): the span it was
                // drawn with, so that months typed under it are taken
                // ([`ViewParams::from_query`]).
                <input type="hidden" name="was" value=range/>
            </div>
            <div class="govuk-form-group">
                <label class="govuk-label" for=from_id.clone()>"From (month)"</label>
                <div class="govuk-hint">"For example, 2025-04"</div>
                <input class="govuk-input pulse-month" type="text" inputmode="numeric" autocomplete="off" spellcheck="false" id=from_id name="from"
                    value=month_value("from") node_ref=from_field on:input=typing on:change={
                        let months = months_from.clone();
                        move |ev| months(&ev)
                    }/>
            </div>
            <div class=move || if problem().is_some() { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" }>
                <label class="govuk-label" for=to_id.clone()>"To (month)"</label>
                <div class="govuk-hint">"For example, 2026-03"</div>
                {
                    let to_error = to_error.clone();
                    move || problem().map(|message| view! {
                        <p class="govuk-error-message" id=to_error.clone()>
                            <span class="govuk-visually-hidden">"Error: "</span>{message}
                        </p>
                    })
                }
                <input class="govuk-input pulse-month" type="text" inputmode="numeric" autocomplete="off" spellcheck="false" id=to_id name="to"
                    aria-describedby=move || problem().map(|_| to_error.clone())
                    value=month_value("to") node_ref=to_field on:input=typing on:change=move |ev| months(&ev)/>
            </div>
            <div class="govuk-form-group">
                <div class="govuk-checkboxes govuk-checkboxes--small">
                    <div class="govuk-checkboxes__item">
                        <input class="govuk-checkboxes__input" id=compare_id.clone() name="compare" type="checkbox"
                            value="year" checked=move || current("compare") == "year" prop:checked=move || current("compare") == "year"
                            on:change=compare/>
                        <label class="govuk-label govuk-checkboxes__label" for=compare_id>
                            "Compare with a year earlier"
                        </label>
                    </div>
                </div>
            </div>
            <button class="govuk-button govuk-button--secondary pulse-no-js-only" type="submit">{button}</button>
        </form>
    }
}
