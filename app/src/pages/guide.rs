//! `/guide` and `/guide/{page}`: the guidance for service managers and
//! developers, rendered on the server with this installation's figures (see
//! the server's `guide` module), searchable by its headings (a GET form, so it
//! works without JavaScript). The API reference page's "Try it" forms send
//! their request from the browser and show the answer.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api;
use crate::model::{GuideIndex, GuidePage, GuidePageSummary};

const AUDIENCES: [(&str, &str); 3] = [
    ("service-managers", "For service managers"),
    ("developers", "For developers"),
    ("everyone", "For everyone"),
];

/// The pages of one audience, as a list of links with their summaries.
fn page_list(pages: &[GuidePageSummary], audience: &str, current: &str) -> impl IntoView {
    let items: Vec<_> = pages
        .iter()
        .filter(|p| p.audience == audience && p.slug != "getting-started")
        .map(|p| {
            let href = format!("/guide/{}", p.slug);
            let here = p.slug == current;
            view! {
                <li>
                    <a class="govuk-link" href=href aria-current={here.then_some("page")}>{p.title.clone()}</a>
                    <p class="govuk-body-s pulse-guide__summary">{p.summary.clone()}</p>
                </li>
            }
        })
        .collect();
    view! { <ul class="govuk-list pulse-guide__list">{items}</ul> }
}

/// The search form: a GET to `/guide`, so it works before (or without) the wasm.
#[component]
fn Search(query: String) -> impl IntoView {
    view! {
        <form method="get" action="/guide" class="pulse-guide__search" role="search">
            <div class="govuk-form-group">
                <label class="govuk-label govuk-label--s" for="guide-q">"Search the guide"</label>
                <div class="govuk-hint" id="guide-q-hint">"Words from a heading, such as “upload” or “correct”."</div>
                <input class="govuk-input govuk-input--width-20" id="guide-q" name="q" type="search"
                    aria-describedby="guide-q-hint" value=query/>
                " "
                <button type="submit" class="govuk-button govuk-button--secondary pulse-guide__search-button" data-module="govuk-button">"Search"</button>
            </div>
        </form>
    }
}

