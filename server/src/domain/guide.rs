//! The guide: pages answering what people ask before they start, written in
//! Markdown in `guide/` (and `ROADMAP.md`, so the roadmap stays with the
//! code), compiled into the binary, and rendered with this installation's own
//! figures: its address, counts, the data types in use and real records.
//! Two pages add generated parts: the data types catalogue and the API
//! reference (from the OpenAPI document). Runnable examples come from
//! `guide/examples/`; the browser tests run them exactly as the pages show them.

use std::collections::BTreeMap;

use app::model::{GuideHeading, GuideHit, GuideIndex, GuidePage, GuidePageSummary};
use pulldown_cmark::{html, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde_json::Value;

/// The pages, in the order the index lists them.
const PAGES: [(&str, &str); 15] = [
    (
        "getting-started",
        include_str!("../../../guide/getting-started.md"),
    ),
    (
        "what-is-pulse",
        include_str!("../../../guide/what-is-pulse.md"),
    ),
    (
        "how-much-work",
        include_str!("../../../guide/how-much-work.md"),
    ),
    (
        "non-transactional-services",
        include_str!("../../../guide/non-transactional-services.md"),
    ),
    (
        "get-a-dashboard",
        include_str!("../../../guide/get-a-dashboard.md"),
    ),
    ("skills", include_str!("../../../guide/skills.md")),
    ("editorial", include_str!("../../../guide/editorial.md")),
    ("data-types", include_str!("../../../guide/data-types.md")),
    ("send-data", include_str!("../../../guide/send-data.md")),
    ("instrument", include_str!("../../../guide/instrument.md")),
    ("pull-data", include_str!("../../../guide/pull-data.md")),
    (
        "correct-figures",
        include_str!("../../../guide/correct-figures.md"),
    ),
    (
        "how-figures-are-calculated",
        include_str!("../../../guide/how-figures-are-calculated.md"),
    ),
    ("api", include_str!("../../../guide/api.md")),
    ("roadmap", include_str!("../../../ROADMAP.md")),
];

/// The runnable examples, by file name.
const EXAMPLES: [(&str, &str, &str); 9] = [
    (
        "send.sh",
        "bash",
        include_str!("../../../guide/examples/send.sh"),
    ),
    (
        "send.py",
        "python",
        include_str!("../../../guide/examples/send.py"),
    ),
    (
        "send.mjs",
        "javascript",
        include_str!("../../../guide/examples/send.mjs"),
    ),
    (
        "read.sh",
        "bash",
        include_str!("../../../guide/examples/read.sh"),
    ),
    (
        "read.py",
        "python",
        include_str!("../../../guide/examples/read.py"),
    ),
    (
        "read.mjs",
        "javascript",
        include_str!("../../../guide/examples/read.mjs"),
    ),
    (
        "correct.sh",
        "bash",
        include_str!("../../../guide/examples/correct.sh"),
    ),
    (
        "instrument.mjs",
        "javascript",
        include_str!("../../../guide/examples/instrument.mjs"),
    ),
    (
        "instrument.py",
        "python",
        include_str!("../../../guide/examples/instrument.py"),
    ),
];

/// What the pages say about this installation.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    /// `http://host:port`, as the reader reached Pulse.
    pub base_url: String,
    /// A service with published transactions data, for the read examples.
    pub example_service: String,
    pub services: usize,
    pub published_dashboards: usize,
    pub data_sets: usize,
    /// Data sets per data type.
    pub types_in_use: BTreeMap<String, usize>,
    /// The newest record of a data set of each type, as the history shows it.
    pub example_records: BTreeMap<String, Value>,
    /// The OpenAPI document, for the API reference.
    pub openapi: Value,
}

struct Source<'a> {
    summary: GuidePageSummary,
    body: &'a str,
}

