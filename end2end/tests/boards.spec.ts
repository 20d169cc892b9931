// Comparing services (the tray: a real mouse drag, the keyboard path, reload)
// and summary boards (a department's, a saved portfolio, print and big screen),
// in Chromium against the demo data.
import { test, expect, type Page } from '@playwright/test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { artifacts, hydrated, inkedPixels, signIn, watchErrors } from './helpers';

/** The names of the comparison chart's series, once it is drawn. */
async function seriesNames(page: Page): Promise<string[] | null> {
  return page.evaluate(() => {
    const node = document.querySelector('#compare-chart');
    const chart = node && (window as any).echarts?.getInstanceByDom(node);
    return chart ? chart.getOption().series.map((s: any) => s.name) : null;
  });
}

async function traySlugs(page: Page): Promise<string[]> {
  return page.locator('#pulse-tray-items li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-slug')!));
}

/** Drags with the real mouse: press on the source, move in steps, release on the target. */
async function mouseDrag(page: Page, from: string, to: string | { x: number; y: number }) {
  await page.locator(from).scrollIntoViewIfNeeded();
  const a = (await page.locator(from).boundingBox())!;
  await page.mouse.move(a.x + 20, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move(a.x + 60, a.y + a.height / 2 + 10, { steps: 5 });
  // The tray appears once a drag starts.
  await expect(page.locator('.pulse-tray')).toBeVisible();
  const b = typeof to === 'string' ? (await page.locator(to).boundingBox())! : { ...to, width: 0, height: 0 };
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 10 });
  await page.mouse.up();
}

