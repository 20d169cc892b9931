//! Pulse's isomorphic app: the pages and components rendered on the server and
//! hydrated in the browser, and every type and calculation both sides share.
//!
//! - [`model`]: wire types, defined once.
//! - [`kpi`]: pure KPI, period and formatting arithmetic.
//! - [`api`]: the typed client of the public API that every page uses.
//! - [`pages`], [`components`]: the UI.

#![recursion_limit = "256"]

pub mod api;
pub mod boards;
pub mod catalogue;
pub mod components;
pub mod html;
pub mod kpi;
pub mod lazy;
pub mod model;
pub mod modules;
pub mod notes;
pub mod pages;
pub mod query_string;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, Lazy, LazyRoute, SsrMode,
};

use components::layout::Layout;
use pages::{
    admin::{AdminAuditPage, AdminMailPage, AdminRemindersPage, AdminUsersPage},
    boards::{BoardsPage, OrganisationBoardPage, PortfolioBoardPage},
    builder::{BuildDashboardPage, BuildPage},
    compare::ComparePage,
    dashboard::{DashboardPage, ModulePage},
    guide::{GuideIndexPage, GuidePageView},
    home::HomePage,
    invitations::{
        ForgotPasswordPage, InvitationPage, InvitationsPage, ResetPasswordPage, UnsubscribePage,
    },
    not_found::NotFound,
    notifications::NotificationsPage,
    service::ServicePage,
    services::ServicesPage,
    settings::ApiKeysPage,
    sign_in::{SignInCodePage, SignInPage},
    upload::DataSetPage,
};

/// Pages most visitors never open — signing in, a person's settings, the
/// admin pages, the explorer and service pages, boards and comparisons (most
/// people arrive on a dashboard) — are split into WebAssembly of their own (`cargo leptos build
/// --split`), fetched when someone opens one, so the bundle every dashboard
/// loads stays small. On the server they render like any other page.
macro_rules! lazy_page {
    ($route:ident, $page:ident, $split:ident) => {
        #[derive(Debug)]
        struct $route;

        /// The page's own WebAssembly (`$split`, fetched by `page`).
        mod $split {
            use super::*;

            #[cfg_attr(
                                                        feature = "hydrate",
                                                        ::leptos::wasm_split::wasm_split(
                                                            $split,
                                                            wasm_split_path = ::leptos::wasm_split,
                                                            fallible,
                                                            preload(preload)
                                                        )
                                                    )]
            pub fn page(
                _this: super::$route,
            ) -> Result<AnyView, ::leptos::wasm_split::SplitLoaderError> {
                Ok(view! { <$page/> }.into_any())
            }
        }

        // As Leptos' `#[lazy_route]` would make it, except that a part that
        // cannot be fetched loads the page whole ([`lazy`]).
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            async fn view(this: Self) -> AnyView {
                #[cfg(feature = "ssr")]
                ::leptos::prefetch_lazy_fn_on_server(stringify!($split));
                #[cfg(feature = "hydrate")]
                let page = $split::page(this).await;
                #[cfg(not(feature = "hydrate"))]
                let page = $split::page(this);
                page.unwrap_or_else(|_| lazy::page_not_loaded())
            }

            async fn preload() {
                #[cfg(feature = "hydrate")]
                let _ = $split::preload().await;
            }
        }
    };
}

