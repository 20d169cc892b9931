//! Summary boards for senior sponsors: `/boards` (every department and agency,
//! and the person's portfolios), `/boards/{organisation}` and
//! `/boards/portfolio/{id}`.
//!
//! A board reads in a minute: totals and weighted KPIs, a "needs attention"
//! list, then a row per service with each KPI's latest figure, a sparkline, a
//! trend arrow and a red/amber/green status against its target. It prints on
//! A4 landscape (the print stylesheet), downloads as CSV, and has a big-screen
//! mode (`?screen=big`) for office displays that cycles through the services.
//! Editors set targets here.

use crate::components::scroll_table::ScrollTable;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::ApiErrorView;
use crate::api;
use crate::boards::{Board, BoardKpi, BoardService, Rag, Target, Trend, KPIS};
use crate::components::problem::ProblemSummary;
use crate::components::tray::compare_path;
use crate::kpi::{format_change_in, format_percent, format_pounds, format_value};
use crate::model::{KpiKind, KpiSummary, Role, Unit};
use crate::modules::csv_request;

/// `/boards`: every department's and agency's board, and the person's portfolios.
#[component]
pub fn BoardsPage() -> impl IntoView {
    // The organisations come with any page of the explorer: the shortest.
    let list = Resource::new(|| (), |_| api::service_kpis("per_page=1".into()));
    let mine = Resource::new(|| (), |_| api::portfolios());
    view! {
        <Title text="Boards - Pulse"/>
        <h1 class="govuk-heading-xl">"Summary boards"</h1>
        <p class="govuk-body-l">
            "A board sums up a department's or agency's services on one page: totals, what needs attention, "
            "and every service's figures against its targets. Print it, download it as CSV, or show it on a big screen."
        </p>
        <Suspense fallback=|| view! { <p class="govuk-body">"Loading the organisations…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(list) => {
                        let departments = list.departments.into_iter().map(|d| {
                            let agencies: Vec<_> = list.agencies.iter()
                                .filter(|a| list.agency_departments.get(&a.slug) == Some(&d.slug))
                                .cloned()
                                .collect();
                            view! {
                                <li>
                                    <a class="govuk-link" href=format!("/boards/{}", d.slug)>{d.title}</a>
                                    {(!agencies.is_empty()).then(|| view! {
                                        <ul class="govuk-list govuk-list--bullet govuk-list--spaced">
                                            {agencies.into_iter().map(|a| view! {
                                                <li><a class="govuk-link" href=format!("/boards/{}", a.slug)>{a.title}</a></li>
                                            }).collect_view()}
                                        </ul>
                                    })}
                                </li>
                            }
                        }).collect_view();
                        view! {
                            <h2 class="govuk-heading-l">"Departments and agencies"</h2>
                            <ul class="govuk-list govuk-list--spaced" id="board-organisations">{departments}</ul>
                        }.into_any()
                    }
                    Err(error) => view! { <ApiErrorView error/> }.into_any(),
                }
            })}
        </Suspense>
        <h2 class="govuk-heading-l">"Portfolios"</h2>
        <p class="govuk-body">
            "A portfolio is a board of any services you choose: gather them in the compare tray (from "
            <a class="govuk-link" href="/services">"Explore services"</a>
            " or any dashboard), compare them, then save them as a portfolio. Anyone with its link can read it."
        </p>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match mine.await {
                    Ok(list) if !list.is_empty() => view! {
                        <ul class="govuk-list" id="my-portfolios">
                            {list.into_iter().map(|p| view! {
                                <li>
                                    <a class="govuk-link" href=format!("/boards/portfolio/{}", p.id)>{p.title}</a>
                                    {format!(" ({} services)", p.services.len())}
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    Ok(_) => view! { <p class="govuk-body" id="my-portfolios">"You have no portfolios yet."</p> }.into_any(),
                    Err(_) => view! {
                        <p class="govuk-body"><a class="govuk-link" href=super::sign_in_href("/boards")>"Sign in"</a>" to see your portfolios."</p>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// `/boards/{organisation}`.
#[component]
pub fn OrganisationBoardPage() -> impl IntoView {
    let params = use_params_map();
    view! { <BoardPage key=Signal::derive(move || params.read().get("organisation").unwrap_or_default()) portfolio=false/> }
}

/// `/boards/portfolio/{id}`.
#[component]
pub fn PortfolioBoardPage() -> impl IntoView {
    let params = use_params_map();
    view! { <BoardPage key=Signal::derive(move || params.read().get("id").unwrap_or_default()) portfolio=true/> }
}

/// What the targets form last said, and the targets: kept by the page, not by
/// the board, which is drawn again when a target changes its statuses (a
/// list kept in the board drawn before was asked again after a delete made
/// while it reloaded).
#[derive(Clone, Copy)]
struct TargetUi {
    done: RwSignal<Option<String>>,
    problem: RwSignal<Option<String>>,
    list: Resource<Result<crate::boards::TargetList, api::ApiError>>,
    /// The board, asked again when a target changes its statuses.
    board: Resource<Result<Board, api::ApiError>>,
    /// Who is looking (editors set targets), asked for once for the page.
    session: crate::pages::SessionRead,
}

/// A board's services, as (slug, title).
fn service_names(board: &Board) -> Vec<(String, String)> {
    board
        .services
        .iter()
        .map(|s| (s.service.slug.clone(), s.service.title.clone()))
        .collect()
}

#[component]
fn BoardPage(key: Signal<String>, portfolio: bool) -> impl IntoView {
    let query = use_query_map();
    let data = Resource::new(move || key.get(), move |key| api::board(key, portfolio));
    let ui = TargetUi {
        done: RwSignal::new(None),
        problem: RwSignal::new(None),
        list: Resource::new(|| (), |_| api::targets()),
        board: data,
        session: Resource::new(|| (), |_| api::session()),
    };
    // (A memo: the targets below are drawn again only when it changes, not
    // with every change of the query.)
    let big = Memo::new(move |_| query.with(|q| q.get("screen").as_deref() == Some("big")));
    view! {
        <Transition fallback=|| view! { <p class="govuk-body">"Loading the board…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(board) if big.get() => {
                        let every = query.with_untracked(|q| q.get("every").and_then(|e| e.parse::<u32>().ok()))
                            .unwrap_or(10)
                            .clamp(2, 600);
                        view! { <BigScreen board every/> }.into_any()
                    }
                    Ok(board) => view! { <BoardView board key=key.get_untracked() portfolio/> }.into_any(),
                    Err(error) => view! { <ApiErrorView error/> }.into_any(),
                }
            })}
        </Transition>
        // Beside the board, not in it, and drawn again only when the board's
        // services change: a row's Delete pressed while the board is drawn
        // again (after another target changed) is still the row's own button
        // when the press ends (a button replaced between the mouse going down
        // and up gets no click, and the press was lost).
        <Transition fallback=|| ()>
            {
                let services = Memo::new(move |_| {
                    data.with(|d| d.as_ref().and_then(|d| d.as_ref().ok()).map(service_names).unwrap_or_default())
                });
                // (Read only below, where the Transition waits for the board.)
                move || (!big.get() && services.with(|s| !s.is_empty())).then(|| view! { <Targets services=services.get() ui/> })
            }
        </Transition>
    }
}

fn summary_tiles(s: &KpiSummary) -> impl IntoView {
    // Said of how many services, when not all: a total of some that reads
    // as all misleads.
    let year_label = if s.counted == s.current {
        "Transactions a year".to_string()
    } else {
        format!(
            "Transactions a year ({} of {} services with a year of figures)",
            s.counted, s.current
        )
    };
    let tiles: [(String, String); 6] = [
        (year_label, crate::kpi::format_year_total(s)),
        (
            format!(
                "Total cost, last four complete quarters{}",
                crate::kpi::costed_words(s)
            ),
            // No service has cost figures: no total, not £0.00.
            if s.cost_per_transaction.is_none() && s.total_cost == 0.0 {
                "no data".to_string()
            } else {
                format_pounds(s.total_cost)
            },
        ),
        (
            "Cost per transaction, the same four quarters".to_string(),
            format_value(s.cost_per_transaction, Unit::Pounds),
        ),
        (
            format!(
                "Digital take-up, {}",
                crate::kpi::averaged_over(KpiKind::DigitalTakeUp)
            ),
            format_value(s.digital_take_up, Unit::Ratio),
        ),
        (
            format!(
                "Satisfaction score, {}",
                crate::kpi::averaged_over(KpiKind::UserSatisfaction)
            ),
            format_value(s.user_satisfaction, Unit::Ratio),
        ),
        (
            format!(
                "Completion rate, {}",
                crate::kpi::averaged_over(KpiKind::CompletionRate)
            ),
            format_value(s.completion_rate, Unit::Ratio),
        ),
    ];
    view! {
        <dl class="pulse-board-summary" id="board-summary">
            {tiles.into_iter().map(|(label, value)| view! {
                <div class="pulse-board-summary__tile">
                    <dt class="govuk-body-s pulse-board-summary__label">{label}</dt>
                    <dd class="govuk-heading-l pulse-board-summary__value">{value}</dd>
                </div>
            }).collect_view()}
        </dl>
        {crate::kpi::stopped_words(s).map(|words| view! {
            <p class="govuk-body-s" id="board-summary-stopped">{format!("{words}.")}</p>
        })}
    }
}

fn rag_tag(status: Option<Rag>) -> impl IntoView {
    status.map(|s| {
        let colour = match s {
            Rag::Green => "govuk-tag--green",
            Rag::Amber => "govuk-tag--yellow",
            Rag::Red => "govuk-tag--red",
        };
        view! { <strong class=format!("govuk-tag {colour} pulse-rag") data-status=format!("{s:?}").to_ascii_lowercase()>{s.label()}</strong> }
    })
}

/// The trend arrow, coloured good or bad for the KPI, with its words for
/// screen readers.
fn trend_arrow(kpi: KpiKind, k: &BoardKpi) -> impl IntoView {
    let (Some(trend), Some(change)) = (k.trend, k.change) else {
        return None;
    };
    let (arrow, word) = match trend {
        Trend::Up => ("▲", "rising"),
        Trend::Down => ("▼", "falling"),
        Trend::Flat => ("▶", "steady"),
    };
    let judged = if crate::boards::worsening(kpi, trend) {
        "pulse-trend--bad"
    } else if trend == Trend::Flat || kpi == KpiKind::Transactions {
        "pulse-trend--neutral"
    } else {
        "pulse-trend--good"
    };
    Some(view! {
        <span class=format!("pulse-trend {judged}") data-trend=word>
            <span aria-hidden="true">{arrow}</span>
            {format!(" {}", format_change_in(kpi.unit(), change))}
            <span class="govuk-visually-hidden">{format!(" ({word}: the last three periods against the three before)")}</span>
        </span>
    })
}

/// The bottom of a sparkline's scale and its height, over the figures it
/// draws: at least 5% of their size tall, centred, so a flat 90% whose months
/// differ in the twelfth decimal place is drawn flat, not as the zigzag its
/// rounding makes at full height.
fn spark_range(present: &[f64]) -> (f64, f64) {
    let (lo, hi) = present
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(*v), hi.max(*v))
        });
    if present.is_empty() {
        return (0.0, 1.0);
    }
    let least = hi.abs().max(lo.abs()) * 0.05;
    if hi - lo >= least && hi > lo {
        (lo, hi - lo)
    } else if least > 0.0 {
        ((hi + lo - least) / 2.0, least)
    } else {
        (lo - 0.5, 1.0)
    }
}

