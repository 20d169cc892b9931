// Notes on the charts as editors, viewers and visitors meet them: a spike
// explained where it is, a range shaded by shift-dragging, a note written with
// the keyboard only, edits and deletes in place, who sees what, and markup
// shown as text.
import { test, expect, type Page } from '@playwright/test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { artifacts, hydrated, slowDown, watchErrors } from './helpers';

const password = 'demo password for tests';
const weekly = '#module-transactions-by-channel';

async function signIn(page: Page, email: string) {
  await page.goto('/sign-in');
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.locator('#sign-out')).toBeVisible();
}

/** The weekly chart is drawn and its marks are placed. */
async function marksPlaced(page: Page) {
  await expect.poll(() => page.locator(`${weekly} .pulse-spike, ${weekly} .pulse-pin`).count()).toBeGreaterThan(0);
}

test('an editor explains a spike where it is, and the note stays after a reload', async ({ page, request }) => {
  const errors = watchErrors(page);
  await signIn(page, 'editor@demo.pulse.example');
  await page.goto('/check-your-state-pension');
  await marksPlaced(page);
  const spikes = page.locator(`${weekly} button.pulse-spike`);
  const before = await spikes.count();
  expect(before).toBeGreaterThan(0);
  const spike = spikes.last();
  await expect(spike).toHaveAttribute('aria-label', /Explain this (spike|dip)/);
  const index = await spike.getAttribute('data-index');
  await spike.click();

  const editor = page.locator(`${weekly} form.pulse-note-editor--anchored`);
  await expect(editor).toBeVisible();
  await expect(editor.getByLabel('What happened')).toBeFocused();
  const date = await editor.getByLabel('Date').inputValue();
  expect(date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  await editor.getByLabel('What happened').fill('Letters went to every pensioner in May: many checked online that week.');
  await editor.getByLabel(/Tags/).fill('deadline');
  await page.screenshot({ path: path.join(artifacts, 'note-editor.png') });
  await editor.getByRole('button', { name: 'Save the note' }).click();
  await expect(editor).toBeHidden();

  // At once: a pin instead of the spike marker, and the note in the list.
  await expect(page.locator(`${weekly} .pulse-spike[data-index="${index}"]`)).toHaveCount(0);
  const pin = page.locator(`${weekly} .pulse-pin`).filter({ hasText: /\d/ });
  await expect(pin).toHaveCount(1);
  const list = page.locator(`${weekly} .pulse-notes`).first();
  await expect(list).toContainText('Letters went to every pensioner in May');
  await expect(list).toContainText('By Robin Patel');

  // Hovering or focusing the pin shows the note.
  await pin.focus();
  await expect(page.locator(`${weekly} .pulse-tip`, { hasText: 'Letters went to every pensioner' })).toBeVisible();

  // The note is on every chart of the service whose time axis covers it.
  await expect(page.locator('#module-completion-rate .pulse-notes').first()).toContainText('Letters went to every pensioner in May');

  await page.reload();
  await marksPlaced(page);
  await expect(page.locator(`${weekly} .pulse-pin`)).toHaveCount(1);
  await expect(page.locator(`${weekly} .pulse-notes`).first()).toContainText('Letters went to every pensioner in May');
  const api = await (await request.get('/api/v1/annotations?service=check-your-state-pension')).json();
  expect(api.annotations.map((n: any) => n.text)).toContain('Letters went to every pensioner in May: many checked online that week.');
  expect(api.annotations[0].starts_at.slice(0, 10)).toBe(date);

  // Edited and deleted in place, from the pin.
  await page.locator(`${weekly} .pulse-pin`).click();
  const card = page.locator(`${weekly} .pulse-note-card`);
  await expect(card).toContainText('Letters went to every pensioner');
  await card.getByRole('button', { name: 'Edit' }).click();
  const edit = page.locator(`${weekly} form.pulse-note-editor`);
  await expect(edit.getByLabel('What happened')).toHaveValue(/Letters went to every pensioner/);
  await edit.getByLabel('What happened').fill('Letters went to every pensioner in May.');
  await edit.getByRole('button', { name: 'Save the note' }).click();
  await expect(page.locator(`${weekly} .pulse-notes`).first()).toContainText('Letters went to every pensioner in May.');
  await expect(page.locator(`${weekly} .pulse-notes`).first()).toContainText('(edited)');
  // Focus never drops to the page: Escape goes back to the pin, the question
  // takes the focus, "Keep it" gives it back, and after the delete the list of
  // notes has it.
  await page.locator(`${weekly} .pulse-pin`).click();
  await expect(card).toBeVisible();
  // Opened, the card takes the focus (once the page has drawn it).
  await expect(card).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(card).toBeHidden();
  await expect(page.locator(`${weekly} .pulse-pin`)).toBeFocused();
  await page.locator(`${weekly} .pulse-pin`).click();
  await card.getByRole('button', { name: 'Delete' }).click();
  await expect(card.getByRole('button', { name: 'Yes, delete the note' })).toBeFocused();
  await card.getByRole('button', { name: 'Keep it' }).click();
  await expect(card.getByRole('button', { name: 'Delete' })).toBeFocused();
  await card.getByRole('button', { name: 'Delete' }).click();
  await card.getByRole('button', { name: 'Yes, delete the note' }).click();
  await expect(page.locator(`${weekly} .pulse-pin`)).toHaveCount(0);
  await expect(page.locator(`${weekly} .pulse-notes h3`).first()).toBeFocused();
  await expect(page.locator(`${weekly} .pulse-spike[data-index="${index}"]`)).toHaveCount(1);
  expect(errors).toEqual([]);
});

test('a click on the chart opens the editor at that week; a shift-drag shades a range', async ({ page }) => {
  const errors = watchErrors(page);
  await signIn(page, 'editor@demo.pulse.example');
  await page.goto('/check-your-state-pension');
  await marksPlaced(page);
  const chart = page.locator('#chart-transactions-by-channel');
  await chart.scrollIntoViewIfNeeded();
  let box = (await chart.boundingBox())!;

  // A click in the plot area: the editor opens there, with that week's date.
  await page.mouse.click(box.x + box.width * 0.5, box.y + box.height * 0.5);
  const editor = page.locator(`${weekly} form.pulse-note-editor--anchored`);
  await expect(editor).toBeVisible();
  const clicked = await editor.getByLabel('Date').inputValue();
  expect(new Date(clicked).getUTCDay()).toBe(1); // weeks start on Mondays
  await editor.getByRole('button', { name: 'Cancel' }).click();
  await expect(editor).toBeHidden();

  // (Pressing Cancel may have scrolled the page.)
  await chart.scrollIntoViewIfNeeded();
  box = (await chart.boundingBox())!;
  // Shift and drag across a tenth of the plot: a range from Monday to Sunday.
  await page.keyboard.down('Shift');
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.5);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.35, box.y + box.height * 0.5, { steps: 5 });
  await expect(page.locator(`${weekly} .pulse-band--selecting`)).toBeVisible();
  await page.mouse.move(box.x + box.width * 0.4, box.y + box.height * 0.5, { steps: 5 });
  await page.mouse.up();
  await page.keyboard.up('Shift');
  await expect(editor).toBeVisible();
  const from = await editor.getByLabel('Date').inputValue();
  const until = await editor.getByLabel('Until (for a range)').inputValue();
  expect(new Date(from).getUTCDay()).toBe(1);
  expect(new Date(until).getUTCDay()).toBe(0);
  expect(new Date(until).getTime() - new Date(from).getTime()).toBeGreaterThan(7 * 86_400_000);
  await editor.getByLabel('What happened').fill('A radio campaign told people how to check online.');
  await editor.getByRole('button', { name: 'Save the note' }).click();
  await expect(editor).toBeHidden();

  const band = page.locator(`${weekly} .pulse-band:not(.pulse-band--selecting)`);
  await expect(band).toHaveCount(1);
  const shaded = (await band.boundingBox())!;
  expect(shaded.width).toBeGreaterThan(box.width * 0.05);
  expect(shaded.height).toBeGreaterThan(box.height * 0.5);
  await page.locator(weekly).screenshot({ path: path.join(artifacts, 'note-range.png') });
  await expect(page.locator(`${weekly} .pulse-notes`).first()).toContainText(`A radio campaign`);
  expect(errors).toEqual([]);
});

