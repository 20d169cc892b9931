// Dashboards as a service manager meets them: every module type drawn from the
// data API, tables with the same figures, the view controls kept in the URL,
// downloads that match, module pages, and no chart left behind on navigation.
import * as fs from 'node:fs';
import { test, expect, type Page, type APIRequestContext } from '@playwright/test';
import * as path from 'node:path';
import { artifacts, hydrated, inkedPixels, slowDown, watchErrors } from './helpers';

const dashboard = '/file-a-tax-return';

/** A table's body as numbers, column by column (text without separators, £ and %). */
async function tableNumbers(page: Page, selector: string): Promise<string[][]> {
  return page.locator(`${selector} tbody tr`).evaluateAll((trs) =>
    trs.map((tr) => Array.from(tr.querySelectorAll('th, td')).map((c) => (c.textContent ?? '').trim())));
}

const plain = (s: string) => s.replace(/[,£%]/g, '');

/** The rows of a module's read API request (linked beside its downloads). */
async function moduleRows(page: Page, request: APIRequestContext, slug: string): Promise<any[]> {
  const href = await page.locator(`#${slug}-api`).getAttribute('href');
  expect(href).toMatch(/^\/data\//);
  return (await (await request.get(href!)).json()).data;
}

/** Every chart on the page has drawn. */
async function chartsDrawn(page: Page) {
  await expect(page.locator('.pulse-chart').first()).toBeVisible();
  const ids = await page.locator('.pulse-chart').evaluateAll((els) => els.map((e) => e.id));
  for (const id of ids) {
    await expect.poll(() => inkedPixels(page, `#${id}`), { message: id }).toBeGreaterThan(500);
  }
  return ids;
}

test('every module type draws, and its table shows the data API figures', async ({ page, request }) => {
  const errors = watchErrors(page);
  await page.goto(dashboard);
  await expect(page.getByRole('heading', { level: 1, name: 'File a tax return' })).toBeVisible();
  const ids = await chartsDrawn(page);
  expect(ids).toEqual(expect.arrayContaining([
    'chart-transactions-per-month', 'chart-transactions-by-channel', 'chart-total-transactions',
    'chart-completion-rate', 'chart-user-satisfaction', 'user-satisfaction-ratings', 'chart-journey',
  ]));
  await page.screenshot({ path: path.join(artifacts, 'dashboard.png'), fullPage: true });

  // A month the data began part-way through holds only the weeks sent since:
  // the page shows no figure for it (the data API answers what it holds).
  const freshness = (await (await request.get(`/api/v1/dashboards${dashboard}/freshness`)).json()).data_sets;
  const firstWeek = async (slug: string) => {
    const href = (await page.locator(`#${slug}-api`).getAttribute('href'))!;
    const dataSet = href.split('?')[0].replace('/data/', '');
    const oldest = new Date(freshness.find((f: any) => f.data_set === dataSet).oldest_record);
    const back = (oldest.getUTCDay() + 6) % 7;
    return Date.UTC(oldest.getUTCFullYear(), oldest.getUTCMonth(), oldest.getUTCDate() - back);
  };

  // Bar chart with number and single time series: one value per period, newest first.
  for (const slug of ['transactions-per-month', 'total-transactions']) {
    const rows = await moduleRows(page, request, slug);
    const first = await firstWeek(slug);
    // (weeks shared between months by their days: the API keeps the shares,
    // the table writes each month's count whole)
    const shown = rows.map((r) => (Date.parse(r._start_at) < first ? NaN : Math.round(r['count:sum'] ?? NaN)));
    await page.locator(`#module-${slug} button`, { hasText: 'Show as a table' }).click();
    const table = await tableNumbers(page, `#table-${slug}`);
    expect(table.map((r) => Number(plain(r[1])))).toEqual(shown.reverse());
    // The headline is the newest period's value.
    const newest = rows.filter((r) => r['count:sum'] !== null).pop();
    await expect(page.locator(`#module-${slug} .pulse-headline__value`)).toContainText(/\d/);
    expect(newest).toBeTruthy();
  }

  // Grouped time series: a column per channel and the totals.
  const grouped = await moduleRows(page, request, 'transactions-by-channel');
  await page.locator('#module-transactions-by-channel button', { hasText: 'Show as a table' }).click();
  const groupedTable = await tableNumbers(page, '#table-transactions-by-channel');
  const apiTotal = grouped.reduce((n, r) => n + (r['count:sum'] ?? 0), 0);
  const tableTotal = groupedTable.reduce((n, r) => n + Number(plain(r[5])), 0);
  expect(tableTotal).toBe(apiTotal);
  expect(await page.locator('#table-transactions-by-channel thead th').allTextContents())
    .toEqual(['Week', 'Digital', 'Phone', 'Paper', 'Face to face', 'Total']);

  // Completion rate: completed over started, per week, to 1 decimal place.
  const stages = await moduleRows(page, request, 'completion-rate');
  const starts = new Map<string, number>();
  const ends = new Map<string, number>();
  for (const r of stages) (r.stage === 'start' ? starts : ends).set(r._start_at, r['count:sum'] ?? 0);
  const completion = await tableNumbers(page, '#table-completion-rate');
  const newestWeek = [...starts.keys()].sort().pop()!;
  expect(Number(plain(completion[0][1]))).toBe(starts.get(newestWeek));
  expect(Number(plain(completion[0][2]))).toBe(ends.get(newestWeek));
  expect(completion[0][3]).toBe(`${(100 * ends.get(newestWeek)! / starts.get(newestWeek)!).toFixed(1)}%`);

  // User satisfaction: the score from the summed ratings; the breakdown follows the
  // chosen month.
  const months = await moduleRows(page, request, 'user-satisfaction');
  const sat = await tableNumbers(page, '#table-user-satisfaction');
  const m0 = months[months.length - 1];
  const mean = [1, 2, 3, 4, 5].reduce((n, i) => n + i * m0[`rating_${i}:sum`], 0) / m0['total:sum'];
  expect(sat[0][7]).toBe(`${(100 * (mean - 1) / 4).toFixed(1)}%`);
  const select = page.getByLabel('Show the ratings of');
  const options = await select.locator('option').allTextContents();
  await select.selectOption({ label: options[3] });
  const chosen = months[months.length - 4];
  await expect(page.locator('#user-satisfaction-ratings-table caption')).toHaveText(`Ratings in ${options[3]}`);
  const breakdown = await tableNumbers(page, '#user-satisfaction-ratings-table');
  expect(breakdown.map((r) => Number(plain(r[1])))).toEqual([1, 2, 3, 4, 5].map((i) => chosen[`rating_${i}:sum`]));

  // Journey: users at each step, in the dashboard's order.
  const steps = await moduleRows(page, request, 'journey');
  const journey = await tableNumbers(page, '#table-journey');
  expect(journey.map((r) => r[0])).toEqual(['Started online', 'Finished']);
  // The journey reads its last 4 weeks: each step is the sum of its weeks.
  const started = steps
    .filter((r) => r.stage === 'start')
    .reduce((n, r) => n + (r['count:sum'] ?? r.values?.reduce((m: number, v: any) => m + (v['count:sum'] ?? 0), 0) ?? 0), 0);
  expect(started).toBeGreaterThan(0);
  expect(Number(plain(journey[0][1]))).toBe(started);

  // Table: the newest records of the data set.
  const records = await moduleRows(page, request, 'cost-table');
  await expect(page.locator('#table-cost-table tbody tr')).toHaveCount(records.length);

  // KPI: the newest quarter's cost, with the change on the quarter before.
  const quarters = await moduleRows(page, request, 'cost-per-transaction');
  const withCost = quarters.filter((r) => r['cost_per_transaction:mean'] !== null);
  const latest = withCost[withCost.length - 1]['cost_per_transaction:mean'];
  await expect(page.locator('#module-cost-per-transaction .pulse-headline__value'))
    .toHaveText(latest < 10 ? `£${latest.toFixed(2)}` : /£/);
  await expect(page.locator('#module-cost-per-transaction .pulse-kpi__change')).toContainText(/(up|down|no change)/);

  expect(errors).toEqual([]);
});

test('the grouped chart switches between lines, stacked and shares of 100%', async ({ page }) => {
  await page.goto(dashboard);
  await chartsDrawn(page);
  const before = await inkedPixels(page, '#chart-transactions-by-channel');
  await expect(async () => {
    await page.getByLabel('Show as').selectOption('percent');
    await expect.poll(() => inkedPixels(page, '#chart-transactions-by-channel'), { timeout: 2000 })
      .toBeGreaterThan(before * 2);
  }).toPass();

  // Kept when the figures are read again for another period (the modules
  // are drawn again with them), and the period's select follows Back.
  await page.getByLabel('Show figures by').selectOption('month');
  await expect(page).toHaveURL(/period=month/);
  await expect(page.locator('#table-transactions-by-channel thead th').first()).toHaveText('Month');
  await expect(page.getByLabel('Show as')).toHaveValue('percent');
  await expect.poll(() => inkedPixels(page, '#chart-transactions-by-channel')).toBeGreaterThan(before * 2);
  await page.goBack();
  await expect(page).not.toHaveURL(/period=month/);
  await expect(page.locator('#table-transactions-by-channel thead th').first()).not.toHaveText('Month');
  await expect(page.getByLabel('Show figures by')).not.toHaveValue('month');
  await expect(page.getByLabel('Show as')).toHaveValue('percent');
  // And Forward: the list shows the months the tables show (it showed the
  // charts' own periods, chosen before, while the tables were by month).
  await page.goForward();
  await expect(page).toHaveURL(/period=month/);
  await expect(page.locator('#table-transactions-by-channel thead th').first()).toHaveText('Month');
  await expect(page.getByLabel('Show figures by')).toHaveValue('month');
});

test('the period and months re-query the charts, live in the URL and survive a reload', async ({ page, request }) => {
  await page.goto(dashboard);
  await chartsDrawn(page);
  await expect(async () => {
    await page.getByLabel('Show figures by').selectOption('month');
    await expect(page).toHaveURL(/period=month/, { timeout: 1000 });
  }).toPass();
  await expect(page.locator('#table-transactions-by-channel thead th').first()).toHaveText('Month');
  // A page of many charts speaks of each chart.
  await expect(page.getByLabel('Show figures by').locator('option').first()).toHaveText('As each chart was set up');
  await expect(page.getByLabel('Time').locator('option').first()).toHaveText('The usual span of each chart');
  await page.getByLabel('From (month)').fill('2025-01');
  await page.getByLabel('From (month)').dispatchEvent('change');
  await page.getByLabel('To (month)').fill('2025-06');
  await page.getByLabel('To (month)').dispatchEvent('change');
  await expect(page).toHaveURL(/period=month&from=2025-01&to=2025-06/);
  await expect(page.locator('#table-transactions-by-channel tbody tr')).toHaveCount(6);
  const rows = await moduleRows(page, request, 'transactions-by-channel');
  expect(rows[0]._start_at).toBe('2025-01-01T00:00:00+00:00');
  await page.reload();
  await expect(page.getByLabel('Show figures by')).toHaveValue('month');
  await expect(page.getByLabel('To (month)')).toHaveValue('2025-06');
  await expect(page.locator('#table-transactions-by-channel tbody tr')).toHaveCount(6);
  await chartsDrawn(page);

  // A year earlier: a column and a dashed line, from the API for a year before.
  await expect(async () => {
    await page.getByLabel('Compare with a year earlier').check();
    await expect(page).toHaveURL(/compare=year/, { timeout: 1000 });
  }).toPass();
  await expect(page.locator('#table-total-transactions thead')).toContainText('A year earlier');
  const earlier = await (await request.get(
    '/data/file-a-tax-return/transactions-by-channel?period=month&collect=count:sum&apportion=true&start_at=2024-01-01T00:00:00Z&end_at=2024-07-01T00:00:00Z')).json();
  const shown = await tableNumbers(page, '#table-total-transactions');
  // (weeks shared between months by their days: the API keeps the shares,
  // the table writes each month's whole)
  expect(shown.map((r) => Number(plain(r[2])))).toEqual(earlier.data.map((r: any) => Math.round(r['count:sum'])).reverse());

  // Months the wrong way round are explained next to the field, and change
  // nothing.
  await page.getByLabel('From (month)').fill('2025-09');
  await page.getByLabel('From (month)').dispatchEvent('change');
  await expect(page.locator('.govuk-error-message')).toContainText('must not be after');
  await expect(page).toHaveURL(/from=2025-01&to=2025-06/);
  await expect(page.locator('#table-transactions-by-channel tbody tr')).toHaveCount(6);
});

test('choosing months of one\'s own moves to From, also just after another choice', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto(dashboard);
  await hydrated(page);
  await page.getByLabel('Time').selectOption('custom');
  await expect(page.getByLabel('From (month)')).toBeFocused();
  // A span chosen redraws the controls with the figures; months of one's own
  // chosen while they reload (slowly here) are on the controls drawn
  // before. (A guard: the field is found on the page, not through those
  // controls; it passed on the code before too.)
  const { sent: reloading } = await slowDown(page, '/data/', 800);
  await page.getByLabel('Time').selectOption('12-months');
  await reloading;
  await page.getByLabel('Time').selectOption('custom');
  await expect(page).toHaveURL(/range=12-months/);
  await page.waitForLoadState('networkidle');
  await expect(page.getByLabel('From (month)')).toBeFocused();
  expect(errors).toEqual([]);
});

