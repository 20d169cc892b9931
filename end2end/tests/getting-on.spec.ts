// Getting on Pulse: a new editor, signed in with nothing, reads the guide,
// builds a dashboard for a new service, uploads a spreadsheet with a bad row
// (pointed out), fixes it, publishes, and everyone sees the figures. Then the
// guide's code examples are taken from the pages and run unchanged against
// this Pulse.
import { test, expect, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { artifacts, hydrated, inkedPixels, signIn, watchErrors } from './helpers';

const key = fs.readFileSync(path.join(__dirname, '..', '.admin-key'), 'utf8').trim();
const admin = { Authorization: `Bearer ${key}` };
const password = 'a new editor password';
const org = 'department-for-harbours';
const email = 'new.editor@harbours.example';
const service = 'apply-for-a-harbour-permit';

/** Rows of the builder's module list, by title. */
async function moduleTitles(page: Page): Promise<string[]> {
  return page.locator('.pulse-build__module-title').allInnerTexts();
}

/** The dashboard's module slugs as the API has them. */
async function savedSlugs(page: Page): Promise<string[]> {
  const d = await (await page.request.get(`/api/v1/dashboards/${service}`, { headers: admin })).json();
  return d.modules.map((m: any) => m.slug);
}

function monday(): string {
  const now = new Date();
  const day = (now.getUTCDay() + 6) % 7;
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - day));
  return d.toISOString().slice(0, 10);
}

test.describe.configure({ mode: 'serial' });

let tokens: Record<string, string> = {};

