//! The form that changes one module: its words (title, description, about
//! the data), the period and span its query reads (edited with
//! [`crate::query_string`]) and how its values are shown.

use leptos::prelude::*;
use serde_json::Value;

use super::arrange::Edit;
use crate::model::{Dashboard, Module, ModuleType};

/// What was typed in the module forms and not saved yet, by field (its
/// `id`). The list of modules is drawn again on every change to the draft
/// (another module moved or removed, the details saved), which draws an open
/// form afresh from the saved module: what was typed in it is put back.
#[derive(Clone, Copy, Debug)]
pub(super) struct TypedInForms(StoredValue<std::collections::HashMap<String, String>>);

impl TypedInForms {
    /// Keeps them for the forms drawn inside the calling component.
    pub(super) fn provide() {
        provide_context(Self(StoredValue::new(Default::default())));
    }

    /// Forgets what was typed in the form of the module whose fields' ids
    /// begin with `prefix` (saved, or cancelled).
    fn forget(self, prefix: &str) {
        self.0
            .try_update_value(|typed| typed.retain(|id, _| !id.starts_with(prefix)));
    }
}

/// The id and value of the field an event happened in.
fn field_of(ev: &leptos::ev::Event) -> Option<(String, String)> {
    use leptos::wasm_bindgen::JsCast;
    let field = ev.target()?.dyn_into::<leptos::web_sys::Element>().ok()?;
    let id = field.id();
    (!id.is_empty()).then(|| (id, event_target_value(ev)))
}

/// The form that changes one module: its words, and the period and span its
/// query reads.
#[component]
pub(super) fn ModuleForm(
    module: Module,
    index: usize,
    change: Callback<(String, Edit)>,
    editing: RwSignal<Option<String>>,
) -> impl IntoView {
    let id = |f: &str| format!("module-{}-{f}", module.slug);
    let typed = use_context::<TypedInForms>();
    let prefix = id("");
    let keep = move |ev: leptos::ev::Event| {
        if let (Some(typed), Some((id, value))) = (typed, field_of(&ev)) {
            typed.0.try_update_value(|t| t.insert(id, value));
        }
    };
    // Drawn again: what was typed before goes back in its fields.
    let form = NodeRef::<leptos::html::Form>::new();
    #[cfg(feature = "hydrate")]
    {
        let prefix = prefix.clone();
        Effect::new(move |_| {
            let (Some(form), Some(typed)) = (form.get(), typed) else {
                return;
            };
            typed.0.with_value(|t| {
                for (id, value) in t.iter().filter(|(id, _)| id.starts_with(&prefix)) {
                    if let Ok(Some(field)) = form.query_selector(&format!("[id='{id}']")) {
                        let _ = js_sys::Reflect::set(&field, &"value".into(), &value.into());
                    }
                }
            });
        });
    }
    let title = NodeRef::<leptos::html::Input>::new();
    let description = NodeRef::<leptos::html::Textarea>::new();
    let info = NodeRef::<leptos::html::Textarea>::new();
    let period = NodeRef::<leptos::html::Select>::new();
    let duration = NodeRef::<leptos::html::Input>::new();
    let format = NodeRef::<leptos::html::Select>::new();
    let hours = NodeRef::<leptos::html::Input>::new();
    let limit = NodeRef::<leptos::html::Input>::new();
    let link = NodeRef::<leptos::html::Input>::new();
    let timed = crate::query_string::param(&module.query, "period").is_some();
    let formats = matches!(
        module.module_type,
        ModuleType::Kpi
            | ModuleType::SingleTimeseries
            | ModuleType::BarChartWithNumber
            | ModuleType::GroupedTimeseries
    );
    let cancelled = prefix.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let fields = Fields {
            title: title.get_untracked().map(|i| i.value()).unwrap_or_default(),
            description: description
                .get_untracked()
                .map(|t| t.value())
                .unwrap_or_default(),
            info: info.get_untracked().map(|t| t.value()).unwrap_or_default(),
            period: period.get_untracked().map(|s| s.value()),
            duration: duration.get_untracked().map(|i| i.value()),
            format: format.get_untracked().map(|s| s.value()),
            hours: hours.get_untracked().map(|i| i.value()),
            limit: limit.get_untracked().map(|i| i.value()),
            link: link.get_untracked().map(|i| i.value()),
        };
        if !fields.acceptable() {
            return;
        }
        if let Some(typed) = typed {
            typed.forget(&prefix);
        }
        editing.set(None);
        change.run((
            format!("Changed “{}”.", fields.title.trim()),
            Box::new(move |d: &mut Dashboard| {
                let Some(m) = d.modules.get_mut(index) else {
                    return;
                };
                fields.apply(m);
            }),
        ));
    };
    // The textareas' text is their content, not `prop:value`, which would be
    // set again (over what is typed) whenever the form were drawn again in
    // place. (The form is only ever drawn in the browser, so no hydration
    // markers end up in it.)
    view! {
        <form class="pulse-build__module-form" node_ref=form on:submit=submit on:input=keep on:change=keep>
            <div class="govuk-form-group">
                <label class="govuk-label" for=id("title")>"Title"</label>
                <input class="govuk-input" id=id("title") type="text" node_ref=title value=module.title.clone() required/>
            </div>
            <div class="govuk-form-group">
                <label class="govuk-label" for=id("description")>"Description (under the title)"</label>
                <textarea class="govuk-textarea" id=id("description") rows="2" node_ref=description>{module.description.clone()}</textarea>
            </div>
            <div class="govuk-form-group">
                <label class="govuk-label" for=id("info")>"About the data"</label>
                <textarea class="govuk-textarea" id=id("info") rows="2" node_ref=info>{module.info.clone()}</textarea>
            </div>
            {timed.then(|| period_fields(&module, period, duration))}
            {formats.then(|| format_field(&module, format))}
            {(module.module_type == ModuleType::Realtime).then(|| hours_field(&module, hours))}
            {(module.module_type == ModuleType::List).then(|| list_fields(&module, limit, link))}
            <button type="submit" class="govuk-button" data-module="govuk-button">"Save the module"</button>
            " "
            <button type="button" class="govuk-button govuk-button--secondary" on:click=move |_| {
                if let Some(typed) = typed {
                    typed.forget(&cancelled);
                }
                editing.set(None);
            }>"Cancel"</button>
        </form>
    }
}

