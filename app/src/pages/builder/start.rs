//! `/build`, step 1: the form that chooses the service (see `service`), what
//! the dashboard shows (see `kpis`) and its address, checks the answers and
//! has the dashboard made (see `create`).

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::create::{create_all, Created, CreatedPanel, Wanted};
use super::kpis::{default_kpis, KpiChoice};
use super::service::ServiceChoice;
use super::{editor, Editor};
use crate::api;
use crate::catalogue;
use crate::components::problem::ProblemSummary;
use crate::model::ServiceList;

/// What `/build` reads from the API, made by the page for the page and
/// asked only for an editor ([`crate::pages::when_signed_in`]).
#[derive(Clone, Copy)]
pub(super) struct Reads {
    services: Resource<Result<ServiceList, api::ApiError>>,
    orgs: Resource<Result<Vec<crate::model::Organisation>, api::ApiError>>,
}

impl Reads {
    pub(super) fn new(session: crate::pages::SessionRead) -> Reads {
        use crate::pages::when_signed_in;
        Reads {
            services: Resource::new(|| (), move |_| when_signed_in(session, |_| api::services())),
            orgs: Resource::new(
                || (),
                move |_| when_signed_in(session, |_| api::organisations()),
            ),
        }
    }
}

#[component]
pub(super) fn Start(reads: Reads) -> impl IntoView {
    let Editor { user, csrf } = editor();
    let user = StoredValue::new(user);
    let csrf = StoredValue::new(csrf);
    let Reads { services, orgs } = reads;
    let choice = RwSignal::new(String::new());
    let kpis = RwSignal::new(default_kpis());
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let created = RwSignal::new(None::<Created>);
    let new_title = NodeRef::<leptos::html::Input>::new();
    let new_org = NodeRef::<leptos::html::Select>::new();
    let new_description = NodeRef::<leptos::html::Textarea>::new();
    let address = NodeRef::<leptos::html::Input>::new();

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let answers = Answers {
            chosen: choice.get_untracked(),
            keys: kpis.get_untracked(),
            title: new_title
                .get_untracked()
                .map(|i| i.value())
                .unwrap_or_default(),
            org: new_org
                .get_untracked()
                .map(|s| s.value())
                .unwrap_or_default(),
            description: new_description
                .get_untracked()
                .map(|t| t.value())
                .unwrap_or_default(),
            address: address
                .get_untracked()
                .map(|i| i.value())
                .unwrap_or_default(),
        };
        let listed = services.get_untracked().and_then(Result::ok);
        let token = csrf.get_value();
        let wanted = match answers.wanted(listed.as_ref()) {
            Ok(wanted) => wanted,
            Err(words) => {
                problem.set(Some(words));
                return;
            }
        };
        busy.set(true);
        problem.set(None);
        spawn_local(async move {
            let result = create_all(&wanted, token).await;
            busy.set(false);
            match result {
                Ok(made) => created.set(Some(made)),
                Err(e) => problem.set(Some(e)),
            }
        });
    };

    view! {
        <span class="govuk-caption-l">"Step 1 of 2: choose"</span>
        <h1 class="govuk-heading-xl">"Build a dashboard"</h1>
        <ProblemSummary problem id="build-problem"/>
        <Show when=move || created.get().is_some() fallback=move || view! {
            <p class="govuk-body-l">"Pick your service, tick what the dashboard should show, and Pulse makes the data sets and the charts. You can change everything afterwards, and nothing is public until you publish."</p>
            <form on:submit=submit class="pulse-build" novalidate>
                <ServiceChoice user services orgs choice new_title new_org new_description/>
                <KpiChoice kpis/>
                <div class="govuk-form-group">
                    <label class="govuk-label govuk-label--s" for="address">"The dashboard's address (optional)"</label>
                    <div class="govuk-hint" id="address-hint">"Pulse uses the service's short name if you leave this empty."</div>
                    <div class="govuk-input__wrapper">
                        <div class="govuk-input__prefix" aria-hidden="true">"/"</div>
                        <input class="govuk-input govuk-input--width-20" id="address" type="text" node_ref=address aria-describedby="address-hint"/>
                    </div>
                </div>
                <button type="submit" class="govuk-button" id="create-dashboard" data-module="govuk-button" disabled=move || busy.get()>
                    {move || if busy.get() { "Creating…" } else { "Create the dashboard" }}
                </button>
            </form>
        }>
            {move || created.get().map(|c| view! { <CreatedPanel created=c/> })}
        </Show>
    }
}

