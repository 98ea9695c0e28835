// Unfinished uploads come from the server (any browser or client): one started elsewhere is
// listed, continued when its file is chosen again, or discarded to free its space at once.
// An identical re-upload is "already up to date"; space refusals speak in human units.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { MiB, Server, launchBrowser, loggedInPage, queueItem, randomFile, shot, stateOf, tempDir, until } from './support.mjs';

let browser;
let files;
before(async () => {
  browser = await launchBrowser();
  files = tempDir('ferry-web-unfinished-');
});
after(async () => {
  await browser?.close();
  if (files) fs.rmSync(files, { recursive: true, force: true });
});

/** Starts an upload of `f` to `path` as another client would, sending its first `sent` bytes. */
async function startElsewhere(server, path, f, sent) {
  const size = fs.statSync(f.path).size;
  const r = await server.api('POST', '/api/v1/uploads', { path, size });
  assert.equal(r.status, 201);
  const { id } = await r.json();
  const put = await fetch(`${server.url}/api/v1/uploads/${id}`, {
    method: 'PUT',
    headers: { Authorization: server.auth(), 'Content-Range': `bytes 0-${sent - 1}/${size}` },
    body: fs.readFileSync(f.path).subarray(0, sent),
  });
  assert.equal(put.status, 308);
  return id;
}

test('an upload started elsewhere is listed, continued from the server offset, or discarded', async (t) => {
  const server = await new Server().start();
  t.after(() => server.stop());
  const f = randomFile(files, 'elsewhere.bin', 3 * MiB);
  const g = randomFile(files, 'discard-me.bin', 5 * MiB);
  await startElsewhere(server, '/elsewhere.bin', f, MiB);
  await startElsewhere(server, '/discard-me.bin', g, MiB);
  const page = await loggedInPage(browser, server);
  const listed = (p) => page.locator(`#unfinished-list li[data-path="${p}"]`);
  await listed('/elsewhere.bin').waitFor();
  assert.match(await listed('/elsewhere.bin').textContent(), /\/elsewhere\.bin — 1\.0 MiB of 3\.0 MiB on the server/);
  await page.locator('#quota-text', { hasText: '8.0 MiB held for unfinished uploads' }).waitFor();
  await shot(page, 'unfinished-from-server');

  await page.locator('#unfinished-list li[data-path="/discard-me.bin"] button', { hasText: 'Discard' }).click();
  assert.match(await page.locator('#ask-text').textContent(), /Discard the unfinished upload of \/discard-me\.bin\?/);
  await page.click('#ask-ok');
  await until(async () => (await listed('/discard-me.bin').count()) === 0, 'the discarded upload to go');
  await page.locator('#quota-text', { hasText: '3.0 MiB held for unfinished uploads' }).waitFor();
  const left = await (await server.api('GET', '/api/v1/uploads')).json();
  assert.deepEqual(left.map((u) => u.path), ['/elsewhere.bin'], 'the reservation was freed at once');

  const ranges = [];
  page.on('request', (r) => {
    const cr = r.headers()['content-range'];
    if (r.method() === 'PUT' && cr && !cr.startsWith('bytes */')) ranges.push(cr);
  });
  await page.setInputFiles('#resume-input', f.path);
  await until(async () => (await stateOf(page, '/elsewhere.bin')) === 'done', 'the upload to finish', 60000);
  assert.equal(ranges[0], `bytes ${MiB}-${3 * MiB - 1}/${3 * MiB}`, 'continued from the server offset');
  assert.equal(await server.md5Of('/elsewhere.bin'), f.md5);
  await until(async () => page.locator('#unfinished').isHidden(), 'nothing left unfinished');
  await shot(page, 'unfinished-continued');
  assert.deepEqual(page.errors, [], 'no exception, nothing refused by the CSP');
});

test('re-uploading an identical file is "already up to date", not a failure', async (t) => {
  const server = await new Server().start();
  t.after(() => server.stop());
  const f = randomFile(files, 'same.txt', 300000);
  const page = await loggedInPage(browser, server);
  await page.setInputFiles('#file-input', f.path);
  await until(async () => (await stateOf(page, '/same.txt')) === 'done', 'the first upload');
  const empty = randomFile(files, 'empty.txt', 0);
  await page.setInputFiles('#file-input', [f.path, empty.path]);
  await until(async () => (await page.locator('#queue li[data-state="done"]').count()) === 3, 'three done');
  await page.setInputFiles('#file-input', [f.path, empty.path]);
  await until(async () => (await page.locator('#queue li[data-state="done"]').count()) === 5, 'the second round done');
  const stats = await page.locator('#queue li[data-path="/same.txt"] .stats').allTextContents();
  assert.match(stats[stats.length - 1], /done · already up to date/);
  const emptyStats = await page.locator('#queue li[data-path="/empty.txt"] .stats').allTextContents();
  assert.match(emptyStats[emptyStats.length - 1], /already up to date/);
  assert.equal(await page.locator('#queue li[data-state="error"]').count(), 0);
  await shot(page, 'upload-up-to-date');
});

test('a file over the quota is refused in human units', async (t) => {
  const server = await new Server().start();
  t.after(() => server.stop());
  await server.user('set', 'admin', '--quota', '1MiB');
  const page = await loggedInPage(browser, server);
  const f = randomFile(files, 'big.bin', 2 * MiB);
  await page.setInputFiles('#file-input', f.path);
  const item = queueItem(page, '/big.bin');
  await until(async () => (await stateOf(page, '/big.bin')) === 'error', 'the refusal');
  assert.match(await item.locator('.stats').textContent(), /Not enough space: this needs 2\.0 MiB and 1\.0 MiB is left of your quota\./);
  await shot(page, 'upload-quota-human');
});