/// The period a timed module's points cover, and how many it shows.
fn period_fields(
    module: &Module,
    period: NodeRef<leptos::html::Select>,
    duration: NodeRef<leptos::html::Input>,
) -> impl IntoView {
    let id = |f: &str| format!("module-{}-{f}", module.slug);
    let current_period = crate::query_string::param(&module.query, "period").unwrap_or_default();
    let current_duration =
        crate::query_string::param(&module.query, "duration").unwrap_or_default();
    let periods = ["week", "month", "quarter", "year"];
    view! {
        <div class="govuk-form-group">
            <label class="govuk-label" for=id("period")>"One point per"</label>
            <select class="govuk-select" id=id("period") node_ref=period>
                {periods.iter().map(|p| view! { <option value=*p selected={*p == current_period}>{*p}</option> }).collect::<Vec<_>>()}
            </select>
        </div>
        <div class="govuk-form-group">
            <label class="govuk-label" for=id("duration")>"How many periods (1 to 520)"</label>
            <input class="govuk-input govuk-input--width-4" id=id("duration") type="number" min="1" max="520" inputmode="numeric"
                node_ref=duration value=current_duration.clone()/>
        </div>
    }
}

/// How the module's values are shown: numbers, pounds or percentages.
fn format_field(module: &Module, format: NodeRef<leptos::html::Select>) -> impl IntoView {
    let id = |f: &str| format!("module-{}-{f}", module.slug);
    let current_format = module
        .options
        .get("format")
        .and_then(Value::as_str)
        .unwrap_or("number")
        .to_string();
    view! {
        <div class="govuk-form-group">
            <label class="govuk-label" for=id("format")>"Show values as"</label>
            <select class="govuk-select" id=id("format") node_ref=format>
                {[("number", "numbers"), ("pounds", "pounds"), ("percent", "percentages (of 1)")].iter().map(|(v, w)| view! {
                    <option value=*v selected={*v == current_format}>{*w}</option>
                }).collect::<Vec<_>>()}
            </select>
        </div>
    }
}

/// How many hours a live figure shows.
fn hours_field(module: &Module, hours: NodeRef<leptos::html::Input>) -> impl IntoView {
    let id = format!("module-{}-hours", module.slug);
    let current = crate::modules::realtime_hours(module).to_string();
    let max = crate::modules::MAX_REALTIME_HOURS;
    view! {
        <div class="govuk-form-group">
            <label class="govuk-label" for=id.clone()>{format!("Hours in the sparkline (1 to {max})")}</label>
            <input class="govuk-input govuk-input--width-4" id=id type="number" min="1" max=max.to_string()
                inputmode="numeric" node_ref=hours value=current/>
        </div>
    }
}

