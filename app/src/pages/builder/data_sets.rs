//! The service's data sets under the dashboard: each one's status, the way
//! to upload a spreadsheet to it, its CSV template (when the catalogue knows
//! its type) and a new write token (shown once).

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::arrange::ServiceDataSets;
use crate::api;
use crate::catalogue;

/// The "Data" section: how to send data, the new token and the data sets.
#[component]
pub(super) fn DataSets(
    problem: RwSignal<Option<String>>,
    csrf: StoredValue<String>,
    sets: ServiceDataSets,
) -> impl IntoView {
    let new_token = RwSignal::new(None::<(String, String)>);
    let rotate = move |group: String, data_type: String| {
        let token = csrf.get_value();
        spawn_local(async move {
            match api::new_write_token(&group, &data_type, token).await {
                Ok(answer) => {
                    new_token.set(Some((format!("{group}/{data_type}"), answer.bearer_token)))
                }
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };

    view! {
        <h2 class="govuk-heading-l">"Data"</h2>
        <p class="govuk-body">"Send figures through the API (see "<a class="govuk-link" href="/guide/send-data">"Send data"</a>"), or upload a spreadsheet here."</p>
        {move || new_token.get().map(|(name, token)| view! {
            <div class="govuk-inset-text" id="new-token">
                {format!("New write token for {name} (shown once; the old one no longer works): ")}
                <code class="pulse-token">{token}</code>
            </div>
        })}
        <Suspense fallback=|| view! { <p class="govuk-body">"Loading the data sets…"</p> }>
            {move || Suspend::new(async move {
                let _ = sets.all.await;
                let sets = sets.mine();
                if sets.is_empty() {
                    return view! { <p class="govuk-body">"This service has no data sets yet."</p> }.into_any();
                }
                let rows: Vec<_> = sets.into_iter().map(|d| {
                    let name = format!("{}/{}", d.data_group, d.data_type);
                    let upload = format!("/data-sets/{name}");
                    let template = format!("/api/v1/data-types/{}/template.csv", d.data_type);
                    let has_template = catalogue::find(&d.data_type).is_some();
                    let (group, data_type) = (d.data_group.clone(), d.data_type.clone());
                    view! {
                        <tr class="govuk-table__row">
                            <th scope="row" class="govuk-table__header"><code>{name.clone()}</code></th>
                            <td class="govuk-table__cell">{if d.published { "Published" } else { "Not published" }}</td>
                            <td class="govuk-table__cell">
                                <a class="govuk-link" href=upload>"Upload a spreadsheet"<span class="govuk-visually-hidden">{format!(" to {name}")}</span></a>
                                {has_template.then(|| view! { " · " <a class="govuk-link" href=template.clone()>"CSV template"</a> })}
                                " · "
                                <button type="button" class="pulse-link-button" on:click=move |_| rotate(group.clone(), data_type.clone())>
                                    "New write token"<span class="govuk-visually-hidden">{format!(" for {name}")}</span>
                                </button>
                            </td>
                        </tr>
                    }
                }).collect();
                view! {
                    <table class="govuk-table" id="data-sets">
                        <caption class="govuk-table__caption govuk-table__caption--s">"The service's data sets"</caption>
                        <thead class="govuk-table__head"><tr class="govuk-table__row">
                            <th scope="col" class="govuk-table__header">"Data set"</th>
                            <th scope="col" class="govuk-table__header">"Status"</th>
                            <th scope="col" class="govuk-table__header">"Actions"</th>
                        </tr></thead>
                        <tbody class="govuk-table__body">{rows}</tbody>
                    </table>
                }.into_any()
            })}
        </Suspense>
    }
}