test('Enter in a month applies the months typed, over the span chosen above them, once', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto(`${dashboard}?range=12-months`);
  await hydrated(page);
  await expect(page.getByLabel('Time')).toHaveValue('12-months');
  const before = await page.evaluate(() => history.length);
  await page.getByLabel('From (month)').fill('2025-02');
  await page.getByLabel('To (month)').fill('2025-05');
  await page.getByLabel('To (month)').press('Enter');
  // Sent as the form, the span chosen took the months' place.
  await expect(page).toHaveURL(/from=2025-02&to=2025-05/);
  expect(page.url()).not.toContain('range=');
  await expect(page.getByLabel('Time')).toHaveValue('custom');
  const firstRow = page.locator('#table-transactions-by-channel tbody tr').first().locator('th');
  await expect(firstRow).toContainText('June 2025');
  // One entry in the history, not two (the change and the Enter).
  expect(await page.evaluate(() => history.length)).toBe(before + 1);
  // Enter again, nothing changed: nothing happens.
  await page.getByLabel('To (month)').press('Enter');
  await page.waitForTimeout(300);
  expect(await page.evaluate(() => history.length)).toBe(before + 1);
  // Months the wrong way round, by Enter: said, and nothing changes.
  await page.getByLabel('From (month)').fill('2025-09');
  await page.getByLabel('From (month)').press('Enter');
  await expect(page.locator('.govuk-error-message')).toContainText('must not be after');
  await expect(page).toHaveURL(/from=2025-02&to=2025-05/);
  expect(errors).toEqual([]);
});

