// Pulse on a phone (320 to 390 px wide): no page scrolls sideways (wide tables
// scroll inside their own region), the header's links fold behind "Menu", and
// the compare tray is one line until opened. Focus never drops to the page
// when something leaves the tray.
import { test, expect, type Page } from '@playwright/test';
import * as path from 'node:path';
import { artifacts, hydrated, publicPages, watchErrors } from './helpers';


/** How far the page reaches past the window's right edge, in pixels. */
async function overflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

for (const width of [320, 390]) {
  test(`no page scrolls sideways at ${width} px`, async ({ page }) => {
    await page.setViewportSize({ width, height: 800 });
    const errors = watchErrors(page);
    const wide: string[] = [];
    for (const path of publicPages) {
      await page.goto(path);
      await hydrated(page);
      const over = await overflow(page);
      if (over > 0) wide.push(`${path}: ${over} px too wide`);
      // A table that scrolls in its own region keeps its caption in view:
      // the caption wraps to the region's width, not the table's.
      const cut = await page.evaluate(() => [...document.querySelectorAll('.pulse-table-wide')].flatMap((region) => {
        const caption = region.querySelector(':scope > table > caption');
        if (!caption) return [];
        const [r, c] = [region.getBoundingClientRect(), caption.getBoundingClientRect()];
        return c.right > r.right + 1 ? [`${region.getAttribute('aria-label')}: caption ${Math.round(c.right - r.right)} px past its region`] : [];
      }));
      wide.push(...cut.map((c) => `${path}: ${c}`));
    }
    expect(wide, wide.join('\n')).toEqual([]);
    expect(errors).toEqual([]);
  });
}

test('the header menu folds behind a Menu button, and closes on the next page', async ({ page }) => {
  await page.setViewportSize({ width: 375, height: 800 });
  await page.goto('/services');
  await hydrated(page);
  const menu = page.locator('#menu-button');
  const boards = page.locator('#navigation').getByRole('link', { name: 'Boards' });
  await expect(menu).toBeVisible();
  await expect(menu).toHaveAttribute('aria-expanded', 'false');
  await expect(boards).toBeHidden();
  const header = await page.locator('header').boundingBox();
  expect(header!.height).toBeLessThan(80);
  await menu.click();
  await expect(menu).toHaveAttribute('aria-expanded', 'true');
  await expect(boards).toBeVisible();
  await page.screenshot({ path: path.join(artifacts, 'phone-menu.png') });
  await boards.click();
  await expect(page).toHaveURL(/\/boards$/);
  await expect(boards).toBeHidden();
  await expect(menu).toHaveAttribute('aria-expanded', 'false');

  // On a desktop the links are simply there.
  await page.setViewportSize({ width: 1280, height: 800 });
  await expect(menu).toBeHidden();
  await expect(boards).toBeVisible();
});

test('the tray is one line on a phone, and focus moves on as services leave it', async ({ page }) => {
  await page.setViewportSize({ width: 375, height: 800 });
  await page.goto('/file-a-tax-return');
  await hydrated(page);
  await page.getByRole('button', { name: 'Add to comparison' }).first().click();
  await page.goto('/register-a-birth');
  await hydrated(page);
  await page.getByRole('button', { name: 'Add to comparison' }).first().click();
  const tray = page.locator('.pulse-tray');
  await expect(page.locator('#pulse-tray-title')).toHaveText('Compare (2 of 6)');
  expect((await tray.boundingBox())!.height).toBeLessThan(70);
  await expect(page.locator('#pulse-tray-items')).toBeHidden();
  await page.screenshot({ path: path.join(artifacts, 'phone-tray.png') });

  await page.locator('#pulse-tray-toggle').click();
  await expect(page.locator('#pulse-tray-items')).toBeVisible();
  await expect(page.locator('#pulse-tray-toggle')).toHaveAttribute('aria-expanded', 'true');

  // Delete on the first item: the one after it takes its place and the focus.
  await page.locator('#pulse-tray-item-0').focus();
  await page.keyboard.press('Delete');
  await expect(page.locator('#pulse-tray-items li')).toHaveCount(1);
  await expect(page.locator('#pulse-tray-item-0')).toBeFocused();
  // The last one gone, the tray closes and the focus goes to the page's content.
  await page.keyboard.press('Delete');
  await expect(tray).toBeHidden();
  await expect(page.locator('#main-content')).toBeFocused();
});