/// A sparkline of `values` (oldest first) with the target dashed, as SVG drawn
/// on the server; its figures are in its label.
pub fn sparkline(
    values: &[Option<f64>],
    target: Option<f64>,
    unit: Unit,
    label: &str,
) -> impl IntoView {
    const W: f64 = 96.0;
    const H: f64 = 24.0;
    let present: Vec<f64> = values.iter().flatten().copied().chain(target).collect();
    let (lo, span) = spark_range(&present);
    let n = values.len().max(2) as f64 - 1.0;
    let y = |v: f64| 2.0 + (H - 4.0) * (1.0 - (v - lo) / span);
    let mut path = String::new();
    let mut pen_down = false;
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) => {
                path.push_str(&format!(
                    "{}{:.1},{:.1} ",
                    if pen_down { "L" } else { "M" },
                    W * i as f64 / n,
                    y(*v)
                ));
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    let last = values
        .iter()
        .enumerate()
        .rev()
        .find_map(|(i, v)| v.map(|v| (W * i as f64 / n, y(v))));
    let words = values
        .iter()
        .map(|v| format_value(*v, unit))
        .collect::<Vec<_>>()
        .join(", ");
    let aria = format!("{label}, oldest first: {words}");
    view! {
        <svg class="pulse-spark" viewBox=format!("0 0 {W} {H}") width=W height=H role="img" aria-label=aria>
            {target.map(|t| view! {
                <line class="pulse-spark__target" x1="0" x2=W y1=format!("{:.1}", y(t)) y2=format!("{:.1}", y(t))/>
            })}
            <path class="pulse-spark__line" d=path/>
            {last.map(|(x, y)| view! { <circle class="pulse-spark__dot" cx=format!("{x:.1}") cy=format!("{y:.1}") r="2"/> })}
        </svg>
    }
}

