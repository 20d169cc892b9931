//! One module per route.

pub mod admin;
pub mod boards;
pub mod builder;
pub mod compare;
pub mod dashboard;
pub mod guide;
pub mod home;
pub mod invitations;
pub mod not_found;
pub mod notifications;
pub mod service;
pub mod services;
pub mod settings;
pub mod sign_in;
pub mod two_factor;
pub mod upload;

use leptos::prelude::*;

use crate::api::ApiError;

/// Sets the HTTP status of the page being rendered on the server (a no-op in the
/// browser), so a missing service is a real 404 and not a 200 saying "not found".
pub fn set_status(status: u16) {
    #[cfg(feature = "ssr")]
    if let (Some(response), Ok(code)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(status),
    ) {
        response.set_status(code);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = status;
}

/// A page's session, asked for once for the page.
pub type SessionRead = Resource<Result<crate::model::SessionState, ApiError>>;

/// A signed-in page's own reads: `read` runs once the page's session says
/// someone is signed in, given who; for a visitor who is not, the API is not
/// asked at all (the page says to sign in).
///
/// A signed-in page makes these Resources itself, above the Suspense that
/// waits for the session, never in that Suspense's children: on the server
/// Leptos runs those children more than once before it draws them, so a
/// Resource made there asks the API again on each run and every copy's
/// answer is handed to the browser, which takes the page over with the first
/// (a copy that read something else than the page drew is a panic on the
/// page's first load).
pub async fn when_signed_in<T, F>(
    session: SessionRead,
    read: impl FnOnce(crate::model::User) -> F,
) -> Result<T, ApiError>
where
    F: std::future::Future<Output = Result<T, ApiError>>,
{
    match session.await {
        Ok(crate::model::SessionState {
            user: Some(user), ..
        }) => read(user).await,
        Ok(_) => Err(ApiError::Status {
            status: 401,
            message: "Sign in to see this.".into(),
        }),
        Err(e) => Err(e),
    }
}

/// A list a signed-in page reads from the API's `path` ([`when_signed_in`]),
/// read again whenever `version` changes (after the page changed it).
pub fn signed_in_read<T>(
    session: SessionRead,
    version: RwSignal<u32>,
    path: &'static str,
) -> Resource<Result<T, ApiError>>
where
    T: serde::Serialize + serde::de::DeserializeOwned + Send + Sync + 'static,
{
    Resource::new(
        move || version.get(),
        move |_| when_signed_in(session, |_| crate::api::get_json::<T>(path.into())),
    )
}

/// The sign-in page's address, coming back to `next` once signed in.
pub fn sign_in_href(next: &str) -> String {
    crate::query_string::href("/sign-in", &crate::query_string::encode(&[("next", next)]))
}

/// What a page shows when its data could not be had.
#[component]
///
/// It takes no children: a page that offers a way of its own draws its own
/// view (as the comparison does). A `children` here kept cargo-leptos from
/// splitting the lazily loaded pages' text out of the main wasm (100 KB more on
/// every first visit); `scripts/test` checks that it stays out.
pub fn ApiErrorView(error: ApiError) -> impl IntoView {
    set_status(error.status());
    let heading = if error.is_not_found() {
        "Page not found"
    } else {
        "Sorry, there is a problem"
    };
    view! {
        <h1 class="govuk-heading-l">{heading}</h1>
        <p class="govuk-body">{error.to_string()}</p>
        <p class="govuk-body"><a class="govuk-link" href="/">"See all services"</a></p>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sign_in_links_keep_the_way_back_readable() {
        assert_eq!(super::sign_in_href("/boards"), "/sign-in?next=/boards");
        assert_eq!(
            super::sign_in_href("/data-sets/a b/c&d"),
            "/sign-in?next=/data-sets/a%20b/c%26d"
        );
    }
}
