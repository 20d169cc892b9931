//! The home page: every service, with the department and agency that run it.

use crate::components::scroll_table::ScrollTable;
use leptos::prelude::*;
use leptos_meta::Title;

use super::ApiErrorView;
use crate::api;
use crate::model::ServiceListing;

#[component]
pub fn HomePage() -> impl IntoView {
    let services = Resource::new(|| (), |_| api::services());
    view! {
        <Title text="Services - Pulse"/>
        <h1 class="govuk-heading-xl">"Services"</h1>
        <p class="govuk-body-l">
            "How public services perform: transactions, cost, satisfaction, completion and digital take-up."
        </p>
        <Suspense fallback=|| view! { <p class="govuk-body">"Loading services…"</p> }>
            {move || Suspend::new(async move {
                match services.await {
                    Ok(list) => view! { <ServiceTable services=list.services/> }.into_any(),
                    Err(error) => view! { <ApiErrorView error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ServiceTable(services: Vec<ServiceListing>) -> impl IntoView {
    let count = services.len();
    let rows = services
        .into_iter()
        .map(|s| {
            let href = format!("/services/{}", s.slug);
            let agency = s.agency.map(|a| a.title).unwrap_or_default();
            view! {
                <tr class="govuk-table__row">
                    <th scope="row" class="govuk-table__header">
                        <a class="govuk-link" href=href>{s.title}</a>
                    </th>
                    <td class="govuk-table__cell">{s.department.title}</td>
                    <td class="govuk-table__cell">{agency}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <ScrollTable label="Services"><table class="govuk-table" id="services">
            <caption class="govuk-table__caption govuk-table__caption--m">
                {format!("{count} services")}
            </caption>
            <thead class="govuk-table__head">
                <tr class="govuk-table__row">
                    <th scope="col" class="govuk-table__header">"Service"</th>
                    <th scope="col" class="govuk-table__header">"Department"</th>
                    <th scope="col" class="govuk-table__header">"Agency"</th>
                </tr>
            </thead>
            <tbody class="govuk-table__body">{rows}</tbody>
        </table></ScrollTable>
    }
}
