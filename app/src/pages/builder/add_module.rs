//! The form that adds a module: its kind, the service's data set it shows
//! and its title (the catalogue makes the module; its slug is made unique).

use leptos::prelude::*;

use super::arrange::{Arrangement, ServiceDataSets};
use crate::catalogue::{self, MODULE_TYPES};
use crate::model::{Dashboard, Module};

/// "Add a module": its heading and form.
#[component]
pub(super) fn AddModule(arrangement: Arrangement, sets: ServiceDataSets) -> impl IntoView {
    let Arrangement {
        problem, change, ..
    } = arrangement;
    let add_type = NodeRef::<leptos::html::Select>::new();
    let add_set = NodeRef::<leptos::html::Select>::new();
    let add_title = NodeRef::<leptos::html::Input>::new();
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let t = add_type
            .get_untracked()
            .map(|s| s.value())
            .and_then(|v| catalogue::module_type_named(&v));
        let set = add_set
            .get_untracked()
            .map(|s| s.value())
            .unwrap_or_default();
        let title = add_title
            .get_untracked()
            .map(|i| i.value())
            .unwrap_or_default();
        let Some(t) = t else {
            problem.set(Some("Choose what kind of module to add.".into()));
            return;
        };
        if set.is_empty() {
            problem.set(Some("Choose the data set the module shows.".into()));
            return;
        }
        if title.trim().is_empty() {
            problem.set(Some("Enter the module's title.".into()));
            return;
        }
        if let Some(i) = add_title.get_untracked() {
            i.set_value("");
        }
        change.run((
            format!("Added “{}”.", title.trim()),
            Box::new(move |d: &mut Dashboard| {
                let slug = unique_slug(&d.modules, &title);
                d.modules
                    .push(catalogue::new_module(t, &set, &slug, title.trim()));
            }),
        ));
    };

    view! {
        <h2 class="govuk-heading-m" id="add-heading">"Add a module"</h2>
        <form on:submit=add class="pulse-build__add" aria-labelledby="add-heading">
            <div class="govuk-form-group">
                <label class="govuk-label" for="add-type">"Kind of module"</label>
                <select class="govuk-select" id="add-type" node_ref=add_type>
                    {MODULE_TYPES.iter().map(|(t, words)| view! {
                        <option value=catalogue::module_type_name(*t)>{*words}</option>
                    }).collect::<Vec<_>>()}
                </select>
            </div>
            <div class="govuk-form-group">
                <label class="govuk-label" for="add-set">"Data set it shows"</label>
                // The options come with the data sets; the select is drawn
                // whole (markers of a suspended part inside it would not survive
                // the HTML parser).
                <Suspense fallback=|| view! { <select class="govuk-select" id="add-set" disabled></select> }>
                    {move || Suspend::new(async move {
                        let _ = sets.all.await;
                        let options = sets.mine().into_iter().map(|d| {
                            let name = format!("{}/{}", d.data_group, d.data_type);
                            view! { <option value=name.clone()>{name.clone()}</option> }
                        }).collect::<Vec<_>>();
                        view! { <select class="govuk-select" id="add-set" node_ref=add_set>{options}</select> }
                    })}
                </Suspense>
            </div>
            <div class="govuk-form-group">
                <label class="govuk-label" for="add-title">"Title"</label>
                <input class="govuk-input govuk-input--width-30" id="add-title" type="text" node_ref=add_title/>
            </div>
            <button type="submit" class="govuk-button govuk-button--secondary" id="add-module" data-module="govuk-button">"Add the module"</button>
        </form>
    }
}

/// A unique module slug for a title among the dashboard's modules.
fn unique_slug(modules: &[Module], title: &str) -> String {
    let base = match catalogue::slug_of(title) {
        s if s.is_empty() => "module".to_string(),
        s => s,
    };
    let mut slug = base.clone();
    let mut n = 2;
    while modules.iter().any(|m| m.slug == slug) {
        slug = format!("{base}-{n}");
        n += 1;
    }
    slug
}
