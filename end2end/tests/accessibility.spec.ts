// axe-core (pinned in package-lock.json) over every kind of page, signed out
// and signed in, on a desktop and on a phone: no violation of WCAG 2.2 A or AA
// or of axe's best practices may be found. Each page is checked once it is
// interactive and its charts are drawn, so what people with JavaScript get is
// what is checked; without JavaScript, the charts' places are checked to hold
// their tables.
import { test, expect, type Page } from '@playwright/test';
import { hydrated, publicPages as everyPublicPage, signIn, violations } from './helpers';

const dashboard = '/file-a-tax-return';

/** Pages anyone may see (and one that is not there). */
const publicPages = [...everyPublicPage, '/no-such-page'];

/** Pages behind signing in (as the demo admin, who sees every control). */
const signedInPages = [
  dashboard,
  '/settings/api-keys',
  '/admin/users',
  '/admin/audit',
  '/admin/mail',
  '/invitations',
  '/build',
  '/build/file-a-tax-return',
  '/data-sets/file-a-tax-return/transactions-by-channel',
];

const viewports = {
  desktop: { width: 1280, height: 900 },
  phone: { width: 375, height: 812 },
};

/** Opens `path` and waits until it is interactive and its charts are drawn. */
async function open(page: Page, path: string, script = true) {
  await page.goto(path);
  if (!script) return;
  await hydrated(page);
  // (a page that loads its parts in the browser has a heading meanwhile, but
  // what is checked is the page once loaded)
  await expect(page.locator('.pulse-loading')).toHaveCount(0);
  const charts = page.locator('.pulse-chart');
  for (let i = 0; i < (await charts.count()); i++) {
    await expect(charts.nth(i).locator('canvas')).toHaveCount(1);
  }
}

for (const [name, viewport] of Object.entries(viewports)) {
  test.describe(`on a ${name}`, () => {
    test.use({ viewport });

    test('every public page passes axe', async ({ page }) => {
      const problems: string[] = [];
      for (const path of publicPages) {
        await open(page, path);
        for (const v of await violations(page)) problems.push(`${path}: ${v}`);
      }
      expect(problems, problems.join('\n')).toEqual([]);
    });

    test('every page of a signed-in admin passes axe', async ({ page }) => {
      await signIn(page, 'admin@demo.pulse.example');
      const problems: string[] = [];
      for (const path of signedInPages) {
        await open(page, path);
        for (const v of await violations(page)) problems.push(`${path}: ${v}`);
      }
      expect(problems, problems.join('\n')).toEqual([]);
    });
  });
}

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  // (axe itself needs JavaScript to run, so these pages are checked by hand:
  // what a chart's place holds without it.)
  test('charts give way to a sentence and their tables', async ({ page }) => {
    for (const path of [dashboard, `${dashboard}/transactions-per-month`, '/services/file-a-tax-return', publicPages[5]]) {
      await open(page, path, false);
      // No blank boxes: every chart's place says why and shows its figures.
      const charts = await page.locator('.pulse-chart-frame').count();
      expect(charts, path).toBeGreaterThan(0);
      await expect(page.locator('.pulse-chart-frame').first()).toBeHidden();
      await expect(page.locator('.pulse-no-js').first()).toBeVisible();
      expect(await page.locator('.pulse-no-js').count(), path).toBe(charts);
      const tables = page.locator('main table');
      expect(await tables.count(), path).toBeGreaterThan(0);
      for (let i = 0; i < (await tables.count()); i++) {
        await expect(tables.nth(i), `${path}: table ${i}`).toBeVisible();
      }
    }
  });
});

test.describe('when the WebAssembly cannot be fetched', () => {
  // JavaScript runs, but the page never becomes interactive (a proxy that
  // blocks .wasm files, a browser that refuses WebAssembly): it falls back to
  // what it is without JavaScript, its tables shown, not hidden behind
  // buttons that do nothing.
  test('charts give way to a sentence and their tables', async ({ page }) => {
    await page.route(/\.wasm(\?|$)/, (route) => route.abort());
    for (const path of [dashboard, publicPages[5]]) {
      await page.goto(path);
      await expect(page.locator('html')).not.toHaveClass(/pulse-js/);
      const charts = await page.locator('.pulse-chart-frame').count();
      expect(charts, path).toBeGreaterThan(0);
      await expect(page.locator('.pulse-no-js').first()).toBeVisible();
      const tables = page.locator('main table');
      expect(await tables.count(), path).toBeGreaterThan(0);
      for (let i = 0; i < (await tables.count()); i++) {
        await expect(tables.nth(i), `${path}: table ${i}`).toBeVisible();
      }
    }
  });
});