test('a note written with the keyboard only; markup in it stays text', async ({ page }) => {
  const errors = watchErrors(page);
  let dialogs = 0;
  page.on('dialog', async (d) => { dialogs++; await d.dismiss(); });
  await signIn(page, 'editor@demo.pulse.example');
  await page.goto('/claim-carers-support/completion-rate');
  // The button works once the page is hydrated and the chart has its periods.
  await hydrated(page);
  await expect(page.locator('.pulse-chart canvas, [id^="chart-"] canvas').first()).toBeAttached();
  const add = page.getByRole('button', { name: 'Add a note' });
  await add.focus();
  await page.keyboard.press('Enter');
  const editor = page.locator('form.pulse-note-editor');
  await expect(editor.getByLabel('Date')).toBeFocused();
  await expect(editor.getByLabel('Date')).toHaveValue(/^\d{4}-\d{2}-\d{2}$/);
  // Tab past the date fields (whose day, month and year take a Tab each).
  const text = editor.getByLabel('What happened');
  for (let i = 0; i < 12 && !(await text.evaluate((el) => el === document.activeElement)); i++) {
    await page.keyboard.press('Tab');
  }
  await expect(text).toBeFocused();
  await page.keyboard.type('<img src=x onerror=alert(1)><script>alert(2)</script> New form & guidance');
  await page.keyboard.press('Tab'); // Tags
  await page.keyboard.type('form');
  await page.keyboard.press('Tab'); // Internal
  await page.keyboard.press('Space');
  await page.keyboard.press('Tab'); // This chart only
  await page.keyboard.press('Space');
  await page.keyboard.press('Tab'); // Save
  await page.keyboard.press('Enter');
  await expect(editor).toBeHidden();
  await expect(add).toBeFocused();

  const list = page.locator('#module-completion-rate .pulse-notes, .pulse-notes').first();
  await expect(list).toContainText('<img src=x onerror=alert(1)><script>alert(2)</script> New form & guidance');
  await expect(list).toContainText('Internal');
  await expect(list).toContainText('This chart');
  await page.reload();
  await expect(page.locator('.pulse-notes').first()).toContainText('<script>alert(2)</script>');
  expect(await page.locator('.pulse-notes img').count()).toBe(0);
  expect(dialogs).toBe(0);
  expect(errors).toEqual([]);
});

