// The charts as people drive them: a zoom kept in the URL and shared by every
// chart of the page (by mouse or keyboard, kept across a reload and a change
// of period), a legend of buttons the keyboard reaches, and notes whose pins
// never cover each other.
import { test, expect, type Page } from '@playwright/test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { artifacts, hydrated, inkedPixels, watchErrors } from './helpers';

const key = fs.readFileSync(path.join(__dirname, '..', '.admin-key'), 'utf8').trim();
const admin = { Authorization: `Bearer ${key}` };

const weekly = '#module-transactions-by-channel';
const completion = '#module-completion-rate';

/** The zoom window (percentages) of the chart in `module`, as ECharts has it. */
async function windowOf(page: Page, module: string): Promise<[number, number]> {
  return page.evaluate((sel) => {
    const element = document.querySelector(`${sel} .pulse-chart`) as HTMLElement;
    const chart = (window as any).echarts.getInstanceByDom(element);
    const zoom = chart.getOption().dataZoom[0];
    return [zoom.start, zoom.end];
  }, module);
}

/** The `zoom` parameter of the page's URL. */
function zoomOf(page: Page): string | null {
  return new URL(page.url()).searchParams.get('zoom');
}

async function drawn(page: Page, module: string) {
  await hydrated(page);
  await expect.poll(() => inkedPixels(page, `${module} .pulse-chart`)).toBeGreaterThan(1000);
}

test('a zoom made by keyboard goes to the URL, every time chart follows it, and a link keeps it', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/file-a-tax-return');
  await drawn(page, weekly);
  await drawn(page, completion);
  expect(zoomOf(page)).toBeNull();

  // The chart takes the focus and says which keys it hears.
  const chart = page.locator(`${weekly} .pulse-chart`);
  await chart.focus();
  await expect(page.locator(`${weekly} .pulse-chart-keys`)).toBeVisible();
  await page.keyboard.press('+');
  await page.keyboard.press('+');
  await expect.poll(() => zoomOf(page)).toMatch(/^\d{4}-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2}$/);
  const zoomed = zoomOf(page)!;
  const [start, end] = await windowOf(page, weekly);
  expect(end - start).toBeLessThan(50);
  // The other chart of the page shows the same time.
  await expect.poll(async () => {
    const [s, e] = await windowOf(page, completion);
    return e - s;
  }).toBeLessThan(60);

  // The left arrow moves to earlier weeks.
  await page.keyboard.press('ArrowLeft');
  await expect.poll(() => zoomOf(page)).not.toBe(zoomed);
  expect(zoomOf(page)! < zoomed).toBe(true);
  const moved = zoomOf(page)!;
  await page.screenshot({ path: path.join(artifacts, 'zoomed-by-keyboard.png') });

  // A link (or a reload) shows the same zoom, before anyone touches it.
  await page.reload();
  await drawn(page, weekly);
  expect(zoomOf(page)).toBe(moved);
  const [s2, e2] = await windowOf(page, weekly);
  expect(e2 - s2).toBeLessThan(50);

  // By month, the zoom is the same span of days.
  await page.getByLabel('Show figures by').selectOption('month');
  await expect(page).toHaveURL(/period=month/);
  expect(zoomOf(page)).toBe(moved);
  await drawn(page, weekly);
  await expect.poll(async () => {
    const [s, e] = await windowOf(page, weekly);
    return e - s;
  }).toBeLessThan(80);

  // 0 shows it all, and the URL forgets the zoom. (A key pressed while the
  // chart is still being drawn again for months is not heard: pressed again
  // until it is, as a person would, on a slow machine.)
  await expect.poll(async () => {
    await page.locator(`${weekly} .pulse-chart`).focus();
    await page.keyboard.press('0');
    return zoomOf(page);
  }).toBeNull();
  await expect.poll(() => windowOf(page, weekly)).toEqual([0, 100]);
  expect(errors).toEqual([]);
});

test('a zoom made just before leaving a page stays with it, never written into the next', async ({ page }) => {
  const errors = watchErrors(page);
  for (const wait of [0, 100, 200]) {
    await page.goto('/file-a-tax-return');
    await hydrated(page);
    // To another dashboard inside the app, then a zoom and straight back.
    await page.evaluate(() => {
      const a = document.createElement('a');
      a.href = '/check-your-state-pension';
      a.id = 'to-another';
      a.textContent = 'Another dashboard';
      document.body.prepend(a);
    });
    await page.click('#to-another');
    await page.waitForURL(/check-your-state-pension/);
    await drawn(page, weekly);
    await page.locator(`${weekly} .pulse-chart`).focus();
    await page.keyboard.press('+');
    await page.keyboard.press('ArrowLeft');
    await page.waitForTimeout(wait);
    await page.goBack();
    await page.waitForURL(/file-a-tax-return/);
    // Past the moment the zoom would have settled into a URL.
    await page.waitForTimeout(600);
    expect(zoomOf(page), `back after ${wait} ms`).toBeNull();
  }
  expect(errors).toEqual([]);
});

