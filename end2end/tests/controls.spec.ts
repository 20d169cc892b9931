// Every control of the pages people explore, driven fast and in a random (but
// fixed) order by mouse and keyboard: no sequence may panic the page's
// WebAssembly or log an error, and the page must still answer afterwards.
import { test, expect, type Page } from '@playwright/test';
import { hydrated, watchErrors } from './helpers';

/** A small seeded generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The page's own controls (not the header's links or sign-in). */
const controls = 'main select, main input.pulse-month, main input[type=checkbox], main input[type=search]';

const months = ['', '2024-01', '2025-04', '2025-09', '2026-03', '2026-11', '2099-01'];
const words = ['', 'tax', 'licence', 'zzz', 'a'];

/** One action on one of the page's controls; a control that went away in the
 * meantime (the page re-rendered) is simply skipped, as a person would. */
async function act(page: Page, next: () => number, log: string[]) {
  const all = page.locator(controls);
  const count = await all.count();
  if (count === 0) return;
  const pick = <T>(xs: T[]) => xs[Math.floor(next() * xs.length)];
  const i = Math.floor(next() * count);
  const control = all.nth(i);
  const quick = { timeout: 1000 };
  try {
    const [tag, type, id] = await control.evaluate(
      (e) => [e.tagName.toLowerCase(), (e as HTMLInputElement).type, e.id],
      undefined,
      quick,
    );
    if (tag === 'select') {
      if (next() < 0.5) {
        const values = await control.locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
        const value = pick(values);
        log.push(`select #${id} ${value}`);
        await control.selectOption(value, quick);
      } else {
        const key = pick(['ArrowDown', 'ArrowUp', 'ArrowDown', 'End', 'Home']);
        log.push(`key #${id} ${key}`);
        await control.focus(quick);
        await page.keyboard.press(key);
      }
    } else if (type === 'text' && /-(from|to)$/.test(id)) {
      const value = pick(months);
      log.push(`month #${id} ${value}`);
      await control.fill(value, quick);
      await control.dispatchEvent('change', undefined, quick);
    } else if (type === 'checkbox') {
      log.push(`check #${id}`);
      await control.click(quick);
    } else {
      const value = pick(words);
      log.push(`type #${id} ${value}`);
      await control.fill(value, quick);
    }
  } catch (e) {
    // Detached or hidden between finding and acting: not the page's fault.
    if (!String(e).match(/detached|not visible|Timeout|not attached|not an <input>|outside of the viewport|intercepts pointer/)) throw e;
  }
  // Sometimes at once, sometimes after the page has had a moment.
  if (next() < 0.3) await page.waitForTimeout(Math.floor(next() * 300));
}

const pages = [
  '/file-a-tax-return',
  '/file-a-tax-return/transactions-by-channel',
  '/services/file-a-tax-return',
  '/services',
  '/compare?services=file-a-tax-return,book-a-driving-test,register-a-birth',
  '/boards/department-of-revenue-and-benefits',
];

test('fast random sequences of control changes never panic a page', async ({ page }) => {
  test.setTimeout(240_000);
  const errors = watchErrors(page);
  // Which requests were refused, to say so when one is.
  const refused: string[] = [];
  page.on('response', (r) => {
    if (r.status() >= 400) refused.push(`${r.status()} ${r.url()}`);
  });
  const next = random(2026);
  let actions = 0;
  for (const path of pages) {
    await page.goto(path);
    await hydrated(page);
    const log: string[] = [];
    for (let n = 0; n < 40; n++) {
      await act(page, next, log);
      actions++;
    }
    // Settled, the page still answers: its controls are there and enabled.
    await page.waitForLoadState('networkidle');
    await expect(page.locator('main').first()).toBeVisible();
    // And what the controls show is what the URL says (no choice lost
    // between them): the period and the measure chosen.
    // (The address is read again as the select is: a choice's navigation
    // waits for the next frame, so the last one may not be in it yet.)
    for (const name of ['period', 'kpi']) {
      const select = page.locator(`main select[name=${name}]`).first();
      await expect.poll(async () => {
        const value = new URL(page.url()).searchParams.get(name);
        if (!value || (await select.count()) === 0) return `${name}: not chosen`;
        return `${name}: ${value} in the address, ${await select.inputValue()} shown`;
      }, { message: `${path} after:\n${log.join('\n')}` }).toMatch(new RegExp(`^${name}: (not chosen|(\\w+) in the address, \\2 shown)$`));
    }
    expect(errors, `${path} after:\n${log.join('\n')}\nrefused:\n${refused.join('\n')}`).toEqual([]);
  }
  expect(actions).toBeGreaterThanOrEqual(200);
});
