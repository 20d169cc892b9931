//! Charts: an ECharts option built by a pure function from shared data, and a
//! component that owns the ECharts instance in the browser.
//!
//! The option builders are plain functions from model types to a `charming::Chart`
//! and are tested natively. The component renders an empty, labelled container on
//! the server; after hydration an effect creates the ECharts instance in it, sets
//! the option (replacing, not merging, so removed series do not linger), resizes it
//! with the window and disposes of it when the component goes away.

use charming::{
    component::{Axis, DataZoom, DataZoomType, Grid, Legend},
    element::{AxisType, ItemStyle, LineStyle, LineStyleType, Tooltip, Trigger},
    series::Line,
    Chart as EChart,
};
use leptos::prelude::*;

use crate::kpi::short_period_label;
use crate::model::ChannelSeries;

/// Colours that meet contrast guidance on white, one per channel (GOV.UK palette).
const PALETTE: [&str; 6] = [
    "#1d70b8", "#f47738", "#4c2c92", "#00703c", "#d4351c", "#505a5f",
];

/// The option of the transactions-by-channel line chart: one line per channel over
/// the series' periods, a tooltip on the axis, a legend that toggles lines, and a
/// zoom slider over time. With `previous`, the total and the total of a year
/// earlier are overlaid (dashed), with gaps where there was no data then.
pub fn channel_chart(series: &ChannelSeries, previous: Option<&[Option<f64>]>) -> EChart {
    let labels: Vec<String> = series.periods.iter().map(short_period_label).collect();
    let mut chart = EChart::new()
        .color(
            PALETTE
                .iter()
                .map(|c| charming::element::Color::from(*c))
                .collect::<Vec<_>>(),
        )
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .legend(Legend::new().top(0))
        .grid(Grid::new().left(64).right(24).top(40).bottom(72))
        .x_axis(Axis::new().type_(AxisType::Category).data(labels))
        .y_axis(Axis::new().type_(AxisType::Value).name("Transactions"))
        .data_zoom(DataZoom::new().type_(DataZoomType::Inside))
        .data_zoom(DataZoom::new().type_(DataZoomType::Slider).bottom(16));
    for line in &series.channels {
        chart = chart.series(
            Line::new()
                .name(line.label.as_str())
                .show_symbol(false)
                .data(line.values.clone()),
        );
    }
    if let Some(previous) = previous {
        chart = chart
            .series(
                Line::new()
                    .name("Total")
                    .show_symbol(false)
                    .item_style(ItemStyle::new().color("#0b0c0c"))
                    .line_style(LineStyle::new().color("#0b0c0c").width(2))
                    .data(series.totals()),
            )
            .series(
                Line::new()
                    .name("Total, a year earlier")
                    .show_symbol(false)
                    .item_style(ItemStyle::new().color("#505a5f"))
                    .line_style(
                        LineStyle::new()
                            .color("#505a5f")
                            .width(2)
                            .type_(LineStyleType::Dashed),
                    )
                    .data(previous.to_vec()),
            );
    }
    chart
}