/// The target on a KPI's sparkline: a year's transactions target as a day's
/// (the sparkline shows transactions a day).
fn spark_target(k: &BoardKpi) -> Option<f64> {
    k.target.map(|t| crate::boards::target_over(k.kpi, t, 1.0))
}

/// What a KPI's sparkline shows, for its label.
fn spark_label(kpi: KpiKind) -> &'static str {
    match kpi {
        KpiKind::CostPerTransaction => "Last 8 quarters",
        KpiKind::Transactions => "Transactions a day in each of the last 12 months",
        _ => "Last 12 months",
    }
}

fn kpi_cell(
    k: &BoardKpi,
    has_weeks: bool,
    newest: Option<chrono::DateTime<chrono::Utc>>,
) -> impl IntoView {
    let unit = k.kpi.unit();
    let spark_label = spark_label(k.kpi);
    // A figure of another time than the board's says when it is of (and it
    // has no status): a score of two years ago is not this year's.
    let old = (k.from.zip(k.to))
        .filter(|_| k.kpi != KpiKind::Transactions)
        .and_then(|(from, to)| crate::components::kpi_tile::old_note(from, to, newest));
    view! {
        <td class="govuk-table__cell pulse-board__kpi" data-kpi=k.kpi.key()>
            <span class="pulse-board__value">{
                if k.kpi == KpiKind::Transactions && k.value.is_none() && has_weeks {
                    "not a year of figures".to_string()
                } else {
                    format_value(k.value, unit)
                }
            }</span>
            {crate::components::kpi_tile::low_base_note(k.kpi, k.base)}
            {old}
            {trend_arrow(k.kpi, k)}
            {(!k.spark.is_empty()).then(|| sparkline(&k.spark, spark_target(k), unit, spark_label))}
            <span class="pulse-board__status">
                {rag_tag(k.status)}
                {k.target.map(|t| view! { <span class="govuk-body-s pulse-board__target">{format!("Target {}", format_value(Some(t), unit))}</span> })}
            </span>
        </td>
    }
}

