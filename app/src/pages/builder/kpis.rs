//! `/build`'s second question: what the dashboard shows, one tick per KPI
//! (the catalogue's [`CHOICES`]); Pulse makes a data set and a chart for each.

use leptos::prelude::*;

use crate::catalogue::CHOICES;

/// The KPIs ticked at first: every one but the journey.
pub(super) fn default_kpis() -> Vec<String> {
    CHOICES
        .iter()
        .filter(|c| c.key != "journey")
        .map(|c| c.key.to_string())
        .collect::<Vec<_>>()
}

/// A checkbox for each KPI, with its hint; `kpis` are the keys ticked.
#[component]
pub(super) fn KpiChoice(kpis: RwSignal<Vec<String>>) -> impl IntoView {
    view! {
        <div class="govuk-form-group">
            <fieldset class="govuk-fieldset" aria-describedby="kpis-hint">
                <legend class="govuk-fieldset__legend govuk-fieldset__legend--m">
                    <h2 class="govuk-fieldset__heading">"What should the dashboard show?"</h2>
                </legend>
                <div class="govuk-hint" id="kpis-hint">"Pulse makes a data set of the right type for each, and a chart."</div>
                <div class="govuk-checkboxes" data-module="govuk-checkboxes">
                    {CHOICES.iter().map(|c| {
                        let key = c.key.to_string();
                        let id = format!("kpi-{}", c.key);
                        let hint = format!("{id}-hint");
                        let k1 = key.clone();
                        let k2 = key.clone();
                        view! {
                            <div class="govuk-checkboxes__item">
                                <input class="govuk-checkboxes__input" id=id.clone() name="kpis" type="checkbox" value=key
                                    aria-describedby=hint.clone()
                                    prop:checked=move || kpis.with(|k| k.contains(&k1))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        kpis.update(|k| {
                                            k.retain(|x| x != &k2);
                                            if on { k.push(k2.clone()); }
                                        });
                                    }/>
                                <label class="govuk-label govuk-checkboxes__label" for=id>{c.title}</label>
                                <div class="govuk-hint govuk-checkboxes__hint" id=hint>{c.hint}</div>
                            </div>
                        }
                    }).collect::<Vec<_>>()}
                </div>
            </fieldset>
        </div>
    }
}
