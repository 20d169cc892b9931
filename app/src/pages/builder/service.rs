//! `/build`'s first question: which service the dashboard is for, one of
//! the editor's (of their organisations; every one for an admin) or a new one
//! (its name, organisation and what it does).

use leptos::html::{Input, Select, Textarea};
use leptos::prelude::*;

use crate::api::ApiError;
use crate::model::{Organisation, Role, ServiceList, ServiceListing, User};

/// Whether a service belongs to one of the editor's organisations.
fn theirs(user: &User, s: &ServiceListing) -> bool {
    user.role == Role::Admin
        || user.organisations.contains(&s.department.slug)
        || s.agency
            .as_ref()
            .is_some_and(|a| user.organisations.contains(&a.slug))
}

/// The service's radios (the editor's services, and "A new service") and the
/// new service's fields, shown when it is chosen.
#[component]
pub(super) fn ServiceChoice(
    user: StoredValue<User>,
    services: Resource<Result<ServiceList, ApiError>>,
    orgs: Resource<Result<Vec<Organisation>, ApiError>>,
    choice: RwSignal<String>,
    new_title: NodeRef<Input>,
    new_org: NodeRef<Select>,
    new_description: NodeRef<Textarea>,
) -> impl IntoView {
    view! {
        <Suspense fallback=|| view! { <p class="govuk-body">"Loading your services…"</p> }>
            {move || Suspend::new(async move {
                let mine: Vec<ServiceListing> = services
                    .await
                    .map(|l| l.services)
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|s| user.with_value(|u| theirs(u, s)))
                    .collect();
                let my_orgs: Vec<Organisation> = orgs
                    .await
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|o| user.with_value(|u| u.role == Role::Admin || u.organisations.contains(&o.slug)))
                    .collect();
                let radios: Vec<_> = mine
                    .into_iter()
                    .map(|s| {
                        let id = format!("service-{}", s.slug);
                        let value = s.slug.clone();
                        let v2 = value.clone();
                        view! {
                            <div class="govuk-radios__item">
                                <input class="govuk-radios__input" id=id.clone() name="service" type="radio" value=value
                                    on:change=move |_| choice.set(v2.clone())/>
                                <label class="govuk-label govuk-radios__label" for=id>{s.title}</label>
                            </div>
                        }
                    })
                    .collect();
                let options: Vec<_> = my_orgs
                    .into_iter()
                    .map(|o| view! { <option value=o.slug.clone()>{o.title}</option> })
                    .collect();
                view! {
                    <div class="govuk-form-group">
                        <fieldset class="govuk-fieldset">
                            <legend class="govuk-fieldset__legend govuk-fieldset__legend--m">
                                <h2 class="govuk-fieldset__heading">"Which service is the dashboard for?"</h2>
                            </legend>
                            <div class="govuk-radios" data-module="govuk-radios">
                                {radios}
                                <div class="govuk-radios__divider">"or"</div>
                                <div class="govuk-radios__item">
                                    <input class="govuk-radios__input" id="service-new" name="service" type="radio" value="new"
                                        on:change=move |_| choice.set("new".into())/>
                                    <label class="govuk-label govuk-radios__label" for="service-new">"A new service"</label>
                                </div>
                            </div>
                        </fieldset>
                    </div>
                    <div class="govuk-inset-text pulse-build__new" hidden=move || choice.get() != "new">
                        <div class="govuk-form-group">
                            <label class="govuk-label" for="new-title">"The service's name"</label>
                            <div class="govuk-hint" id="new-title-hint">"As its users know it, such as “Apply for a fishing licence”."</div>
                            <input class="govuk-input" id="new-title" type="text" node_ref=new_title aria-describedby="new-title-hint"/>
                        </div>
                        <div class="govuk-form-group">
                            <label class="govuk-label" for="new-org">"Organisation that runs it"</label>
                            <select class="govuk-select" id="new-org" node_ref=new_org>{options}</select>
                        </div>
                        <div class="govuk-form-group">
                            <label class="govuk-label" for="new-description">"What it does (optional)"</label>
                            <textarea class="govuk-textarea" id="new-description" rows="2" node_ref=new_description></textarea>
                        </div>
                    </div>
                }
            })}
        </Suspense>
    }
}