test('a service manager drags two services into the tray and compares them', async ({ page, request }) => {
  const errors = watchErrors(page);
  await page.goto('/services');
  await hydrated(page);
  await expect(page.locator('.pulse-tray')).toBeHidden();

  await mouseDrag(page, 'tr[data-slug="file-a-tax-return"] th', '.pulse-tray');
  await expect.poll(() => traySlugs(page)).toEqual(['file-a-tax-return']);
  // Dropped on the tray's heading (not on an item): added at the end.
  await mouseDrag(page, 'tr[data-slug="pay-business-rates"] th', '#pulse-tray-title');
  await expect.poll(() => traySlugs(page)).toEqual(['file-a-tax-return', 'pay-business-rates']);
  await expect(page.locator('#pulse-tray-said')).toContainText('Pay business rates added to the comparison (2 of 6)');
  await expect(page.locator('tr[data-slug="pay-business-rates"] .pulse-add-compare')).toHaveAttribute('aria-pressed', 'true');

  // Reordered by dragging one item onto the other.
  await mouseDrag(page, '#pulse-tray-item-1', '#pulse-tray-item-0');
  await expect.poll(() => traySlugs(page)).toEqual(['pay-business-rates', 'file-a-tax-return']);

  // It survives navigation to a dashboard, where a third service comes in by its card.
  await page.goto('/claim-carers-support');
  await hydrated(page);
  await expect.poll(() => traySlugs(page)).toEqual(['pay-business-rates', 'file-a-tax-return']);
  await mouseDrag(page, '.pulse-service-card', '#pulse-tray-title');
  await expect.poll(() => traySlugs(page)).toEqual(['pay-business-rates', 'file-a-tax-return', 'claim-carers-support']);
  await page.screenshot({ path: path.join(artifacts, 'tray.png') });

  // Dragged out of the tray, one leaves it.
  await mouseDrag(page, '#pulse-tray-item-2', { x: 640, y: 300 });
  await expect.poll(() => traySlugs(page)).toEqual(['pay-business-rates', 'file-a-tax-return']);

  // Compare: one series per service, a table beside it, and the link reproduces it.
  await page.locator('#pulse-tray-compare').click();
  await expect(page).toHaveURL(/\/compare\?services=pay-business-rates,file-a-tax-return$/);
  await hydrated(page);
  await expect(page.locator('#compare-table tbody tr')).toHaveCount(2);
  const names = await page.locator('#compare-table tbody th').allInnerTexts();
  expect(names.map((n) => n.trim())).toEqual(['Pay business rates', 'File a tax return']);
  await expect.poll(() => inkedPixels(page, '#compare-chart')).toBeGreaterThan(2000);
  await expect.poll(() => seriesNames(page)).toEqual(['Pay business rates', 'File a tax return']);

  // Digital take-up, indexed: the URL keeps the view and a reload restores it.
  await page.getByLabel('Measure').selectOption('digital_take_up');
  await expect(page).toHaveURL(/kpi=digital_take_up/);
  await page.getByLabel('Indexed to 100 at the start').check();
  await expect(page).toHaveURL(/scale=indexed/);
  await page.reload();
  await hydrated(page);
  await expect(page.getByLabel('Measure')).toHaveValue('digital_take_up');
  await expect(page.getByLabel('Indexed to 100 at the start')).toBeChecked();
  // Indexed series have no target lines (targets are in the KPI's own unit).
  await expect.poll(() => seriesNames(page)).toEqual(['Pay business rates', 'File a tax return']);
  // The side-by-side table is the API's latest figures, the best one marked.
  const api = await (await request.get('/api/v1/compare?services=pay-business-rates,file-a-tax-return&kpi=digital_take_up')).json();
  const latest = api.services.map((s: any) => s.latest);
  // Ranked against each other: figures of one period, each of 30 or more.
  expect(new Set(api.services.map((s: any) => s.latest_period.start)).size).toBe(1);
  for (const s of api.services) expect(s.base ?? 30).toBeGreaterThanOrEqual(30);
  const bestRow = latest.indexOf(Math.max(...latest));
  await expect(page.locator('#compare-table tbody tr').nth(bestRow).locator('[data-column="latest"] .pulse-best')).toHaveCount(1);
  await expect(page.locator('#compare-table tbody tr').nth(bestRow).locator('[data-column="rank"]')).toContainText('1');
  await page.getByLabel('Values').check();
  await expect(page).toHaveURL(/scale=absolute/);
  await expect.poll(() => seriesNames(page)).toEqual(['Pay business rates', 'Pay business rates target', 'File a tax return', 'File a tax return target']);
  await page.screenshot({ path: path.join(artifacts, 'compare.png'), fullPage: true });
  expect(errors).toEqual([]);
});

test('a keyboard user fills and reorders the tray without a mouse', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/services');
  await hydrated(page);
  for (const slug of ['register-a-birth', 'book-a-driving-test', 'report-fly-tipping']) {
    const button = page.locator(`tr[data-slug="${slug}"] .pulse-add-compare`);
    await expect(async () => {
      if ((await button.getAttribute('aria-pressed')) !== 'true') {
        await button.focus();
        await page.keyboard.press('Enter');
      }
      await expect(button).toHaveAttribute('aria-pressed', 'true', { timeout: 1000 });
    }).toPass();
  }
  await expect.poll(() => traySlugs(page)).toEqual(['register-a-birth', 'book-a-driving-test', 'report-fly-tipping']);
  // The third item moves first with the arrow keys; focus follows it.
  await page.locator('#pulse-tray-item-2').focus();
  await page.keyboard.press('ArrowLeft');
  await expect.poll(() => traySlugs(page)).toEqual(['register-a-birth', 'report-fly-tipping', 'book-a-driving-test']);
  await expect(page.locator('#pulse-tray-item-1')).toBeFocused();
  await page.keyboard.press('ArrowLeft');
  await expect.poll(() => traySlugs(page)).toEqual(['report-fly-tipping', 'register-a-birth', 'book-a-driving-test']);
  await expect(page.locator('#pulse-tray-said')).toContainText('Report fly-tipping moved to position 1 of 3');
  // Delete takes one out; the move buttons work too.
  await page.locator('#pulse-tray-item-2').focus();
  await page.keyboard.press('Delete');
  await expect.poll(() => traySlugs(page)).toEqual(['report-fly-tipping', 'register-a-birth']);
  await page.getByRole('button', { name: 'Move Register a birth earlier' }).press('Enter');
  await expect.poll(() => traySlugs(page)).toEqual(['register-a-birth', 'report-fly-tipping']);
  // A seventh service is refused with a reason.
  for (const slug of ['file-a-tax-return', 'pay-business-rates', 'claim-carers-support', 'book-a-driving-test', 'renew-a-driving-licence']) {
    await page.locator(`tr[data-slug="${slug}"] .pulse-add-compare`).press('Enter');
  }
  await expect.poll(() => traySlugs(page).then((s) => s.length)).toBe(6);
  await expect(page.locator('#pulse-tray-said')).toContainText('at most 6 services');
  // To the comparison by keyboard.
  await page.locator('#pulse-tray-compare').focus();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/compare\?services=register-a-birth,report-fly-tipping,file-a-tax-return,pay-business-rates,claim-carers-support,book-a-driving-test/);
  await expect(page.locator('#compare-table tbody tr')).toHaveCount(6);
  await page.locator('#pulse-tray-clear').press('Enter');
  await expect(page.locator('.pulse-tray')).toBeHidden();
  expect(errors).toEqual([]);
});