/// The form's answers, as filled in.
struct Answers {
    /// The chosen service's slug, or `new` for a new service.
    chosen: String,
    /// The ticked KPIs' keys.
    keys: Vec<String>,
    /// A new service's name, organisation and description.
    title: String,
    org: String,
    description: String,
    /// The dashboard's address, when given.
    address: String,
}

impl Answers {
    /// What to make (the dashboard at the address given, else at the
    /// service's slug), or what the form must say first. `listed` are the
    /// services listed, whose titles an existing service's dashboard takes.
    fn wanted(self, listed: Option<&ServiceList>) -> Result<Wanted, String> {
        let Answers {
            chosen,
            keys,
            title,
            org,
            description,
            address,
        } = self;
        let new = chosen == "new";
        if chosen.is_empty() {
            return Err("Choose the service the dashboard is for, or “A new service”.".into());
        }
        if new && title.trim().is_empty() {
            return Err("Enter the new service's name.".into());
        }
        if new && org.is_empty() {
            return Err("Choose the organisation that runs the new service.".into());
        }
        if keys.is_empty() {
            return Err("Tick at least one thing for the dashboard to show.".into());
        }
        let (service, service_title) = if new {
            (catalogue::slug_of(&title), title.trim().to_string())
        } else {
            let title = listed
                .and_then(|l| l.services.iter().find(|s| s.slug == chosen))
                .map(|s| s.title.clone())
                .unwrap_or_else(|| chosen.clone());
            (chosen.clone(), title)
        };
        if service.is_empty() {
            return Err("The service's name needs letters or digits.".into());
        }
        let slug = if address.trim().is_empty() {
            service.clone()
        } else {
            catalogue::slug_of(&address)
        };
        Ok(Wanted {
            new,
            service,
            service_title,
            org,
            description,
            slug,
            keys,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(chosen: &str, title: &str, org: &str, address: &str) -> Answers {
        Answers {
            chosen: chosen.into(),
            keys: vec!["transactions".into()],
            title: title.into(),
            org: org.into(),
            description: String::new(),
            address: address.into(),
        }
    }

    #[test]
    fn the_form_says_what_is_missing_in_order() {
        let problem = |a: Answers| a.wanted(None).err().unwrap_or_default();
        assert_eq!(
            problem(answers("", "", "", "")),
            "Choose the service the dashboard is for, or “A new service”."
        );
        assert_eq!(
            problem(answers("new", " ", "", "")),
            "Enter the new service's name."
        );
        assert_eq!(
            problem(answers("new", "Fish", "", "")),
            "Choose the organisation that runs the new service."
        );
        let mut none = answers("renew", "", "", "");
        none.keys.clear();
        assert_eq!(
            problem(none),
            "Tick at least one thing for the dashboard to show."
        );
        assert_eq!(
            problem(answers("new", "!!", "dft", "")),
            "The service's name needs letters or digits."
        );
    }

    #[test]
    fn the_address_is_the_one_given_else_the_services() {
        let w = answers("new", "Apply for a fishing licence", "dft", "")
            .wanted(None)
            .unwrap();
        assert!(w.new);
        assert_eq!(w.slug, w.service);
        assert_eq!(w.service_title, "Apply for a fishing licence");
        let w = answers("renew", "", "", "Renew It").wanted(None).unwrap();
        assert!(!w.new);
        assert_eq!(w.service, "renew");
        assert_eq!(w.service_title, "renew");
        assert_eq!(w.slug, catalogue::slug_of("Renew It"));
    }
}