/// A chart in the page. `option` is rebuilt reactively; `label` describes the chart
/// for assistive technology (the same figures are always in a table nearby).
#[component]
pub fn Chart(
    #[prop(into)] option: Signal<EChart>,
    #[prop(into)] label: String,
    #[prop(into)] id: String,
) -> impl IntoView {
    let node = NodeRef::<leptos::html::Div>::new();
    let file_name = format!("{id}.png");
    #[cfg(feature = "hydrate")]
    let (reset, save) = {
        let handle = browser::attach(node, option);
        let other = handle.clone();
        (
            move |_: leptos::ev::MouseEvent| handle.reset_zoom(),
            move |_: leptos::ev::MouseEvent| other.save_png(&file_name),
        )
    };
    #[cfg(not(feature = "hydrate"))]
    let (reset, save) = {
        let _ = (option, file_name);
        (
            |_: leptos::ev::MouseEvent| {},
            |_: leptos::ev::MouseEvent| {},
        )
    };
    view! {
        <div class="pulse-chart" id=id.clone() node_ref=node role="img" aria-label=label></div>
        <div class="pulse-chart-actions">
            <button type="button" class="govuk-button govuk-button--secondary" id=format!("{id}-reset")
                on:click=reset>"Reset zoom"</button>
            <button type="button" class="govuk-button govuk-button--secondary" id=format!("{id}-png")
                on:click=save>"Download chart (PNG)"</button>
        </div>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::{cell::RefCell, rc::Rc};

    use leptos::prelude::*;
    use send_wrapper::SendWrapper;
    use wasm_bindgen::prelude::*;

    use super::EChart;

    #[wasm_bindgen]
    extern "C" {
        /// An ECharts instance, as returned by `echarts.init`.
        pub type Instance;

        #[wasm_bindgen(js_namespace = echarts, js_name = init)]
        fn init(element: &web_sys::HtmlElement) -> Instance;

        #[wasm_bindgen(method, js_name = setOption)]
        fn set_option(this: &Instance, option: &JsValue, not_merge: bool);

        #[wasm_bindgen(method)]
        fn resize(this: &Instance);

        #[wasm_bindgen(method)]
        fn dispose(this: &Instance);

        #[wasm_bindgen(method, js_name = dispatchAction)]
        fn dispatch_action(this: &Instance, action: &JsValue);

        #[wasm_bindgen(method, js_name = getDataURL)]
        fn get_data_url(this: &Instance, options: &JsValue) -> String;
    }

    /// What the page can ask of a drawn chart.
    #[derive(Clone)]
    pub struct Handle(Rc<RefCell<Option<Instance>>>);

    impl Handle {
        /// Shows the whole time axis again.
        pub fn reset_zoom(&self) {
            if let (Some(chart), Ok(action)) = (
                self.0.borrow().as_ref(),
                js_sys::JSON::parse(r#"{"type":"dataZoom","start":0,"end":100}"#),
            ) {
                chart.dispatch_action(&action);
            }
        }

        /// Downloads the chart as a PNG image.
        pub fn save_png(&self, file_name: &str) {
            let Some(url) = self.0.borrow().as_ref().and_then(|chart| {
                let options = js_sys::JSON::parse(
                    r##"{"type":"png","pixelRatio":2,"backgroundColor":"#ffffff"}"##,
                )
                .ok()?;
                Some(chart.get_data_url(&options))
            }) else {
                return;
            };
            let link = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.create_element("a").ok())
                .and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().ok());
            if let Some(link) = link {
                link.set_href(&url);
                link.set_download(file_name);
                link.click();
            }
        }
    }

    /// Creates the instance once the element exists, sets the option whenever it
    /// changes, follows the element's size, and disposes of everything on cleanup.
    pub fn attach(node: NodeRef<leptos::html::Div>, option: Signal<EChart>) -> Handle {
        let instance: Rc<RefCell<Option<Instance>>> = Rc::default();

        // The element may be laid out after the chart is created (for example on a
        // client-side navigation), and its width follows the window: a
        // ResizeObserver sees both.
        let slot = instance.clone();
        let on_resize = Closure::<dyn FnMut(js_sys::Array)>::new(move |_entries: js_sys::Array| {
            if let Some(chart) = slot.borrow().as_ref() {
                chart.resize();
            }
        });
        let observer = web_sys::ResizeObserver::new(on_resize.as_ref().unchecked_ref()).ok();

        let slot = instance.clone();
        let watching = observer.clone();
        Effect::new(move |_| {
            let option = option.get();
            let Some(element) = node.get() else { return };
            let json = match serde_json::to_string(&option) {
                Ok(json) => json,
                Err(e) => {
                    leptos::logging::error!("chart option did not serialise: {e}");
                    return;
                }
            };
            let Ok(value) = js_sys::JSON::parse(&json) else {
                return;
            };
            let mut slot = slot.borrow_mut();
            let chart = slot.get_or_insert_with(|| {
                if let Some(observer) = &watching {
                    observer.observe(&element);
                }
                init(&element)
            });
            chart.set_option(&value, true);
        });

        let handle = Handle(instance.clone());
        let owned = SendWrapper::new((instance, observer, on_resize));
        on_cleanup(move || {
            let (instance, observer, on_resize) = owned.take();
            if let Some(observer) = observer {
                observer.disconnect();
            }
            drop(on_resize);
            let chart = instance.borrow_mut().take();
            if let Some(chart) = chart {
                chart.dispose();
            }
        });
        handle
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kpi::periods_between;
    use crate::model::{ChannelLine, PeriodKind};
    use chrono::{TimeZone, Utc};

    fn series() -> ChannelSeries {
        let periods = periods_between(
            PeriodKind::Week,
            Utc.with_ymd_and_hms(2014, 3, 3, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2014, 3, 17, 0, 0, 0).unwrap(),
        );
        ChannelSeries {
            periods,
            channels: vec![
                ChannelLine {
                    channel: "digital".into(),
                    label: "Digital".into(),
                    values: vec![10.0, 20.0],
                },
                ChannelLine {
                    channel: "phone".into(),
                    label: "Phone".into(),
                    values: vec![5.0, 4.0],
                },
            ],
        }
    }

    #[test]
    fn channel_chart_has_a_line_per_channel_over_the_periods() {
        let option: serde_json::Value =
            serde_json::to_value(channel_chart(&series(), None)).unwrap();
        let lines = option["series"].as_array().unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["type"], "line");
        assert_eq!(lines[0]["name"], "Digital");
        assert_eq!(lines[1]["data"], serde_json::json!([5.0, 4.0]));
        assert_eq!(
            option["xAxis"]["data"],
            serde_json::json!(["3 Mar 2014", "10 Mar 2014"])
        );
        assert_eq!(option["tooltip"]["trigger"], "axis");
        assert_eq!(option["dataZoom"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn a_year_earlier_is_overlaid_dashed_with_gaps() {
        let option: serde_json::Value =
            serde_json::to_value(channel_chart(&series(), Some(&[None, Some(30.0)]))).unwrap();
        let lines = option["series"].as_array().unwrap();
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[2]["name"], "Total");
        assert_eq!(lines[2]["data"], serde_json::json!([15.0, 24.0]));
        assert_eq!(lines[3]["name"], "Total, a year earlier");
        assert_eq!(lines[3]["lineStyle"]["type"], "dashed");
        assert_eq!(lines[3]["data"], serde_json::json!([null, 30.0]));
    }
}