test('a finger drags a service into the tray by its handle (pointer events)', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/services');
  await hydrated(page);
  const handle = page.locator('tr[data-slug="register-a-birth"] .pulse-drag-handle');
  await handle.scrollIntoViewIfNeeded();
  const box = (await handle.boundingBox())!;
  const at = { clientX: box.x + 4, clientY: box.y + 4, pointerType: 'touch', isPrimary: true, bubbles: true };
  // Touching the handle shows the tray as a place to drop. (Touched again if
  // the first touch came before the lazily loaded rows listened.)
  await expect(async () => {
    await handle.dispatchEvent('pointerdown', at);
    await expect(page.locator('.pulse-tray')).toBeVisible({ timeout: 1000 });
  }).toPass({ timeout: 10_000 });
  // The finger lifts over the tray: the pointer is captured by the handle, so
  // the event comes to it with the tray's coordinates.
  const tray = (await page.locator('#pulse-tray-title').boundingBox())!;
  await handle.dispatchEvent('pointerup', { ...at, clientX: tray.x + 10, clientY: tray.y + 10 });
  await expect.poll(() => traySlugs(page)).toEqual(['register-a-birth']);
  // Lifted anywhere else, nothing is added.
  const other = page.locator('tr[data-slug="book-a-driving-test"] .pulse-drag-handle');
  await other.dispatchEvent('pointerdown', at);
  await other.dispatchEvent('pointerup', { ...at, clientX: 5, clientY: 5 });
  await expect.poll(() => traySlugs(page)).toEqual(['register-a-birth']);
  expect(errors).toEqual([]);
});