/// Splits a page into its front matter (`title`, `audience`, `summary`) and body.
fn source(slug: &str, text: &'static str) -> Source<'static> {
    let mut summary = GuidePageSummary {
        slug: slug.to_string(),
        title: slug.to_string(),
        audience: "everyone".into(),
        summary: String::new(),
    };
    let Some(rest) = text.strip_prefix("---\n") else {
        return Source {
            summary,
            body: text,
        };
    };
    let Some((front, body)) = rest.split_once("\n---\n") else {
        return Source {
            summary,
            body: text,
        };
    };
    for line in front.lines() {
        if let Some((key, value)) = line.split_once(':') {
            let value = value.trim().to_string();
            match key.trim() {
                "title" => summary.title = value,
                "audience" => summary.audience = value,
                "summary" => summary.summary = value,
                _ => {}
            }
        }
    }
    Source { summary, body }
}

/// Every page's title, audience and summary.
pub fn pages() -> Vec<GuidePageSummary> {
    PAGES.iter().map(|(s, t)| source(s, t).summary).collect()
}

/// Text as HTML text.
pub use app::html::escape;

/// An example file with this installation's address and example service in it.
pub fn example(name: &str, facts: &Facts) -> Option<String> {
    EXAMPLES
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, _, text)| fill_basics(text, facts))
}

fn fill_basics(text: &str, facts: &Facts) -> String {
    text.replace("{{base_url}}", &facts.base_url)
        .replace("{{example_service}}", &facts.example_service)
        .replace("{{services}}", &facts.services.to_string())
        .replace(
            "{{published_dashboards}}",
            &facts.published_dashboards.to_string(),
        )
        .replace("{{data_sets}}", &facts.data_sets.to_string())
}

/// Where an example goes, in the Markdown, until the HTML is made.
const EXAMPLE_MARK: &str = "PULSE-EXAMPLE:";

/// An example as a block the browser tests can find and run.
fn example_block(name: &str, facts: &Facts) -> String {
    let Some((_, language, _)) = EXAMPLES.iter().find(|(n, _, _)| *n == name) else {
        return format!("<p><strong>Missing example {}</strong></p>", escape(name));
    };
    let code = example(name, facts).unwrap_or_default();
    format!(
        "\n<div class=\"pulse-example\"><p class=\"govuk-body-s pulse-example__name\">{name}</p>\
         <pre class=\"pulse-code\" data-example=\"{name}\" data-language=\"{language}\" tabindex=\"0\" aria-label=\"Example: {name}\"><code>{}</code></pre></div>\n",
        escape(&code)
    )
}

/// Replaces the placeholders of a page's Markdown with this installation's facts.
fn fill(body: &str, facts: &Facts) -> String {
    let mut out = String::with_capacity(body.len() * 2);
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start..].find("}}") else {
            break;
        };
        out.push_str(&rest[..start]);
        let key = &rest[start + 2..start + len];
        let replacement = match key.split_once(':') {
            // Put in after the Markdown is rendered: code is not Markdown.
            Some(("example", file)) => format!("\n\n{EXAMPLE_MARK}{file}\n\n"),
            Some(("example_record", data_type)) => {
                let record = facts.example_records.get(data_type).cloned().or_else(|| {
                    app::catalogue::find(data_type).and_then(|t| t.examples.first().cloned())
                });
                match record {
                    Some(r) => format!(
                        "\n```json\n{}\n```\n",
                        serde_json::to_string_pretty(&r).unwrap_or_default()
                    ),
                    None => String::new(),
                }
            }
            _ if key == "data_types_in_use" => types_table(facts),
            // The address comes from the request's Host header: escaped, so a
            // forged one cannot put markup into the page (Markdown passes HTML).
            _ => escape(&fill_basics(&rest[start..start + len + 2], facts)),
        };
        out.push_str(&replacement);
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    out
}

