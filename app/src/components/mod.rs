//! Reusable pieces of pages: the layout, charts, KPI tiles and tables.

pub mod chart;
pub mod kpi_tile;
pub mod layout;
