// Accounts as people meet them: signing in and out, a key made, shown once, used,
// revoked and refused, and what a viewer may not do.
import { test, expect, type Page } from '@playwright/test';
import * as path from 'node:path';
import { artifacts } from './helpers';
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

test('an admin creates a user, who then signs in; the audit log shows both', async ({ page, browser }) => {
  await signIn(page, 'admin@demo.pulse.example');
  await page.goto('/admin/users');
  await expect(page.locator('html[data-hydrated]')).toBeAttached();
  await page.waitForLoadState('networkidle');
  await expect(page.locator('#users tbody tr')).toHaveCount(3);
  // Filled until every field keeps its value (a late hydration on a slow,
  // cold machine can redraw the form under the first keystrokes).
  await expect(async () => {
    await page.getByLabel('Email address').fill('jane@demo.pulse.example');
    await page.getByLabel('Name', { exact: true }).fill('Jane Okafor');
    await page.getByLabel('Role', { exact: true }).selectOption('editor');
    await page.getByLabel('Organisations', { exact: true }).fill('licensing-agency');
    await page.getByLabel('First password').fill('jane has a long password');
    await expect(page.getByLabel('Email address')).toHaveValue('jane@demo.pulse.example', { timeout: 500 });
    await expect(page.getByLabel('Name', { exact: true })).toHaveValue('Jane Okafor', { timeout: 500 });
  }).toPass();
  await page.getByRole('button', { name: 'Create user' }).click();
  await expect(page.locator('#users-done')).toContainText('Jane Okafor can now sign in');
  const jane = page.locator('#users tbody tr', { hasText: 'jane@demo.pulse.example' });
  await expect(jane.getByLabel('Organisations of Jane Okafor')).toHaveValue('licensing-agency');

  // Their organisations change in the table.
  await jane.getByLabel('Organisations of Jane Okafor').fill('licensing-agency, registration-office');
  await jane.getByRole('button', { name: /Save/ }).click();
  await expect(page.locator('#users-done')).toContainText('licensing-agency, registration-office');

  const other = await browser.newPage();
  await signIn(other, 'jane@demo.pulse.example', 'jane has a long password');
  await expect(other.locator('#settings-link')).toHaveText('Jane Okafor (settings)');
  await other.close();

  await page.goto('/admin/audit?filter=jane');
  await expect(page.locator('#audit tbody')).toContainText('user.create');
  await expect(page.locator('#audit tbody')).toContainText('session.start');
  await page.screenshot({ path: path.join(artifacts, 'admin-audit.png'), fullPage: true });
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
