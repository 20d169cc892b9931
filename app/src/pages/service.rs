//! A service's page: its latest KPIs and its weekly transactions by channel, as an
//! interactive chart and as a table of the same figures.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::ApiErrorView;
use crate::api;
use crate::components::chart::{channel_chart, Chart};
use crate::components::kpi_tile::KpiTile;
use crate::components::view_controls::{current_view, ViewControls, ViewDraft};
use crate::kpi::{format_count, format_date, format_period};
use crate::model::{ChannelSeries, Freshness, PeriodKind, ServiceOverview};
use crate::modules::{data_url, Cell, TableData};
use crate::query_string;

#[component]
pub fn ServicePage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let key = move || {
        (
            params.read().get("slug").unwrap_or_default(),
            query.with(|q| {
                // The API is asked for months: a named range is the page's.
                let view = current_view(q).resolved(crate::modules::now(), None);
                // By week at the finest: the service's figures are weekly.
                crate::modules::ViewParams {
                    range: None,
                    period: view
                        .period
                        .filter(|p| crate::modules::VIEW_PERIODS.contains(p)),
                    ..view
                }
                .to_query()
            }),
        )
    };
    // Kept while the figures reload (the controls are drawn with them).
    ViewDraft::provide();
    let overview = Resource::new(key, |(slug, query)| api::service_overview(slug, query));
    view! {
        <Transition fallback=|| view! { <p class="govuk-body">"Loading the service…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(overview) => view! { <ServiceView overview/> }.into_any(),
                    Err(error) => view! { <ApiErrorView error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ServiceView(overview: ServiceOverview) -> impl IntoView {
    let ServiceOverview {
        service,
        description,
        transactions,
        kpis,
        freshness,
        previous_year,
        dashboards,
    } = overview;
    let organisation = match &service.agency {
        Some(agency) => format!("{} ({})", agency.title, service.department.title),
        None => service.department.title.clone(),
    };
    let tiles = kpis
        .into_iter()
        .map(|figure| view! { <KpiTile figure/> })
        .collect_view();
    let option = Signal::stored(channel_chart(&transactions, previous_year.as_deref()));
    let table = channel_table(&transactions, previous_year.as_deref());
    let by = match transactions.periods.first().map(|p| p.kind) {
        Some(PeriodKind::Month) => "monthly",
        Some(PeriodKind::Quarter) => "quarterly",
        Some(PeriodKind::Year) => "yearly",
        Some(PeriodKind::Day) => "daily",
        _ => "weekly",
    };
    let chart_label = format!(
        "Line chart of {}'s {by} transactions by channel. The same figures are in the table below.",
        service.title
    );
    view! {
        <Title text=format!("{} - Pulse", service.title)/>
        <nav class="govuk-breadcrumbs" aria-label="Breadcrumb">
            <ol class="govuk-breadcrumbs__list">
                <li class="govuk-breadcrumbs__list-item">
                    <a class="govuk-breadcrumbs__link" href="/">"Services"</a>
                </li>
                <li class="govuk-breadcrumbs__list-item">{service.department.title.clone()}</li>
            </ol>
        </nav>
        <span class="govuk-caption-l">{organisation}</span>
        <h1 class="govuk-heading-xl">{service.title.clone()}</h1>
        <p class="govuk-body-l">{description}</p>
        {(!dashboards.is_empty()).then(|| view! {
            <ul class="govuk-list" id="service-dashboards">
                {dashboards.into_iter().map(|d| view! {
                    <li><a class="govuk-link govuk-!-font-weight-bold" href=d.url>
                        {format!("Open the full dashboard: {}", d.title)}
                    </a></li>
                }).collect_view()}
            </ul>
        })}
        <h2 class="govuk-heading-l">"Latest figures"</h2>
        <div class="pulse-kpis">{tiles}</div>
        <p class="govuk-body">
            <a class="govuk-link" id="service-alerts" href=format!("/settings/notifications?service={}", service.slug)>
                "Get an e-mail when one of these figures misses a target, moves sharply or is unusual"
            </a>
        </p>
        <h2 class="govuk-heading-l" id="transactions-heading">"Transactions by channel"</h2>
        <p class="govuk-body">
            "Completed transactions by the channel people used. Choose the period and months below; press a channel in the key above the chart to hide or show it"
            {crate::components::chart::zooms(transactions.periods.len()).then_some(
                "; drag the slider below the chart to zoom in (or focus the chart and use the arrow, + and \u{2212} keys)"
            )}
            "."
        </p>
        <ViewControls action=format!("/services/{}", service.slug) id="chart" what="transactions"
            default_period="week" button="Update chart" one_chart=true/>
        <Chart id="transactions-chart" option label=chart_label periods=transactions.periods.clone()/>
        <Downloads slug=service.slug.clone() series=transactions.clone() table=table.clone()/>
        <ChannelTable table/>
        <DataFreshness freshness/>
    }
}

/// The table of transactions by channel, newest first: the page's table and
/// its downloads are made from it, so a download holds what the table shows
/// (a period a channel sent nothing for is "no data" and has no total, the
/// newest period "so far" and not compared with a year earlier), not the
/// read API's rows, which have none of those rules.
fn channel_table(series: &ChannelSeries, previous_year: Option<&[Option<f64>]>) -> TableData {
    let totals = series.totals();
    let count = |v: Option<f64>| Cell {
        text: v.map(format_count).unwrap_or_else(|| "no data".into()),
        number: v,
        note: None,
    };
    let unit = match series.periods.first().map(|p| p.kind) {
        Some(PeriodKind::Month) => "Month",
        Some(PeriodKind::Quarter) => "Quarter",
        Some(PeriodKind::Year) => "Year",
        _ => "Week",
    };
    let mut headers = vec![unit.to_string()];
    headers.extend(series.channels.iter().map(|c| c.label.clone()));
    headers.push("Total".into());
    if previous_year.is_some() {
        headers.push("Total, a year earlier".into());
    }
    let mut numeric = vec![true; headers.len()];
    numeric[0] = false;
    let rows = (0..series.periods.len())
        .rev()
        .map(|i| {
            let complete = series.is_complete(i);
            let period = if complete {
                format_period(&series.periods[i])
            } else {
                crate::kpi::format_period_so_far(&series.periods[i])
            };
            let mut row = vec![Cell {
                text: period,
                number: None,
                note: None,
            }];
            row.extend(
                series
                    .channels
                    .iter()
                    .map(|c| count(c.values.get(i).copied().flatten())),
            );
            row.push(count(totals.get(i).copied().flatten()));
            if let Some(p) = previous_year {
                row.push(if complete {
                    count(p.get(i).copied().flatten())
                } else {
                    Cell {
                        text: crate::kpi::NOT_YET_COMPARABLE.to_string(),
                        number: None,
                        note: None,
                    }
                });
            }
            row
        })
        .collect();
    TableData {
        headers,
        numeric,
        rows,
    }
}

/// The table as CSV and JSON (the same columns, headings and words), named
/// by what they show (`{service}-transactions-{period}-{from}-{to}`), and
/// the read API request behind it for developers.
#[component]
fn Downloads(slug: String, series: ChannelSeries, table: TableData) -> impl IntoView {
    let (Some(first), Some(last)) = (series.periods.first(), series.periods.last()) else {
        return ().into_any();
    };
    let stamp = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut pairs = vec![
        ("period", first.kind.as_str().to_string()),
        ("start_at", stamp(first.start)),
        ("end_at", stamp(last.end)),
        ("group_by", "channel".to_string()),
        ("collect", "count:sum".to_string()),
        ("flatten", "true".to_string()),
    ];
    // Weeks shared by their days between the months (or quarters, years)
    // shown, as the chart and table have them.
    if crate::kpi::is_shared(PeriodKind::Week, first.kind) {
        pairs.push(("apportion", "true".to_string()));
    }
    let query = query_string::href(
        &format!(
            "/data/{}/transactions-by-channel",
            api::encode_component(&slug)
        ),
        &query_string::encode(&pairs),
    );
    let name = |extension: &str| {
        format!(
            "{slug}-transactions-{}-{}-{}.{extension}",
            first.kind.as_str(),
            crate::notes::date_value(first.start),
            crate::notes::date_value(last.end - chrono::Duration::seconds(1)),
        )
    };
    let title = format!("Transactions by channel, by {}", first.kind.as_str());
    view! {
        <p class="govuk-body" id="chart-downloads">
            "Download the table: "
            <a class="govuk-link" id="download-csv" href=data_url("text/csv", &table.to_csv()) download=name("csv")>"CSV"</a>
            ", "
            <a class="govuk-link" id="download-json" href=data_url("application/json", &table.to_json(&title)) download=name("json")>"JSON"</a>
            ". "
            <a class="govuk-link" id="download-api" href=query>"The API query behind it"</a>
        </p>
    }
    .into_any()
}

/// When each data set last received data, with a tag when it is out of date.
#[component]
fn DataFreshness(freshness: Vec<Freshness>) -> impl IntoView {
    let label = |data_type: &str| match data_type {
        "transactions-by-channel" => "Transactions by channel".to_string(),
        "cost-per-transaction" => "Cost per transaction".to_string(),
        "user-satisfaction" => "User satisfaction".to_string(),
        "completion-rate" => "Completion rate".to_string(),
        other => other.replace('-', " "),
    };
    let rows = freshness
        .into_iter()
        .map(|f| {
            let text = match (f.newest_record, f.last_received) {
                (Some(newest), Some(received)) => format!(
                    "Newest figures dated {}, received {}.",
                    format_date(newest),
                    format_date(received)
                ),
                _ => "No data yet.".to_string(),
            };
            let tag = if f.out_of_date {
                view! { <strong class="govuk-tag govuk-tag--red">"Out of date"</strong> }.into_any()
            } else {
                view! { <strong class="govuk-tag govuk-tag--green">"Up to date"</strong> }
                    .into_any()
            };
            view! {
                <div class="govuk-summary-list__row" data-type=f.data_type.clone()>
                    <dt class="govuk-summary-list__key">{label(&f.data_type)}</dt>
                    <dd class="govuk-summary-list__value">{text}</dd>
                    <dd class="govuk-summary-list__actions">{tag}</dd>
                </div>
            }
        })
        .collect_view();
    view! {
        <h2 class="govuk-heading-l">"About the data"</h2>
        <dl class="govuk-summary-list" id="freshness">{rows}</dl>
    }
}

/// The chart's figures as a table, with a control to hide it that works once the
/// page is interactive (the table is always there without JavaScript).
#[component]
fn ChannelTable(table: TableData) -> impl IntoView {
    let (shown, set_shown) = signal(true);
    let unit = table.headers.first().cloned().unwrap_or_default();
    let headers = (table.headers.iter().skip(1))
        .map(|h| view! { <th scope="col" class="govuk-table__header govuk-table__header--numeric">{h.clone()}</th> })
        .collect_view();
    let rows = (table.rows.into_iter())
        .map(|row| {
            let mut cells = row.into_iter();
            let period = cells.next().map(|c| c.text).unwrap_or_default();
            let cells = cells
                .map(|c| view! { <td class="govuk-table__cell govuk-table__cell--numeric">{c.text}</td> })
                .collect_view();
            view! {
                <tr class="govuk-table__row">
                    <th scope="row" class="govuk-table__header">{period}</th>
                    {cells}
                </tr>
            }
        })
        .collect_view();
    view! {
        <p class="govuk-body pulse-js-only">
            <button
                type="button"
                class="govuk-button govuk-button--secondary"
                id="toggle-table"
                aria-controls="transactions-table-region"
                aria-expanded=move || shown.get().to_string()
                on:click=move |_| set_shown.update(|s| *s = !*s)
            >
                {move || if shown.get() { "Hide table" } else { "Show table" }}
            </button>
        </p>
        <div
            class="pulse-table-scroll"
            id="transactions-table-region"
            role="region"
            aria-labelledby="transactions-caption"
            tabindex="0"
            hidden=move || !shown.get()
        >
            <table class="govuk-table" id="transactions-table">
                <caption class="govuk-table__caption govuk-table__caption--m" id="transactions-caption">
                    {format!("Transactions by channel, by {}", unit.to_ascii_lowercase())}
                </caption>
                <thead class="govuk-table__head">
                    <tr class="govuk-table__row">
                        <th scope="col" class="govuk-table__header">{unit}</th>
                        {headers}
                    </tr>
                </thead>
                <tbody class="govuk-table__body">{rows}</tbody>
            </table>
        </div>
    }
}
