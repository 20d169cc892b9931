// The services explorer: live name filter, department filter, sortable columns,
// a summary over what is shown, a CSV of the same rows, all kept in the URL; and
// the same filters without JavaScript.
import { test, expect } from '@playwright/test';
import * as path from 'node:path';

const artifacts = path.join(__dirname, '..', 'artifacts');

async function rowSlugs(page: import('@playwright/test').Page): Promise<string[]> {
  return page.locator('#explorer tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-slug')!));
}

test('filter as you type, sort by a column, and download what is shown', async ({ page, request }) => {
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto('/services');
  await expect(page.getByRole('heading', { level: 1, name: 'Explore services' })).toBeVisible();
  expect((await rowSlugs(page)).length).toBeGreaterThanOrEqual(12);

  // Typing narrows the list (once hydrated) and the URL follows.
  const name = page.getByLabel('Service name contains');
  await expect(async () => {
    await name.fill('');
    await name.pressSequentially('driv');
    await expect(page).toHaveURL(/name=driv/, { timeout: 1000 });
  }).toPass();
  await expect.poll(() => rowSlugs(page)).toEqual(['book-a-driving-test', 'renew-a-driving-licence']);
  await expect(name).toBeFocused();

  // Sorting by cost, largest first, matches the API's order.
  await page.locator('a[data-sort="cost_per_transaction"]').click();
  await expect(page).toHaveURL(/sort=cost_per_transaction&direction=desc/);
  const api = await (await request.get('/api/v1/service-kpis?name=driv&sort=cost_per_transaction&direction=desc')).json();
  await expect.poll(() => rowSlugs(page)).toEqual(api.services.map((s: any) => s.service.slug));
  await expect(page.locator('th[aria-sort="descending"]')).toContainText('Cost per transaction');

  // The summary is the API's, over the filtered rows only.
  const volume = api.services.reduce((n: number, s: any) => n + s.transactions_per_year, 0);
  expect(api.summary.transactions_per_year).toBe(volume);
  await expect(page.locator('#explorer-summary')).toContainText('2 services:');

  // The CSV link gives the same rows.
  const href = await page.locator('#explorer-csv').getAttribute('href');
  const csv = await (await request.get(href!)).text();
  const lines = csv.trim().split('\r\n');
  expect(lines[0]).toBe('service,department,agency,transactions_per_year,cost_per_transaction,digital_take_up,digital_take_up_base,' +
    'user_satisfaction,user_satisfaction_base,completion_rate,completion_rate_base,year_first_day,year_last_day,figures_stopped,' +
    'cost_per_transaction_first_day,cost_per_transaction_last_day,digital_take_up_first_day,digital_take_up_last_day,' +
    'user_satisfaction_first_day,user_satisfaction_last_day,completion_rate_first_day,completion_rate_last_day');
  expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(api.services.map((s: any) => s.service.title));

  // A reload keeps the view.
  await page.reload();
  await expect.poll(() => rowSlugs(page)).toEqual(api.services.map((s: any) => s.service.slug));
  await page.screenshot({ path: path.join(artifacts, 'explorer.png'), fullPage: true });
  expect(errors).toEqual([]);
});

test('a department and an agency apply as they are chosen; the agencies are the department\'s', async ({ page }) => {
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/services');
  await expect(page.locator('html[data-hydrated]')).toHaveCount(1);
  const agencies = () => page.locator('#filter-agency option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
  expect(await agencies()).toContain('registration-office');

  // Chosen until the URL follows: on a loaded 2-core machine the list can be
  // drawn again just after the page is interactive, and a choice made on
  // the list being replaced is lost (see the stop note of 2026-12-02).
  await expect(async () => {
    await page.getByLabel('Department').selectOption({ label: 'Department of Revenue and Benefits' });
    await expect(page).toHaveURL(/department=department-of-revenue-and-benefits/, { timeout: 2000 });
  }).toPass();
  await expect.poll(() => rowSlugs(page)).toEqual([
    'apply-for-a-winter-fuel-grant', 'check-your-state-pension', 'claim-carers-support', 'file-a-tax-return', 'pay-business-rates',
  ]);
  await expect(page.locator('#explorer-summary')).toContainText('5 services:');
  await expect(page.locator('#explorer-summary')).toHaveAttribute('aria-live', 'polite');
  await expect.poll(agencies).toEqual(['', 'benefits-agency', 'tax-collection-office']);

  await page.getByLabel('Agency').selectOption('tax-collection-office');
  await expect(page).toHaveURL(/agency=tax-collection-office/);
  await expect.poll(() => rowSlugs(page)).toEqual(['file-a-tax-return', 'pay-business-rates']);

  // Another department clears an agency that is not its own.
  await page.getByLabel('Department').selectOption({ label: 'Department for Civic Life' });
  await expect(page).toHaveURL(/department=department-for-civic-life/);
  await expect(page).not.toHaveURL(/agency=/);
  await expect(page.getByLabel('Agency')).toHaveValue('');
  // A department whose list has an agency where the one chosen stood: the
  // list shows that none is chosen, as the rows are of all its agencies.
  await page.getByLabel('Department').selectOption({ label: 'Department of Revenue and Benefits' });
  await expect(page).toHaveURL(/department=department-of-revenue-and-benefits/);
  await page.getByLabel('Agency').selectOption('tax-collection-office');
  await expect(page).toHaveURL(/agency=tax-collection-office/);
  await expect.poll(() => rowSlugs(page)).toEqual(['file-a-tax-return', 'pay-business-rates']);
  await page.getByLabel('Department').selectOption({ label: 'Department of Transport and Roads' });
  await expect(page).toHaveURL(/department=department-of-transport-and-roads/);
  await expect(page).not.toHaveURL(/agency=/);
  await expect.poll(agencies).toEqual(['', 'licensing-agency', 'roads-agency']);
  await expect(page.getByLabel('Agency')).toHaveValue('');
  await expect(page.getByLabel('Department')).toHaveValue('department-of-transport-and-roads');
  expect(errors).toEqual([]);
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });
  test('the filters are a form and the headings are links', async ({ page, request }) => {
    await page.goto('/services');
    await page.getByLabel('Department').selectOption({ label: 'Department of Revenue and Benefits' });
    await page.locator('#apply-filters').click();
    await expect(page).toHaveURL(/department=department-of-revenue-and-benefits/);
    const api = await (await request.get('/api/v1/service-kpis?department=department-of-revenue-and-benefits')).json();
    expect(await rowSlugs(page)).toEqual(api.services.map((s: any) => s.service.slug));
    await page.locator('a[data-sort="transactions_per_year"]').click();
    const sorted = await (await request.get('/api/v1/service-kpis?department=department-of-revenue-and-benefits&sort=transactions_per_year&direction=desc')).json();
    expect(await rowSlugs(page)).toEqual(sorted.services.map((s: any) => s.service.slug));
    // A name typed then keeps the sort, and stays in its box.
    await page.getByLabel('Service name contains').fill('pay');
    await page.locator('#apply-filters').click();
    await expect(page).toHaveURL(/name=pay/);
    await expect(page).toHaveURL(/sort=transactions_per_year&direction=desc/);
    await expect(page.getByLabel('Service name contains')).toHaveValue('pay');
    const named = await (await request.get('/api/v1/service-kpis?department=department-of-revenue-and-benefits&name=pay&sort=transactions_per_year&direction=desc')).json();
    expect(named.services.length).toBeGreaterThan(0);
    expect(await rowSlugs(page)).toEqual(named.services.map((s: any) => s.service.slug));
  });
});