test('a new editor goes from the guide to a published dashboard with data', async ({ page, request }) => {
  test.setTimeout(120_000);
  const errors = watchErrors(page);
  // An admin gives them an organisation with nothing in it and the editor role.
  const o = await request.post('/api/v1/organisations', {
    headers: admin,
    data: { slug: org, title: 'Department for Harbours', kind: 'department' },
  });
  expect(o.status(), await o.text()).toBe(201);
  const u = await request.post('/api/v1/users', {
    headers: admin,
    data: { email, display_name: 'Nia New', role: 'editor', organisations: [org], password },
  });
  expect(u.status(), await u.text()).toBe(201);

  await signIn(page, email, password);

  // The guide, from the header; the getting-started page; a search.
  await page.locator('#guide-link').click();
  await expect(page).toHaveURL(/\/guide$/);
  await hydrated(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Getting on Pulse');
  await page.locator('#getting-started-link').click();
  await expect(page).toHaveURL(/\/guide\/getting-started$/);
  await hydrated(page);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Getting started');
  await expect(page.locator('.pulse-guide__body a[href="/build"]').first()).toBeVisible();
  await page.screenshot({ path: path.join(artifacts, 'guide-getting-started.png'), fullPage: true });
  await page.getByLabel('Search the guide').fill('spreadsheet');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(/\/guide\?q=spreadsheet/);
  await expect(page.locator('.pulse-guide__hits a').first()).toBeVisible();
  expect(await page.locator('.pulse-guide__hits a').count()).toBeGreaterThan(0);

  // The builder: a new service, four KPIs, created in one go.
  await page.locator('#build-link').click();
  await expect(page).toHaveURL(/\/build$/);
  await hydrated(page);
  await page.getByLabel('A new service').check();
  await page.getByLabel("The service's name").fill('Apply for a harbour permit');
  await expect(page.getByLabel('Organisation that runs it')).toHaveValue(org);
  await page.getByLabel('Cost per transaction').uncheck();
  await page.screenshot({ path: path.join(artifacts, 'build-start.png'), fullPage: true });
  await page.locator('#create-dashboard').click();
  await expect(page.locator('#dashboard-created')).toBeVisible();
  for (const type of ['transactions-by-channel', 'user-satisfaction', 'completion-rate']) {
    const token = (await page.locator(`#token-${service}-${type}`).innerText()).trim();
    expect(token.length).toBeGreaterThan(20);
    tokens[type] = token;
  }
  await expect(page.locator('#write-tokens .govuk-summary-list__row')).toHaveCount(3);

  // Arrange: the modules the KPIs made, in order.
  await page.locator('#arrange-modules').click();
  await expect(page).toHaveURL(new RegExp(`/build/${service}$`));
  await hydrated(page);
  await expect(page.locator('#dashboard-status')).toHaveText('Draft: not published');
  expect(await savedSlugs(page)).toEqual([
    'transactions-per-month', 'transactions-by-channel', 'digital-take-up', 'user-satisfaction', 'completion-rate',
  ]);
  // A real mouse drags the completion rate (by its row) to the top.
  await page.locator('#modules-heading').evaluate((e) => e.scrollIntoView());
  const from = (await page.locator('.pulse-build__module-text').nth(4).boundingBox())!;
  const to = (await page.locator('.pulse-build__module-text').nth(0).boundingBox())!;
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await page.mouse.down();
  await page.mouse.move(to.x + to.width / 2, to.y + to.height / 2 + 5, { steps: 12 });
  await page.mouse.up();
  await expect.poll(() => savedSlugs(page)).toEqual([
    'completion-rate', 'transactions-per-month', 'transactions-by-channel', 'digital-take-up', 'user-satisfaction',
  ]);
  // The keyboard: the satisfaction module's handle, up once; focus follows.
  await page.locator('#handle-4').focus();
  await page.keyboard.press('ArrowUp');
  await expect.poll(() => savedSlugs(page)).toEqual([
    'completion-rate', 'transactions-per-month', 'transactions-by-channel', 'user-satisfaction', 'digital-take-up',
  ]);
  await expect(page.locator('#builder-said')).toContainText('Moved “User satisfaction” to position 4 of 5');
  await expect(page.locator('#handle-3')).toBeFocused();
  // Removed, and changed through its form.
  await page.getByRole('button', { name: /^Remove\s*“Transactions per month”$/ }).click();
  await expect.poll(() => savedSlugs(page)).toEqual([
    'completion-rate', 'transactions-by-channel', 'user-satisfaction', 'digital-take-up',
  ]);
  await page.getByRole('button', { name: /^Change\s*“Completion rate”$/ }).click();
  const about = 'Of those who start, how many finish online.';
  await page.locator('#module-completion-rate-description').fill(about);
  // Another module moved while this one's form is open: the list is drawn
  // again, and the words typed in the form stay.
  await page.locator('#handle-3').focus();
  await page.keyboard.press('ArrowUp');
  await expect.poll(() => savedSlugs(page)).toEqual([
    'completion-rate', 'transactions-by-channel', 'digital-take-up', 'user-satisfaction',
  ]);
  await expect(page.locator('#module-completion-rate-description')).toHaveValue(about);
  await page.locator('#module-completion-rate-title').fill('Finished online');
  await page.locator('#module-completion-rate-period').selectOption('month');
  await page.locator('#module-completion-rate-duration').fill('6');
  await page.getByRole('button', { name: 'Save the module' }).click();
  await expect.poll(async () => {
    const d = await (await page.request.get(`/api/v1/dashboards/${service}`, { headers: admin })).json();
    return [d.modules[0].title, d.modules[0].query, d.modules[0].description];
  }).toEqual(['Finished online', 'period=month&duration=6&group_by=stage&collect=count:sum', about]);
  // Added: a table of the completion figures.
  await page.getByLabel('Kind of module').selectOption('table');
  await page.getByLabel('Data set it shows').selectOption(`${service}/completion-rate`);
  await page.locator('#add-title').fill('Completion figures');
  await page.locator('#add-module').click();
  await expect.poll(() => savedSlugs(page)).toContain('completion-figures');
  // A ranked list of the stages, linked to the guide, and a live figure.
  await page.getByLabel('Kind of module').selectOption('list');
  await page.getByLabel('Data set it shows').selectOption(`${service}/completion-rate`);
  await page.locator('#add-title').fill('Stages');
  await page.locator('#add-module').click();
  await expect.poll(() => savedSlugs(page)).toContain('stages');
  await page.getByRole('button', { name: /^Change\s*“Stages”$/ }).click();
  await page.locator('#module-stages-limit').fill('2');
  await page.locator('#module-stages-link').fill('/guide/data-types#{stage}');
  await page.getByRole('button', { name: 'Save the module' }).click();
  await page.getByLabel('Kind of module').selectOption('realtime');
  await page.getByLabel('Data set it shows').selectOption(`${service}/completion-rate`);
  await page.locator('#add-title').fill('People now');
  await page.locator('#add-module').click();
  await expect.poll(() => savedSlugs(page)).toContain('people-now');
  await page.getByRole('button', { name: /^Change\s*“People now”$/ }).click();
  await page.locator('#module-people-now-hours').fill('12');
  await page.getByRole('button', { name: 'Save the module' }).click();
  await expect.poll(async () => {
    const d = await (await page.request.get(`/api/v1/dashboards/${service}`, { headers: admin })).json();
    const [list, live] = ['stages', 'people-now'].map((slug) => d.modules.find((m: any) => m.slug === slug));
    return [list.type, list.query, list.options, live.type, live.options];
  }).toEqual([
    'list', 'group_by=stage&collect=count:sum&sort_by=count:sum:descending&limit=2',
    { link: '/guide/data-types#{stage}' }, 'realtime', { value: 'count', hours: 12 },
  ]);
  await page.screenshot({ path: path.join(artifacts, 'build-arrange.png'), fullPage: true });

  // Upload: a spreadsheet with one bad row is pointed out, nothing stored.
  await page.locator(`a[href="/data-sets/${service}/completion-rate"]`).click();
  await expect(page).toHaveURL(new RegExp(`/data-sets/${service}/completion-rate$`));
  await hydrated(page);
  const week = (n: number) => {
    const d = new Date(`${monday()}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() - 7 * n);
    return d.toISOString().slice(0, 10);
  };
  const rows = [];
  for (let n = 8; n >= 1; n--) {
    rows.push(`${week(n)},start,${1000 + n * 10}`);
    rows.push(`${week(n)},end,${800 + n * 5}`);
  }
  const bad = ['_timestamp,stage,count', ...rows.slice(0, 4), `${week(6)},finish,812`, ...rows.slice(5)].join('\n');
  await page.getByLabel('Choose a CSV or Excel (.xlsx) file').setInputFiles({
    name: 'harbour-completion.csv', mimeType: 'text/csv', buffer: Buffer.from(bad),
  });
  await page.locator('#check-file').click();
  await expect(page.locator('#upload-problems')).toContainText('1 problem found: nothing has been stored');
  // What was found is met first: focus is on the problems, not the page.
  await expect(page.locator('#upload-problems')).toBeFocused();
  const problem = page.locator('#problem-table tbody tr');
  await expect(problem).toHaveCount(1);
  await expect(problem.locator('td').nth(0)).toHaveText('6');
  await expect(problem.locator('td').nth(1)).toHaveText('B (stage)');
  await expect(problem.locator('td').nth(2)).toContainText('finish');
  await expect(page.locator('#store-file')).toHaveCount(0);
  await page.screenshot({ path: path.join(artifacts, 'upload-problem.png'), fullPage: true });
  const none = await (await request.get(`/data/${service}/completion-rate`)).json();
  expect(none.data).toEqual([]);

  // Fixed and uploaded again: 16 new records, stored, in the history.
  const good = ['_timestamp,stage,count', ...rows].join('\n');
  await page.getByLabel('Choose a CSV or Excel (.xlsx) file').setInputFiles({
    name: 'harbour-completion.csv', mimeType: 'text/csv', buffer: Buffer.from(good),
  });
  await page.locator('#check-file').click();
  await expect(page.locator('#upload-summary')).toContainText('16 records read from harbour-completion.csv: 16 new, 0 replacing');
  await expect(page.locator('#preview-heading')).toBeFocused();
  await page.screenshot({ path: path.join(artifacts, 'upload-preview.png'), fullPage: true });
  await page.locator('#store-file').click();
  await expect(page.locator('#upload-stored')).toContainText('Stored 16 records from harbour-completion.csv');
  await expect(page.locator('#upload-stored')).toBeFocused();
  await expect(page.locator('#history-table tbody tr[data-action="upload"]')).toContainText(
    'Uploaded harbour-completion.csv: 16 records (16 new, 0 replaced)',
  );
  const stored = await (await request.get(`/data/${service}/completion-rate`)).json();
  expect(stored.data.length).toBe(16);

  // Publish, from the builder; the data sets the modules read are published too.
  await page.goto(`/build/${service}`);
  await hydrated(page);
  await page.locator('#publish').click();
  await expect(page.locator('#dashboard-status')).toHaveText('Published');
  const sets = await (await request.get('/api/v1/data-sets', { headers: admin })).json();
  const completion = sets.data_sets.find((d: any) => d.name === 'apply_for_a_harbour_permit_completion_rate');
  expect(completion.published).toBe(true);
  expect(errors).toEqual([]);

  // Anyone now sees the dashboard with the data.
  const visitor = await page.context().browser()!.newContext();
  const anon = await visitor.newPage();
  const anonErrors = watchErrors(anon);
  const response = await anon.goto(`/${service}`);
  expect(response!.status()).toBe(200);
  await hydrated(anon);
  await expect(anon.getByRole('heading', { level: 1 })).toContainText('Apply for a harbour permit');
  await expect(anon.locator('.pulse-unpublished')).toHaveCount(0);
  await expect.poll(() => inkedPixels(anon, '#chart-completion-rate')).toBeGreaterThan(1000);
  await expect(anon.locator('#module-completion-figures tbody tr').first()).toBeVisible();
  // The list of stages, most first, each linked as its form said.
  await expect(anon.locator('#module-stages table.pulse-list tbody tr')).toHaveCount(2);
  await expect(anon.locator('#module-stages tbody tr').first().locator('th a')).toHaveAttribute('href', '/guide/data-types#start');
  await expect(anon.locator('#module-people-now .pulse-live__when')).toContainText('No count in the last 12 hours');
  await anon.screenshot({ path: path.join(artifacts, 'built-dashboard.png'), fullPage: true });
  expect(anonErrors).toEqual([]);
  await visitor.close();

  // A change saved while its editor leaves the page: the answer comes to a
  // page that is gone, and nothing panics (the draft it would have read
  // went with the page).
  await page.goto(`/build/${service}`);
  await hydrated(page);
  await page.route(`**/api/v1/dashboards/${service}`, async (route) => {
    if (route.request().method() !== 'PUT') return route.continue();
    await new Promise((done) => setTimeout(done, 1500));
    await route.continue();
  });
  const saved = page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().endsWith(`/api/v1/dashboards/${service}`));
  await page.getByRole('button', { name: /^Move up\s*“Stages”$/ }).click();
  await page.locator('#preview-link').click();
  await expect(page).toHaveURL(new RegExp(`/${service}$`));
  expect((await saved).status()).toBe(200);
  await page.waitForTimeout(500);
  await hydrated(page);
  expect(errors).toEqual([]);
});

test("the guide's code examples run unchanged against this Pulse", async ({ page, request, baseURL }) => {
  test.setTimeout(120_000);
  expect(Object.keys(tokens)).toContain('completion-rate');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-examples-'));
  const run = (file: string, language: string) => {
    const [command, args] =
      language === 'bash' ? ['bash', [file]] : language === 'python' ? ['python3', [file]] : ['node', [file]];
    return execFileSync(command, args, {
      env: {
        ...process.env,
        PULSE_SERVICE: service,
        PULSE_TOKEN: tokens['transactions-by-channel'],
        PULSE_COMPLETION_TOKEN: tokens['completion-rate'],
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
  };
  const ran: string[] = [];
  for (const slug of ['send-data', 'pull-data', 'instrument', 'correct-figures']) {
    await page.goto(`/guide/${slug}`);
    await hydrated(page);
    const blocks = page.locator('pre[data-example]');
    const n = await blocks.count();
    expect(n, slug).toBeGreaterThan(0);
    for (let i = 0; i < n; i++) {
      const name = (await blocks.nth(i).getAttribute('data-example'))!;
      const language = (await blocks.nth(i).getAttribute('data-language'))!;
      // Exactly what a reader copies: the block's text.
      const code = await blocks.nth(i).innerText();
      expect(code).toContain(baseURL!);
      const file = path.join(dir, name);
      fs.writeFileSync(file, code);
      const out = run(file, language);
      fs.writeFileSync(path.join(artifacts, `example-${name}.txt`), out);
      ran.push(name);
    }
  }
  expect(ran.sort()).toEqual(
    ['correct.sh', 'instrument.mjs', 'instrument.py', 'read.mjs', 'read.py', 'read.sh', 'send.mjs', 'send.py', 'send.sh'],
  );
  // What the examples sent arrived: this week's transactions, and completion counts.
  const week = `${monday()}T00:00:00+00:00`;
  const tx = await (await request.get(`/data/${service}/transactions-by-channel?filter_by=channel:digital`)).json();
  expect(tx.data.some((r: any) => r._timestamp === week)).toBe(true);
  const done = await (await request.get(`/data/${service}/completion-rate?filter_by=stage:start`)).json();
  expect(done.data.some((r: any) => r._timestamp === week)).toBe(true);
  // The API reference's "Try it" sends a real request.
  await page.goto('/guide/api');
  await hydrated(page);
  const op = page.locator('section.pulse-operation', { has: page.locator('h3', { hasText: 'GET /api/v1/data-types/{name}' }) }).first();
  await op.locator('summary').click();
  await op.getByLabel('name (in the path, required)').fill('journey');
  await op.getByRole('button', { name: 'Send the request' }).click();
  await expect(op.locator('.pulse-try__status')).toContainText('200');
  await expect(op.locator('.pulse-try__answer')).toContainText('"name": "journey"');
  await page.screenshot({ path: path.join(artifacts, 'guide-api.png') });
});