test('a senior sponsor reads, prints and shows a department board, and saves a portfolio', async ({ page, request }) => {
  const errors = watchErrors(page);
  const dept = 'department-of-revenue-and-benefits';
  await page.goto('/boards');
  await page.getByRole('link', { name: 'Department of Revenue and Benefits' }).click();
  await expect(page).toHaveURL(`/boards/${dept}`);
  await expect(page.locator('#board-title')).toHaveText('Department of Revenue and Benefits');
  const board = await (await request.get(`/api/v1/boards/${dept}`)).json();
  await expect(page.locator('#board-services tbody tr')).toHaveCount(board.services.length);
  // Every status the API gives is on the page as a tag with words.
  const reds = board.services.flatMap((s: any) => s.kpis.filter((k: any) => k.status === 'red')).length;
  await expect(page.locator('#board-services .pulse-rag[data-status="red"]')).toHaveCount(reds);
  await expect(page.locator('#board-services .pulse-rag').first()).toHaveText(/On target|Near target|Below target/);
  await expect(page.locator('#attention li')).toHaveCount(board.attention.length);
  await expect(page.locator('#board-services svg.pulse-spark').first()).toBeVisible();
  await page.screenshot({ path: path.join(artifacts, 'board.png'), fullPage: true });

  // The CSV link is the board's.
  const csv = await (await request.get((await page.locator('#board-csv').getAttribute('href'))!)).text();
  expect(csv.trim().split('\r\n').length).toBe(board.services.length + 1);

  // Printed on A4 landscape: the header, tray and buttons go; the table stays.
  await page.emulateMedia({ media: 'print' });
  await expect(page.locator('.govuk-header')).toBeHidden();
  await expect(page.locator('#board-print')).toBeHidden();
  await expect(page.locator('#board-services')).toBeVisible();
  await page.setViewportSize({ width: 1123, height: 794 });
  await page.screenshot({ path: path.join(artifacts, 'board-print.png'), fullPage: true });
  const pdf = await page.pdf({ preferCSSPageSize: true, printBackground: true });
  expect(pdf.length).toBeGreaterThan(10_000);
  await page.emulateMedia({ media: 'screen' });
  await page.setViewportSize({ width: 1280, height: 900 });

  // Big screen: one service at a time in large type, moving on by itself, with pause.
  await page.goto(`/boards/${dept}?screen=big&every=2`);
  await hydrated(page);
  const shown = () => page.locator('.pulse-big__service:visible').getAttribute('data-slug');
  await expect(page.locator('.pulse-big__service:visible')).toHaveCount(1);
  const first = await shown();
  expect(first).toBe(board.services[0].service.slug);
  await expect.poll(shown, { timeout: 8000 }).toBe(board.services[1].service.slug);
  await page.screenshot({ path: path.join(artifacts, 'board-big-screen.png') });
  await page.locator('#big-pause').click();
  const paused = await shown();
  await page.waitForTimeout(3000);
  expect(await shown()).toBe(paused);
  await page.locator('#big-next').click();
  await expect(page.locator('#big-position')).toContainText(`of ${board.services.length}`);

  // A portfolio: signed in, three services compared and saved, then reopened by its link.
  await signIn(page, 'viewer@demo.pulse.example');
  await page.goto('/compare?services=file-a-tax-return,book-a-driving-test,register-a-birth');
  await hydrated(page);
  await page.getByLabel('Portfolio name').fill('Front-line services');
  await page.getByRole('button', { name: 'Save portfolio' }).click();
  await expect(page).toHaveURL(/\/boards\/portfolio\/[0-9a-f]{32}$/);
  const link = page.url();
  await expect(page.locator('#board-title')).toHaveText('Front-line services');
  await expect(page.locator('#board-services tbody tr')).toHaveCount(3);
  // Anyone with the link (a fresh browser, not signed in) reads the same board.
  const other = await page.context().browser()!.newContext();
  const visitor = await other.newPage();
  await visitor.goto(link);
  await expect(visitor.locator('#board-title')).toHaveText('Front-line services');
  await expect(visitor.locator('#board-services tbody tr')).toHaveCount(3);
  await other.close();
  await page.goto('/boards');
  await expect(page.locator('#my-portfolios')).toContainText('Front-line services');
  expect(errors).toEqual([]);
});

