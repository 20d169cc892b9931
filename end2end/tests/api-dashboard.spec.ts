// A dashboard over data sent through the API, as a new service would: a data set
// created with an admin key, records written with its token, a dashboard built
// over it, and the page showing hand-computed figures.
import { test, expect } from '@playwright/test';
import * as fs from 'node:fs';
import * as path from 'node:path';

const key = fs.readFileSync(path.join(__dirname, '..', '.admin-key'), 'utf8').trim();
const admin = { Authorization: `Bearer ${key}` };

// Ten weeks from Monday 5 January 2026: digital 100 + 10i, paper 50 - 2i.
const weeks = Array.from({ length: 10 }, (_, i) => new Date(Date.UTC(2026, 0, 5 + 7 * i)));
const window = 'start_at=2026-01-05T00:00:00Z&end_at=2026-03-16T00:00:00Z';

test('a data set filled through the API gets a dashboard with the right figures', async ({ page, request }) => {
  const created = await request.post('/api/v1/data-sets', {
    headers: admin,
    data: { data_group: 'test-licence', data_type: 'applications', published: true, max_age_expected: 604800 },
  });
  expect(created.status()).toBe(201);
  const token = (await created.json()).bearer_token;
  expect(token).toMatch(/^pulse_/);

  const records = weeks.flatMap((w, i) => [
    { _timestamp: w.toISOString(), channel: 'digital', count: 100 + 10 * i },
    { _timestamp: w.toISOString(), channel: 'paper', count: 50 - 2 * i },
  ]);
  const refused = await request.post('/data/test-licence/applications', {
    headers: { Authorization: `Bearer ${token}` },
    data: [{ _timestamp: 'last Tuesday', channel: 'digital', count: 1 }],
  });
  expect(refused.status()).toBe(400);
  const written = await request.post('/data/test-licence/applications', {
    headers: { Authorization: `Bearer ${token}` },
    data: records,
  });
  expect(written.status()).toBe(200);

  const dashboard = {
    slug: 'apply-for-a-test-licence',
    title: 'Apply for a test licence',
    status: 'published',
    modules: [
      { type: 'kpi', slug: 'applications-this-week', title: 'Applications in the latest week',
        data_set: 'test-licence/applications', query: `period=week&${window}&collect=count:sum` },
      { type: 'grouped_timeseries', slug: 'by-channel', title: 'Applications by channel',
        data_set: 'test-licence/applications', query: `period=week&${window}&group_by=channel&collect=count:sum`,
        options: { series: ['digital', 'paper'] } },
    ],
  };
  const made = await request.post('/api/v1/dashboards', { headers: admin, data: dashboard });
  expect(made.status()).toBe(201);

  await page.goto('/apply-for-a-test-licence');
  await expect(page.getByRole('heading', { level: 1, name: 'Apply for a test licence' })).toBeVisible();
  // Latest week: 190 + 32 = 222; the week before 180 + 34 = 214; +3.7%.
  await expect(page.locator('#module-applications-this-week .pulse-headline__value')).toHaveText('222');
  await expect(page.locator('#module-applications-this-week .pulse-kpi__period')).toHaveText('9 to 15 March 2026');
  await expect(page.locator('#module-applications-this-week .pulse-kpi__change')).toContainText('+3.7% up on the period before');
  // The data is older than its expected age of a week.
  await expect(page.locator('#module-by-channel .pulse-freshness')).toContainText('Out of date');

  await page.locator('#module-by-channel button', { hasText: 'Show as a table' }).click();
  const rows = await page.locator('#table-by-channel tbody tr').evaluateAll((trs) =>
    trs.map((tr) => Array.from(tr.querySelectorAll('th, td')).map((c) => c.textContent!.trim())));
  // Newest week first: digital, paper, total.
  expect(rows.map((r) => r.slice(1))).toEqual(
    weeks.map((_, i) => [String(100 + 10 * i), String(50 - 2 * i), String(150 + 8 * i)]).reverse());
  expect(rows[0][0]).toBe('9 to 15 March 2026');
  expect(rows[9][0]).toBe('5 to 11 January 2026');
  await expect.poll(() => page.evaluate(() => {
    const canvas = document.querySelector('#chart-by-channel canvas') as HTMLCanvasElement | null;
    return canvas ? canvas.width : 0;
  })).toBeGreaterThan(0);

  // A module over a data set that does not exist says so instead of breaking the page.
  const broken = { ...dashboard, slug: 'broken-test-licence', modules: [{ ...dashboard.modules[0], data_set: 'test-licence/nothing-here' }] };
  const refusedDashboard = await request.post('/api/v1/dashboards', { headers: admin, data: broken });
  expect(refusedDashboard.status()).toBe(404);
  expect((await refusedDashboard.json()).message).toContain('test-licence/nothing-here');
});
