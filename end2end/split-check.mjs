// Checks that the split site keeps the lazily loaded pages' text out of the
// main wasm, which every first visit fetches: each phrase below, from one such
// page, must be in one of the parts fetched for it and not in the main wasm.
//
// cargo-leptos' wasm-split gives every part its own data only when its new
// layout of the data is no longer than the linker's; else all of it stays in
// the main wasm, 100 KB more on every first visit, with no error (see
// `SPLIT_LAYOUT_ROOM` in frontend/src/lib.rs). Run by `scripts/test` after the
// site is built:
//
//   node end2end/split-check.mjs [site root]
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const site = process.argv[2] ?? 'target/site';
const pkg = join(site, 'pkg');

// Phrases of lazily loaded pages (app/src/lib.rs's `lazy_page!`), one each.
const phrases = [
  ['the sign-in page', 'Sign in to Pulse'],
  ['your settings', 'Where you are signed in'],
  ['the admin pages', 'Everyone who can sign in'],
  ['the explorer', 'Service name contains'],
  ['the boards', 'Leave big screen'],
  ['the comparison', 'Choose services to compare.'],
  ['the upload page', 'Upload a spreadsheet'],
];

const hashes = Object.fromEntries(
  readFileSync(join(site, 'hash.txt'), 'utf8')
    .split('\n')
    .filter((line) => line.includes(':'))
    .map((line) => line.split(':').map((part) => part.trim())),
);
const wasms = readdirSync(pkg).filter((name) => name.endsWith('.wasm'));
const mainName = hashes.wasm ? wasms.find((name) => name.includes(hashes.wasm)) : undefined;
if (!mainName) {
  console.error(`No main wasm named in ${join(site, 'hash.txt')}: is the site built with hash-files?`);
  process.exit(1);
}
const main = readFileSync(join(pkg, mainName));
const parts = wasms.filter((name) => name !== mainName).map((name) => [name, readFileSync(join(pkg, name))]);
if (parts.length === 0) {
  console.error(`${pkg} holds no split parts: was the site built with --split?`);
  process.exit(1);
}

const problems = [];
for (const [page, phrase] of phrases) {
  const inMain = main.includes(phrase);
  const part = parts.find(([, bytes]) => bytes.includes(phrase));
  if (inMain) {
    problems.push(`${page}'s "${phrase}" is in the main wasm (${mainName})`);
  } else if (!part) {
    problems.push(`${page}'s "${phrase}" is in no part of the site: is it still on the page?`);
  } else {
    console.log(`${page}: "${phrase}" in ${part[0]}, not in the main wasm`);
  }
}
console.log(`main wasm ${mainName}: ${main.length} bytes; ${parts.length} parts`);
if (problems.length) {
  console.error(problems.join('\n'));
  console.error(
    'The lazily loaded pages\' text is in the main wasm: wasm-split kept every part\'s data there ' +
      '(its new layout was longer than the linker\'s). Give it more room (SPLIT_LAYOUT_ROOM in ' +
      'frontend/src/lib.rs), or find what a recent change shares between parts.',
  );
  process.exit(1);
}