test('a note being written stays open with its text while the figures change, and one saved as they reload is kept', async ({ page, request }) => {
  // The editor's draft and the page's notes are kept by the page, not by the
  // figures drawn with them: a view chosen while writing lost the text, and a
  // note saved while the figures reloaded was not sent.
  const errors = watchErrors(page);
  await signIn(page, 'editor@demo.pulse.example');
  await page.goto('/claim-carers-support/completion-rate');
  await hydrated(page);
  await expect(page.locator('[id^="chart-"] canvas').first()).toBeAttached();
  await page.getByRole('button', { name: 'Add a note' }).click();
  const editor = page.locator('form.pulse-note-editor');
  const text = editor.getByLabel('What happened');
  await text.fill('Written while the period changed');
  await editor.getByLabel(/Tags/).fill('kept');

  // Another period: the figures reload and are drawn again.
  await page.getByLabel('Show figures by').selectOption('quarter');
  await expect(page).toHaveURL(/period=quarter/);
  await page.waitForLoadState('networkidle');
  await expect(page.locator('table tbody tr th').first()).toContainText(/^[A-Z][a-z]{2} to [A-Z][a-z]{2} \d{4}/);
  await expect(editor).toBeVisible();
  await expect(text).toHaveValue('Written while the period changed');
  await expect(editor.getByLabel(/Tags/)).toHaveValue('kept');
  // By the keyboard: the control chosen with keeps the focus (the editor
  // drawn again does not take it).
  const by = page.getByLabel('Show figures by');
  await by.focus();
  await page.keyboard.press('ArrowDown');
  await expect(page).toHaveURL(/period=year/);
  await expect(page.locator('table tbody tr th').first()).toContainText(/^Jan to Dec \d{4}/);
  await expect(editor).toBeVisible();
  await expect(text).toHaveValue('Written while the period changed');
  await expect(by).toBeFocused();

  // The figures answer slowly from now on: the note is saved while they reload.
  const { sent: reloading } = await slowDown(page, '/data/', 1500);
  await page.getByLabel('Show figures by').selectOption('month');
  await reloading;
  const saved = page.waitForResponse((r) => r.url().endsWith('/api/v1/annotations') && r.request().method() === 'POST');
  await editor.getByRole('button', { name: 'Save the note' }).click();
  const answer = await saved;
  expect(answer.status()).toBe(201);
  const note = await answer.json();
  await expect(page).toHaveURL(/period=month/);
  await page.waitForLoadState('networkidle');
  await expect(editor).toBeHidden();
  // On the chart drawn with the new figures too.
  await expect(page.locator('.pulse-notes').first()).toContainText('Written while the period changed');
  expect(errors).toEqual([]);
  // Gone again, for the tests after this one.
  const key = fs.readFileSync(path.join(__dirname, '..', '.admin-key'), 'utf8').trim();
  const deleted = await request.delete(`/api/v1/annotations/${note.id}`, { headers: { Authorization: `Bearer ${key}` } });
  expect(deleted.status()).toBe(200);
});

