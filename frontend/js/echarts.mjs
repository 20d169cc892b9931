// The parts of ECharts that Pulse's charts use, and nothing else: built by
// scripts/setup (esbuild, pinned in package-lock.json) into
// public/vendor/echarts.min.js, which sets the global `echarts` that
// app/src/components/chart.rs calls (a plain object, so that a test may wrap
// its functions). A chart option that names a series type
// or component missing here draws nothing and logs an error, which the
// browser tests catch: add it here when a chart starts to use it.
import * as echarts from 'echarts/core';
import { BarChart, LineChart } from 'echarts/charts';
import {
  DataZoomInsideComponent,
  DataZoomSliderComponent,
  GridComponent,
  LegendPlainComponent,
  MarkAreaComponent,
  MarkPointComponent,
  TooltipComponent,
} from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([
  BarChart,
  LineChart,
  GridComponent,
  TooltipComponent,
  LegendPlainComponent,
  DataZoomInsideComponent,
  DataZoomSliderComponent,
  MarkAreaComponent,
  MarkPointComponent,
  CanvasRenderer,
]);

globalThis.echarts = {
  init: echarts.init,
  getInstanceByDom: echarts.getInstanceByDom,
};