test('an editor sets a target and the board judges against it', async ({ page, request }) => {
  const errors = watchErrors(page);
  await signIn(page, 'editor@demo.pulse.example');
  await page.goto('/boards/benefits-agency');
  await hydrated(page);
  // The targets form sits in a Transition beside the board; wait for the page
  // to settle first.
  await page.waitForLoadState('networkidle');
  await page.getByLabel('Service', { exact: true }).selectOption('claim-carers-support');
  await page.getByLabel('Measure', { exact: true }).selectOption('cost_per_transaction');
  await page.getByLabel('Target', { exact: true }).fill('1');
  await page.getByLabel('Takes effect from').fill('2026-01-01');
  await page.getByRole('button', { name: 'Set target' }).click();
  await expect(page.locator('#target-done')).toContainText('Target set: Cost per transaction £1');
  // A pound a transaction is far below what carers' support costs: red.
  const cell = page.locator('tr[data-slug="claim-carers-support"] td[data-kpi="cost_per_transaction"]');
  await expect(cell.locator('.pulse-rag')).toHaveAttribute('data-status', 'red');
  await expect(cell).toContainText('Target £1');
  // Set again from the same day, it replaces the first (the same target, its
  // id kept): the list shows the new value, once.
  await page.getByLabel('Target', { exact: true }).fill('2');
  await page.getByRole('button', { name: 'Set target' }).click();
  await expect(page.locator('#target-done')).toContainText('Target set: Cost per transaction £2');
  await expect(cell).toContainText('Target £2');
  const listed = page.locator('#target-list tbody tr', { hasText: 'Cost per transaction' })
    .filter({ hasText: '1 January 2026' });
  await expect(listed).toHaveCount(1);
  await expect(listed).toContainText('£2');
  // Bad values are refused with their reasons: a rate over 100%, a negative cost
  // (the API's own reason).
  await page.getByLabel('Measure', { exact: true }).selectOption('digital_take_up');
  await page.getByLabel('Target', { exact: true }).fill('180');
  await page.getByRole('button', { name: 'Set target' }).click();
  await expect(page.locator('#target-problem')).toContainText('percentage from 0 to 100');
  await expect(page.locator('#target-problem')).toBeFocused();
  // It is the target's own field: the summary links to it and the field says
  // so too, as GOV.UK's error summary and error message do.
  await expect(page.locator('#target-problem a[href="#target-value"]')).toContainText('percentage from 0 to 100');
  await expect(page.locator('#target-value-error')).toContainText('percentage from 0 to 100');
  await expect(page.getByLabel('Target', { exact: true })).toHaveAttribute('aria-describedby', 'target-value-hint target-value-error');
  await page.getByLabel('Measure', { exact: true }).selectOption('cost_per_transaction');
  await page.getByLabel('Target', { exact: true }).fill('-5');
  await page.getByLabel('Takes effect from').fill('2026-02-01');
  await page.getByRole('button', { name: 'Set target' }).click();
  await expect(page.locator('#target-problem')).toContainText('value must be a number, zero or more');
  // The API's reasons are the form's: no one field is marked.
  await expect(page.locator('#target-problem a')).toHaveCount(0);
  await expect(page.locator('#target-value-error')).toHaveCount(0);
  const targets = await (await request.get('/api/v1/targets?service=claim-carers-support')).json();
  expect(targets.targets.filter((t: any) => t.kpi === 'cost_per_transaction').length).toBe(1);
  // Targets are lines on the service's own dashboard charts too.
  await page.goto('/claim-carers-support');
  await hydrated(page);
  const names = () => page.evaluate(() => {
    const node = document.querySelector('#chart-completion-rate');
    const chart = node && (window as any).echarts?.getInstanceByDom(node);
    return chart ? chart.getOption().series.map((s: any) => s.name) : null;
  });
  await expect.poll(names).toContain('Target');
  await expect(page.locator('#module-completion-rate .pulse-target-note')).toContainText('Target: 75.0%');
  // The only errors are the refused request's own.
  expect(errors.filter((e) => !e.includes('status of 400'))).toEqual([]);
});