test('a viewer sees the notes without edit controls; a visitor only the public ones', async ({ page, browser }) => {
  await signIn(page, 'viewer@demo.pulse.example');
  await page.goto('/file-a-tax-return');
  await marksPlaced(page);
  const list = page.locator(`${weekly} .pulse-notes`).first();
  await expect(list).toContainText('filing deadline');
  await expect(list).toContainText('Phone lines were staffed');
  await expect(page.getByRole('button', { name: 'Add a note' })).toHaveCount(0);
  await expect(page.locator(`${weekly} button.pulse-spike`)).toHaveCount(0);
  await expect(list.getByRole('button', { name: /Edit|Delete/ })).toHaveCount(0);
  // The range note shades the deadline fortnight; its pin opens it, without edits.
  await expect(page.locator(`${weekly} .pulse-band`)).toHaveCount(1);
  await page.locator(`${weekly} .pulse-pin`).first().click();
  await expect(page.locator(`${weekly} .pulse-note-card`)).toBeVisible();
  await expect(page.locator(`${weekly} .pulse-note-card`).getByRole('button', { name: 'Edit' })).toHaveCount(0);
  await page.locator(weekly).screenshot({ path: path.join(artifacts, 'notes-viewer.png') });
  // An unusual figure no note explains (the tax deadline is seasonal, so it is
  // not one; May's letters to pensioners are): marked, but not a button.
  await page.goto('/check-your-state-pension');
  await marksPlaced(page);
  await expect(page.locator(`${weekly} span.pulse-spike`).first()).toBeAttached();
  await expect(page.locator(`${weekly} button.pulse-spike`)).toHaveCount(0);

  const visitor = await browser.newPage();
  await visitor.goto('/file-a-tax-return');
  const public_ = visitor.locator(`${weekly} .pulse-notes`).first();
  await expect(public_).toContainText('filing deadline');
  await expect(public_).not.toContainText('Phone lines were staffed');
  await expect(visitor.getByRole('button', { name: 'Add a note' })).toHaveCount(0);
  await visitor.close();
});
