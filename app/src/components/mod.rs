//! Reusable pieces of pages: the layout, charts, KPI tiles, modules and tables.

pub mod chart;
pub mod kpi_tile;
pub mod layout;
pub mod live;
pub mod module;
pub mod navigation;
pub mod notes;
pub mod pagination;
pub mod problem;
pub mod scroll_table;
pub mod table_toggle;
pub mod tray;
pub mod view_controls;
