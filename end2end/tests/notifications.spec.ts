// Alerts on figures as a person meets them: made on the Notifications page
// (a bad amount refused next to its field, a rule that does not suit refused
// in words), sent by e-mail once a new week crosses the line, the e-mail's
// link opening the dashboard at that week; deleted, with the focus kept;
// e-mail stopped and started again.
import { test, expect } from '@playwright/test';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { artifacts, hydrated, linkIn, mailCount, mailsWithSubject, mailTo, signIn, violations, watchErrors } from './helpers';

/** The Monday `weeks` weeks before this one, as an RFC 3339 timestamp. */
function monday(weeks: number): string {
  const now = new Date();
  const day = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const sinceMonday = (new Date(day).getUTCDay() + 6) % 7;
  return new Date(day - (sinceMonday + 7 * weeks) * 86_400_000).toISOString().replace('.000Z', 'Z');
}

test('an alert made on the Notifications page arrives once its figure crosses the line, and links to that week', async ({ page, request }) => {
  const errors = watchErrors(page);
  const key = fs.readFileSync(path.join(__dirname, '..', '.admin-key'), 'utf8').trim();
  const auth = { Authorization: `Bearer ${key}` };
  // A new service with weekly transactions, and its published dashboard.
  const made = await request.post('/api/v1/services/renew-a-boat-licence/dashboard', {
    headers: auth,
    data: {
      kpis: ['digital_take_up'],
      new_service: { title: 'Renew a boat licence', organisation: 'department-of-revenue-and-benefits' },
    },
  });
  expect(made.status(), await made.text()).toBe(201);
  const token = (await made.json()).tokens.find((t: any) => t.data_set.endsWith('transactions-by-channel')).bearer_token;
  expect((await request.post('/api/v1/dashboards/renew-a-boat-licence/publish', { headers: auth })).status()).toBe(200);
  const week = (weeks: number, digital: number, phone: number) =>
    request.post('/data/renew-a-boat-licence/transactions-by-channel', {
      headers: { Authorization: `Bearer ${token}` },
      data: [
        { _timestamp: monday(weeks), channel: 'digital', count: digital },
        { _timestamp: monday(weeks), channel: 'phone', count: phone },
      ],
    });
  expect((await week(3, 80, 20)).status()).toBe(200);
  expect((await week(2, 80, 20)).status()).toBe(200);

  await signIn(page, 'admin@demo.pulse.example');
  // Dashboards and people link here with the service and figure chosen.
  await page.goto('/settings/notifications?service=renew-a-boat-licence&kpi=digital_take_up');
  await hydrated(page);
  await expect(page.getByRole('heading', { level: 1, name: 'Notifications' })).toBeVisible();
  await expect(page.locator('#no-alerts')).toHaveText('You have no alerts yet.');
  await expect(page.getByLabel('Service')).toHaveValue('renew-a-boat-licence');
  await expect(page.getByLabel('Figure')).toHaveValue('digital_take_up');
  await expect(page.getByLabel('It misses a target')).toBeChecked();

  // A word where a number belongs: said next to the field, nothing made.
  await page.getByLabel('Amount').fill('eighty');
  await page.getByRole('button', { name: 'Add alert' }).click();
  await expect(page.locator('#alert-amount-error')).toContainText('Enter the amount as a number');
  await expect(page.locator('#alerts-problem')).toBeFocused();
  await expect(page.locator('#alerts-problem a[href="#alert-amount"]')).toContainText('Enter the amount as a number');
  await expect(page.getByLabel('Amount')).toHaveAttribute('aria-describedby', 'alert-amount-hint alert-amount-error');
  await page.locator('#alerts-problem a').click();
  await expect(page.getByLabel('Amount')).toBeFocused();
  await page.screenshot({ path: path.join(artifacts, 'notifications-refused.png'), fullPage: true });
  await page.getByLabel('Amount').fill('75');
  await page.getByRole('button', { name: 'Add alert' }).click();
  await expect(page.locator('#alerts-done')).toHaveText('Alert added: Digital take-up falls below 75.0% (Renew a boat licence).');
  await expect(page.locator('#alert-amount-error')).toHaveCount(0);
  const row = page.locator('#alerts tbody tr', { hasText: 'Digital take-up falls below 75.0%' });
  await expect(row).toContainText('Not yet');

  // Points on a count: the server says why, in words.
  await page.getByLabel('Figure').selectOption('transactions');
  await page.getByLabel('It moves by more than a number of percentage points').check();
  await page.getByLabel('Amount').fill('5');
  await page.getByRole('button', { name: 'Add alert' }).click();
  await expect(page.locator('#alerts-problem')).toContainText('not a percentage');

  // Chosen by keyboard: "unusual" needs no amount.
  await page.getByLabel('It is unusual').focus();
  await page.keyboard.press('Space');
  await expect(page.getByLabel('Amount')).toHaveCount(0);
  await page.getByRole('button', { name: 'Add alert' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.locator('#alerts-done')).toHaveText('Alert added: Transactions are unusual (Renew a boat licence).');
  await expect(page.locator('#alerts-done')).toBeFocused();
  expect(await violations(page)).toEqual([]);
  await page.screenshot({ path: path.join(artifacts, 'notifications.png'), fullPage: true });

  // A new week completes with digital take-up at 60%: one e-mail.
  const before = mailCount();
  expect((await week(1, 60, 40)).status()).toBe(200);
  const subject = 'Renew a boat licence: Digital take-up fell below the target of 75.0%';
  const mail = await mailTo('admin@demo.pulse.example', before, subject);
  expect(mail.text).toContain('Digital take-up for Renew a boat licence was 60.0% in');
  expect(mail.html).toContain('See the figures for');
  const link = linkIn(mail.text, 'http://127.0.0.1:');
  expect(link).toContain('/renew-a-boat-licence?period=week&from=');
  // Once per event: checks go on every 2 seconds, and no second one comes.
  await page.waitForTimeout(5000);
  expect(mailsWithSubject(subject)).toHaveLength(1);

  // The link opens the dashboard at that week.
  await page.goto(link);
  await hydrated(page);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Renew a boat licence');
  expect(new URL(page.url()).searchParams.get('period')).toBe('week');
  await page.screenshot({ path: path.join(artifacts, 'alert-link.png'), fullPage: true });

  await page.goto('/settings/notifications');
  await hydrated(page);
  await expect(row).toContainText('1 time, the last on');

  // Deleted: the focus goes to the list's heading.
  await row.getByRole('button', { name: 'Delete the alert: Digital take-up falls below 75.0% (Renew a boat licence)' }).click();
  await expect(page.locator('#alerts-done')).toContainText('Alert deleted: Digital take-up falls below 75.0%');
  await expect(page.locator('#alerts-heading')).toBeFocused();
  await expect(row).toHaveCount(0);

  // E-mail stopped, then started again; the button keeps the focus.
  await page.locator('#email-choice').click();
  await expect(page.locator('#email-state')).toContainText('You have stopped e-mail from Pulse');
  await expect(page.locator('#email-choice')).toHaveText('Start e-mail again');
  await expect(page.locator('#email-choice')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.locator('#email-state')).toHaveText('Pulse e-mails you at admin@demo.pulse.example.');
  const list = await (await page.request.get('/api/v1/alerts')).json();
  expect(list.receiving).toBe(true);
  expect(list.alerts.map((a: any) => a.description)).toEqual(['Transactions are unusual']);
  // (the refused amount's 422 is a console error of the browser's own)
  expect(errors.filter((e) => !e.startsWith('Failed to load resource'))).toEqual([]);
});

test('the notifications form driven fast by mouse and keyboard never panics, and the list agrees with the API', async ({ page }) => {
  const errors = watchErrors(page);
  await signIn(page, 'editor@demo.pulse.example');
  await page.goto('/settings/notifications');
  await hydrated(page);
  // A fixed sequence (mulberry32, seed 2026) of 160 quick actions.
  let a = 2026;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(xs: T[]) => xs[Math.floor(next() * xs.length)];
  const quick = { timeout: 1000 };
  const kpis = ['transactions', 'cost_per_transaction', 'digital_take_up', 'user_satisfaction', 'completion_rate'];
  const rules = ['misses_target', 'changes_by_percent', 'changes_by_points', 'unusual'];
  for (let i = 0; i < 160; i++) {
    const action = Math.floor(next() * 6);
    try {
      if (action === 0) await page.locator('#alert-kpi').selectOption(pick(kpis), quick);
      else if (action === 1) await page.locator(`#alert-rule-${pick(rules)}`).check(quick);
      else if (action === 2) await page.locator('#alert-amount').fill(pick(['', '5', '80', 'x', '1e999', '-3', '12.5%']), quick);
      else if (action === 3) {
        await page.locator('#alert-kpi').focus(quick);
        await page.keyboard.press(pick(['ArrowDown', 'ArrowUp', 'Tab', 'Shift+Tab']));
      } else if (action === 4) await page.locator('#add-alert-button').click(quick);
      else {
        const rows = page.locator('#alerts tbody button');
        if ((await rows.count()) > 0) await rows.first().click(quick);
      }
    } catch {
      // A control that went away while the page redrew is skipped, as a person would.
    }
  }
  await page.waitForTimeout(500);
  // Still answering, and showing what the API holds.
  await expect(page.getByRole('heading', { level: 1, name: 'Notifications' })).toBeVisible();
  const list = await (await page.request.get('/api/v1/alerts')).json();
  await expect(page.locator('#alerts tbody tr')).toHaveCount(list.alerts.length);
  // (refused requests are the browser's own console lines; nothing else may be logged)
  expect(errors.filter((e) => !e.startsWith('Failed to load resource'))).toEqual([]);
});

test('a board asked for by e-mail each week: from the board, a copy on request, then stopped', async ({ page }) => {
  const errors = watchErrors(page);
  await signIn(page, 'editor@demo.pulse.example');
  await page.goto('/boards/department-of-revenue-and-benefits');
  await hydrated(page);
  await page.getByRole('link', { name: 'E-mail me this board weekly' }).click();
  await expect(page).toHaveURL(/\/settings\/notifications\?board=department-of-revenue-and-benefits/);
  await hydrated(page);
  await expect(page.locator('#digest-schedule')).toContainText('Pulse sends them Mondays at 07:00, UK time.');
  await expect(page.locator('#no-digests')).toHaveText('You get no boards by e-mail yet.');
  await expect(page.getByLabel('Board')).toHaveValue('department-of-revenue-and-benefits');
  await page.getByRole('button', { name: 'E-mail me this board weekly' }).click();
  await expect(page.locator('#digests-done')).toHaveText('You will get Department of Revenue and Benefits by e-mail each week.');
  await expect(page.locator('#digests-done')).toBeFocused();
  const row = page.locator('#digests tbody tr', { hasText: 'Department of Revenue and Benefits' });
  await expect(row).toContainText('Not yet');

  // The same board again: refused in words, focus on the summary.
  await page.getByRole('button', { name: 'E-mail me this board weekly' }).click();
  await expect(page.locator('#digests-problem')).toContainText('You already get the board');
  await expect(page.locator('#digests-problem')).toBeFocused();

  // A copy now, as it would be sent on Monday.
  const before = mailCount();
  await row.getByRole('button', { name: 'Send me a copy now of Department of Revenue and Benefits' }).click();
  await expect(page.locator('#digests-done')).toHaveText(
    'A copy of the digest of Department of Revenue and Benefits is on its way to editor@demo.pulse.example.');
  const subject = 'Department of Revenue and Benefits: your weekly digest from Pulse';
  const mail = await mailTo('editor@demo.pulse.example', before, subject);
  for (const words of ['Headline figures', 'Transactions in the last year', 'What changed', 'Needs attention', 'New notes']) {
    expect(mail.text).toContain(words);
    expect(mail.html).toContain(words);
  }
  expect(mail.html).toContain('<th scope="col"');
  const link = linkIn(mail.text, 'http://127.0.0.1:');
  expect(link).toMatch(/\/boards\/department-of-revenue-and-benefits$/);
  // Again at once: once a minute at most, said in words.
  await row.getByRole('button', { name: 'Send me a copy now of Department of Revenue and Benefits' }).click();
  await expect(page.locator('#digests-problem')).toContainText('less than a minute ago');
  expect(await violations(page)).toEqual([]);
  await page.screenshot({ path: path.join(artifacts, 'digests.png'), fullPage: true });

  // The e-mail as a mail client shows it.
  await page.setContent(mail.html);
  await page.screenshot({ path: path.join(artifacts, 'digest-email.png'), fullPage: true });
  await page.goto(link);
  await hydrated(page);
  await expect(page.locator('#board-title')).toHaveText('Department of Revenue and Benefits');

  // Stopped: the focus goes to the list's heading.
  await page.goto('/settings/notifications');
  await hydrated(page);
  await row.getByRole('button', { name: 'Stop the digest of Department of Revenue and Benefits' }).click();
  await expect(page.locator('#digests-done')).toHaveText('Weekly digest stopped: Department of Revenue and Benefits.');
  await expect(page.locator('#digests-heading')).toBeFocused();
  await expect(page.locator('#no-digests')).toBeVisible();
  const list = await (await page.request.get('/api/v1/digests')).json();
  expect(list.digests).toEqual([]);
  // (the refused requests' 409 and 429 are console lines of the browser's own)
  expect(errors.filter((e) => !e.startsWith('Failed to load resource'))).toEqual([]);
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });
  test('the notifications page says what it holds', async ({ page }) => {
    // The sign-in form is a plain form.
    await page.goto('/sign-in');
    await page.getByLabel('Email address').fill('admin@demo.pulse.example');
    await page.getByLabel('Password').fill('demo password for tests');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.locator('#sign-out')).toBeAttached();
    await page.goto('/settings/notifications');
    await expect(page.getByRole('heading', { level: 1, name: 'Notifications' })).toBeVisible();
    // Rendered on the server: the person's address and their alerts (or none).
    await expect(page.locator('#email-state')).toContainText('admin@demo.pulse.example');
    await expect(page.locator('#alerts, #no-alerts')).toHaveCount(1);
    await page.screenshot({ path: path.join(artifacts, 'notifications-no-js.png'), fullPage: true });
  });
});