test('an editor deletes targets one after another without waiting, and the page never breaks', async ({ page, request }) => {
  // Each delete reloads the board; a Delete pressed meanwhile was on the
  // targets drawn before, whose state had gone (its key was read from it, a
  // panic), and a press made as they were drawn again was lost (the button
  // replaced between the mouse going down and up). Now the targets are
  // drawn beside the board, row by row: every press is sent, and each target
  // goes.
  const errors = watchErrors(page);
  const key = fs.readFileSync(path.join(__dirname, '..', '.admin-key'), 'utf8').trim();
  const service = 'apply-for-a-winter-fuel-grant';
  for (const [i, kpi] of ['digital_take_up', 'completion_rate', 'user_satisfaction'].entries()) {
    const answer = await request.post('/api/v1/targets', {
      headers: { Authorization: `Bearer ${key}` },
      data: { service, kpi, value: 0.5 + i / 10, effective_from: '2026-01-01' },
    });
    expect(answer.status(), await answer.text()).toBe(201);
  }
  await signIn(page, 'editor@demo.pulse.example');
  await page.goto('/boards/benefits-agency');
  await hydrated(page);
  await page.waitForLoadState('networkidle');
  // The three made here (the demo's own start in an April).
  const rows = page.locator('#target-list tbody tr', { hasText: 'Apply for a winter fuel grant' })
    .filter({ hasText: '1 January 2026' });
  await expect(rows).toHaveCount(3);
  const deletes: number[] = [];
  page.on('response', (r) => {
    if (r.request().method() === 'DELETE') deletes.push(r.status());
  });
  // The board answers slowly from now on, so the presses after the first
  // land while it reloads, on the targets drawn before.
  await page.route('**/api/v1/boards/**', async (route) => {
    await new Promise((done) => setTimeout(done, 500));
    await route.continue();
  });
  const reloading = page.waitForRequest('**/api/v1/boards/**');
  for (const [n, measure] of ['Digital take-up', 'Completion rate', 'Satisfaction'].entries()) {
    await rows.filter({ hasText: measure }).getByRole('button', { name: 'Delete this target' }).click({ timeout: 5000 });
    if (n === 0) await reloading;
  }
  await page.waitForLoadState('networkidle');
  await expect(page.locator('#target-done')).toContainText('Target deleted.');
  await expect(rows).toHaveCount(0);
  await expect.poll(() => deletes).toEqual([200, 200, 200]);
  const left = await (await request.get(`/api/v1/targets?service=${service}`)).json();
  expect(left.targets.filter((t: any) => t.effective_from === '2026-01-01')).toEqual([]);
  // The focus is not lost with the row: it is on another Delete, or the heading.
  await expect(page.locator(':focus')).toHaveAccessibleName(/^(Delete\s+this target|Targets)$/);
  expect(errors).toEqual([]);
});

