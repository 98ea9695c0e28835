// Uploads through the page: several files with moving progress bars, a whole folder, a
// server killed and restarted mid-upload, and a reload mid-upload. Every result is checked
// byte-exact by MD5 against the original.
//
// Chromium's network emulation (CDP Network.emulateNetworkConditions) throttles request
// bodies too, so "mid-upload" is a reliable moment: a 40 MiB file at 4 MiB/s takes ~10 s.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  MiB,
  Server,
  closeBrowserAndFiles,
  loggedInPage,
  openBrowserAndFiles,
  progressOf,
  queueItem,
  randomFile,
  shot,
  sleep,
  stateOf,
  tempDir,
  throttle,
  until,
} from './support.mjs';

let browser;
let files;
before(async () => ({ browser, files } = await openBrowserAndFiles('ferry-web-files-')));
after(() => closeBrowserAndFiles(browser, files));

/**
 * A fresh server, a page logged in to it, and a 40 MiB file `name` a third of the way through
 * its upload at 4 MiB/s: a moment that is reliably mid-upload.
 */
async function aThirdUploaded(t, name) {
  const server = await new Server().start();
  t.after(() => server.stop());
  const page = await loggedInPage(browser, server);
  const f = randomFile(files, name, 40 * MiB);
  await throttle(page, 4 * MiB);
  await page.setInputFiles('#file-input', f.path);
  await until(async () => (await progressOf(page, '/' + name)) > 12 * MiB, 'a third of the upload');
  return { server, page, f };
}

test('three files, one of 40 MiB: the bars move and complete, the files are exact', async (t) => {
  const server = await new Server().start();
  t.after(() => server.stop());
  const page = await loggedInPage(browser, server);
  const big = randomFile(files, 'big-40.bin', 40 * MiB);
  const mid = randomFile(files, 'mid.bin', 3 * MiB + 17);
  const small = randomFile(files, 'small.txt', 1000);
  await throttle(page, 12 * MiB);
  await page.setInputFiles('#file-input', [big.path, mid.path, small.path]);

  const seen = new Set();
  await until(async () => {
    const v = await progressOf(page, '/big-40.bin');
    if (v > 0 && v < 40 * MiB) seen.add(v);
    if (seen.size === 3) await shot(page, 'uploading');
    return (await stateOf(page, '/big-40.bin')) === 'done';
  }, 'the 40 MiB upload to finish', 90000);
  assert.ok(seen.size >= 3, `the bar moved through intermediate values (${[...seen].join(', ')})`);
  const stats = await queueItem(page, '/big-40.bin').locator('.stats').textContent();
  assert.match(stats, /^100% · 40 MiB of 40 MiB · done/);
  for (const [p, f] of [['/big-40.bin', big], ['/mid.bin', mid], ['/small.txt', small]]) {
    await until(async () => (await stateOf(page, p)) === 'done', p + ' to finish');
    assert.equal(await server.md5Of(p), f.md5, p);
  }
  assert.match(await page.locator('#overall-text').textContent(), /^100% /);
  await page.locator('#listing-body tr[data-name="big-40.bin"]').waitFor();
  await shot(page, 'uploaded');
  assert.deepEqual(page.errors, []);
});

test('a folder keeps its structure', async (t) => {
  const server = await new Server().start();
  t.after(() => server.stop());
  const page = await loggedInPage(browser, server);
  const root = path.join(files, 'album');
  fs.mkdirSync(path.join(root, 'day 1', 'raw'), { recursive: true });
  const a = randomFile(path.join(root, 'day 1'), 'a.jpg', 200000);
  const b = randomFile(path.join(root, 'day 1', 'raw'), 'b.raw', 300001);
  const c = randomFile(root, 'notes.txt', 10);
  await page.setInputFiles('#folder-input', root);
  for (const [p, f] of [['/album/day 1/a.jpg', a], ['/album/day 1/raw/b.raw', b], ['/album/notes.txt', c]]) {
    await until(async () => (await stateOf(page, p)) === 'done', p + ' to finish');
    assert.equal(await server.md5Of(p), f.md5, p);
  }
  await page.locator('#listing-body tr[data-name="album"]').waitFor();
});

test('server killed and restarted mid-upload: the page continues by itself to the exact file', async (t) => {
  const { server, page, f } = await aThirdUploaded(t, 'restart.bin');
  const before = await progressOf(page, '/restart.bin');
  assert.ok(before < 30 * MiB, 'still mid-upload when the server dies');
  await server.kill();
  await until(async () => (await stateOf(page, '/restart.bin')) === 'retrying', 'the page to notice');
  await shot(page, 'server-down-retrying');
  await sleep(1500);
  await server.start();
  await until(async () => (await stateOf(page, '/restart.bin')) === 'done', 'the upload to finish', 90000);
  assert.equal(await server.md5Of('/restart.bin'), f.md5);
  await shot(page, 'resumed-after-restart');
});

