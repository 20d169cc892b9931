// Accounts as people meet them: signing in and out, a key made, shown once, used,
// revoked and refused, and what a viewer may not do.
import { test, expect, type Page } from '@playwright/test';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { artifacts, linkIn, mailCount, mailTo, violations, watchErrors } from './helpers';
const password = 'demo password for tests';

async function signIn(page: Page, email: string, pass = password) {
  await page.goto('/sign-in');
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(pass);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test('a wrong password is explained without saying whether the account exists', async ({ page }) => {
  await signIn(page, 'editor@demo.pulse.example', 'not the password');
  await expect(page).toHaveURL(/\/sign-in\?error=credentials/);
  await expect(page.locator('.govuk-error-summary')).toContainText('did not match');
  await expect(page.getByLabel('Email address')).toHaveValue('editor@demo.pulse.example');
  await signIn(page, 'nobody@demo.pulse.example', 'not the password');
  await expect(page.locator('.govuk-error-summary')).toContainText('did not match');
});

test('an editor signs in, makes a key, uses it, revokes it, and signs out', async ({ page, request }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await signIn(page, 'editor@demo.pulse.example');
  await expect(page).toHaveURL(/\/$/);
  await expect(page.locator('#settings-link')).toHaveText('Robin Patel (settings)');

  await page.locator('#settings-link').click();
  await expect(page.getByRole('heading', { level: 1, name: 'API keys' })).toBeVisible();
  await expect(page.locator('#no-keys')).toBeVisible();
  await expect(async () => {
    await page.getByLabel('Name').fill('browser test key');
    await expect(page.getByLabel('Name')).toHaveValue('browser test key');
  }).toPass();
  await page.getByRole('button', { name: 'Create key' }).click();
  const secret = (await page.locator('#new-secret').textContent())!.trim();
  expect(secret).toMatch(/^pulse_[A-Za-z0-9_-]{43}$/);
  await expect(page.locator('#new-key')).toContainText('will not be shown again');
  await page.screenshot({ path: path.join(artifacts, 'api-keys.png'), fullPage: true });

  // The key works for a program...
  const auth = { Authorization: `Bearer ${secret}` };
  expect((await request.get('/api/v1/dashboards', { headers: auth })).status()).toBe(200);
  // ...and is never shown again.
  await page.reload();
  await expect(page.locator('#new-secret')).toHaveCount(0);
  const row = page.locator('#keys tbody tr', { hasText: 'browser test key' });
  await expect(row).toContainText(secret.slice(0, 14));
  await expect(row).toContainText('Active');

  // Revoked (after confirming), it is refused.
  await expect(async () => {
    await row.getByRole('button', { name: 'Revoke' }).click();
    await expect(row.getByRole('button', { name: 'Yes, revoke' })).toBeVisible({ timeout: 1000 });
  }).toPass();
  await row.getByRole('button', { name: 'Yes, revoke' }).click();
  await expect(page.locator('#keys tbody tr', { hasText: 'browser test key' })).toContainText('Revoked');
  const refused = await request.get('/api/v1/dashboards', { headers: auth });
  expect(refused.status()).toBe(401);

  await page.locator('#sign-out').click();
  await expect(page).toHaveURL(/\/sign-in\?signed-out=1/);
  await expect(page.locator('.govuk-notification-banner')).toContainText('You have signed out');
  await page.goto('/settings/api-keys');
  await expect(page.locator('#sign-in-needed')).toBeVisible();
  expect(errors).toEqual([]);
});

test('a viewer may not grant editing scopes nor reach what admins manage', async ({ page }) => {
  await signIn(page, 'viewer@demo.pulse.example');
  await page.goto('/settings/api-keys');
  await expect(page.getByLabel(/Read unpublished dashboards/)).toBeVisible();
  await expect(page.getByLabel(/Create and change dashboards/)).toHaveCount(0);
  await expect(page.getByRole('heading', { name: "Everyone's keys" })).toHaveCount(0);
  const adminPage = await page.goto('/admin/users');
  expect(adminPage!.status()).toBe(403);
  await expect(page.locator('#admin-refused')).toContainText('Only admins');
  // The page's own session, through the API: admin routes are refused.
  expect((await page.request.get('/api/v1/users')).status()).toBe(403);
  expect((await page.request.get('/api/v1/audit')).status()).toBe(403);
  // A change without the session's CSRF token is refused, cookie or not.
  const forged = await page.request.post('/api/v1/api-keys', { data: { name: 'x', scopes: ['read:unpublished'] } });
  expect(forged.status()).toBe(403);
});

test('organisations typed in one row stay while another row is saved', async ({ page }) => {
  const errors = watchErrors(page);
  await signIn(page, 'admin@demo.pulse.example');
  await page.goto('/admin/users');
  await expect(page.locator('html[data-hydrated]')).toBeAttached();
  const viewer = page.getByLabel('Organisations of Kathy Morgan');
  const editor = page.getByLabel('Organisations of Robin Patel');
  await expect(viewer).toHaveValue('department-of-revenue-and-benefits');
  await expect(async () => {
    await viewer.fill('department-of-revenue-and-benefits, tax-collection-office');
    await expect(viewer).toHaveValue('department-of-revenue-and-benefits, tax-collection-office', { timeout: 500 });
  }).toPass();
  // The editor's row saved as it is: the list is read again and drawn.
  await editor.fill('department-of-revenue-and-benefits');
  await page.getByRole('button', { name: 'Save the organisations of Robin Patel' }).click();
  await expect(page.locator('#users-done')).toContainText('Robin Patel is now editor of department-of-revenue-and-benefits and active.');
  await expect(viewer).toHaveValue('department-of-revenue-and-benefits, tax-collection-office');
  // Not saved: the API still has the viewer's one organisation.
  const users = await (await page.request.get('/api/v1/users')).json();
  const kathy = users.users.find((u: any) => u.email === 'viewer@demo.pulse.example');
  expect(kathy.organisations).toEqual(['department-of-revenue-and-benefits']);
  expect(errors).toEqual([]);
});

test('an admin invites someone by e-mail, who sets their own password; the audit log shows both', async ({ page, browser }) => {
  const errors = watchErrors(page);
  await signIn(page, 'admin@demo.pulse.example');
  await page.goto('/admin/users');
  await expect(page.locator('html[data-hydrated]')).toBeAttached();
  await expect(page.locator('#users tbody tr')).toHaveCount(3);
  await page.getByRole('link', { name: 'Invite someone' }).click();
  await expect(page).toHaveURL(/\/invitations$/);
  await expect(page.locator('html[data-hydrated]')).toBeAttached();
  await page.waitForLoadState('networkidle');
  await expect(page.locator('#mail-off')).toHaveCount(0);
  const before = mailCount();
  // Filled until every field keeps its value (a late hydration on a slow,
  // cold machine can redraw the form under the first keystrokes).
  await expect(async () => {
    await page.getByLabel('Email address').fill('jane@demo.pulse.example');
    await page.getByLabel('Name (optional)').fill('Jane Okafor');
    await page.getByLabel('Role', { exact: true }).selectOption('editor');
    await page.getByLabel('Organisations', { exact: true }).fill('licensing-agency');
    await expect(page.getByLabel('Email address')).toHaveValue('jane@demo.pulse.example', { timeout: 500 });
    await expect(page.getByLabel('Name (optional)')).toHaveValue('Jane Okafor', { timeout: 500 });
  }).toPass();
  await page.getByRole('button', { name: 'Send invitation' }).click();
  await expect(page.locator('#invitations-done')).toContainText('An invitation is on its way to jane@demo.pulse.example');
  const row = page.locator('#invitations tbody tr', { hasText: 'jane@demo.pulse.example' });
  await expect(row).toContainText('Waiting, until');
  await page.screenshot({ path: path.join(artifacts, 'invitations.png'), fullPage: true });

  // The e-mail, as it arrived at the SMTP server: plain text and HTML.
  const mail = await mailTo('jane@demo.pulse.example', before);
  expect(mail.subject).toBe('You have been invited to Pulse');
  expect(mail.text).toContain('You will be an editor');
  expect(mail.html).toContain('Set your password and sign in');
  const link = linkIn(mail.text, 'http://127.0.0.1:');
  expect(link).toMatch(/\/invitation\?token=/);
  fs.writeFileSync(path.join(artifacts, 'invitation-mail.html'), mail.html);

  // Jane, in a browser of her own, follows the link.
  const jane = await browser.newPage();
  const janeErrors = watchErrors(jane);
  await jane.goto(link);
  await expect(jane.locator('html[data-hydrated]')).toBeAttached();
  await expect(jane.locator('#invitation-summary')).toContainText('Mario Rossi invited you to Pulse as an editor for');
  await expect(jane.getByLabel('Email address')).toHaveValue('jane@demo.pulse.example');
  await expect(jane.getByLabel('Your name')).toHaveValue('Jane Okafor');
  expect(await violations(jane)).toEqual([]);
  // A common password is refused, and said why, next to the field.
  await jane.getByLabel('Password').fill('Password123456!');
  await jane.getByRole('button', { name: 'Set password and sign in' }).click();
  await expect(jane.locator('#password-error')).toContainText('most common passwords');
  await expect(jane.locator('.govuk-error-summary')).toBeVisible();
  await jane.screenshot({ path: path.join(artifacts, 'invitation-refused.png'), fullPage: true });
  await jane.getByLabel('Password').fill('jane keeps a long passphrase');
  await jane.getByRole('button', { name: 'Set password and sign in' }).click();
  await expect(jane).toHaveURL(/\/\?welcome=1$/);
  await expect(jane.locator('#settings-link')).toHaveText('Jane Okafor (settings)');
  // The link worked once.
  await jane.goto(link);
  await expect(jane.locator('#link-problem')).toContainText('has been used');
  // (the refusals above are answers the page explains, not errors)
  expect(janeErrors.filter((e) => !e.startsWith('Failed to load resource'))).toEqual([]);
  await jane.close();

  // She signs in with her own password from anywhere.
  const other = await browser.newPage();
  await signIn(other, 'jane@demo.pulse.example', 'jane keeps a long passphrase');
  await expect(other.locator('#settings-link')).toHaveText('Jane Okafor (settings)');
  await other.close();

  await page.goto('/invitations');
  await expect(page.locator('#invitations tbody tr', { hasText: 'jane@demo.pulse.example' })).toContainText('Accepted');
  // What became of the message, for admins.
  await page.goto('/admin/mail');
  await expect(page.locator('#mail-state')).toContainText('Pulse sends e-mail from Pulse <pulse@demo.pulse.example>');
  await expect(page.locator('#mail tbody tr', { hasText: 'jane@demo.pulse.example' })).toContainText('Sent');
  await page.screenshot({ path: path.join(artifacts, 'admin-mail.png'), fullPage: true });
  await page.goto('/admin/audit?filter=invitation');
  await expect(page.locator('#audit tbody')).toContainText('invitation.create');
  await expect(page.locator('#audit tbody')).toContainText('invitation.accept');
  await page.screenshot({ path: path.join(artifacts, 'admin-audit.png'), fullPage: true });
  expect(errors).toEqual([]);
});

test('a forgotten password is reset from a link by e-mail, and every other session ends', async ({ page, browser }) => {
  const errors = watchErrors(page);
  // A session elsewhere, which the reset ends.
  const elsewhere = await browser.newPage();
  await signIn(elsewhere, 'viewer@demo.pulse.example');
  await expect(elsewhere.locator('#settings-link')).toBeAttached();

  await page.goto('/sign-in');
  await page.getByRole('link', { name: 'Forgotten your password?' }).click();
  await expect(page).toHaveURL(/\/forgot-password$/);
  await expect(page.locator('html[data-hydrated]')).toBeAttached();
  const before = mailCount();
  await page.getByLabel('Email address').fill('viewer@demo.pulse.example');
  await page.getByRole('button', { name: 'Send me a link' }).click();
  await expect(page.locator('#reset-sent')).toContainText('If viewer@demo.pulse.example has a Pulse account');
  const mail = await mailTo('viewer@demo.pulse.example', before);
  expect(mail.subject).toBe('Reset your Pulse password');
  const link = linkIn(mail.text, 'http://127.0.0.1:');
  await page.goto(link);
  await expect(page.locator('html[data-hydrated]')).toBeAttached();
  await expect(page.locator('#reset-summary')).toContainText('viewer@demo.pulse.example');
  expect(await violations(page)).toEqual([]);
  await page.getByLabel('New password').fill('short');
  await page.getByRole('button', { name: 'Set password and sign in' }).click();
  await expect(page.locator('#password-error')).toContainText('at least 12 characters');
  await page.getByLabel('New password').fill('a fresh viewer passphrase');
  await page.getByRole('button', { name: 'Set password and sign in' }).click();
  await expect(page).toHaveURL(/\/\?welcome=1$/);
  await expect(page.locator('#settings-link')).toBeAttached();
  // The other session has ended; the old password no longer works.
  await elsewhere.reload();
  await expect(elsewhere.locator('#settings-link')).toHaveCount(0);
  await elsewhere.close();
  await signIn(page, 'viewer@demo.pulse.example', password);
  await expect(page).toHaveURL(/\/sign-in\?error=credentials/);
  // Put back, for the other tests.
  const again = mailCount();
  await page.goto('/forgot-password');
  await page.getByLabel('Email address').fill('viewer@demo.pulse.example');
  await page.getByRole('button', { name: 'Send me a link' }).click();
  await expect(page.locator('#reset-sent')).toBeVisible();
  const back = await mailTo('viewer@demo.pulse.example', again);
  const reset = (await page.request.post('/api/v1/password-reset/complete', {
    data: { token: new URL(linkIn(back.text, 'http://127.0.0.1:')).searchParams.get('token'), password },
  }));
  expect(reset.status()).toBe(200);
  expect(errors.filter((e) => !e.startsWith('Failed to load resource'))).toEqual([]);
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });
  test('signing in and out are forms', async ({ page }) => {
    await signIn(page, 'admin@demo.pulse.example');
    await expect(page.locator('#settings-link')).toHaveText('Mario Rossi (settings)');
    await page.locator('#sign-out').click();
    await expect(page.locator('#sign-in-link')).toBeVisible();
  });
});