/// The data types in use here, as a Markdown table.
fn types_table(facts: &Facts) -> String {
    let mut out = String::from("\n| Data type | Data sets here | Feeds |\n|---|---|---|\n");
    for name in app::catalogue::NAMES {
        let Some(t) = app::catalogue::find(name) else {
            continue;
        };
        let feeds: Vec<&str> = t.kpis.iter().map(|k| k.title()).collect();
        out.push_str(&format!(
            "| [{}](/guide/data-types#{name}) | {} | {} |\n",
            t.title,
            facts.types_in_use.get(name).copied().unwrap_or(0),
            if feeds.is_empty() {
                "where people drop out".to_string()
            } else {
                feeds.join(", ")
            }
        ));
    }
    for (name, n) in &facts.types_in_use {
        if app::catalogue::find(name).is_none() {
            out.push_str(&format!("| {name} (not in the catalogue) | {n} | |\n"));
        }
    }
    out.push('\n');
    out
}

/// The data types catalogue, as Markdown: one section per type.
fn catalogue(facts: &Facts) -> String {
    let mut out = String::from("\n## Data types in use here\n");
    out.push_str(&types_table(facts));
    for t in app::catalogue::all() {
        out.push_str(&format!("\n## {}\n\n{}\n\n", t.title, t.summary));
        out.push_str(&format!(
            "Data type `{}`; one record per {}{}. ",
            t.name,
            t.period.as_str(),
            match t
                .fields
                .iter()
                .find(|f| f.kind == app::catalogue::FieldKind::Text)
            {
                Some(f) => format!(" and {}", f.name),
                None => String::new(),
            }
        ));
        if t.kpis.is_empty() {
            out.push_str(match t.name.as_str() {
                "top-pages" => "Shows what people look at most (the ranked list module).\n\n",
                "realtime" => {
                    "Shows how many people are using the service now (the live figure module).\n\n"
                }
                _ => "Shows where people drop out (the journey module).\n\n",
            });
        } else {
            let kpis: Vec<&str> = t.kpis.iter().map(|k| k.title()).collect();
            out.push_str(&format!("Feeds: {}.\n\n", kpis.join(", ")));
        }
        out.push_str("| Field | Holds | Required |\n|---|---|---|\n");
        for f in &t.fields {
            let allowed = if f.allowed.is_empty() {
                String::new()
            } else {
                format!(
                    " One of {}.",
                    f.allowed
                        .iter()
                        .map(|a| format!("`{a}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            out.push_str(&format!(
                "| `{}` | {} ({}).{} | {} |\n",
                f.name,
                f.description.trim_end_matches('.'),
                f.kind.words(),
                allowed,
                if f.required { "yes" } else { "no" }
            ));
        }
        out.push_str(&format!(
            "\nA record is identified by {}: sending one again with the same values replaces it.\n\n",
            t.auto_ids
                .iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(" and ")
        ));
        let example = facts
            .example_records
            .get(&t.name)
            .cloned()
            .unwrap_or_else(|| t.examples[0].clone());
        let here = if facts.example_records.contains_key(&t.name) {
            "The newest record of this type here"
        } else {
            "An example record"
        };
        out.push_str(&format!(
            "{here}:\n\n```json\n{}\n```\n\n",
            serde_json::to_string_pretty(&example).unwrap_or_default()
        ));
        out.push_str(&format!(
            "[Download the CSV template for {}](/api/v1/data-types/{}/template.csv) \
             · [the type as JSON, with its JSON Schema](/api/v1/data-types/{}) · \
             {} data set{} of this type here.\n",
            t.title.to_lowercase(),
            t.name,
            t.name,
            facts.types_in_use.get(&t.name).copied().unwrap_or(0),
            if facts.types_in_use.get(&t.name).copied().unwrap_or(0) == 1 {
                ""
            } else {
                "s"
            }
        ));
    }
    out
}

/// Escaped text with `backticked` parts as code, as the handlers' doc
/// comments write them.
fn words_html(text: &str) -> String {
    let escaped = escape(text);
    let mut out = String::with_capacity(escaped.len());
    for (i, part) in escaped.split('`').enumerate() {
        if i % 2 == 1 {
            out.push_str("<code>");
            out.push_str(part);
            out.push_str("</code>");
        } else {
            out.push_str(part);
        }
    }
    out
}

/// The API reference as HTML, from the OpenAPI document: each operation with
/// its parameters and answers; GET operations have a form to try them.
fn api_reference(openapi: &Value) -> (String, Vec<(u8, String)>) {
    let mut by_tag: BTreeMap<String, Vec<(String, String, &Value)>> = BTreeMap::new();
    if let Some(paths) = openapi.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            let Some(item) = item.as_object() else {
                continue;
            };
            for (method, op) in item {
                if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                    continue;
                }
                let tag = op
                    .get("tags")
                    .and_then(|t| t.get(0))
                    .and_then(Value::as_str)
                    .unwrap_or("other")
                    .to_string();
                by_tag
                    .entry(tag)
                    .or_default()
                    .push((path.clone(), method.clone(), op));
            }
        }
    }
    let mut html = String::new();
    let mut headings = Vec::new();
    for (tag, ops) in &by_tag {
        let tag_title = {
            let mut c = tag.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        };
        html.push_str(&format!(
            "<h2 class=\"govuk-heading-l\" id=\"{}\">{}</h2>\n",
            app::catalogue::slug_of(&tag_title),
            escape(&tag_title)
        ));
        headings.push((2, tag_title.clone()));
        for (path, method, op) in ops {
            let title = format!("{} {}", method.to_uppercase(), path);
            let id = app::catalogue::slug_of(&title);
            headings.push((3, title.clone()));
            let summary = op
                .get("summary")
                .or_else(|| op.get("description"))
                .and_then(Value::as_str)
                .unwrap_or("");
            let secured = op.get("security").is_some();
            html.push_str(&format!(
                "<section class=\"pulse-operation\" aria-labelledby=\"{id}\">\
                 <h3 class=\"govuk-heading-s pulse-operation__title\" id=\"{id}\">\
                 <span class=\"pulse-method pulse-method--{method}\">{}</span> <code>{}</code></h3>\
                 <p class=\"govuk-body\">{}{}</p>",
                method.to_uppercase(),
                escape(path),
                words_html(summary),
                if secured {
                    " <strong class=\"govuk-tag govuk-tag--grey\">Needs a key or a session</strong>"
                } else {
                    ""
                }
            ));
            let params: Vec<&Value> = op
                .get("parameters")
                .and_then(Value::as_array)
                .map(|a| a.iter().collect())
                .unwrap_or_default();
            if !params.is_empty() {
                html.push_str(
                    "<table class=\"govuk-table pulse-params\"><caption class=\"govuk-table__caption govuk-table__caption--s\">Parameters</caption>\
                     <thead class=\"govuk-table__head\"><tr class=\"govuk-table__row\"><th scope=\"col\" class=\"govuk-table__header\">Name</th>\
                     <th scope=\"col\" class=\"govuk-table__header\">In</th><th scope=\"col\" class=\"govuk-table__header\">Meaning</th></tr></thead><tbody class=\"govuk-table__body\">",
                );
                for p in &params {
                    let name = p.get("name").and_then(Value::as_str).unwrap_or("");
                    let place = p.get("in").and_then(Value::as_str).unwrap_or("");
                    let required = p.get("required").and_then(Value::as_bool).unwrap_or(false);
                    html.push_str(&format!(
                        "<tr class=\"govuk-table__row\"><td class=\"govuk-table__cell\"><code>{}</code>{}</td>\
                         <td class=\"govuk-table__cell\">{}</td><td class=\"govuk-table__cell\">{}</td></tr>",
                        escape(name),
                        if required { " (required)" } else { "" },
                        escape(place),
                        words_html(p.get("description").and_then(Value::as_str).unwrap_or(""))
                    ));
                }
                html.push_str("</tbody></table>");
            }
            if let Some(body) = op.get("requestBody") {
                let words = body
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or("A JSON body.");
                html.push_str(&format!(
                    "<p class=\"govuk-body-s\"><strong>Body:</strong> {}</p>",
                    words_html(words)
                ));
            }
            if let Some(responses) = op.get("responses").and_then(Value::as_object) {
                html.push_str("<ul class=\"govuk-list govuk-body-s pulse-responses\">");
                for (status, r) in responses {
                    html.push_str(&format!(
                        "<li><strong>{}</strong> {}</li>",
                        escape(status),
                        words_html(r.get("description").and_then(Value::as_str).unwrap_or(""))
                    ));
                }
                html.push_str("</ul>");
            }
            if method == "get" {
                html.push_str(&try_form(path, &id, &params));
            }
            html.push_str("</section>\n");
        }
    }
    (html, headings)
}

