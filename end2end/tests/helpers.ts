// What the browser tests share: watching for errors and measuring a drawn chart.
import { expect, type Page, type ConsoleMessage } from '@playwright/test';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Where screenshots go (end2end/artifacts). */
export const artifacts = path.join(__dirname, '..', 'artifacts');
fs.mkdirSync(artifacts, { recursive: true });

/** Collects console errors and uncaught exceptions for the whole test. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (msg: ConsoleMessage) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(String(err)));
  return errors;
}

/** How many pixels of the chart's canvas are neither transparent nor white. */
export async function inkedPixels(page: Page, selector: string): Promise<number> {
  return page.evaluate((sel) => {
    const canvas = document.querySelector(`${sel} canvas`) as HTMLCanvasElement | null;
    if (!canvas || canvas.width === 0 || canvas.height === 0) return 0;
    const ctx = canvas.getContext('2d');
    if (!ctx) return 0;
    const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    let inked = 0;
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
      if (a > 0 && !(r > 245 && g > 245 && b > 245)) inked++;
    }
    return inked;
  }, selector);
}

/**
 * Waits until the page is interactive (its lazily loaded parts hydrated). A
 * page that never gets there fails with what it was doing: its address,
 * whether it loaded, the files it fetched and how long each took, and what it
 * logged.
 */
export async function hydrated(page: Page) {
  try {
    await expect(page.locator('html[data-hydrated]')).toHaveCount(1);
  } catch (error) {
    const state = await page
      .evaluate(() => ({
        url: location.href,
        readyState: document.readyState,
        sinceStart: Math.round(performance.now()),
        files: performance
          .getEntriesByType('resource')
          .map((r) => {
            const e = r as PerformanceResourceTiming;
            return `${e.name} from ${Math.round(e.startTime)} ms, ${Math.round(e.duration)} ms, ${e.transferSize} B`;
          }),
      }))
      .catch((e) => ({ unreadable: String(e) }));
    const logged = (await page.consoleMessages({ filter: 'since-navigation' }).catch(() => []))
      .map((m) => `${m.type()}: ${m.text()}`);
    const errors = (await page.pageErrors({ filter: 'since-navigation' }).catch(() => []))
      .map((e) => String(e));
    throw new Error(
      `The page was not hydrated: ${JSON.stringify({ ...state, logged, errors }, null, 1)}\n${(error as Error).message}`,
    );
  }
}

/** Signs in through the sign-in page (the demo people's password by default). */
export async function signIn(page: Page, email: string, password = 'demo password for tests') {
  await page.goto('/sign-in');
  await hydrated(page);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // Attached: on a phone the header's links are behind "Menu".
  await expect(page.locator('#sign-out')).toBeAttached();
}

/** A page of every kind anyone may see. */
export const publicPages = [
  '/',
  '/services',
  '/services/file-a-tax-return',
  '/file-a-tax-return',
  '/file-a-tax-return/transactions-per-month',
  '/compare?services=file-a-tax-return,book-a-driving-test,register-a-birth',
  '/boards',
  '/boards/department-of-revenue-and-benefits',
  '/guide',
  '/guide/api',
  '/sign-in',
  '/forgot-password',
  '/unsubscribe?address=someone%40example.gov.uk&token=0000',
  // A live figure and a ranked list.
  '/renew-a-driving-licence',
];

const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** axe's findings on the page as it stands, one line per problem. */
export async function violations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  const found = await page.evaluate(async () => {
    const axe = (window as any).axe;
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
    });
    return result.violations.map((v: any) =>
      `${v.id} (${v.impact}): ${v.help}\n` +
      v.nodes.slice(0, 5).map((n: any) => `    ${n.target.join(' ')}: ${n.failureSummary.split('\n').slice(1).join('; ')}`).join('\n'),
    );
  });
  return found;
}


/** Where the tests' SMTP server writes what arrives (end2end/serve-for-tests.sh). */
const mailDir = path.join(__dirname, '..', '.mail');

/** The newest e-mail to `address` after the `after`th message (whose subject
 * is `subject`, if given), once it has arrived (decoded by Python's e-mail
 * library: subject, text, html, headers). */
export async function mailTo(address: string, after = 0, subject?: string): Promise<any> {
  let found: any = null;
  await expect.poll(() => {
    const files = fs.existsSync(mailDir) ? fs.readdirSync(mailDir).filter((f) => f.endsWith('.json')).sort() : [];
    const messages = files.slice(after).map((f) => JSON.parse(fs.readFileSync(path.join(mailDir, f), 'utf8')));
    found = messages
      .filter((m) => m.rcpt_tos.includes(address) && (subject === undefined || m.subject === subject))
      .pop() ?? null;
    return found !== null;
  }, { timeout: 15_000 }).toBe(true);
  return found;
}

/** Every e-mail that has arrived so far with `subject`. */
export function mailsWithSubject(subject: string): any[] {
  const files = fs.existsSync(mailDir) ? fs.readdirSync(mailDir).filter((f) => f.endsWith('.json')) : [];
  return files
    .map((f) => JSON.parse(fs.readFileSync(path.join(mailDir, f), 'utf8')))
    .filter((m) => m.subject === subject);
}

/** How many e-mails have arrived so far. */
export function mailCount(): number {
  return fs.existsSync(mailDir) ? fs.readdirSync(mailDir).filter((f) => f.endsWith('.json')).length : 0;
}

/** The first link in `text` that begins with `prefix`. */
export function linkIn(text: string, prefix: string): string {
  const start = text.indexOf(prefix);
  if (start < 0) throw new Error(`no link ${prefix} in:\n${text}`);
  return text.slice(start).split(/\s/)[0];
}

/**
 * From now on, the page's requests to addresses under `prefix` (a path, like
 * `/data/`) are answered `ms` later; `sent` is the next such request.
 */
export async function slowDown(page: Page, prefix: string, ms: number) {
  const under = (url: URL) => url.pathname.startsWith(prefix);
  await page.route(under, async (route) => {
    await new Promise((done) => setTimeout(done, ms));
    await route.continue();
  });
  return { sent: page.waitForRequest((r) => under(new URL(r.url()))) };
}
