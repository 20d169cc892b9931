//! Pulse's isomorphic app: the pages and components rendered on the server and
//! hydrated in the browser, and every type and calculation both sides share.
//!
//! - [`model`]: wire types, defined once.
//! - [`kpi`]: pure KPI, period and formatting arithmetic.
//! - [`api`]: the typed client of the public API that every page uses.
//! - [`pages`], [`components`]: the UI.

#![recursion_limit = "256"]

pub mod api;
pub mod components;
pub mod kpi;
pub mod model;
pub mod modules;
pub mod pages;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

use components::layout::Layout;
use pages::{
    admin::{AdminAuditPage, AdminUsersPage},
    dashboard::{DashboardPage, ModulePage},
    home::HomePage,
    not_found::NotFound,
    service::ServicePage,
    services::ServicesPage,
    settings::ApiKeysPage,
    sign_in::SignInPage,
};

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en" class="govuk-template">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover"/>
                <meta name="theme-color" content="#0b0c0c"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <link rel="stylesheet" href="/vendor/govuk-frontend.css"/>
                // ECharts is served by Pulse itself; deferred scripts run in document
                // order, before the wasm module that draws the charts.
                <script src="/vendor/echarts.min.js" defer></script>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body class="govuk-template__body">
                <App/>
            </body>
        </html>
    }
}

/// The app: routes inside the page layout.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="pulse" href="/pkg/pulse.css"/>
        <Title text="Pulse"/>
        <Router>
            <Layout>
                <Routes fallback=NotFound>
                    // Async: the page is sent once its data is in, so its status
                    // code (a 404 for a missing service) is decided before the
                    // headers go out. Rendering in-process takes milliseconds.
                    <Route path=path!("/") view=HomePage ssr=SsrMode::Async/>
                    <Route path=path!("/services") view=ServicesPage ssr=SsrMode::Async/>
                    <Route path=path!("/services/:slug") view=ServicePage ssr=SsrMode::Async/>
                    <Route path=path!("/sign-in") view=SignInPage ssr=SsrMode::Async/>
                    <Route path=path!("/settings/api-keys") view=ApiKeysPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/users") view=AdminUsersPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/audit") view=AdminAuditPage ssr=SsrMode::Async/>
                    // Dashboards live at the top level (their slugs may not be one
                    // of the paths above: see `RESERVED_SLUGS` in the server).
                    <Route path=path!("/:dashboard") view=DashboardPage ssr=SsrMode::Async/>
                    <Route path=path!("/:dashboard/:module") view=ModulePage ssr=SsrMode::Async/>
                </Routes>
            </Layout>
        </Router>
    }
}