test('the legend is a row of buttons that show and hide lines, by mouse or keyboard', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/file-a-tax-return');
  await drawn(page, weekly);
  const items = page.locator(`${weekly} .pulse-legend button`);
  expect(await items.count()).toBeGreaterThan(1);
  const first = items.first();
  const name = (await first.innerText()).trim();
  await expect(first).toHaveAttribute('aria-pressed', 'true');
  await first.click();
  await expect(first).toHaveAttribute('aria-pressed', 'false');
  const selected = () => page.evaluate(([sel, n]) => {
    const element = document.querySelector(`${sel} .pulse-chart`) as HTMLElement;
    const chart = (window as any).echarts.getInstanceByDom(element);
    return chart.getOption().legend[0].selected[n];
  }, [weekly, name]);
  expect(await selected()).toBe(false);
  // The keyboard reaches it and Enter shows the line again.
  await first.focus();
  await page.keyboard.press('Enter');
  await expect(first).toHaveAttribute('aria-pressed', 'true');
  expect(await selected()).toBe(true);
  // The canvas draws no second legend.
  const shown = await page.evaluate((sel) => {
    const element = document.querySelector(`${sel} .pulse-chart`) as HTMLElement;
    return (window as any).echarts.getInstanceByDom(element).getOption().legend[0].show;
  }, weekly);
  expect(shown).toBe(false);
  expect(errors).toEqual([]);
});

test('pins of notes on neighbouring weeks never cover each other', async ({ page, request }) => {
  const errors = watchErrors(page);
  const service = 'book-a-driving-test';
  // Four notes a week apart, in the middle of the last year.
  const monday = new Date();
  monday.setUTCDate(monday.getUTCDate() - 180 - ((monday.getUTCDay() + 6) % 7));
  const ids: number[] = [];
  for (let i = 0; i < 4; i++) {
    const day = new Date(monday.getTime() + i * 7 * 86400000).toISOString().slice(0, 10) + 'T00:00:00Z';
    const response = await request.post('/api/v1/annotations', {
      headers: admin,
      data: { service, starts_at: day, text: `Crowded note ${i + 1}`, visibility: 'public' },
    });
    expect(response.status(), await response.text()).toBe(201);
    ids.push((await response.json()).id);
  }
  try {
    await page.goto(`/${service}`);
    await drawn(page, weekly);
    const pins = page.locator(`${weekly} .pulse-pin`);
    await expect.poll(() => pins.count()).toBeGreaterThanOrEqual(4);
    const boxes = [];
    for (const pin of await pins.all()) boxes.push((await pin.boundingBox())!);
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const [a, b] = [boxes[i], boxes[j]];
        const apart = a.x + a.width <= b.x || b.x + b.width <= a.x
          || a.y + a.height <= b.y || b.y + b.height <= a.y;
        expect(apart, `pins ${i + 1} and ${j + 1} overlap`).toBe(true);
      }
    }
    await page.locator(weekly).screenshot({ path: path.join(artifacts, 'crowded-pins.png') });
  } finally {
    for (const id of ids) await request.delete(`/api/v1/annotations/${id}`, { headers: admin });
  }
  expect(errors).toEqual([]);
});

test('a note running past a zoomed window is drawn up to its edge, and one outside it not at all', async ({ page, request }) => {
  const errors = watchErrors(page);
  const service = 'book-a-driving-test';
  const day = (d: Date) => d.toISOString().slice(0, 10);
  const monday = new Date();
  monday.setUTCDate(monday.getUTCDate() - 180 - ((monday.getUTCDay() + 6) % 7));
  const weeks = (n: number) => new Date(monday.getTime() + n * 7 * 86400000);
  // A range of five weeks, from week 0 to week 4 (its last week's Sunday).
  const response = await request.post('/api/v1/annotations', {
    headers: admin,
    data: {
      service,
      starts_at: `${day(weeks(0))}T00:00:00Z`,
      ends_at: `${day(new Date(weeks(5).getTime() - 86400000))}T00:00:00Z`,
      text: 'A long campaign',
      visibility: 'public',
    },
  });
  expect(response.status(), await response.text()).toBe(201);
  const id = (await response.json()).id;
  const band = page.locator(`${weekly} .pulse-band[data-note="${id}"]`);
  /** The band's left and right edges, and the plot's right edge, in page pixels. */
  const edges = async () => {
    const b = (await band.boundingBox())!;
    const chart = (await page.locator(`${weekly} .pulse-chart`).boundingBox())!;
    return { left: b.x, right: b.x + b.width, plotRight: chart.x + chart.width - 24 };
  };
  try {
    // The window's last week is the note's last week.
    await page.goto(`/${service}?zoom=${day(weeks(-12))}..${day(weeks(4))}`);
    await drawn(page, weekly);
    await expect(band).toHaveCount(1);
    await expect(page.locator(`${weekly} .pulse-pin`, { hasText: /\d/ }).first()).toBeVisible();
    let e = await edges();
    expect(e.right).toBeLessThanOrEqual(e.plotRight + 2);
    expect(e.right - e.left).toBeGreaterThan(20);
    await page.locator(weekly).screenshot({ path: path.join(artifacts, 'note-at-zoom-edge.png') });

    // The window ends inside the note: the band runs to the plot's edge.
    await page.goto(`/${service}?zoom=${day(weeks(-12))}..${day(weeks(2))}`);
    await drawn(page, weekly);
    await expect(band).toHaveCount(1);
    e = await edges();
    expect(Math.abs(e.right - e.plotRight)).toBeLessThanOrEqual(2);

    // The window ends before the note: nothing of it is drawn.
    await page.goto(`/${service}?zoom=${day(weeks(-12))}..${day(weeks(-2))}`);
    await drawn(page, weekly);
    await expect(page.locator(`${weekly} .pulse-chart`)).toBeVisible();
    await expect(band).toHaveCount(0);
  } finally {
    await request.delete(`/api/v1/annotations/${id}`, { headers: admin });
  }
  expect(errors).toEqual([]);
});