test('months typed and entered quickly one after another all apply, the last one kept', async ({ page }) => {
  // Each Enter reloads every chart; the months are typed into the controls
  // still shown meanwhile. They were once read as empty there, and four
  // months entered without a pause ended with the URL's months cleared.
  const errors = watchErrors(page);
  await page.goto(`${dashboard}?period=quarter&from=2022-01&to=2025-12`);
  await hydrated(page);
  const from = page.getByLabel('From (month)');
  for (const month of ['2023-01', '2023-04', '2023-07', '2023-10']) {
    await from.fill(month);
    await from.press('Enter');
  }
  await expect(page).toHaveURL(/period=quarter&from=2023-10&to=2025-12/);
  await page.waitForLoadState('networkidle');
  await expect(page).toHaveURL(/period=quarter&from=2023-10&to=2025-12/);
  await expect(from).toHaveValue('2023-10');
  await expect(page.getByLabel('To (month)')).toHaveValue('2025-12');
  const rows = page.locator('#table-transactions-by-channel tbody');
  await expect(rows).toContainText('2023');
  await expect(rows).not.toContainText('2022');
  expect(errors).toEqual([]);
});

test('after Back, the next choice starts from the page shown, not the one left', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto(`${dashboard}?period=quarter`);
  await hydrated(page);
  await page.getByLabel('Show figures by').selectOption('month');
  await expect(page).toHaveURL(/period=month/);
  await page.waitForLoadState('networkidle');
  await page.goBack();
  await expect(page).toHaveURL(/period=quarter/);
  await page.waitForLoadState('networkidle');
  await expect(page.getByLabel('Show figures by')).toHaveValue('quarter');
  await page.getByLabel('Compare with a year earlier').check();
  await expect(page).toHaveURL(/period=quarter&compare=year/);
  await page.waitForLoadState('networkidle');
  await page.getByLabel('From (month)').fill('2025-01');
  await page.getByLabel('To (month)').fill('2025-06');
  await page.getByLabel('To (month)').press('Enter');
  await expect(page).toHaveURL(/period=quarter&from=2025-01&to=2025-06&compare=year/);
  await expect(page.getByLabel('From (month)')).toHaveValue('2025-01');
  expect(errors).toEqual([]);
});