test('late data brings one reminder by e-mail, which admins see and pause, and word when it comes', async ({ page, request }) => {
  const errors = watchErrors(page);
  const key = fs.readFileSync(path.join(__dirname, '..', '.admin-key'), 'utf8').trim();
  // A data group with no service: its reminders go to Pulse's admins.
  const created = await request.post('/api/v1/data-sets', {
    headers: { Authorization: `Bearer ${key}` },
    data: { data_group: 'browser-late', data_type: 'late-figures', max_age_expected: 3600 },
  });
  expect(created.status()).toBe(201);
  const token = (await created.json()).bearer_token;
  const send = (at: Date) => request.post('/data/browser-late/late-figures', {
    headers: { Authorization: `Bearer ${token}` },
    data: { _timestamp: at.toISOString(), count: 1 },
  });
  const before = mailCount();
  expect((await send(new Date(Date.now() - 2 * 86_400_000))).status()).toBe(200);
  // (the demo's own late data may write to its admin too: this one is ours)
  const reminder = await mailTo('admin@demo.pulse.example', before, 'browser-late: the late-figures figures are late');
  expect(reminder.text).toContain('to be no more than 1 hour old');
  expect(reminder.text).toContain('no service is called "browser-late"');
  expect(reminder.html).toContain('Send or upload the figures');

  await signIn(page, 'admin@demo.pulse.example');
  await expect(page.locator('#settings-link')).toBeAttached();
  await page.goto('/admin/reminders');
  await expect(page.locator('html[data-hydrated]')).toBeAttached();
  const row = page.locator('#reminders tbody tr', { hasText: 'browser-late/late-figures' });
  await expect(row.locator('.govuk-tag')).toHaveText('Late');
  await expect(row).toContainText('1 sent');
  await expect(row).toContainText('admin@demo.pulse.example');
  await expect(page.locator('#reminders-summary')).toHaveText(/^\d+ of \d+ watched data sets are late\.$/);
  expect(await violations(page)).toEqual([]);
  await page.screenshot({ path: path.join(artifacts, 'admin-reminders.png'), fullPage: true });

  // Paused with the mouse, resumed with the keyboard: the focus stays on the button.
  await row.getByRole('button', { name: 'Pause reminders about browser-late/late-figures' }).click();
  await expect(page.locator('#reminders-done')).toHaveText('Reminders about browser-late/late-figures are paused.');
  await expect(row.locator('.govuk-tag')).toHaveText('Paused');
  await expect(row).toContainText('paused by admin@demo.pulse.example');
  const button = page.locator('#reminders-browser-late-late-figures');
  await expect(button).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.locator('#reminders-done')).toHaveText('Reminders about browser-late/late-figures are on again.');
  await expect(row.locator('.govuk-tag')).toHaveText('Late');
  await expect(button).toBeFocused();

  // The figures come: one message saying so.
  const beforeComing = mailCount();
  expect((await send(new Date())).status()).toBe(200);
  const came = await mailTo('admin@demo.pulse.example', beforeComing, 'browser-late: the late-figures figures have come');
  expect(came.text).toContain('they are in date again');
  await page.reload();
  await expect(row.locator('.govuk-tag')).toHaveText('In date');
  await expect(row).toContainText('in date again on');
  expect(errors).toEqual([]);
});

