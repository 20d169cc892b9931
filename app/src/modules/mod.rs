//! Dashboard modules: from a module's stored query and the view a person chose
//! (period, months, a year earlier) to the read API request, and from the read
//! API's answer to the figures and tables a module shows; and the loaders that
//! fetch a dashboard's figures for a page.
//!
//! - `view`: the view ([`ViewParams`]), kept in the page's URL.
//! - `request`: the read API request of a module's figures (and the year
//!   earlier's, and the CSV download's).
//! - `options`: how a module's options are read (unit, labels, rate KPI).
//! - `figures`: the figures from the answer's rows.
//! - `table`: the same figures as a table.
//! - `load`: the dashboard loaded through the API (not pure).
//!
//! All but `load` are pure and shared: the server renders a module from the
//! same figures the browser computes after a change, and the downloads are the
//! very request the figures came from. The parts are private: everything is
//! used from here (`crate::modules::...`).

mod figures;
mod load;
mod options;
mod request;
mod table;
mod view;

#[cfg(test)]
mod fixtures;

pub use figures::{
    adds_up, figures, safe_link, type_problem, year_earlier_totals, CompletionFigures, Figures,
    Item, LatestFigure, LiveFigures, SatisfactionFigures, Series, Step, TimeFigures, YearEarlier,
};
pub use load::{
    complete_until_of, count_modules, data_modules, find_module, gaps_of, load_dashboard,
    load_module, with_frequencies, without_gaps, DashboardView, LoadedModule,
};
pub use options::{humanise, label_for, rate_kpi, unit};
pub use request::{
    at_most_rows, csv_request, data_set_path, frequency, is_apportioned, module_query,
    module_request, now, realtime_hours, scale_note, shared_by_days, shown_period,
    with_year_before_request, year_earlier_request, MAX_REALTIME_HOURS, REALTIME_HOURS,
};
pub use table::{csv_line, data_url, download_name, format_cell, table_data, Cell, TableData};
pub use view::{is_time_series, offered_periods, Range, ViewParams, Zoom, VIEW_PERIODS};