/** The fields of CSV lines (RFC 4180 quoting). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [], field = '', quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i++; }
    else field += c;
  }
  return rows;
}

test('downloads hold the table as shown, named by what it shows; the API query is a link away', async ({ page, request }) => {
  await page.goto(`${dashboard}?period=quarter`);
  await hydrated(page);
  await page.locator('#module-transactions-by-channel button', { hasText: 'Show as a table' }).click();
  const table = page.locator('#table-transactions-by-channel');
  const headings = (await table.locator('thead th').allInnerTexts()).map((t) => t.trim());
  const rows = await table.locator('tbody tr').evaluateAll((trs) =>
    trs.map((tr) => [...tr.children].map((c) => (c as HTMLElement).innerText.trim())));
  expect(rows.length).toBeGreaterThan(2);

  await page.locator('#transactions-by-channel-data summary').click();
  let download = page.waitForEvent('download');
  await page.locator('#transactions-by-channel-csv').click();
  let file = await download;
  expect(file.suggestedFilename()).toMatch(
    /^file-a-tax-return-transactions-by-channel-quarter-\d{4}-\d{2}-01-\d{4}-\d{2}-\d{2}\.csv$/);
  const csv = parseCsv(fs.readFileSync((await file.path())!, 'utf8'));
  expect(csv[0]).toEqual(headings);
  expect(csv.slice(1)).toEqual(rows);

  download = page.waitForEvent('download');
  await page.locator('#transactions-by-channel-json').click();
  file = await download;
  expect(file.suggestedFilename()).toMatch(/\.json$/);
  const json = JSON.parse(fs.readFileSync((await file.path())!, 'utf8'));
  expect(json.columns).toEqual(headings);
  expect(json.rows).toEqual(rows);

  // The raw read API answer, for developers.
  const api = await moduleRows(page, request, 'transactions-by-channel');
  expect(api.length).toBeGreaterThan(0);

  download = page.waitForEvent('download');
  await page.locator('#chart-journey-png').click();
  expect((await download).suggestedFilename()).toBe('chart-journey.png');
});

test('a module page: the chart, a sortable table, the view controls and the notes', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto(dashboard);
  await page.getByRole('link', { name: 'Transactions per month', exact: true }).click();
  await expect(page).toHaveURL(/\/file-a-tax-return\/transactions-per-month$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Transactions per month' })).toBeVisible();
  await expect.poll(() => inkedPixels(page, '#chart-transactions-per-month')).toBeGreaterThan(500);
  await expect(page.getByRole('heading', { name: 'About the data' })).toBeVisible();
  await expect(page.locator('#table-transactions-per-month')).toBeVisible();
  // Its one chart's controls speak of the chart, not of each chart.
  await expect(page.getByLabel('Show figures by').locator('option').first()).toHaveText('As the chart was set up');
  await expect(page.getByLabel('Time').locator('option').first()).toHaveText("The chart's usual span");
  const header = page.locator('#table-transactions-per-month thead th').nth(1);
  await header.getByRole('link').click();
  await expect(page).toHaveURL(/sort=1&order=asc/);
  await expect(header).toHaveAttribute('aria-sort', 'ascending');
  const values = (await tableNumbers(page, '#table-transactions-per-month')).map((r) => Number(plain(r[1])));
  expect(values).toEqual([...values].sort((a, b) => a - b));
  await header.getByRole('link').click();
  await expect(header).toHaveAttribute('aria-sort', 'descending');
  await page.screenshot({ path: path.join(artifacts, 'module.png'), fullPage: true });
  expect(errors).toEqual([]);
});

test('hovering a single time series updates its headline', async ({ page }) => {
  await page.goto(dashboard);
  await chartsDrawn(page);
  const period = page.locator('#module-total-transactions .pulse-kpi__period');
  const newest = await period.textContent();
  await page.locator('#chart-total-transactions').scrollIntoViewIfNeeded();
  const box = (await page.locator('#chart-total-transactions').boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.5, { steps: 5 });
  await expect(period).not.toHaveText(newest!);
  await page.mouse.move(0, 0);
  await expect(period).toHaveText(newest!);
});

test('charts are disposed when their page goes away', async ({ page }) => {
  await page.addInitScript(() => {
    (window as any).__live = 0;
    const wrap = () => {
      const e = (window as any).echarts;
      if (!e || e.__wrapped) return;
      const init = e.init;
      e.init = (...args: any[]) => {
        const chart = init.apply(e, args);
        (window as any).__live++;
        const dispose = chart.dispose.bind(chart);
        chart.dispose = () => { (window as any).__live--; dispose(); };
        return chart;
      };
      e.__wrapped = true;
    };
    // ECharts arrives with the first chart: wrapped as it is set.
    let loaded: any;
    Object.defineProperty(window, 'echarts', {
      configurable: true,
      get: () => loaded,
      set: (value) => { loaded = value; wrap(); },
    });
  });
  await page.goto(dashboard);
  const drawn = (await chartsDrawn(page)).length;
  expect(await page.evaluate(() => (window as any).__live)).toBe(drawn);
  await page.getByRole('link', { name: 'Transactions per month', exact: true }).click();
  await expect.poll(() => inkedPixels(page, '#chart-transactions-per-month')).toBeGreaterThan(500);
  expect(await page.evaluate(() => (window as any).__live)).toBe(1);
  await page.goBack();
  await expect(page.getByRole('heading', { level: 1, name: 'File a tax return' })).toBeVisible();
  expect((await chartsDrawn(page)).length).toBe(drawn);
  expect(await page.evaluate(() => (window as any).__live)).toBe(drawn);
});

test('the dashboard is interactive within 2 seconds of navigation', async ({ page }) => {
  await page.goto('/');
  const started = Date.now();
  await page.goto(dashboard);
  await chartsDrawn(page);
  // Hydrated: a control that only works with the wasm app responds.
  await page.getByLabel('Show as').selectOption('stacked');
  const elapsed = Date.now() - started;
  console.log(`dashboard interactive after ${elapsed} ms`);
  test.info().annotations.push({ type: 'interactive-ms', description: String(elapsed) });
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });
  test('the view controls are a form, and the tables stand where the charts would be', async ({ page }) => {
    await page.goto(dashboard);
    await page.getByLabel('Show figures by').selectOption('year');
    await page.getByRole('button', { name: 'Update charts' }).click();
    await expect(page).toHaveURL(/period=year/);
    await expect(page.locator('#module-transactions-by-channel button', { hasText: 'Show as a table' })).toBeHidden();
    await expect(page.locator('#table-transactions-by-channel thead th').first()).toHaveText('Year');
    await expect(page.locator('#table-transactions-by-channel')).toBeVisible();
    // A named span of time works as a form too.
    await page.getByLabel('Time').selectOption('2-years');
    await page.getByRole('button', { name: 'Update charts' }).click();
    await expect(page).toHaveURL(/range=2-years/);
    await expect(page.getByLabel('Time')).toHaveValue('2-years');
    const months = await page.locator('#table-transactions-by-channel tbody tr').count();
    expect(months).toBeGreaterThanOrEqual(2);
    expect(months).toBeLessThanOrEqual(3);
    // Months typed under the span left as it was are months of one's own...
    await page.getByLabel('Show figures by').selectOption('month');
    await page.getByLabel('From (month)').fill('2025-01');
    await page.getByLabel('To (month)').fill('2025-06');
    await page.getByRole('button', { name: 'Update charts' }).click();
    await expect(page.getByLabel('Time')).toHaveValue('custom');
    await expect(page.getByLabel('From (month)')).toHaveValue('2025-01');
    await expect(page.getByLabel('To (month)')).toHaveValue('2025-06');
    await expect(page.locator('#table-transactions-by-channel tbody tr')).toHaveCount(6);
    await expect(page.locator('#table-transactions-by-channel tbody tr').first()).toContainText('June 2025');
    // The months shown stay with a period chosen next.
    await page.getByLabel('Show figures by').selectOption('quarter');
    await page.getByRole('button', { name: 'Update charts' }).click();
    await expect(page).toHaveURL(/period=quarter/);
    await expect(page.getByLabel('From (month)')).toHaveValue('2025-01');
    await expect(page.locator('#table-transactions-by-channel tbody tr')).toHaveCount(2);
    await expect(page.locator('#table-transactions-by-channel tbody tr').first()).toContainText('Apr to Jun 2025');
    // ...and a span chosen over months shown is the span.
    await page.getByLabel('Time').selectOption('12-months');
    await page.getByRole('button', { name: 'Update charts' }).click();
    await expect(page.getByLabel('Time')).toHaveValue('12-months');
    await expect(page.getByLabel('From (month)')).not.toHaveValue('2025-01');
    // 12 months by quarter: 4 quarters, or 5 where they cross one.
    const year = await page.locator('#table-transactions-by-channel tbody tr').count();
    expect(year).toBeGreaterThanOrEqual(4);
    expect(year).toBeLessThanOrEqual(5);
    // A year earlier, once chosen, stays chosen through the next update.
    await page.getByLabel('Compare with a year earlier').check();
    await page.getByRole('button', { name: 'Update charts' }).click();
    await expect(page).toHaveURL(/compare=year/);
    await expect(page.getByLabel('Compare with a year earlier')).toBeChecked();
    await page.getByLabel('Show figures by').selectOption('month');
    await page.getByRole('button', { name: 'Update charts' }).click();
    await expect(page).toHaveURL(/compare=year/);
    await expect(page.getByLabel('Compare with a year earlier')).toBeChecked();
    // Another month's ratings, by the list's own form, the choices above kept.
    const select = page.getByLabel('Show the ratings of');
    const options = await select.locator('option').allTextContents();
    const chosen = await select.locator('option').nth(2).getAttribute('value');
    await select.selectOption({ label: options[2] });
    await page.getByRole('button', { name: /^Show these ratings/ }).click();
    await expect(page).toHaveURL(/user-satisfaction-ratings=\d{4}-\d{2}-01/);
    await expect(page).toHaveURL(/compare=year/);
    await expect(page.locator('#user-satisfaction-ratings-table caption')).toHaveText(`Ratings in ${options[2]}`);
    await expect(page.getByLabel('Show the ratings of')).toHaveValue(chosen!);
  });
});

test('a wide dashboard widens its header and footer with it, so their edges line up', async ({ page }) => {
  await page.setViewportSize({ width: 1366, height: 900 });
  for (const [path, wide] of [[dashboard, true], ['/services', false]] as const) {
    await page.goto(path);
    const edges = await page.evaluate(() =>
      ['header .govuk-width-container', 'main', 'footer .govuk-width-container'].map((s) => {
        const box = document.querySelector(s)!.getBoundingClientRect();
        return [Math.round(box.left), Math.round(box.right)];
      }));
    // The header, the page and the footer share their left and right edges.
    expect(edges[0], path).toEqual(edges[1]);
    expect(edges[2], path).toEqual(edges[1]);
    // A dashboard takes the window's width less 30 px a side; other pages GOV.UK's 960 px.
    expect(edges[1][1] - edges[1][0], path).toBe(wide ? 1366 - 60 : 960);
  }
});