/// A form to try a GET operation: a field per parameter; the page sends it
/// and shows the answer (without JavaScript, a query-only one opens the answer).
fn try_form(path: &str, id: &str, params: &[&Value]) -> String {
    let mut out = format!(
        "<details class=\"govuk-details pulse-try\"><summary class=\"govuk-details__summary\">\
         <span class=\"govuk-details__summary-text\">Try it</span></summary><div class=\"govuk-details__text\">\
         <form class=\"pulse-try__form\" method=\"get\" action=\"{}\" data-path=\"{}\">",
        escape(path),
        escape(path)
    );
    for p in params {
        let name = p.get("name").and_then(Value::as_str).unwrap_or("");
        let place = p.get("in").and_then(Value::as_str).unwrap_or("query");
        let field = format!("{id}-{}", app::catalogue::slug_of(name));
        let required = place == "path";
        out.push_str(&format!(
            "<div class=\"govuk-form-group\"><label class=\"govuk-label govuk-label--s\" for=\"{field}\">{} ({})</label>\
             <input class=\"govuk-input govuk-input--width-20\" id=\"{field}\" name=\"{}\" data-in=\"{}\" type=\"text\"{}></div>",
            escape(name),
            if required { "in the path, required" } else { "query, optional" },
            escape(name),
            escape(place),
            if required { " required" } else { "" }
        ));
    }
    out.push_str(
        "<button type=\"submit\" class=\"govuk-button govuk-button--secondary\" data-module=\"govuk-button\">Send the request</button>\
         <p class=\"govuk-body-s pulse-try__status\" aria-live=\"polite\"></p>\
         <pre class=\"pulse-code pulse-try__answer\" tabindex=\"0\" hidden></pre></form></div></details>",
    );
    out
}