lazy_page!(SignInRoute, SignInPage, sign_in_page);
lazy_page!(SignInCodeRoute, SignInCodePage, sign_in_code_page);
lazy_page!(ApiKeysRoute, ApiKeysPage, api_keys_page);
lazy_page!(NotificationsRoute, NotificationsPage, notifications_page);
lazy_page!(AdminUsersRoute, AdminUsersPage, admin_users_page);
lazy_page!(AdminAuditRoute, AdminAuditPage, admin_audit_page);
lazy_page!(AdminMailRoute, AdminMailPage, admin_mail_page);
lazy_page!(
    AdminRemindersRoute,
    AdminRemindersPage,
    admin_reminders_page
);
lazy_page!(ServicesRoute, ServicesPage, services_page);
lazy_page!(ServiceRoute, ServicePage, service_page);
lazy_page!(BoardsRoute, BoardsPage, boards_page);
lazy_page!(
    OrganisationBoardRoute,
    OrganisationBoardPage,
    organisation_board_page
);
lazy_page!(
    PortfolioBoardRoute,
    PortfolioBoardPage,
    portfolio_board_page
);
lazy_page!(CompareRoute, ComparePage, compare_page);
lazy_page!(GuideIndexRoute, GuideIndexPage, guide_index_page);
lazy_page!(GuidePageRoute, GuidePageView, guide_page_page);
lazy_page!(BuildRoute, BuildPage, build_page);
lazy_page!(
    BuildDashboardRoute,
    BuildDashboardPage,
    build_dashboard_page
);
lazy_page!(DataSetRoute, DataSetPage, data_set_page);
lazy_page!(InvitationsRoute, InvitationsPage, invitations_page);
lazy_page!(InvitationRoute, InvitationPage, invitation_page);
lazy_page!(
    ForgotPasswordRoute,
    ForgotPasswordPage,
    forgot_password_page
);
lazy_page!(ResetPasswordRoute, ResetPasswordPage, reset_password_page);
lazy_page!(UnsubscribeRoute, UnsubscribePage, unsubscribe_page);

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    content_security_policy();
    let page = view! {
        <!DOCTYPE html>
        <html lang="en" class="govuk-template">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover"/>
                <meta name="theme-color" content="#0b0c0c"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <link rel="stylesheet" href="/vendor/govuk-frontend.css"/>
                <link rel="stylesheet" href=stylesheet(&options)/>
                // Before anything is drawn: the page runs JavaScript and
                // WebAssembly, so charts will be drawn and their tables may
                // hide (see TableToggle). Should the WebAssembly fail before
                // the page is interactive (not fetched, or refused), the page
                // goes back to how it is without JavaScript: tables shown.
                <script nonce=leptos::nonce::use_nonce() inner_html=JS_CLASS></script>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body class="govuk-template__body">
                <App/>
            </body>
        </html>
    };
    #[cfg(feature = "ssr")]
    no_chunk_preloads();
    page
}

/// The head's script that marks a page as one that will be interactive (see
/// [`shell`]): only where the browser has WebAssembly, and undone by its
/// failure before hydration is over: the main wasm or its glue not fetched
/// (a `TypeError` of `fetch` or `import`, unhandled by Leptos' hydration
/// script), not compiled or linked, or stopped by a panic (a
/// `WebAssembly.RuntimeError`, thrown or rejected). A lazily loaded part that
/// cannot be fetched is handled by the app (it loads the page whole).
const JS_CLASS: &str = "(function(d){if(typeof WebAssembly!='object')return;\
var W=WebAssembly;d.classList.add('pulse-js');function f(e){\
if(!d.hasAttribute('data-hydrated')&&(e instanceof TypeError||e instanceof W.CompileError\
||e instanceof W.LinkError||e instanceof W.RuntimeError))d.classList.remove('pulse-js')}\
addEventListener('unhandledrejection',function(e){f(e.reason)});\
addEventListener('error',function(e){f(e.error)})})(document.documentElement)";

/// Takes back the wasm chunks' list that `HydrationScripts` leaves in the
/// page's reactive context. Leptos's integration (`leptos_integration_utils`
/// 0.8.9) writes a preload link for each lazy chunk a page used, reading that
/// list and the nonce from whichever owner is current on the server's thread
/// when the page is done: rendered alone, none that holds them, so no links;
/// rendered beside other pages, at times the page's own or another page's,
/// so a page carried its chunks' links (or another page's, with that page's
/// nonce) one time in two. Without the list, every page is as when alone:
/// its lazy chunks are fetched once its main wasm asks for them.
#[cfg(feature = "ssr")]
fn no_chunk_preloads() {
    let _: Option<leptos::WasmSplitManifest> = take_context();
}

/// The name of the file, in the site's root, that lists the hashes a release
/// build put in its files' names (`js`, `wasm`, `css`, ...).
pub const HASH_FILE: &str = "hash.txt";

/// Where Pulse's own stylesheet is: named by its hash when the build hashed
/// its files (read once: the files are installed with the binary).
fn stylesheet(options: &LeptosOptions) -> String {
    static HREF: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let pkg = &options.site_pkg_dir;
    let name = &options.output_name;
    HREF.get_or_init(|| {
        let hash = options
            .hash_files
            .then(|| std::fs::read_to_string(options.hash_file.as_ref()).ok())
            .flatten()
            .and_then(|hashes| {
                hashes.lines().find_map(|line| {
                    let (file, hash) = line.split_once(':')?;
                    (file.trim() == "css").then(|| hash.trim().to_string())
                })
            });
        match hash {
            Some(hash) => format!("/{pkg}/{name}.{hash}.css"),
            None => format!("/{pkg}/{name}.css"),
        }
    })
    .clone()
}

