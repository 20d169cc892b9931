//! Making the dashboard: the one call of the server's workflow
//! (`POST /api/v1/services/{slug}/dashboard`), and the panel saying what it
//! made, with the new data sets' write tokens (shown once).

use crate::components::problem::Warning;
use leptos::prelude::*;

use crate::api;

/// The dashboard to make, from `/build`'s answers.
pub(super) struct Wanted {
    /// Whether the service is new (made with the dashboard).
    pub(super) new: bool,
    /// The service's slug, and its name.
    pub(super) service: String,
    pub(super) service_title: String,
    /// A new service's organisation and description.
    pub(super) org: String,
    pub(super) description: String,
    /// The dashboard's slug.
    pub(super) slug: String,
    /// The KPIs it shows (the catalogue's choice keys).
    pub(super) keys: Vec<String>,
}

/// What creating a dashboard made: its address, and each new data set's
/// write token (shown once).
#[derive(Clone, Debug, Default)]
pub(super) struct Created {
    slug: String,
    tokens: Vec<(String, String)>,
    existing: Vec<String>,
}

/// Makes the dashboard with one call (`POST /api/v1/services/{slug}/dashboard`):
/// the service (if new), a data set per data type needed (kept where it
/// exists) and the dashboard itself, all or nothing.
pub(super) async fn create_all(wanted: &Wanted, csrf: String) -> Result<Created, String> {
    use crate::model::{NewServiceDetails, ServiceDashboard, ServiceDashboardRequest};
    let request = ServiceDashboardRequest {
        kpis: wanted.keys.clone(),
        dashboard: Some(wanted.slug.clone()),
        new_service: wanted.new.then(|| NewServiceDetails {
            title: wanted.service_title.clone(),
            description: wanted.description.trim().to_string(),
            organisation: wanted.org.clone(),
        }),
    };
    let path = format!(
        "/api/v1/services/{}/dashboard",
        api::encode_component(&wanted.service)
    );
    let made: ServiceDashboard = api::send_json("POST", path, api::body(&request), csrf)
        .await
        .map_err(|e| format!("The dashboard could not be made: {e}"))?;
    Ok(Created {
        slug: made.dashboard.slug,
        tokens: made
            .tokens
            .into_iter()
            .map(|t| (t.data_set, t.bearer_token))
            .collect(),
        existing: made.existing,
    })
}

/// What was made: the dashboard's address, the write tokens, the data sets
/// kept as they were, and the way on to arranging it.
#[component]
pub(super) fn CreatedPanel(created: Created) -> impl IntoView {
    let next = format!("/build/{}", created.slug);
    let tokens: Vec<_> = created
        .tokens
        .iter()
        .map(|(name, token)| {
            let id = format!("token-{}", name.replace('/', "-"));
            view! {
                <div class="govuk-summary-list__row">
                    <dt class="govuk-summary-list__key">{name.clone()}</dt>
                    <dd class="govuk-summary-list__value"><code class="pulse-token" id=id>{token.clone()}</code></dd>
                </div>
            }
        })
        .collect();
    let existing = (!created.existing.is_empty()).then(|| {
        view! {
            <p class="govuk-body">
                {format!("These data sets already existed and are used as they are: {}.", created.existing.join(", "))}
            </p>
        }
    });
    let has_tokens = !created.tokens.is_empty();
    view! {
        <div class="govuk-panel govuk-panel--confirmation pulse-build__done" id="dashboard-created">
            <h2 class="govuk-panel__title">"Dashboard created"</h2>
            <div class="govuk-panel__body">{format!("At /{}, not yet published", created.slug)}</div>
        </div>
        {has_tokens.then(|| view! {
            <h2 class="govuk-heading-m">"Write tokens: copy them now"</h2>
            <Warning>"Each data set's token is shown only this once. Your developers send data with it (see "
                    <a class="govuk-link" href="/guide/send-data">"Send data"</a>
                    "). You can make a new one later."</Warning>
            <dl class="govuk-summary-list" id="write-tokens">{tokens}</dl>
        })}
        {existing}
        <a class="govuk-button" href=next id="arrange-modules" data-module="govuk-button">"Continue: arrange, fill and publish"</a>
    }
}