/** The code an authentication app shows for `secret` at `unix` seconds, made by pyotp (not Pulse). */
function totp(secret: string, unix: number): string {
  const tools = process.env.PULSE_MAIL_TOOLS ?? path.join(process.env.HOME ?? '', '.cache/pulse/mail');
  return execFileSync(path.join(tools, 'venv/bin/python'), [
    '-c', 'import pyotp, sys; print(pyotp.TOTP(sys.argv[1]).at(int(sys.argv[2])))', secret, String(unix),
  ]).toString().trim();
}

test('two-factor sign-in: set up from a QR code, then a code after the password, or a recovery code once', async ({ page, browser, request }) => {
  const errors = watchErrors(page);
  const key = fs.readFileSync(path.join(__dirname, '..', '.admin-key'), 'utf8').trim();
  const email = 'two.factors@demo.pulse.example';
  const pass = 'two factors make a safer sign-in';
  const made = await request.post('/api/v1/users', {
    headers: { Authorization: `Bearer ${key}` },
    data: { email, display_name: 'Tove Factor', role: 'viewer', organisations: [], password: pass },
  });
  expect(made.status(), await made.text()).toBe(201);

  await signIn(page, email, pass);
  await expect(page.locator('#settings-link')).toBeAttached();
  await page.goto('/settings/api-keys');
  await expect(page.locator('html[data-hydrated]')).toBeAttached();
  await expect(page.locator('#two-factor-state')).toContainText('Two-factor sign-in is off');
  const qr = page.getByRole('img', { name: 'QR code holding your Pulse key for an authentication app' });
  // (pressed again if the page was not yet interactive)
  await expect(async () => {
    await page.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
    await expect(qr.locator('svg')).toBeVisible({ timeout: 3_000 });
  }).toPass();
  expect((await qr.boundingBox())!.width).toBeGreaterThanOrEqual(200);
  const secret = (await page.locator('#two-factor-secret').innerText()).replace(/\s/g, '');
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  expect(await violations(page)).toEqual([]);
  await page.screenshot({ path: path.join(artifacts, 'two-factor-setup.png'), fullPage: true });
  // A wrong code is said to be wrong; the app's code turns it on.
  await page.getByLabel('2. Enter the code the app shows').fill('000000');
  await page.getByLabel('3. Enter your password').fill(pass);
  await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
  await expect(page.locator('#two-factor-problem')).toContainText('did not match');
  const now = Math.floor(Date.now() / 1000);
  await page.getByLabel('2. Enter the code the app shows').fill(totp(secret, now));
  await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
  await expect(page.locator('#recovery-codes li')).toHaveCount(10);
  await expect(page.locator('#recovery-codes-title')).toBeFocused();
  await expect(page.locator('#two-factor-state')).toContainText('You have 10 recovery codes left');
  const recovery = await page.locator('#recovery-codes li').allInnerTexts();
  expect(await violations(page)).toEqual([]);
  await page.screenshot({ path: path.join(artifacts, 'two-factor-recovery-codes.png'), fullPage: true });

  // Elsewhere: the password, then the app's next code.
  const phone = await browser.newContext();
  const other = await phone.newPage();
  await signIn(other, email, pass);
  await expect(other).toHaveURL(/\/sign-in\/code\?next=/);
  await expect(other.locator('html[data-hydrated]')).toBeAttached();
  expect(await violations(other)).toEqual([]);
  await other.getByLabel('Enter the code from your authentication app').fill('123 456');
  await other.getByRole('button', { name: 'Continue' }).click();
  await expect(other).toHaveURL(/\/sign-in\/code\?error=code/);
  await expect(other.locator('.govuk-error-summary')).toContainText('did not match');
  await other.screenshot({ path: path.join(artifacts, 'two-factor-code-refused.png'), fullPage: true });
  await other.getByLabel('Enter the code from your authentication app').fill(totp(secret, now + 30));
  await other.getByRole('button', { name: 'Continue' }).click();
  await expect(other).toHaveURL(/\/$/);
  await expect(other.locator('#settings-link')).toHaveText('Tove Factor (settings)');
  await phone.close();

  // A lost phone: a recovery code, once.
  for (const expected of ['signed in', 'refused']) {
    const context = await browser.newContext();
    const lost = await context.newPage();
    await signIn(lost, email, pass);
    await expect(lost).toHaveURL(/\/sign-in\/code/);
    await lost.getByLabel('Enter the code from your authentication app').fill(recovery[0]);
    await lost.getByRole('button', { name: 'Continue' }).click();
    if (expected === 'signed in') {
      await expect(lost.locator('#settings-link')).toHaveText('Tove Factor (settings)');
    } else {
      await expect(lost.locator('.govuk-error-summary')).toContainText('did not match');
    }
    await context.close();
  }
  await page.reload();
  await expect(page.locator('#two-factor-state')).toContainText('You have 9 recovery codes left');
  // (the wrong code's 422 is an answer the page explains, not an error)
  expect(errors.filter((e) => !e.startsWith('Failed to load resource'))).toEqual([]);
});