#[component]
pub fn GuideIndexPage() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.with(|m| m.get("q").unwrap_or_default());
    let index = Resource::new(q, api::guide_index);
    view! {
        <Title text="Guide - Pulse"/>
        <Suspense fallback=|| view! { <p class="govuk-body">"Loading the guide…"</p> }>
            {move || Suspend::new(async move {
                match index.await {
                    Ok(index) => view! { <IndexView index/> }.into_any(),
                    Err(e) => view! { <super::ApiErrorView error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn IndexView(index: GuideIndex) -> impl IntoView {
    let searched = !index.query.trim().is_empty();
    let hits = index.hits.clone();
    let count = hits.len();
    let results = searched.then(|| {
        let items: Vec<_> = hits
            .into_iter()
            .map(|h| {
                let href = if h.heading.id.is_empty() {
                    format!("/guide/{}", h.slug)
                } else {
                    format!("/guide/{}#{}", h.slug, h.heading.id)
                };
                let page = h.page_title.clone();
                view! {
                    <li>
                        <a class="govuk-link" href=href>{h.heading.text}</a>
                        <span class="govuk-body-s pulse-guide__where">{format!(" in “{page}”")}</span>
                    </li>
                }
            })
            .collect();
        view! {
            <section class="pulse-guide__results" aria-labelledby="guide-results">
                <h2 class="govuk-heading-m" id="guide-results" aria-live="polite">
                    {match count {
                        0 => format!("No headings match “{}”", index.query),
                        1 => format!("1 heading matches “{}”", index.query),
                        n => format!("{n} headings match “{}”", index.query),
                    }}
                </h2>
                <ul class="govuk-list pulse-guide__hits">{items}</ul>
            </section>
        }
    });
    let start = index
        .pages
        .iter()
        .find(|p| p.slug == "getting-started")
        .cloned();
    let groups: Vec<_> = AUDIENCES
        .iter()
        .map(|(audience, heading)| {
            view! {
                <div class="govuk-grid-column-one-third">
                    <h2 class="govuk-heading-m">{*heading}</h2>
                    {page_list(&index.pages, audience, "")}
                </div>
            }
        })
        .collect();
    view! {
        <h1 class="govuk-heading-xl">"Getting on Pulse"</h1>
        <p class="govuk-body-l">"Answers to what service teams ask before they start: what Pulse is, how much work it is, what data to send and how, and how to get a dashboard in minutes."</p>
        <Search query=index.query.clone()/>
        {results}
        {start.map(|s| view! {
            <div class="govuk-inset-text">
                <a class="govuk-link govuk-!-font-weight-bold" href="/guide/getting-started" id="getting-started-link">{s.title}</a>
                <p class="govuk-body">{s.summary}</p>
            </div>
        })}
        <div class="govuk-grid-row">{groups}</div>
    }
}

#[component]
pub fn GuidePageView() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.with(|p| p.get("page").unwrap_or_default());
    let page = Resource::new(slug, api::guide_page);
    let index = Resource::new(String::new, api::guide_index);
    view! {
        <Suspense fallback=|| view! { <p class="govuk-body">"Loading the page…"</p> }>
            {move || Suspend::new(async move {
                let pages = index.await.map(|i| i.pages).unwrap_or_default();
                match page.await {
                    Ok(page) => view! { <PageView page pages/> }.into_any(),
                    Err(e) => view! { <super::ApiErrorView error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn PageView(page: GuidePage, pages: Vec<GuidePageSummary>) -> impl IntoView {
    let GuidePage {
        page: summary,
        html,
        headings,
    } = page;
    let audience = AUDIENCES
        .iter()
        .find(|(a, _)| *a == summary.audience)
        .map(|(_, words)| *words)
        .unwrap_or("For everyone");
    // The contents: the page's top headings (the API reference lists its groups).
    let contents: Vec<_> = headings
        .iter()
        .filter(|h| h.level == 2)
        .map(|h| {
            let href = format!("#{}", h.id);
            view! { <li><a class="govuk-link" href=href>{h.text.clone()}</a></li> }
        })
        .collect();
    let has_contents = !contents.is_empty();
    let slug = summary.slug.clone();
    let nav: Vec<_> = AUDIENCES
        .iter()
        .map(|(audience, heading)| {
            view! {
                <h2 class="govuk-heading-s">{*heading}</h2>
                {page_list(&pages, audience, &slug)}
            }
        })
        .collect();
    view! {
        <Title text=format!("{} - Guide - Pulse", summary.title)/>
        <div class="govuk-breadcrumbs">
            <ol class="govuk-breadcrumbs__list">
                <li class="govuk-breadcrumbs__list-item"><a class="govuk-breadcrumbs__link" href="/guide">"Guide"</a></li>
            </ol>
        </div>
        <div class="govuk-grid-row">
            <div class="govuk-grid-column-two-thirds pulse-guide">
                <span class="govuk-caption-l">{audience}</span>
                <h1 class="govuk-heading-xl">{summary.title.clone()}</h1>
                {has_contents.then(|| view! {
                    <nav class="pulse-guide__contents" aria-labelledby="contents-heading">
                        <h2 class="govuk-heading-s" id="contents-heading">"Contents"</h2>
                        <ul class="govuk-list">{contents}</ul>
                    </nav>
                })}
                <div class="pulse-guide__body" inner_html=html on:submit=try_it></div>
            </div>
            <div class="govuk-grid-column-one-third">
                <nav class="pulse-guide__nav" aria-label="Guide pages">
                    <Search query=String::new()/>
                    <p class="govuk-body"><a class="govuk-link" href="/guide/getting-started">"Getting started"</a></p>
                    {nav}
                </nav>
            </div>
        </div>
    }
}

/// A "Try it" form of the API reference was sent: build the request from its
/// fields (path parameters into the path, the rest as the query), send it,
/// and show the status and the answer in the form.
fn try_it(ev: leptos::ev::SubmitEvent) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let Some(form) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok())
        else {
            return;
        };
        if !form.class_list().contains("pulse-try__form") {
            return;
        }
        ev.prevent_default();
        let mut path = form.get_attribute("data-path").unwrap_or_default();
        let mut query = Vec::new();
        if let Ok(inputs) = form.query_selector_all("input") {
            for i in 0..inputs.length() {
                let Some(input) = inputs
                    .item(i)
                    .and_then(|n| n.dyn_into::<web_sys::HtmlInputElement>().ok())
                else {
                    continue;
                };
                let (name, value) = (input.name(), input.value());
                if input.get_attribute("data-in").as_deref() == Some("path") {
                    path = path.replace(&format!("{{{name}}}"), &api::encode_component(&value));
                } else if !value.is_empty() {
                    query.push((name, value));
                }
            }
        }
        let path = crate::query_string::href(&path, &crate::query_string::encode(&query));
        let status = form.query_selector(".pulse-try__status").ok().flatten();
        let answer = form.query_selector(".pulse-try__answer").ok().flatten();
        if let Some(s) = &status {
            s.set_text_content(Some(&format!("Sending GET {path}…")));
        }
        leptos::task::spawn_local(async move {
            let shown = match gloo_net::http::Request::get(&path).send().await {
                Ok(response) => {
                    let code = response.status();
                    let text = response.text().await.unwrap_or_default();
                    let pretty = serde_json::from_str::<serde_json::Value>(&text)
                        .ok()
                        .and_then(|v| serde_json::to_string_pretty(&v).ok())
                        .unwrap_or(text);
                    let mut shown: String = pretty.chars().take(6000).collect();
                    if shown.len() < pretty.len() {
                        shown.push_str("\n…");
                    }
                    (
                        format!("GET {path}: {code} {}", response.status_text()),
                        shown,
                    )
                }
                Err(e) => (format!("GET {path} failed: {e}"), String::new()),
            };
            if let Some(s) = status {
                s.set_text_content(Some(&shown.0));
            }
            if let Some(a) = answer {
                a.set_text_content(Some(&shown.1));
                let _ = a.remove_attribute("hidden");
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = ev;
}
