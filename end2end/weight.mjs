// What a browser downloads for Pulse's pages: every response's bytes on the
// wire (compressed, headers aside), in headless Chromium with an empty cache
// and then again with what it kept. Run by `scripts/bench --part weight`,
// against a release `pulse serve` on the demo data that it starts itself.
//
//   node end2end/weight.mjs [pulse binary] [site root]
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { chromium } = require('@playwright/test');

const pulse = process.argv[2] ?? 'target/release/pulse';
const site = process.argv[3] ?? 'target/site';
const port = 3961;
const base = `http://127.0.0.1:${port}`;
const dir = mkdtempSync(join(tmpdir(), 'pulse-weight-'));
const database = `sqlite://${dir}/pulse.db`;

execFileSync(pulse, ['demo', '--database', database, '--seed', '2013'], { stdio: 'ignore' });
const server = spawn(pulse, ['serve', '--database', database, '--addr', `127.0.0.1:${port}`, '--site-root', site],
  { stdio: 'ignore' });
const stop = () => { server.kill(); rmSync(dir, { recursive: true, force: true }); };
try {
  for (let i = 0; ; i++) {
    try { if ((await fetch(`${base}/_status`)).ok) break; } catch {}
    if (i > 100) throw new Error('pulse serve did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  const browser = await chromium.launch({
    executablePath: process.env.PULSE_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu'],
  });
  const kinds = (url, type) => {
    if (url.endsWith('.wasm')) return 'wasm';
    if (type === 'script' || url.endsWith('.js')) return 'JavaScript';
    if (type === 'stylesheet' || url.endsWith('.css')) return 'CSS';
    if (type === 'document') return 'HTML';
    return 'other';
  };
  /** Loads `path` in `page` until its charts are drawn; the bytes by kind. */
  const visit = async (page, path) => {
    const sizes = {};
    const pending = [];
    const listener = (response) => pending.push((async () => {
      const request = response.request();
      let bytes = 0;
      try { bytes = Math.max(0, (await request.sizes()).responseBodySize); } catch {}
      const kind = kinds(response.url(), request.resourceType());
      sizes[kind] = (sizes[kind] ?? 0) + bytes;
      sizes.all = (sizes.all ?? 0) + bytes;
    })());
    page.on('response', listener);
    await page.goto(base + path, { waitUntil: 'networkidle' });
    await page.waitForSelector('html[data-hydrated]');
    await page.waitForLoadState('networkidle');
    page.off('response', listener);
    await Promise.all(pending);
    return sizes;
  };
  const kb = (n) => (n === undefined ? '0' : (n / 1024).toFixed(1));
  const rows = [];
  for (const [name, path] of [
    ['a dashboard (8 modules, charts)', '/file-a-tax-return'],
    ['the explorer (no charts)', '/services'],
    ['a service page (one chart)', '/services/file-a-tax-return'],
  ]) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const first = await visit(page, path);
    const again = await visit(page, path);
    await context.close();
    // The same first visit by a browser that asks for gzip only (no Brotli).
    const gzipOnly = await browser.newContext({ extraHTTPHeaders: { 'Accept-Encoding': 'gzip' } });
    const gzipped = await visit(await gzipOnly.newPage(), path);
    await gzipOnly.close();
    rows.push([name, first, again, gzipped]);
  }
  await browser.close();
  console.log('Bytes on the wire (compressed), KB: first visit with an empty cache, then a second visit');
  console.log('| page | HTML | wasm | JavaScript | CSS | wasm + JS + CSS (budget 600) | all, first visit | all, second visit | wasm + JS + CSS, gzip only |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  const code = (sizes) => (sizes.wasm ?? 0) + (sizes.JavaScript ?? 0) + (sizes.CSS ?? 0);
  for (const [name, first, again, gzipped] of rows) {
    console.log(`| ${name} | ${kb(first.HTML)} | ${kb(first.wasm)} | ${kb(first.JavaScript)} | ${kb(first.CSS)} | **${kb(code(first))}** | ${kb(first.all)} | ${kb(again.all)} | ${kb(code(gzipped))} (wasm ${kb(gzipped.wasm)}) |`);
  }
  // What the same files weigh gzipped, for a browser that takes no Brotli.
  const { readdirSync, statSync } = await import('node:fs');
  const gz = (dir, test) => readdirSync(dir).filter(test).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  const mainWasm = gz(join(site, 'pkg'), (f) => /^pulse\..*\.wasm\.gz$/.test(f));
  const echarts = gz(join(site, 'vendor'), (f) => f === 'echarts.min.js.gz');
  console.log(`Gzipped instead of Brotli: the main wasm ${kb(mainWasm)} KB, ECharts ${kb(echarts)} KB.`);
} finally {
  stop();
}