test('reload mid-upload: the upload is listed, the re-chosen file continues from the server offset', async (t) => {
  const { server, page, f } = await aThirdUploaded(t, 'reload.bin');
  await page.reload();
  const listed = page.locator('#unfinished-list li', { hasText: '/reload.bin' });
  await listed.waitFor();
  // The upload's reservation is shown as held, not as used space.
  await page.locator('#quota-text', { hasText: '40 MiB held for unfinished uploads' }).waitFor();
  await shot(page, 'reload-unfinished');
  const [held] = await (await server.api('GET', '/api/v1/uploads')).json();
  assert.ok(held.offset >= 8 * MiB, `the server holds a part (${held.offset})`);
  // The running MD5 survived the reload (hash-wasm's saved state, base64), so the continued
  // upload starts hashing where it stopped rather than from byte 0.
  const [record] = await page.evaluate(() => Object.values(JSON.parse(localStorage.getItem('ferry.uploads.admin'))));
  assert.match(record.md5State, /^[A-Za-z0-9+/]+=*$/, 'the MD5 state is saved as base64');
  assert.ok(record.hashed >= 8 * MiB, `the saved state covers a part (${record.hashed})`);

  const ranges = [];
  page.on('request', (r) => {
    const cr = r.headers()['content-range'];
    if (r.method() === 'PUT' && cr) ranges.push(cr);
  });
  await throttle(page, 16 * MiB);
  await page.setInputFiles('#resume-input', f.path);
  await until(async () => (await stateOf(page, '/reload.bin')) === 'done', 'the upload to finish', 90000);
  const firstData = ranges.find((r) => !r.startsWith('bytes */'));
  assert.equal(firstData, `bytes ${held.offset}-${Math.min(held.offset + 8 * MiB, 40 * MiB) - 1}/${40 * MiB}`);
  assert.match(await queueItem(page, '/reload.bin').locator('.stats').textContent(), /continued from \d+ bytes/);
  assert.equal(await server.md5Of('/reload.bin'), f.md5);
  assert.equal(await page.locator('#unfinished').isHidden(), true, 'nothing is left unfinished');
  await shot(page, 'resumed-after-reload');
});

test('pause holds, resume continues to the exact file, cancel abandons the upload on the server', async (t) => {
  const server = await new Server().start();
  t.after(() => server.stop());
  const page = await loggedInPage(browser, server);
  const keep = randomFile(files, 'pause.bin', 20 * MiB);
  const drop = randomFile(files, 'cancel.bin', 20 * MiB);
  await throttle(page, 6 * MiB);
  await page.setInputFiles('#file-input', [keep.path, drop.path]);
  await until(async () => (await progressOf(page, '/pause.bin')) > 2 * MiB, 'some progress');
  await queueItem(page, '/pause.bin').locator('button', { hasText: 'Pause' }).click();
  await queueItem(page, '/cancel.bin').locator('button', { hasText: 'Cancel' }).click();
  assert.equal(await stateOf(page, '/pause.bin'), 'paused');
  await until(async () => (await stateOf(page, '/cancel.bin')) === 'cancelled', 'the cancel');
  const held = await progressOf(page, '/pause.bin');
  await sleep(1000);
  assert.equal(await progressOf(page, '/pause.bin'), held, 'nothing moves while paused');
  await until(async () => (await (await server.api('GET', '/api/v1/uploads')).json()).length === 1, 'the cancelled upload to be gone');
  await queueItem(page, '/pause.bin').locator('button', { hasText: 'Resume' }).click();
  await until(async () => (await stateOf(page, '/pause.bin')) === 'done', 'the upload to finish', 60000);
  assert.equal(await server.md5Of('/pause.bin'), keep.md5);
  assert.equal((await server.api('HEAD', '/api/v1/files/cancel.bin')).status, 404);
});

test('an existing name is not replaced unless asked', async (t) => {
  const server = await new Server().start();
  t.after(() => server.stop());
  const page = await loggedInPage(browser, server);
  const first = randomFile(files, 'same.bin', 100000);
  await page.setInputFiles('#file-input', first.path);
  await until(async () => (await stateOf(page, '/same.bin')) === 'done', 'the first upload');
  const dir = tempDir('ferry-web-same-');
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const second = randomFile(dir, 'same.bin', 200000);
  await page.setInputFiles('#file-input', second.path);
  const item = page.locator('#queue li[data-state="error"]');
  await item.waitFor();
  assert.match(await item.locator('.stats').textContent(), /failed/);
  assert.equal(await server.md5Of('/same.bin'), first.md5, 'the first file is untouched');
  await item.locator('button', { hasText: 'Replace it' }).click();
  await until(async () => (await page.locator('#queue li[data-state="done"]').count()) === 2, 'the replacement');
  assert.equal(await server.md5Of('/same.bin'), second.md5);
});