/// Markdown to HTML with GOV.UK classes, anchors on headings, and the headings.
fn to_html(markdown: &str) -> (String, Vec<GuideHeading>) {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    let parser = Parser::new_ext(markdown, options);
    let mut events: Vec<Event> = Vec::new();
    let mut headings = Vec::new();
    let mut in_heading: Option<(HeadingLevel, String)> = None;
    let mut pending: Vec<Event> = Vec::new();
    for event in parser {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                in_heading = Some((level, String::new()));
                pending.clear();
            }
            Event::End(TagEnd::Heading(level)) => {
                let (_, text) = in_heading.take().unwrap_or((level, String::new()));
                let mut id = app::catalogue::slug_of(&text);
                let mut n = 2;
                while headings.iter().any(|h: &GuideHeading| h.id == id) {
                    id = format!("{}-{n}", app::catalogue::slug_of(&text));
                    n += 1;
                }
                let (tag, class) = match level {
                    HeadingLevel::H1 | HeadingLevel::H2 => ("h2", "govuk-heading-l"),
                    HeadingLevel::H3 => ("h3", "govuk-heading-m"),
                    _ => ("h4", "govuk-heading-s"),
                };
                let mut inner = String::new();
                html::push_html(&mut inner, pending.drain(..));
                events.push(Event::Html(CowStr::from(format!(
                    "<{tag} class=\"{class}\" id=\"{id}\">{inner}</{tag}>\n"
                ))));
                headings.push(GuideHeading {
                    id,
                    text,
                    level: if tag == "h2" {
                        2
                    } else if tag == "h3" {
                        3
                    } else {
                        4
                    },
                });
            }
            e if in_heading.is_some() => {
                if let (Event::Text(t) | Event::Code(t), Some((_, text))) = (&e, &mut in_heading) {
                    text.push_str(t);
                }
                pending.push(e);
            }
            e => events.push(e),
        }
    }
    let mut out = String::new();
    html::push_html(&mut out, events.into_iter());
    let out = out
        .replace("<p>", "<p class=\"govuk-body\">")
        .replace("<ul>", "<ul class=\"govuk-list govuk-list--bullet\">")
        .replace("<ol>", "<ol class=\"govuk-list govuk-list--number\">")
        .replace("<a href=", "<a class=\"govuk-link\" href=")
        .replace("<table>", "<table class=\"govuk-table\">")
        .replace("<th>", "<th scope=\"col\" class=\"govuk-table__header\">")
        .replace(
            "<th style=",
            "<th scope=\"col\" class=\"govuk-table__header\" style=",
        )
        .replace("<td>", "<td class=\"govuk-table__cell\">")
        .replace("<td style=", "<td class=\"govuk-table__cell\" style=")
        .replace("<tr>", "<tr class=\"govuk-table__row\">")
        .replace(
            "<pre><code",
            "<pre class=\"pulse-code\" tabindex=\"0\"><code",
        );
    (out, headings)
}