fn service_row(row: &BoardService, newest: Option<chrono::DateTime<chrono::Utc>>) -> impl IntoView {
    let href = row
        .dashboard
        .clone()
        .unwrap_or_else(|| format!("/services/{}", row.service.slug));
    // Figures that stopped before the others' say when (as the explorer's
    // rows do); a young service's transactions are not a year's.
    let stopped = crate::components::kpi_tile::stopped_note(row.year_to, newest);
    let young = row.weekly_transactions.is_some();
    let org = row
        .service
        .agency
        .as_ref()
        .map(|a| a.title.clone())
        .unwrap_or_else(|| row.service.department.title.clone());
    view! {
        <tr class="govuk-table__row" data-slug=row.service.slug.clone()>
            <th scope="row" class="govuk-table__header">
                <a class="govuk-link" href=href>{row.service.title.clone()}</a>
                <span class="govuk-body-s pulse-board__org">{org}</span>
                {stopped}
            </th>
            {row.kpis.iter().map(|k| kpi_cell(k, young, newest)).collect_view()}
        </tr>
    }
}

#[component]
fn BoardView(board: Board, key: String, portfolio: bool) -> impl IntoView {
    let csv = csv_request(&api::board_path(&key, portfolio));
    // What a weekly digest of this board is asked for by.
    let digest_board = if portfolio {
        format!("portfolio/{key}")
    } else {
        key.clone()
    };
    let attention = if board.attention.is_empty() {
        view! { <p class="govuk-body" id="attention">"Nothing needs attention: every figure is up to date and on target."</p> }.into_any()
    } else {
        view! {
            <ul class="govuk-list pulse-attention" id="attention">
                {board.attention.iter().map(|a| {
                    let tag = match a.concern {
                        crate::boards::Concern::OutOfDate => ("Out of date", "govuk-tag--grey"),
                        crate::boards::Concern::BelowTarget => ("Below target", "govuk-tag--red"),
                        crate::boards::Concern::Worsening => ("Worsening", "govuk-tag--orange"),
                        crate::boards::Concern::UnexplainedSpike => ("Unexplained figure", "govuk-tag--purple"),
                    };
                    view! {
                        <li class="pulse-attention__item" data-concern=format!("{:?}", a.concern)>
                            <strong class=format!("govuk-tag pulse-attention__tag {}", tag.1)>{tag.0}</strong>
                            <span><strong>{a.service_title.clone()}</strong>": "{a.message.clone()}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
        }.into_any()
    };
    let caption = if portfolio {
        format!(
            "Portfolio{}",
            board
                .portfolio
                .as_ref()
                .map(|p| format!(" saved by {}", p.owner))
                .unwrap_or_default()
        )
    } else {
        "Summary board".to_string()
    };
    let compare = (!board.services.is_empty()).then(|| {
        let slugs: Vec<&str> = board
            .services
            .iter()
            .take(6)
            .map(|s| s.service.slug.as_str())
            .collect();
        compare_path(&slugs)
    });
    let print = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(w) = web_sys::window() {
            let _ = w.print();
        }
    };
    view! {
        <Title text=format!("{} board - Pulse", board.title)/>
        <nav class="govuk-breadcrumbs pulse-no-print" aria-label="Breadcrumb">
            <ol class="govuk-breadcrumbs__list">
                <li class="govuk-breadcrumbs__list-item"><a class="govuk-breadcrumbs__link" href="/boards">"Boards"</a></li>
            </ol>
        </nav>
        <span class="govuk-caption-l">{caption}</span>
        <h1 class="govuk-heading-xl" id="board-title">{board.title.clone()}</h1>
        <p class="govuk-body">
            {format!("{} services. Transactions are over the last 52 complete weeks; the other figures are for the latest complete period \
                of their data (a week; a month for satisfaction; a quarter for cost); a period under way is never counted. \
                Statuses are against the target in force at the end of each figure's period; trends compare the last three complete periods with the three before.",
                board.services.len())}
        </p>
        <div class="pulse-board-actions pulse-no-print">
            <a class="govuk-button govuk-button--secondary" id="board-csv" href=csv download="board.csv">"Download as CSV"</a>
            <button type="button" class="govuk-button govuk-button--secondary pulse-js-only" id="board-print" on:click=print>"Print"</button>
            <a class="govuk-button govuk-button--secondary" id="board-big-screen" href="?screen=big">"Big screen"</a>
            <a class="govuk-button govuk-button--secondary" id="board-digest"
                href=crate::query_string::href(
                    "/settings/notifications",
                    &crate::query_string::encode(&[("board", digest_board.as_str())]),
                ) + "#digests-heading">"E-mail me this board weekly"</a>
            {compare.map(|href| view! { <a class="govuk-button govuk-button--secondary" href=href>"Compare these services"</a> })}
        </div>
        {summary_tiles(&board.summary)}
        <h2 class="govuk-heading-l">{format!("Needs attention ({})", board.attention.len())}</h2>
        {attention}
        <ScrollTable label="Services on this board"><table class="govuk-table pulse-board" id="board-services">
            <caption class="govuk-table__caption govuk-table__caption--m">"Services"</caption>
            <thead class="govuk-table__head">
                <tr class="govuk-table__row">
                    <th scope="col" class="govuk-table__header">"Service"</th>
                    <th scope="col" class="govuk-table__header">"Transactions a year"</th>
                    <th scope="col" class="govuk-table__header">"Cost per transaction"</th>
                    <th scope="col" class="govuk-table__header">"Digital take-up"</th>
                    <th scope="col" class="govuk-table__header">"Satisfaction score"</th>
                    <th scope="col" class="govuk-table__header">"Completion rate"</th>
                </tr>
            </thead>
            <tbody class="govuk-table__body">{board.services.iter().map(|row| service_row(row, board.summary.year_to)).collect_view()}</tbody>
        </table></ScrollTable>
    }
}

/// The targets of the board's services: listed for everyone; set and deleted
/// by editors of the services' organisations.
#[component]
fn Targets(services: Vec<(String, String)>, ui: TargetUi) -> impl IntoView {
    let (session, list) = (ui.session, ui.list);
    view! {
        <section class="pulse-no-print pulse-targets" id="targets" aria-labelledby="targets-heading">
            <h2 class="govuk-heading-l" id="targets-heading" tabindex="-1">"Targets"</h2>
            <div>
                <Transition fallback=|| ()>
                    {
                        // The rows follow the list as it is asked again; the
                        // editor is drawn once.
                        let slugs: Vec<String> = services.iter().map(|(slug, _)| slug.clone()).collect();
                        let targets = Memo::new(move |_| {
                            list.with(|l| match l {
                                Some(Ok(l)) => l.targets.iter().filter(|t| slugs.contains(&t.service)).cloned().collect(),
                                _ => Vec::new(),
                            })
                        });
                        let services = services.clone();
                        move || {
                            let services = services.clone();
                            Suspend::new(async move {
                                let session = session.await.ok();
                                // The targets in before the rows are drawn,
                                // on the server too (the page's HTML then
                                // has the rows the browser hydrates; drawn
                                // before, it said none, and hydrating the
                                // rows panicked), untracked: the rows, not
                                // the editor, follow the list asked again.
                                let _ = ScopedFuture::new_untracked(
                                    std::future::IntoFuture::into_future(list),
                                )
                                .await;
                                let editor = session
                                    .as_ref()
                                    .and_then(|s| s.user.as_ref())
                                    .is_some_and(|u| u.role >= Role::Editor);
                                let csrf = session.and_then(|s| s.csrf_token).unwrap_or_default();
                                view! { <TargetEditor targets editor csrf services ui/> }
                            })
                        }
                    }
                </Transition>
            </div>
        </section>
    }
}

#[component]
fn TargetEditor(
    targets: Memo<Vec<Target>>,
    editor: bool,
    csrf: String,
    services: Vec<(String, String)>,
    ui: TargetUi,
) -> impl IntoView {
    let (problem, done) = (ui.problem, ui.done);
    // The field a problem found here is with (the API's are the form's).
    let field = RwSignal::new(None::<&'static str>);
    let refuse = move |id: &'static str, why: String| {
        field.set(Some(id));
        problem.set(Some(why));
    };
    let wrong =
        move |id: &'static str| move || field.get() == Some(id) && problem.with(Option::is_some);
    let error_message = move |id: &'static str| {
        move || {
            wrong(id)().then(|| {
                view! {
                    <p class="govuk-error-message" id=format!("{id}-error")>
                        <span class="govuk-visually-hidden">"Error: "</span>{problem.get()}
                    </p>
                }
            })
        }
    };
    let described = move |id: &'static str, hint: &'static str| {
        move || {
            let error = wrong(id)().then(|| format!("{id}-error"));
            let both = [Some(hint.to_string()).filter(|h| !h.is_empty()), error];
            let words: Vec<String> = both.into_iter().flatten().collect();
            (!words.is_empty()).then(|| words.join(" "))
        }
    };
    // Kept by the handlers themselves (as the form is read from the page):
    // no state of the editor is needed once a press has been made.
    let csrf: std::sync::Arc<str> = csrf.into();
    let titles = StoredValue::new(services.clone());
    let title_of = move |slug: &str| {
        titles.with_value(|s| {
            s.iter()
                .find(|(x, _)| x == slug)
                .map(|(_, t)| t.clone())
                .unwrap_or_else(|| slug.to_string())
        })
    };
    let refresh = move || {
        ui.list.refetch();
        ui.board.refetch();
    };
    let submit = {
        let csrf = csrf.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            // Read from the fields when the form is sent (from the page: the form
            // may be one drawn before the board reloaded): what was typed or
            // chosen before the page became interactive counts too.
            let read = |id: &str| crate::components::form_value(&ev, &format!("#{id}"));
            let (Some(k), Some(typed), Some(from), Some(service)) = (
                read("target-kpi").as_deref().and_then(KpiKind::from_key),
                read("target-value"),
                read("target-from"),
                read("target-service"),
            ) else {
                return;
            };
            let Some(number) = crate::kpi::parse_number(
                typed
                    .trim()
                    .trim_end_matches('%')
                    .replace([',', '£'], "")
                    .as_str(),
            ) else {
                refuse(
                    "target-value",
                    format!("Enter the target as a number, not {typed:?}."),
                );
                return;
            };
            if k.unit() == Unit::Ratio && !(0.0..=100.0).contains(&number) {
                refuse(
                    "target-value",
                    format!(
                        "Enter {} as a percentage from 0 to 100 (80 for 80%).",
                        k.title().to_ascii_lowercase()
                    ),
                );
                return;
            }
            if from.is_empty() {
                refuse(
                    "target-from",
                    "Enter the date the target takes effect from.".into(),
                );
                return;
            }
            let number = if k.unit() == Unit::Ratio {
                number / 100.0
            } else {
                number
            };
            let Ok(effective_from) = chrono::NaiveDate::parse_from_str(&from, "%Y-%m-%d") else {
                let why = format!(
                    "Enter the date the target takes effect from as a date, like 2027-04-01, not {from:?}."
                );
                refuse("target-from", why);
                return;
            };
            let body = api::body(&crate::boards::NewTarget {
                service,
                kpi: k,
                value: number,
                effective_from,
            });
            field.set(None);
            let token = csrf.to_string();
            spawn_local(async move {
                match api::send_json::<Target>("POST", "/api/v1/targets".into(), body, token).await
                {
                    Ok(t) => {
                        problem.set(None);
                        done.set(Some(format!(
                            "Target set: {} {} from {}.",
                            t.kpi.title(),
                            format_value(Some(t.value), t.kpi.unit()),
                            t.effective_from.format("%-d %B %Y")
                        )));
                        refresh();
                    }
                    Err(e) => problem.set(Some(e.to_string())),
                }
            });
        }
    };
    // A target deleted here, and its place in the list.
    let gone = RwSignal::new(None::<(i64, usize)>);
    let delete = move |id: i64| {
        let token = csrf.to_string();
        // Where the focus goes once the list without the row is shown (see
        // below): the row's place in the list.
        let place = targets.with_untracked(|t| t.iter().position(|t| t.id == id));
        spawn_local(async move {
            match api::send_json::<crate::model::DeletedTarget>(
                "DELETE",
                format!("/api/v1/targets/{id}"),
                None,
                token,
            )
            .await
            {
                Ok(_) => {
                    done.set(Some("Target deleted.".into()));
                    if let Some(place) = place {
                        let _ = gone.try_set(Some((id, place)));
                    }
                    refresh();
                }
                Err(e) => problem.set(Some(e.to_string())),
            }
        });
    };
    // Once the list shown no longer holds a target deleted here, the focus,
    // if it was lost with its row, goes to the row now in its place, else the
    // one before, else the list's heading.
    Effect::new(move |_| {
        let Some((id, place)) = gone.get() else {
            return;
        };
        let ids: Option<Vec<String>> = targets.with(|t| {
            (!t.iter().any(|t| t.id == id)).then(|| {
                t.get(place.min(t.len().saturating_sub(1)))
                    .map(|t| delete_id(t.id))
                    .into_iter()
                    .chain(["targets-heading".to_string()])
                    .collect()
            })
        });
        if let Some(ids) = ids {
            gone.set(None);
            if crate::components::navigation::focus_lost() {
                crate::components::navigation::focus_soon(ids);
            }
        }
    });
    let row = move |t: Target| {
        let id = t.id;
        let delete = delete.clone();
        view! {
            <tr class="govuk-table__row">
                <td class="govuk-table__cell">{title_of(&t.service)}</td>
                <td class="govuk-table__cell">{t.kpi.title()}</td>
                <td class="govuk-table__cell">{format_value(Some(t.value), t.kpi.unit())}</td>
                <td class="govuk-table__cell">{t.effective_from.format("%-d %B %Y").to_string()}</td>
                <td class="govuk-table__cell">{t.set_by.clone()}</td>
                {editor.then(|| view! {
                    <td class="govuk-table__cell">
                        <button type="button" class="govuk-button govuk-button--warning pulse-small-button pulse-js-only"
                            id=delete_id(id) on:click=move |_| delete(id)>"Delete"<span class="govuk-visually-hidden">" this target"</span></button>
                    </td>
                })}
            </tr>
        }
    };
    let row = StoredValue::new(row);
    let none = Memo::new(move |_| targets.with(Vec::is_empty));
    let form = editor.then(|| {
        view! {
            <p class="govuk-inset-text pulse-no-js" id="targets-need-js">
                "Setting and deleting targets needs JavaScript and WebAssembly, which this browser is not running."
            </p>
            <form class="pulse-target-form pulse-js-only" id="target-form" on:submit=submit novalidate>
                <h3 class="govuk-heading-s">"Set a target"</h3>
                <ProblemSummary problem id="target-problem" field=field/>
                <div class="govuk-form-group">
                    <label class="govuk-label" for="target-service">"Service"</label>
                    <select class="govuk-select" id="target-service">
                        {services.iter().map(|(slug, title)| view! { <option value=slug.clone()>{title.clone()}</option> }).collect_view()}
                    </select>
                </div>
                <div class="govuk-form-group">
                    <label class="govuk-label" for="target-kpi">"Measure"</label>
                    <select class="govuk-select" id="target-kpi">
                        {KPIS.into_iter().map(|k| view! {
                            <option value=k.key() selected=k == KpiKind::DigitalTakeUp>{k.title()}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="govuk-form-group" class:govuk-form-group--error=wrong("target-value")>
                    <label class="govuk-label" for="target-value">"Target"</label>
                    <div class="govuk-hint" id="target-value-hint">
                        "A percentage for rates (80 for 80%), pounds for cost per transaction, a number a year for transactions."
                    </div>
                    {error_message("target-value")}
                    <input class="govuk-input govuk-input--width-10" id="target-value" type="text" inputmode="decimal"
                        class:govuk-input--error=wrong("target-value")
                        aria-describedby=described("target-value", "target-value-hint")/>
                </div>
                <div class="govuk-form-group" class:govuk-form-group--error=wrong("target-from")>
                    <label class="govuk-label" for="target-from">"Takes effect from"</label>
                    {error_message("target-from")}
                    <input class="govuk-input govuk-input--width-10" id="target-from" type="date"
                        class:govuk-input--error=wrong("target-from")
                        aria-describedby=described("target-from", "")/>
                </div>
                <button type="submit" class="govuk-button" id="target-save">"Set target"</button>
            </form>
        }
    });
    view! {
        <p class="govuk-body" role="status" id="target-done">{move || done.get()}</p>
        {move || if none.get() {
            view! { <p class="govuk-body">"No targets are set for these services."</p> }.into_any()
        } else {
            view! {
                <ScrollTable label="Targets"><table class="govuk-table" id="target-list">
                    <caption class="govuk-table__caption govuk-table__caption--s">"Targets, by service and measure"</caption>
                    <thead class="govuk-table__head">
                        <tr class="govuk-table__row">
                            <th scope="col" class="govuk-table__header">"Service"</th>
                            <th scope="col" class="govuk-table__header">"Measure"</th>
                            <th scope="col" class="govuk-table__header">"Target"</th>
                            <th scope="col" class="govuk-table__header">"From"</th>
                            <th scope="col" class="govuk-table__header">"Set by"</th>
                            {editor.then(|| view! { <th scope="col" class="govuk-table__header"><span class="govuk-visually-hidden">"Actions"</span></th> })}
                        </tr>
                    </thead>
                    <tbody class="govuk-table__body">
                        // Keyed: a row stays the same element while the
                        // others come and go.
                        // (Set again, a target keeps its id: its value and
                        // who set it are part of the key.)
                        <For each=move || targets.get()
                            key=|t| (t.id, t.value.to_bits(), t.set_by.clone(), t.created_at)
                            children=move |t| row.with_value(|r| r(t))/>
                    </tbody>
                </table></ScrollTable>
            }.into_any()
        }}
        {form}
    }
}

/// The id of target `id`'s Delete button.
fn delete_id(id: i64) -> String {
    format!("target-delete-{id}")
}

/// Big-screen mode: large type, one service at a time, moving on every
/// `every` seconds, with pause, previous and next.
#[component]
fn BigScreen(board: Board, every: u32) -> impl IntoView {
    let n = board.services.len();
    let current = RwSignal::new(0usize);
    let playing = RwSignal::new(true);
    #[cfg(feature = "hydrate")]
    {
        let handle = set_interval_with_handle(
            move || {
                if playing.get_untracked() && n > 0 {
                    current.update(|c| *c = (*c + 1) % n);
                }
            },
            std::time::Duration::from_secs(every as u64),
        )
        .ok();
        on_cleanup(move || {
            if let Some(h) = handle {
                h.clear();
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = every;
    let panels = board
        .services
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let tiles = row
                .kpis
                .iter()
                .map(|k| {
                    let unit = k.kpi.unit();
                    view! {
                        <div class="pulse-big__tile" data-kpi=k.kpi.key()>
                            <p class="pulse-big__label">{k.kpi.title()}</p>
                            <p class="pulse-big__value">{format_value(k.value, unit)}</p>
                            {crate::components::kpi_tile::low_base_note(k.kpi, k.base)}
                            <p class="pulse-big__meta">{trend_arrow(k.kpi, k)}" "{rag_tag(k.status)}</p>
                            {(!k.spark.is_empty()).then(|| sparkline(&k.spark, spark_target(k), unit, spark_label(k.kpi)))}
                        </div>
                    }
                })
                .collect_view();
            view! {
                <section class="pulse-big__service" hidden=move || current.get() != i
                    aria-label=row.service.title.clone() data-slug=row.service.slug.clone()>
                    <h2 class="pulse-big__name">{row.service.title.clone()}</h2>
                    <div class="pulse-big__tiles">{tiles}</div>
                </section>
            }
        })
        .collect_view();
    let s = board.summary.clone();
    let totals = format!(
        "{} services · {} transactions a year{} · {} digital take-up · satisfaction score {}",
        s.services,
        crate::kpi::format_year_total(&s),
        crate::kpi::counted_words(&s),
        s.digital_take_up
            .map(format_percent)
            .unwrap_or_else(|| "no data".into()),
        s.user_satisfaction
            .map(format_percent)
            .unwrap_or_else(|| "no data".into()),
    );
    let attention = board.attention.len();
    view! {
        <Title text=format!("{} - big screen - Pulse", board.title)/>
        <div class="pulse-big" id="big-screen">
            <header class="pulse-big__header">
                <h1 class="pulse-big__title">{board.title.clone()}</h1>
                <p class="pulse-big__totals">{totals}{format!(" · {attention} need attention")}</p>
            </header>
            {panels}
            <nav class="pulse-big__controls" aria-label="Big screen">
                <button type="button" class="govuk-button govuk-button--secondary pulse-js-only" id="big-previous"
                    on:click=move |_| current.update(|c| *c = (*c + n.max(1) - 1) % n.max(1))>"Previous"</button>
                <button type="button" class="govuk-button govuk-button--secondary pulse-js-only" id="big-pause"
                    aria-pressed=move || (!playing.get()).to_string()
                    on:click=move |_| playing.update(|p| *p = !*p)>
                    {move || if playing.get() { "Pause" } else { "Play" }}
                </button>
                <button type="button" class="govuk-button govuk-button--secondary pulse-js-only" id="big-next"
                    on:click=move |_| current.update(|c| *c = (*c + 1) % n.max(1))>"Next"</button>
                <p class="pulse-big__position pulse-js-only" id="big-position" aria-live="polite">
                    {move || format!("Service {} of {n}", current.get() + 1)}
                </p>
                <a class="govuk-link pulse-big__exit" href="?">"Leave big screen"</a>
            </nav>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::spark_range;

    #[test]
    fn a_sparkline_is_at_least_a_twentieth_of_its_figures_tall() {
        // Figures that differ: from the lowest, as tall as their range.
        assert_eq!(spark_range(&[1.0, 2.0]), (1.0, 1.0));
        // A flat 90% with rounding noise: 4.5 points tall, centred on it.
        let (lo, span) = spark_range(&[0.9, 0.9 + 1e-12, 0.9 - 1e-12]);
        assert!(
            (span - 0.045).abs() < 1e-9 && (lo - 0.8775).abs() < 1e-9,
            "{lo} {span}"
        );
        // Nothing but zeros, or nothing: some height, no division by zero.
        assert_eq!(spark_range(&[0.0, 0.0]), (-0.5, 1.0));
        assert_eq!(spark_range(&[]), (0.0, 1.0));
    }
}
