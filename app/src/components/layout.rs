//! Page furniture: the GOV.UK-style header, phase banner, main column and footer.
//!
//! Pulse uses the GOV.UK Design System's styles with a system font; the GDS
//! Transport typeface and the crown belong to GOV.UK itself and are not used.

use leptos::prelude::*;

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    view! {
        <a href="#main-content" class="govuk-skip-link">"Skip to main content"</a>
        <header class="govuk-header" role="banner">
            <div class="govuk-header__container govuk-width-container">
                <div class="govuk-header__logo">
                    <a href="/" class="govuk-header__link govuk-header__link--homepage">
                        <span class="pulse-logo">"Pulse"</span>
                    </a>
                </div>
                <div class="govuk-header__content">
                    <nav aria-label="Menu" class="govuk-header__navigation">
                        <ul class="govuk-header__navigation-list">
                            <li class="govuk-header__navigation-item">
                                <a class="govuk-header__link" href="/">"Home"</a>
                            </li>
                            <li class="govuk-header__navigation-item">
                                <a class="govuk-header__link" href="/services">"Explore services"</a>
                            </li>
                        </ul>
                    </nav>
                </div>
            </div>
        </header>
        <div class="govuk-width-container">
            <div class="govuk-phase-banner">
                <p class="govuk-phase-banner__content">
                    <strong class="govuk-tag govuk-phase-banner__content__tag">"Demo"</strong>
                    <span class="govuk-phase-banner__text">
                        "The departments, services and figures shown here are fictional demonstration data."
                    </span>
                </p>
            </div>
            <main class="govuk-main-wrapper" id="main-content" role="main">
                {children()}
            </main>
        </div>
        <footer class="govuk-footer" role="contentinfo">
            <div class="govuk-width-container">
                <div class="govuk-footer__meta">
                    <div class="govuk-footer__meta-item govuk-footer__meta-item--grow">
                        <p class="govuk-body-s">
                            "Pulse shows how public services perform. Data can be read by anyone through the "
                            <a class="govuk-footer__link" href="/api/v1/services">"API"</a>
                            "."
                        </p>
                    </div>
                </div>
            </div>
        </footer>
    }
}
