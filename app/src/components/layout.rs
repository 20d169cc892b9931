//! Page furniture: the GOV.UK-style header, phase banner, main column and footer.
//!
//! Pulse uses the GOV.UK Design System's styles with a system font; the GDS
//! Transport typeface and the crown belong to GOV.UK itself and are not used.

use leptos::prelude::*;

use crate::api;

/// The header's account links: "Sign in", or the person's name, their settings,
/// the admin pages for admins, and a sign-out button (a form, so it works
/// without JavaScript too).
#[component]
fn AccountLinks() -> impl IntoView {
    let session = Resource::new(|| (), |_| api::session());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match session.await.ok().and_then(|s| s.user.map(|u| (u, s.csrf_token.unwrap_or_default()))) {
                    None => view! {
                        <li class="govuk-header__navigation-item">
                            <a class="govuk-header__link" href="/sign-in" id="sign-in-link">"Sign in"</a>
                        </li>
                    }
                    .into_any(),
                    Some((user, csrf)) => {
                        let admin = user.role == crate::model::Role::Admin;
                        let editor = user.role >= crate::model::Role::Editor;
                        view! {
                            {editor.then(|| view! {
                                <li class="govuk-header__navigation-item">
                                    <a class="govuk-header__link" href="/build" id="build-link">"Build a dashboard"</a>
                                </li>
                            })}
                            <li class="govuk-header__navigation-item">
                                <a class="govuk-header__link" href="/settings/api-keys" id="settings-link">
                                    {format!("{} (settings)", user.display_name)}
                                </a>
                            </li>
                            {admin.then(|| view! {
                                <li class="govuk-header__navigation-item">
                                    <a class="govuk-header__link" href="/admin/users">"Admin"</a>
                                </li>
                            })}
                            <li class="govuk-header__navigation-item">
                                <form method="post" action="/api/v1/session/sign-out" class="pulse-sign-out">
                                    <input type="hidden" name="csrf_token" value=csrf/>
                                    <button type="submit" class="pulse-sign-out__button" id="sign-out">"Sign out"</button>
                                </form>
                            </li>
                        }
                        .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    super::tray::provide_tray();
    // On a phone the menu folds behind a "Menu" button (GOV.UK's header
    // pattern): shown without JavaScript, and closed again once one of its
    // links is followed.
    let menu_open = RwSignal::new(false);
    let followed = move |ev: leptos::ev::MouseEvent| {
        use leptos::wasm_bindgen::JsCast;
        let link = ev
            .target()
            .and_then(|t| t.dyn_into::<leptos::web_sys::Element>().ok())
            .and_then(|e| e.closest("a").ok().flatten());
        if link.is_some() {
            let _ = menu_open.try_set(false);
        }
    };
    view! {
        <a href="#main-content" class="govuk-skip-link">"Skip to main content"</a>
        // Before the page's content in the document (a lazily loaded page
        // hydrates after the rest, and the tray must be hydrated before it
        // fills from the browser's storage), fixed at the window's foot.
        <super::tray::CompareTray/>
        <header class="govuk-header" role="banner">
            <div class="govuk-header__container govuk-width-container">
                <div class="govuk-header__logo">
                    <a href="/" class="govuk-header__link govuk-header__link--homepage">
                        <span class="pulse-logo">"Pulse"</span>
                    </a>
                </div>
                <div class="govuk-header__content">
                    <nav aria-label="Menu" class="govuk-header__navigation">
                        <button type="button" class="govuk-header__menu-button pulse-menu-button" id="menu-button"
                            aria-controls="navigation" aria-expanded=move || menu_open.get().to_string()
                            on:click=move |_| {
                                let _ = menu_open.try_update(|open| *open = !*open);
                            }>
                            "Menu"
                        </button>
                        <ul class="govuk-header__navigation-list" id="navigation"
                            class:pulse-menu--open=move || menu_open.get() on:click=followed>
                            <li class="govuk-header__navigation-item">
                                <a class="govuk-header__link" href="/">"Home"</a>
                            </li>
                            <li class="govuk-header__navigation-item">
                                <a class="govuk-header__link" href="/services">"Explore services"</a>
                            </li>
                            <li class="govuk-header__navigation-item">
                                <a class="govuk-header__link" href="/boards">"Boards"</a>
                            </li>
                            <li class="govuk-header__navigation-item">
                                <a class="govuk-header__link" href="/guide" id="guide-link">"Guide"</a>
                            </li>
                            <AccountLinks/>
                        </ul>
                    </nav>
                </div>
            </div>
        </header>
        <div class="govuk-width-container">
            <section class="govuk-phase-banner" aria-label="About this site">
                <p class="govuk-phase-banner__content">
                    <strong class="govuk-tag govuk-phase-banner__content__tag">"Demo"</strong>
                    <span class="govuk-phase-banner__text">
                        "The departments, services and figures shown here are fictional demonstration data."
                    </span>
                </p>
            </section>
            <main class="govuk-main-wrapper" id="main-content" role="main" tabindex="-1">
                {children()}
            </main>
        </div>
        <footer class="govuk-footer" role="contentinfo">
            <div class="govuk-width-container">
                <div class="govuk-footer__meta">
                    <div class="govuk-footer__meta-item govuk-footer__meta-item--grow">
                        <p class="govuk-body-s">
                            "Pulse shows how public services perform. Data can be read by anyone through the "
                            <a class="govuk-footer__link" href="/guide/api">"API"</a>
                            ". New to Pulse? Read the "
                            <a class="govuk-footer__link" href="/guide/getting-started">"getting started guide"</a>
                            "."
                        </p>
                    </div>
                </div>
            </div>
        </footer>
    }
}
