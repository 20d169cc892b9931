// Hostile text in a real browser: titles, names, notes and data values holding
// markup are shown as text, nothing they hold runs (not even in the chart's
// tooltip), and the pages work under their Content-Security-Policy.
import { test, expect, type Page } from '@playwright/test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { artifacts, hydrated, watchErrors } from './helpers';

const key = fs.readFileSync(path.join(__dirname, '..', '.admin-key'), 'utf8').trim();
const admin = { Authorization: `Bearer ${key}` };

const payload = 'Q3</title><script>window.__pwned=1</script><title> "><img src=x onerror="window.__pwned=2">';

/** Nothing ran, no element came from the payload, no dialog opened. */
async function expectInert(page: Page) {
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  expect(await page.locator('img[onerror]').count()).toBe(0);
  expect(await page.locator('script:not([src]):not([nonce])').count()).toBe(0);
}

test('markup in titles, notes and data values stays text, and pages hydrate under the CSP', async ({ page, request }) => {
  const errors = watchErrors(page);
  page.on('dialog', (d) => { errors.push(`dialog: ${d.message()}`); void d.dismiss(); });

  const created = await request.post('/api/v1/data-sets', {
    headers: admin,
    data: { data_group: 'hostile-text', data_type: 'applications', published: true },
  });
  expect(created.status()).toBe(201);
  const token = (await created.json()).bearer_token;
  const weeks = Array.from({ length: 6 }, (_, i) => new Date(Date.UTC(2026, 8, 7 + 7 * i)).toISOString());
  const written = await request.post('/data/hostile-text/applications', {
    headers: { Authorization: `Bearer ${token}` },
    data: weeks.flatMap((w, i) => [
      { _timestamp: w, channel: payload, count: 10 + i },
      { _timestamp: w, channel: 'paper', count: 5 },
    ]),
  });
  expect(written.status()).toBe(200);
  const query = 'period=week&start_at=2026-09-07T00:00:00Z&end_at=2026-10-19T00:00:00Z&group_by=channel&collect=count:sum';
  const made = await request.post('/api/v1/dashboards', {
    headers: admin,
    data: {
      slug: 'hostile-text', title: payload, description: payload, status: 'published',
      modules: [{ type: 'grouped_timeseries', slug: 'by-channel', title: payload, description: payload,
        info: payload, data_set: 'hostile-text/applications', query, options: { series: [payload, 'paper'] } }],
    },
  });
  expect(made.status(), await made.text()).toBe(201);
  const portfolio = await request.post('/api/v1/portfolios', {
    headers: admin, data: { title: payload, services: ['file-a-tax-return', 'register-a-birth'] },
  });
  expect(portfolio.status(), await portfolio.text()).toBe(201);
  const id = (await portfolio.json()).id;

  // Every answer names the policy; a page's names its nonce.
  const answer = await request.get('/hostile-text');
  const policy = answer.headers()['content-security-policy'];
  expect(policy).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9_-]{16,}' 'wasm-unsafe-eval'/);
  expect(answer.headers()['x-content-type-options']).toBe('nosniff');

  await page.goto('/hostile-text');
  await hydrated(page);
  await expect(page).toHaveTitle(/^Q3<\/title><script>/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('<img src=x onerror=');
  // The chart draws (its wasm and ECharts ran under the policy); its tooltip
  // shows the channel's name as text.
  const chart = page.locator('#chart-by-channel canvas').first();
  await expect.poll(() => chart.evaluate((c: HTMLCanvasElement) => c.width)).toBeGreaterThan(0);
  const box = (await chart.boundingBox())!;
  for (const x of [0.3, 0.5, 0.7, 0.9]) {
    await page.mouse.move(box.x + box.width * x, box.y + box.height * 0.5);
    await page.waitForTimeout(150);
    await expectInert(page);
  }
  await page.locator('#module-by-channel button', { hasText: 'Show as a table' }).click();
  await expect(page.locator('#table-by-channel')).toContainText('<script>window.__pwned=1</script>');
  await page.screenshot({ path: path.join(artifacts, 'hardening-dashboard.png'), fullPage: false });
  await expectInert(page);

  await page.goto(`/boards/portfolio/${id}`);
  await hydrated(page);
  await expect(page).toHaveTitle(/^Q3<\/title>/);
  await expectInert(page);
  await page.screenshot({ path: path.join(artifacts, 'hardening-portfolio.png'), fullPage: false });

  // A refused script or style would be a console error here too.
  expect(errors).toEqual([]);
});

