//! A KPI tile: the latest value, the period it covers, and the change on the period
//! before, with its direction in words as well as an arrow.

use leptos::prelude::*;

use crate::kpi::{
    change_over, format_change_in, format_period, format_value, low_base_words, per_day,
    period_before,
};
use crate::model::{KpiFigure, KpiKind, Unit};

/// Whether a change is good, bad or neither, for the colour of its text.
fn tone(change: f64, higher_is_better: bool) -> &'static str {
    if change.abs() < 0.0005 {
        "pulse-kpi__change--flat"
    } else if (change > 0.0) == higher_is_better {
        "pulse-kpi__change--good"
    } else {
        "pulse-kpi__change--bad"
    }
}

/// The change on the period before: signed (in percentage points for rates,
/// in percent otherwise), an arrow, and its direction in words (colour alone
/// never carries the meaning); `per_day` when volumes of periods of
/// different lengths were compared per day ([`crate::kpi::change_over`]).
pub fn change_line(
    change: f64,
    unit: Unit,
    higher_is_better: bool,
    per_day: bool,
) -> impl IntoView {
    let figure = format_change_in(unit, change);
    // "no change on the period before", not "no change no change ...".
    let (arrow, words) = if change.abs() < 0.0005 || figure == "no change" {
        ("", "on the period before")
    } else if change > 0.0 {
        ("▲ ", "up on the period before")
    } else {
        ("▼ ", "down on the period before")
    };
    let words = if per_day {
        format!("{words}, a day on average (the periods' lengths differ)")
    } else {
        words.to_string()
    };
    let class = format!("pulse-kpi__change {}", tone(change, higher_is_better));
    view! {
        <p class=class>
            <span aria-hidden="true">{arrow}</span>
            {figure}
            " "
            <span class="pulse-kpi__change-words">{words}</span>
        </p>
    }
}

#[component]
pub fn KpiTile(figure: KpiFigure) -> impl IntoView {
    let value = format_value(figure.value, figure.kpi.unit());
    let period = format_period(&figure.period);
    let unit = figure.kpi.unit();
    let before = period_before(&figure.period);
    // Transactions add up; rates and a cost per transaction do not.
    let volume = figure.kpi == KpiKind::Transactions;
    let change = change_over(
        unit,
        volume,
        &figure.period,
        figure.value,
        &before,
        figure.previous,
    )
    .map(|change| {
        let per_day = per_day(volume, &figure.period, &before);
        change_line(change, unit, figure.kpi.higher_is_better(), per_day)
    });
    view! {
        <div class="pulse-kpi" data-kpi=format!("{:?}", figure.kpi)>
            <h3 class="pulse-kpi__title">{figure.kpi.title()}</h3>
            <p class="pulse-kpi__value">{value}</p>
            <p class="pulse-kpi__period">{period}</p>
            {low_base_words(figure.kpi, figure.base).map(|words| view! {
                <p class="govuk-body-s pulse-kpi__base">{words}</p>
            })}
            {change}
            {definition(figure.kpi)}
        </div>
    }
}

/// A link to what a KPI's figure means, where its name alone could mislead (a
/// satisfaction score is not the share of people satisfied).
pub fn definition(kpi: crate::model::KpiKind) -> Option<impl IntoView> {
    (kpi == crate::model::KpiKind::UserSatisfaction).then(|| {
        view! {
            <p class="govuk-body-s pulse-kpi__definition">
                <a class="govuk-link" href="/guide/how-figures-are-calculated#satisfaction-score">"What the satisfaction score means"</a>
            </p>
        }
    })
}

/// Under a service's name, when its figures stopped before the others'
/// ([`crate::kpi::year_stopped`]; `newest` is the newest year's end among
/// the services shown): the last week its figures cover.
pub fn stopped_note(
    year_to: Option<chrono::DateTime<chrono::Utc>>,
    newest: Option<chrono::DateTime<chrono::Utc>>,
) -> Option<impl IntoView> {
    let to = year_to.filter(|_| crate::kpi::year_stopped(year_to, newest))?;
    let last_day = crate::kpi::format_date(to - chrono::Duration::days(1));
    Some(view! {
        <span class="govuk-body-s pulse-stopped">
            {format!("Figures stopped: the last week ends {last_day}")}
        </span>
    })
}

/// Under a figure of another time than the others shown with it
/// ([`crate::kpi::span_is_stale`]; `newest` is the newest year's end among
/// them): when it is of. A score of two years ago is not this year's.
pub fn old_note(
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
    newest: Option<chrono::DateTime<chrono::Utc>>,
) -> Option<impl IntoView> {
    crate::kpi::span_is_stale(from, to, newest).then(|| {
        view! {
            <span class="govuk-body-s pulse-stopped">
                {format!("Of {}: too long ago to judge", crate::kpi::format_date_range(from, to))}
            </span>
        }
    })
}

/// A rate of a handful, under its figure: what it is out of
/// ([`crate::kpi::low_base_words`]).
pub fn low_base_note(kpi: crate::model::KpiKind, base: Option<f64>) -> Option<impl IntoView> {
    low_base_words(kpi, base).map(|words| {
        view! { <span class="govuk-body-s pulse-base">{words}</span> }
    })
}
