// The two modules that are not charts over periods, as a service manager
// watches them: a live figure that moves within seconds of a count being sent
// (through the event stream, and by asking every few seconds where the stream
// cannot be had), and a ranked list whose items, values and links are the
// data API's.
import { test, expect, type Page } from '@playwright/test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { artifacts, hydrated, violations, watchErrors } from './helpers';

const key = fs.readFileSync(path.join(__dirname, '..', '.admin-key'), 'utf8').trim();
const dashboard = '/renew-a-driving-licence';
const live = '#module-people-now';

/** Sends one count, now, as a collector would; answers when it was sent. */
async function send(page: Page, count: number): Promise<number> {
  const at = new Date();
  at.setUTCMilliseconds(0);
  const answer = await page.request.post('/data/renew-a-driving-licence/realtime', {
    headers: { Authorization: `Bearer ${key}` },
    data: { _timestamp: at.toISOString().replace('.000Z', 'Z'), unique_visitors: count },
  });
  expect(answer.status()).toBe(200);
  return Date.now();
}

test('a live figure moves within seconds of a count, by its stream or by asking again', async ({ page, browser }) => {
  const errors = watchErrors(page);
  await page.goto(dashboard);
  await hydrated(page);
  const value = page.locator(`${live} .pulse-live__value`);
  await expect(value).toContainText('people using the service now');
  await expect(page.locator(`${live} .pulse-live__spark path`)).toHaveAttribute('d', /^M/);
  // The stream is open: its first event has come.
  await expect(page.locator(`${live} .pulse-live__status`)).toHaveText(/Updated as counts arrive/);

  const sent = await send(page, 98765);
  await expect(value).toContainText('98,765', { timeout: 5_000 });
  const took = Date.now() - sent;
  console.log(`live figure updated ${took} ms after the count was sent (stream)`);
  expect(took).toBeLessThan(5_000);
  await expect(page.locator(`${live} .pulse-live__when`)).toContainText(/Counted at \d\d:\d\d (GMT|BST)/);
  // Its table has the new count first.
  await page.locator(`${live} button`, { hasText: 'Show as a table' }).click();
  await expect(page.locator('#table-people-now tbody tr').first()).toContainText('98,765');
  await page.locator(live).screenshot({ path: path.join(artifacts, 'live-figure.png') });

  // Where the stream cannot be had (a proxy that refuses it), the page asks
  // every few seconds instead.
  const other = await browser.newPage();
  const otherErrors = watchErrors(other);
  await other.route('**/api/v1/live/**', (route) =>
    route.fulfill({ status: 503, contentType: 'application/json', body: '{"status":"error","message":"busy"}' }));
  await other.goto(dashboard);
  await hydrated(other);
  await expect(other.locator(`${live} .pulse-live__status`)).toHaveText(/Updated every 3 seconds/);
  const polled = await send(other, 54321);
  await expect(other.locator(`${live} .pulse-live__value`)).toContainText('54,321', { timeout: 5_000 });
  console.log(`live figure updated ${Date.now() - polled} ms after the count was sent (polling)`);
  // And the first page, by its stream, too.
  await expect(value).toContainText('54,321', { timeout: 5_000 });
  await other.close();

  // Leaving the page closes the stream and stops the asking: nothing more is
  // fetched for the live figure.
  let after = 0;
  page.on('request', (r) => { if (r.url().includes('/realtime')) after++; });
  await page.goto('/guide');
  await send(page, 11111);
  await page.waitForTimeout(1_500);
  expect(after).toBe(0);
  expect(errors).toEqual([]);
  expect(otherErrors.filter((e) => !e.includes('503'))).toEqual([]);
});

test('a ranked list shows the data API\'s items in order, with their links', async ({ page, request }) => {
  const errors = watchErrors(page);
  await page.goto(dashboard);
  await hydrated(page);
  const list = page.locator('#module-top-pages');
  const rows = list.locator('table.pulse-list tbody tr');
  await expect(rows).toHaveCount(8);
  // The same query the module says it reads ("The API query behind it").
  const api = await list.locator('#top-pages-api').getAttribute('href');
  const answer = (await (await request.get(api!)).json()).data;
  expect(answer.length).toBe(8);
  for (let i = 0; i < 8; i++) {
    const row = rows.nth(i);
    await expect(row.locator('td').first()).toHaveText(String(i + 1));
    await expect(row.locator('th a')).toHaveText(answer[i].title);
    await expect(row.locator('th a')).toHaveAttribute('href', `https://renew-a-driving-licence.service.example${answer[i].page}`);
    await expect(row.locator('td').last()).toHaveText(Number(answer[i]['views:sum']).toLocaleString('en-GB'));
  }
  // Most first.
  const views = answer.map((r: any) => r['views:sum']);
  expect([...views].sort((a: number, b: number) => b - a)).toEqual(views);
  await expect(list.locator('.pulse-list__span')).toContainText(/Added up over/);
  await list.screenshot({ path: path.join(artifacts, 'ranked-list.png') });
  expect(await violations(page)).toEqual([]);
  expect(errors).toEqual([]);
});