test('pages rendered at once each carry their own preload links and nonce, as when alone', async ({ request }) => {
  // Leptos writes the preload links of a page's lazy wasm chunks reading the
  // chunks' list and the nonce from whichever reactive owner is current on
  // the server's thread, which beside other pages could be another page's;
  // Pulse takes the list back (`no_chunk_preloads`), so every page is made as
  // when alone and none carries another page's links or nonce.
  const preloads = (html: string) =>
    (html.match(/<link[^>]*rel="(?:module)?preload"[^>]*>/g) ?? []).map((l) => l.replace(/ crossorigin="[^"]*"/, '')).sort();
  const nonces = (html: string) => new Set([...html.matchAll(/(?:nonce|crossorigin)="([^"]+)"/g)].map((m) => m[1]));
  for (const page of ['/services', '/boards/department-of-revenue-and-benefits', '/file-a-tax-return']) {
    const alone = await (await request.get(page)).text();
    expect(preloads(alone).length).toBeGreaterThan(0);
    const together = await Promise.all(Array.from({ length: 24 }, async () => (await request.get(page)).text()));
    for (const html of together) {
      expect(preloads(html), page).toEqual(preloads(alone));
      expect(nonces(html).size, `${page}: one nonce in the page`).toBe(1);
    }
  }
});

test('a page whose part of the WebAssembly cannot be fetched is loaded whole, and nothing panics', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/file-a-tax-return');
  await hydrated(page);
  // The WebAssembly fetched next (the explorer's part) fails, and fails
  // again when tried again: as it does offline, or in a page opened before
  // Pulse was updated (its files are gone). The page loaded whole fetches
  // its own.
  let refused = '';
  let failing = true;
  await page.route(/\/pkg\/.*\.wasm$/, async (route) => {
    if (!failing) return route.continue();
    refused = route.request().url();
    await route.abort('internetdisconnected');
  });
  const documents: string[] = [];
  page.on('request', (r) => {
    if (r.resourceType() === 'document') {
      failing = false;
      documents.push(new URL(r.url()).pathname);
    }
  });
  await page.getByRole('link', { name: 'Explore services' }).first().click();
  await expect(page.getByRole('heading', { level: 1, name: 'Explore services' })).toBeVisible();
  await hydrated(page);
  expect(refused).toMatch(/\.wasm$/);
  expect(documents).toContain('/services');
  // The page works: its filter narrows the list.
  await page.getByLabel('Service name').fill('tax');
  await expect(page).toHaveURL(/name=tax/);
  // No panic, nothing logged but the refused fetches themselves (the
  // loader of split parts logs each one it was refused).
  expect(errors.some((e) => /Failed to fetch/.test(e))).toBe(true);
  expect(errors.filter((e) => !/Failed to load resource|ERR_INTERNET_DISCONNECTED|^TypeError: Failed to fetch/.test(e))).toEqual([]);
  await page.screenshot({ path: path.join(artifacts, 'lazy-part-not-fetched.png') });
});

test('an address whose query the browser decodes otherwise than a server would hydrates without a panic', async ({ page }) => {
  // Escaped twice: read once, `%72egister-a-birth,%FF` and `portfolio/x%FF`,
  // which a browser's second decoding refuses and keeps; a lenient one made
  // them `register-a-birth,\uFFFD` and `portfolio/x\uFFFD`, and the pages
  // drew other markup than the browser's WebAssembly, which panicked.
  const errors = watchErrors(page);
  await page.goto('/compare?services=%2572egister-a-birth%2C%25FF');
  await hydrated(page);
  await expect(page.getByRole('heading', { level: 1, name: 'Compare services' })).toBeVisible();
  await expect(page.locator('#compare-problem')).toBeVisible();
  expect(errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
});