/// One page, rendered for this installation; `None` for an unknown slug.
pub fn page(slug: &str, facts: &Facts) -> Option<GuidePage> {
    let (_, text) = PAGES.iter().find(|(s, _)| *s == slug)?;
    let source = source(slug, text);
    let mut markdown = fill(source.body, facts);
    if slug == "data-types" {
        markdown.push_str(&catalogue(facts));
    }
    let (mut html, mut headings) = to_html(&markdown);
    for (name, _, _) in EXAMPLES {
        html = html.replace(
            &format!("<p class=\"govuk-body\">{EXAMPLE_MARK}{name}</p>"),
            &example_block(name, facts),
        );
    }
    if slug == "api" {
        let (reference, extra) = api_reference(&facts.openapi);
        html.push_str(&reference);
        headings.extend(extra.into_iter().map(|(level, text)| GuideHeading {
            id: app::catalogue::slug_of(&text),
            text,
            level,
        }));
    }
    Some(GuidePage {
        page: source.summary,
        html,
        headings,
    })
}

/// The index, and the headings whose words (or whose page's title) hold every
/// word of `query`.
pub fn index(query: &str, facts: &Facts) -> GuideIndex {
    let words: Vec<String> = query
        .split_whitespace()
        .map(str::to_lowercase)
        .filter(|w| !w.is_empty())
        .collect();
    let mut hits = Vec::new();
    if !words.is_empty() {
        for summary in pages() {
            let Some(page) = page(&summary.slug, facts) else {
                continue;
            };
            let title = summary.title.to_lowercase();
            let title_hits = words.iter().all(|w| title.contains(w.as_str()));
            if title_hits {
                hits.push(GuideHit {
                    slug: summary.slug.clone(),
                    page_title: summary.title.clone(),
                    heading: GuideHeading {
                        id: String::new(),
                        text: summary.title.clone(),
                        level: 1,
                    },
                });
            }
            for heading in page.headings {
                let text = heading.text.to_lowercase();
                if words.iter().all(|w| text.contains(w.as_str())) {
                    hits.push(GuideHit {
                        slug: summary.slug.clone(),
                        page_title: summary.title.clone(),
                        heading,
                    });
                }
            }
        }
    }
    GuideIndex {
        pages: pages(),
        query: query.to_string(),
        hits,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        Facts {
            base_url: "http://pulse.example".into(),
            example_service: "file-a-tax-return".into(),
            services: 14,
            published_dashboards: 14,
            data_sets: 56,
            types_in_use: [("transactions-by-channel".to_string(), 14)]
                .into_iter()
                .collect(),
            example_records: BTreeMap::new(),
            openapi: serde_json::to_value(crate::http::openapi()).unwrap(),
        }
    }

    #[test]
    fn every_page_has_front_matter_and_renders() {
        let f = facts();
        for summary in pages() {
            assert!(
                !summary.title.is_empty() && summary.title != summary.slug,
                "{}",
                summary.slug
            );
            assert!(
                ["service-managers", "developers", "everyone"].contains(&summary.audience.as_str()),
                "{}: {}",
                summary.slug,
                summary.audience
            );
            assert!(!summary.summary.is_empty(), "{}", summary.slug);
            let page = page(&summary.slug, &f).unwrap();
            assert!(
                !page.headings.is_empty(),
                "{} has no headings",
                summary.slug
            );
            // Every placeholder was filled.
            assert!(!page.html.contains("{{"), "{}: {}", summary.slug, page.html);
            assert!(!page.html.contains(EXAMPLE_MARK), "{}", summary.slug);
        }
        assert!(page("nonsense", &f).is_none());
    }

    #[test]
    fn examples_carry_this_installation_s_address() {
        let f = facts();
        let send = page("send-data", &f).unwrap();
        assert!(send.html.contains("data-example=\"send.sh\""));
        assert!(send.html.contains("data-example=\"send.py\""));
        assert!(send.html.contains("data-example=\"send.mjs\""));
        assert!(send.html.contains("http://pulse.example/data/"));
        // The code is shown as it is, not read as Markdown.
        assert!(!send.headings.iter().any(|h| h.text.contains("Monday")));
        let code = escape(&example("send.sh", &f).unwrap());
        assert!(send.html.contains(&code), "{}", send.html);
        assert!(!send.html.contains(EXAMPLE_MARK));
        let read = example("read.sh", &f).unwrap();
        assert!(read.contains("http://pulse.example/data/file-a-tax-return/"));
    }

    #[test]
    fn the_catalogue_and_the_api_reference_are_generated() {
        let f = facts();
        let types = page("data-types", &f).unwrap();
        assert!(types
            .html
            .contains("/api/v1/data-types/completion-rate/template.csv"));
        assert!(types.headings.iter().any(|h| h.text == "Completion rate"));
        let api = page("api", &f).unwrap();
        assert!(api
            .headings
            .iter()
            .any(|h| h.text == "GET /api/v1/data-types"));
        assert!(api.html.contains("pulse-try__form"));
    }

    #[test]
    fn search_finds_headings() {
        let f = facts();
        let found = index("curl", &f);
        assert!(
            found.hits.iter().any(|h| h.slug == "send-data"),
            "{:?}",
            found.hits
        );
        assert!(index("", &f).hits.is_empty());
        assert!(index("zzzzqqq", &f).hits.is_empty());
        let roadmap = index("coming", &f);
        assert!(roadmap.hits.iter().any(|h| h.slug == "roadmap"));
    }

    #[test]
    fn backticks_in_descriptions_are_code() {
        assert_eq!(
            words_html("a `b<c>` and `d`"),
            "a <code>b&lt;c&gt;</code> and <code>d</code>"
        );
        assert_eq!(words_html("plain"), "plain");
    }

    #[test]
    fn headings_get_unique_anchors() {
        let (html, headings) = to_html("## Send data\n\ntext\n\n## Send data\n\n### `curl` too\n");
        assert_eq!(headings[0].id, "send-data");
        assert_eq!(headings[1].id, "send-data-2");
        assert_eq!(headings[2].text, "curl too");
        assert!(html
            .contains("<h3 class=\"govuk-heading-m\" id=\"curl-too\"><code>curl</code> too</h3>"));
    }
}