/// Sends the page's `Content-Security-Policy`, naming the nonce Leptos puts on
/// the inline scripts of hydration (one per request).
#[cfg(feature = "ssr")]
fn content_security_policy() {
    use http::{header, HeaderValue};
    let (Some(response), Some(nonce)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        leptos::nonce::use_nonce(),
    ) else {
        return;
    };
    if let Ok(value) = HeaderValue::from_str(&html::page_policy(&nonce)) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

/// How every page's `<title>` text is written: escaped on the server, as is in
/// the browser.
fn title_formatter() -> impl Fn(String) -> String + Send + Sync + 'static {
    |text: String| {
        if cfg!(feature = "ssr") {
            html::escape(&text)
        } else {
            text
        }
    }
}

/// Sets `data-hydrated` on the document once hydration is over (checked
/// every 50 ms), in a task after the last check so that what hydration queued
/// has run.
#[cfg(feature = "hydrate")]
fn mark_when_hydrated(
    context: Option<std::sync::Arc<dyn hydration_context::SharedContext + Send + Sync>>,
) {
    set_timeout(
        move || {
            if context.as_ref().is_some_and(|c| c.during_hydration()) {
                mark_when_hydrated(context);
            } else if let Some(root) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.document_element())
            {
                let _ = root.set_attribute("data-hydrated", "true");
                // Interactive after all, whatever the head's script undid.
                let _ = root.class_list().add_1("pulse-js");
            }
        },
        std::time::Duration::from_millis(50),
    );
}

/// The app: routes inside the page layout.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Once the page is interactive (its lazily loaded parts fetched and
    // hydrated), say so on the document: browser tests wait for it. Effects run
    // after the first pass of hydration, which may be before a lazily loaded
    // page's part has arrived and been hydrated (hydration is asynchronous):
    // the mark waits until the hydration context says hydration is over, then
    // for the tasks it queued.
    #[cfg(feature = "hydrate")]
    {
        let context = Owner::current_shared_context();
        Effect::new(move |_| mark_when_hydrated(context.clone()));
    }
    view! {
        // Leptos writes the document's title into the server's HTML as given: every
        // page's title (which may hold a service's or a board's name) is escaped
        // here, once, by the formatter all titles below pass through. The
        // browser sets `document.title` as text, which needs no escaping.
        <Title text="Pulse" formatter=title_formatter()/>
        <Router>
            <Layout>
                <Routes fallback=NotFound>
                    // Async: the page is sent once its data is in, so its status
                    // code (a 404 for a missing service) is decided before the
                    // headers go out. Rendering in-process takes milliseconds.
                    <Route path=path!("/") view=HomePage ssr=SsrMode::Async/>
                    <Route path=path!("/services") view={Lazy::<ServicesRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/services/:slug") view={Lazy::<ServiceRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/sign-in") view={Lazy::<SignInRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/sign-in/code") view={Lazy::<SignInCodeRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/settings/api-keys") view={Lazy::<ApiKeysRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/settings/notifications") view={Lazy::<NotificationsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/admin/users") view={Lazy::<AdminUsersRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/admin/audit") view={Lazy::<AdminAuditRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/admin/mail") view={Lazy::<AdminMailRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/admin/reminders") view={Lazy::<AdminRemindersRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/invitations") view={Lazy::<InvitationsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/invitation") view={Lazy::<InvitationRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/forgot-password") view={Lazy::<ForgotPasswordRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/reset-password") view={Lazy::<ResetPasswordRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/unsubscribe") view={Lazy::<UnsubscribeRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/boards") view={Lazy::<BoardsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/boards/portfolio/:id") view={Lazy::<PortfolioBoardRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/boards/:organisation") view={Lazy::<OrganisationBoardRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/compare") view={Lazy::<CompareRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/guide") view={Lazy::<GuideIndexRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/guide/:page") view={Lazy::<GuidePageRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/build") view={Lazy::<BuildRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/build/:dashboard") view={Lazy::<BuildDashboardRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/data-sets/:group/:data_type") view={Lazy::<DataSetRoute>::new()} ssr=SsrMode::Async/>
                    // Dashboards live at the top level (their slugs may not be one
                    // of the paths above: see `RESERVED_SLUGS` in the server).
                    <Route path=path!("/:dashboard") view=DashboardPage ssr=SsrMode::Async/>
                    <Route path=path!("/:dashboard/:module") view=ModulePage ssr=SsrMode::Async/>
                </Routes>
            </Layout>
        </Router>
    }
}
