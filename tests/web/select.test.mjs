// Several entries at once: select with checkboxes, download them (or a folder) as one zip
// the browser saves, move them to another folder, delete them after one confirmation.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Server, launchBrowser, loggedInPage, shot, tempDir, until } from './support.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

async function put(server, p, body) {
  const url = server.url + '/api/v1/files/' + p.split('/').map(encodeURIComponent).join('/');
  const r = await fetch(url, { method: 'PUT', headers: { Authorization: server.auth() }, body });
  assert.ok(r.ok, `PUT ${p}: ${r.status}`);
}

/** Name → content of every entry of the zip at `file`, read by Python's zipfile. */
function unzip(file) {
  const script = 'import json,sys,zipfile\nz=zipfile.ZipFile(sys.argv[1])\nprint(json.dumps({n: z.read(n).decode("latin-1") for n in z.namelist()}))';
  return JSON.parse(execFileSync('python3', ['-c', script, file]).toString());
}

async function saveDownload(page, click, dir, name) {
  const [download] = await Promise.all([page.waitForEvent('download'), click()]);
  const saved = path.join(dir, name);
  await download.saveAs(saved);
  assert.equal(await download.failure(), null);
  return { saved, suggested: download.suggestedFilename() };
}

test('a selection downloads as one zip, moves and deletes; a folder downloads as a zip', async (t) => {
  const server = await new Server().start();
  t.after(() => server.stop());
  const dir = tempDir('ferry-web-select-');
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  await put(server, 'docs/a.txt', 'alpha');
  await put(server, 'docs/sub/b.txt', 'beta');
  await put(server, 'c.bin', 'gamma');
  await put(server, 'keep.txt', 'kept');
  await server.api('POST', '/api/v1/dirs/target');
  const page = await loggedInPage(browser, server);
  const row = (name) => page.locator(`#listing-body tr[data-name="${name}"]`);
  await row('c.bin').waitFor();
  assert.equal(await page.locator('#selection-bar').isHidden(), true);

  await row('c.bin').locator('input.pick').check();
  await row('docs').locator('input.pick').check();
  assert.equal(await page.locator('#selection-count').textContent(), '2 selected');
  assert.equal(await page.locator('#select-all').evaluate((b) => b.indeterminate), true);
  await shot(page, 'selection');
  const zip = await saveDownload(page, () => page.click('#selection-zip'), dir, 'selection.zip');
  assert.deepEqual(unzip(zip.saved), { 'c.bin': 'gamma', 'docs/': '', 'docs/a.txt': 'alpha', 'docs/sub/': '', 'docs/sub/b.txt': 'beta' });

  // A folder's own "Zip" link.
  const folder = await saveDownload(page, () => row('docs').locator('a', { hasText: 'Zip' }).click(), dir, 'docs.zip');
  assert.equal(folder.suggested, 'docs.zip');
  assert.deepEqual(unzip(folder.saved), { 'a.txt': 'alpha', 'sub/': '', 'sub/b.txt': 'beta' });

  // Move two files into another folder.
  await page.click('#selection-clear');
  await row('c.bin').locator('input.pick').check();
  await row('keep.txt').locator('input.pick').check();
  await page.click('#selection-move');
  await page.fill('#ask-input', 'target');
  await page.press('#ask-input', 'Enter');
  await until(async () => (await row('c.bin').count()) === 0 && (await row('keep.txt').count()) === 0, 'the moved rows to go');
  assert.match(await page.locator('#browse-message').textContent(), /Moved to \/target: 2 entries\./);
  assert.equal((await server.api('HEAD', '/api/v1/files/target/c.bin')).status, 200);
  assert.equal((await server.api('HEAD', '/api/v1/files/target/keep.txt')).status, 200);
  assert.equal(await page.locator('#selection-bar').isHidden(), true);

  // Select all, delete with one confirmation.
  await page.check('#select-all');
  assert.equal(await page.locator('#selection-count').textContent(), '2 selected');
  await page.click('#selection-delete');
  assert.match(await page.locator('#ask-text').textContent(), /Delete 2 entries \(folders with everything in them\)\?/);
  await shot(page, 'selection-delete-confirm');
  await page.click('#ask-ok');
  await until(async () => /This folder is empty/.test(await page.locator('#listing-body').textContent()), 'an empty folder');
  assert.equal((await server.api('HEAD', '/api/v1/files/docs/a.txt')).status, 404);
  assert.deepEqual(page.errors, [], 'no exception, nothing refused by the CSP');
});