test('two choices made quickly on a comparison both apply, and a portfolio saves meanwhile', async ({ page }) => {
  // The first choice reloads the comparison; the second, and the save, are
  // made while it does (a guard: the comparison's handlers read the URL and
  // the name from the page, so they work on controls whose state has gone).
  const errors = watchErrors(page);
  await signIn(page, 'editor@demo.pulse.example');
  await page.goto('/compare?services=file-a-tax-return,claim-carers-support');
  await hydrated(page);
  await page.waitForLoadState('networkidle');
  await page.getByLabel('Portfolio name').fill('Quick choices');
  // The comparison answers slowly from now on, so the second choice and
  // the save land while it reloads, on the controls drawn before.
  await page.route('**/api/v1/compare?**', async (route) => {
    await new Promise((done) => setTimeout(done, 500));
    await route.continue();
  });
  const reloading = page.waitForRequest('**/api/v1/compare?**');
  await page.getByLabel('Measure').selectOption('digital_take_up');
  await reloading;
  await page.getByLabel('Periods').selectOption('quarter');
  await page.getByRole('button', { name: 'Save portfolio' }).click();
  await expect(page).toHaveURL(/\/boards\/portfolio\//);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Quick choices');
  await page.goBack();
  await expect(page).toHaveURL(/kpi=digital_take_up/);
  await expect(page).toHaveURL(/period=quarter/);
  await expect(page.getByLabel('Measure')).toHaveValue('digital_take_up');
  await expect(page.getByLabel('Periods')).toHaveValue('quarter');
  expect(errors).toEqual([]);
});

test('a comparison offers only the periods its measure is collected by, and its address says the one shown', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/compare?services=file-a-tax-return,register-a-birth&period=week');
  await hydrated(page);
  await expect(page.getByLabel('Periods')).toHaveValue('week');
  // Costs come by quarter at the finest: choosing them moves the page, and its address, to quarters.
  await page.getByLabel('Measure').selectOption('cost_per_transaction');
  await expect(page).toHaveURL(/kpi=cost_per_transaction/);
  await expect(page).toHaveURL(/period=quarter/);
  await expect(page.getByLabel('Periods')).toHaveValue('quarter');
  expect(await page.getByLabel('Periods').locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value)))
    .toEqual(['quarter', 'year']);
  // Satisfaction, by month at the finest: by months, not the costs'
  // quarters (weeks were asked for, which satisfaction is not sent by).
  await page.getByLabel('Measure').selectOption('user_satisfaction');
  await expect(page.getByLabel('Periods').locator('option')).toHaveCount(3);
  await expect(page.getByLabel('Periods')).toHaveValue('month');
  await expect(page).toHaveURL(/period=month/);
  // Transactions, by any: by the weeks asked for again.
  await page.getByLabel('Measure').selectOption('transactions');
  await expect(page.getByLabel('Periods').locator('option')).toHaveCount(4);
  await expect(page.getByLabel('Periods')).toHaveValue('week');
  await expect(page).toHaveURL(/period=week/);
  // Quarters asked for are kept through costs and back.
  await page.getByLabel('Periods').selectOption('quarter');
  await expect(page).toHaveURL(/period=quarter/);
  await page.getByLabel('Measure').selectOption('cost_per_transaction');
  await expect(page).toHaveURL(/kpi=cost_per_transaction/);
  await page.getByLabel('Measure').selectOption('transactions');
  await expect(page).toHaveURL(/kpi=transactions/);
  await expect(page.getByLabel('Periods')).toHaveValue('quarter');
  // A service added from the comparison itself, without loading the page again.
  await page.evaluate(() => { (window as any).sameDocument = true; });
  await page.getByLabel('Add a service').selectOption({ label: 'Book a driving test' });
  await page.getByRole('button', { name: 'Add to the comparison' }).click();
  await expect(page.locator('#compare-table tbody tr')).toHaveCount(3);
  expect(await page.evaluate(() => (window as any).sameDocument)).toBe(true);
  // The keyboard's focus stays with the form, to add another.
  await expect(page.locator('#compare-add-service')).toBeFocused();
  await expect(page).toHaveURL(/services=file-a-tax-return,register-a-birth,book-a-driving-test/);
  await expect(page).not.toHaveURL(/add=/);
  await expect(page).toHaveURL(/period=quarter/);
  expect(errors).toEqual([]);
});

test('a comparison naming a service that does not exist offers to compare the others', async ({ page }) => {
  const errors = watchErrors(page);
  // A link kept from before a service went, with a service named twice.
  await page.goto('/compare?services=file-a-tax-return,no-such-service,file-a-tax-return&kpi=digital_take_up');
  await hydrated(page);
  await expect(page.getByText('There is no service `no-such-service`.')).toBeVisible();
  // Under the page's own heading: one h1.
  await expect(page.locator('h1')).toHaveCount(1);
  await expect(page.getByRole('heading', { level: 2, name: 'Page not found' })).toBeVisible();
  // The way on the page offers comes before the way to every service.
  const others = page.getByRole('link', { name: 'Compare only File a tax return' });
  const before = await others.evaluate((a) => {
    const home = [...document.querySelectorAll('main a')].find((l) => l.textContent === 'See all services');
    return !!home && !!(a.compareDocumentPosition(home) & Node.DOCUMENT_POSITION_FOLLOWING);
  });
  expect(before).toBe(true);
  await others.click();
  await expect(page).toHaveURL(/\/compare\?services=file-a-tax-return&kpi=digital_take_up$/);
  await expect(page.locator('#compare-table tbody tr')).toHaveCount(1);
  // (the page of the first address is a 404, as it says)
  expect(errors.filter((e) => !/status of 404/.test(e))).toEqual([]);
});

