// An upload whose bytes all reached the server but were not committed: its last chunk was
// refused because another file took the name meanwhile (409 already_exists). The page shows
// the conflict; once the other file is moved away, Resume has no chunk left to send and asks
// the server to commit what it holds (`Content-Range: bytes */SIZE`, empty body, the file's
// `Repr-Digest`). The upload finishes and the file is exact.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { MiB, Server, closeBrowserAndFiles, loggedInPage, openBrowserAndFiles, progressOf, queueItem, randomFile, shot, sleep, stateOf, throttle, until } from './support.mjs';

let browser;
let files;
before(async () => ({ browser, files } = await openBrowserAndFiles('ferry-web-stranded-')));
after(() => closeBrowserAndFiles(browser, files));

const statsOf = (page, p) => queueItem(page, p).locator('.stats').textContent();

/**
 * Waits for the upload to reach `want`; another final state fails at once with its text. A
 * state shown with the text `stale` (what the item said before a click the page has not
 * rendered yet) is not an answer.
 */
async function settles(page, p, want, what, stale = null) {
  const deadline = Date.now() + 60000;
  for (;;) {
    const [state, stats] = [await stateOf(page, p), await statsOf(page, p)];
    if (state === want) return;
    if (['done', 'error', 'cancelled'].includes(state) && stats !== stale) {
      await shot(page, 'stranded-' + state);
      assert.fail(`${what}: the upload ended "${state}" instead of "${want}": ${stats}`);
    }
    if (Date.now() > deadline) assert.fail(`${what}: still "${state}" after 60 s: ${stats}`);
    await sleep(100);
  }
}

test('a last chunk refused for a name taken meanwhile: after the other file moves away, Resume commits the exact file', async (t) => {
  const server = await new Server().start();
  t.after(() => server.stop());
  const page = await loggedInPage(browser, server);
  const f = randomFile(files, 'stranded.bin', 10 * MiB);
  const digest = createHash('md5').update(fs.readFileSync(f.path)).digest('base64');
  const other = Buffer.from('another file took the name first\n');
  await throttle(page, 4 * MiB);
  await page.setInputFiles('#file-input', f.path);
  await until(async () => (await progressOf(page, '/stranded.bin')) > MiB, 'the upload to be under way');

  // Another client creates a file under the same name before the last chunk arrives.
  const put = await fetch(server.url + '/api/v1/files/stranded.bin', {
    method: 'PUT',
    headers: { Authorization: server.auth(), 'If-None-Match': '*' },
    body: other,
  });
  assert.ok([200, 201].includes(put.status), `PUT of the other file: ${put.status}`);
  await settles(page, '/stranded.bin', 'error', 'the last chunk to meet the taken name');
  assert.match(await statsOf(page, '/stranded.bin'), /already exists/);
  const [held] = await (await server.api('GET', '/api/v1/uploads')).json();
  assert.equal(held.offset, 10 * MiB, 'the server holds every byte, uncommitted');

  // The user moves the other file away and resumes.
  const moved = await server.api('POST', '/api/v1/move', { from: '/stranded.bin', to: '/moved-away.bin' });
  assert.equal(moved.status, 200);
  const puts = [];
  page.on('request', (r) => {
    if (r.method() === 'PUT' && r.url().includes('/api/v1/uploads/')) puts.push(r);
  });
  const answered = page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().includes('/api/v1/uploads/'));
  const before = await statsOf(page, '/stranded.bin');
  await queueItem(page, '/stranded.bin').locator('button', { hasText: 'Resume' }).click();

  // No byte is sent again: the page asks for the commit, with the file's MD5, and gets it.
  const resp = await answered;
  const headers = await resp.request().allHeaders();
  assert.equal(headers['content-range'], `bytes */${10 * MiB}`, 'the request after Resume asks for the commit');
  assert.equal(headers['repr-digest'], `md5=:${digest}:`);
  assert.ok(!resp.request().postDataBuffer()?.length, 'the commit request has an empty body');
  // (Playwright cannot read the body of a 308, so the message names its Upload-Offset.)
  const offset = resp.headers()['upload-offset'];
  assert.equal(resp.status(), 201, `PUT bytes */${10 * MiB} on a complete upload must commit it; it answered ${resp.status()} (Upload-Offset ${offset})`);
  await settles(page, '/stranded.bin', 'done', 'the resumed upload to finish', before);
  assert.equal(puts.length, 1, `one PUT after Resume (${puts.map((r) => r.headers()['content-range'])})`);

  assert.equal(await server.md5Of('/stranded.bin'), f.md5);
  assert.equal(await server.md5Of('/moved-away.bin'), createHash('md5').update(other).digest('hex'));
  assert.deepEqual(await (await server.api('GET', '/api/v1/uploads')).json(), [], 'nothing left unfinished');
  await shot(page, 'stranded-committed');
  assert.deepEqual(page.errors, []);
});