/// How many items a list shows, and where each links to.
fn list_fields(
    module: &Module,
    limit: NodeRef<leptos::html::Input>,
    link: NodeRef<leptos::html::Input>,
) -> impl IntoView {
    let id = |f: &str| format!("module-{}-{f}", module.slug);
    let current_limit = crate::query_string::param(&module.query, "limit").unwrap_or_default();
    let current_link = module
        .options
        .get("link")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let fields: Vec<String> = crate::query_string::pairs(&module.query)
        .into_iter()
        .filter(|(k, _)| k == "group_by")
        .map(|(_, v)| format!("{{{v}}}"))
        .collect();
    let hint = format!(
        "A web address (https://…) or a path of this site (/…); {} stands for each item's value. Leave it empty for no links.",
        if fields.is_empty() { "{field}".to_string() } else { fields.join(" or ") }
    );
    view! {
        <div class="govuk-form-group">
            <label class="govuk-label" for=id("limit")>"How many items (1 to 100)"</label>
            <input class="govuk-input govuk-input--width-4" id=id("limit") type="number" min="1" max="100"
                inputmode="numeric" node_ref=limit value=current_limit/>
        </div>
        <div class="govuk-form-group">
            <label class="govuk-label" for=id("link")>"Link of each item (optional)"</label>
            <div class="govuk-hint" id=id("link-hint")>{hint}</div>
            <input class="govuk-input" id=id("link") type="text" spellcheck="false" aria-describedby=id("link-hint")
                node_ref=link value=current_link/>
        </div>
    }
}

/// The form's fields as sent: the period, span, format, hours, limit and
/// link only when the form has them.
struct Fields {
    title: String,
    description: String,
    info: String,
    period: Option<String>,
    duration: Option<String>,
    format: Option<String>,
    hours: Option<String>,
    limit: Option<String>,
    link: Option<String>,
}

impl Fields {
    /// Whether the module can be changed so: a title, and a span (when given)
    /// of 1 to 520 periods. (The browser's own checks say what is wrong.)
    fn acceptable(&self) -> bool {
        if self.title.trim().is_empty() {
            return false;
        }
        let within = |value: &Option<String>, max: u32| {
            value.as_deref().is_none_or(|d| {
                d.is_empty() || d.parse::<u32>().is_ok_and(|n| (1..=max).contains(&n))
            })
        };
        within(&self.duration, 520)
            && within(&self.hours, crate::modules::MAX_REALTIME_HOURS)
            && within(&self.limit, 100)
    }

    /// Changes the module: its words, its query's `period` and `duration`
    /// (through [`crate::query_string`]; an empty one is removed) and its
    /// `format` option (none for numbers).
    fn apply(self, m: &mut Module) {
        m.title = self.title.trim().to_string();
        m.description = self.description.trim().to_string();
        m.info = self.info.trim().to_string();
        if let Some(p) = self.period {
            m.query = crate::query_string::with_param(&m.query, "period", &p);
        }
        if let Some(n) = self.duration {
            m.query = crate::query_string::with_param(&m.query, "duration", &n);
        }
        if let Some(n) = self.limit {
            m.query = crate::query_string::with_param(&m.query, "limit", &n);
        }
        let Some(options) = m.options.as_object_mut() else {
            return;
        };
        if let Some(f) = self.format {
            if f == "number" {
                options.remove("format");
            } else {
                options.insert("format".into(), Value::String(f));
            }
        }
        if let Some(h) = self.hours.and_then(|h| h.parse::<u32>().ok()) {
            options.insert("hours".into(), Value::from(h));
        }
        if let Some(link) = self.link.map(|l| l.trim().to_string()) {
            if link.is_empty() {
                options.remove("link");
            } else {
                options.insert("link".into(), Value::String(link));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(title: &str, duration: Option<&str>, format: Option<&str>) -> Fields {
        Fields {
            title: title.into(),
            description: " Said ".into(),
            info: String::new(),
            period: Some("month".into()),
            duration: duration.map(str::to_string),
            format: format.map(str::to_string),
            hours: None,
            limit: None,
            link: None,
        }
    }

    #[test]
    fn a_module_needs_a_title_and_a_span_of_1_to_520() {
        assert!(fields("Cost", Some("12"), None).acceptable());
        assert!(fields("Cost", Some(""), None).acceptable());
        assert!(fields("Cost", None, None).acceptable());
        assert!(!fields(" ", Some("12"), None).acceptable());
        for wrong in ["0", "521", "x"] {
            assert!(!fields("Cost", Some(wrong), None).acceptable(), "{wrong}");
        }
    }

    #[test]
    fn the_fields_change_the_words_the_query_and_the_format() {
        let mut m = Module {
            module_type: ModuleType::Kpi,
            slug: "cost".into(),
            title: "Old".into(),
            description: String::new(),
            info: "Kept?".into(),
            data_set: Some("renew/cost".into()),
            query: "period=week&duration=52&collect=cost:mean".into(),
            options: json!({"format": "pounds"}),
            modules: Vec::new(),
            frequency: None,
        };
        fields(" Cost ", Some(""), Some("number")).apply(&mut m);
        assert_eq!((m.title.as_str(), m.description.as_str()), ("Cost", "Said"));
        assert_eq!(m.info, "");
        assert_eq!(m.query, "period=month&collect=cost:mean");
        assert_eq!(m.options, json!({}));
        fields("Cost", Some("6"), Some("percent")).apply(&mut m);
        assert_eq!(m.query, "duration=6&period=month&collect=cost:mean");
        assert_eq!(m.options, json!({"format": "percent"}));
    }
}