test('every figure of a board\'s summary fits its tile, on a desktop and a phone', async ({ page }) => {
  for (const width of [1366, 1024, 390, 320]) {
    await page.setViewportSize({ width, height: 900 });
    await page.goto('/boards/department-of-revenue-and-benefits');
    const spills = await page.locator('.pulse-board-summary__tile').evaluateAll((tiles) =>
      tiles.flatMap((tile) => {
        const box = tile.getBoundingClientRect();
        const value = tile.querySelector('.pulse-board-summary__value')!;
        // The figure's text as drawn (its element is as wide as the tile).
        const range = document.createRange();
        range.selectNodeContents(value);
        const text = range.getBoundingClientRect();
        return text.right > box.right - 10 || text.left < box.left
          ? [`${value.textContent}: ${Math.round(text.right - box.right + 10)} px out`]
          : [];
      }));
    expect(spills, `at ${width} px`).toEqual([]);
  }
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });
  test('a comparison is started from the explorer and grows by its own form', async ({ page }) => {
    await page.goto('/services');
    await expect(page.locator('.pulse-add-compare').first()).toBeHidden();
    await page.getByRole('link', { name: /^Compare with other services\s*: File a tax return$/ }).click();
    await expect(page).toHaveURL(/\/compare\?services=file-a-tax-return$/);
    await expect(page.locator('#compare-table tbody tr')).toHaveCount(1);
    await page.getByLabel('Add a service').selectOption({ label: 'Register a birth' });
    await page.getByRole('button', { name: 'Add to the comparison' }).click();
    await expect(page.locator('#compare-table tbody tr')).toHaveCount(2);
    await expect(page.locator('#compare-table')).toContainText('Register a birth');
    // The controls keep both services (the one added too).
    await page.getByLabel('Measure').selectOption('digital_take_up');
    await page.getByRole('button', { name: 'Update' }).click();
    await expect(page).toHaveURL(/services=file-a-tax-return%2Cregister-a-birth|services=file-a-tax-return,register-a-birth/);
    await expect(page.locator('#compare-table tbody tr')).toHaveCount(2);
    // A service compared is not offered again.
    await expect(page.locator('#compare-add-service option', { hasText: 'Register a birth' })).toHaveCount(0);
  });
  test('a big screen that cannot turn its pages shows every service, and no buttons that do nothing', async ({ page, request }) => {
    const board = await (await request.get('/api/v1/boards/department-of-revenue-and-benefits')).json();
    await page.goto('/boards/department-of-revenue-and-benefits?screen=big');
    await expect(page.locator('.pulse-big__service:visible')).toHaveCount(board.services.length);
    await expect(page.locator('#big-next')).toBeHidden();
    await expect(page.locator('#big-pause')).toBeHidden();
    await expect(page.getByRole('link', { name: 'Leave big screen' })).toBeVisible();
    await page.goto('/boards/department-of-revenue-and-benefits');
    await expect(page.locator('#board-print')).toBeHidden();
  });
  test('saving a portfolio says it needs JavaScript, not a form that empties the page', async ({ browser }) => {
    // Signed in with JavaScript, then the page read without it.
    const withScript = await browser.newPage({ javaScriptEnabled: true });
    await signIn(withScript, 'editor@demo.pulse.example');
    const context = await browser.newContext({ javaScriptEnabled: false, storageState: await withScript.context().storageState() });
    const page = await context.newPage();
    await page.goto('/compare?services=file-a-tax-return,register-a-birth');
    await expect(page.locator('#save-portfolio-needs-js')).toBeVisible();
    await expect(page.locator('#save-portfolio')).toBeHidden();
    await context.close();
    await withScript.close();
  });
});
