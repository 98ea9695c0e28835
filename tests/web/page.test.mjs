// The page without big transfers: login (bad credentials, throttling), a hostile file name
// rendered as text, rename and delete, download links, the exec console, and phone width.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Server, launchBrowser, loggedInPage, md5, shot, tempDir, until } from './support.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test('login: bad credentials and throttling get clear messages, then the right password works', async (t) => {
  const server = await new Server().start();
  t.after(() => server.stop());
  const page = await (await browser.newContext()).newPage();
  await page.goto(server.url + '/');
  await shot(page, 'login');
  const msg = page.locator('#login-message');
  await page.fill('input[name=username]', 'admin');
  await page.fill('input[name=password]', 'wrong');
  await page.click('#login-form button[type=submit]');
  await until(async () => /Wrong user name or password/.test(await msg.textContent()), 'the bad-credentials message');
  // Failed logins are throttled (429 with Retry-After) after a few attempts.
  await until(async () => {
    await page.click('#login-form button[type=submit]');
    await page.waitForFunction(() => !/Logging in/.test(document.getElementById('login-message').textContent));
    return /Too many failed attempts\. Try again in \d+ seconds/.test(await msg.textContent());
  }, 'the throttling message', 30000);
  await shot(page, 'login-throttled');

  const fresh = await new Server().start();
  t.after(() => fresh.stop());
  const ok = await loggedInPage(browser, fresh);
  assert.equal(await ok.locator('#who').textContent(), 'admin');
  // The listing arrives after the login view goes: wait for it, not for a fixed moment.
  await until(async () => /This folder is empty/.test(await ok.locator('#listing-body').textContent()), 'the empty listing');
  await ok.click('#logout');
  await ok.waitForSelector('#login-view:not([hidden])');
  const r = await fresh.api('GET', '/api/v1/quota');
  assert.equal(r.status, 200, 'Basic auth still works after the page logged out its token');
});

test('a file named like HTML shows as text and runs nothing', async (t) => {
  const server = await new Server().start();
  t.after(() => server.stop());
  const page = await loggedInPage(browser, server);
  const name = '<img src=x onerror=alert(1)>';
  const dir = tempDir('ferry-web-xss-');
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, name), 'hello');
  await page.setInputFiles('#file-input', path.join(dir, name));
  const row = page.locator('#listing-body tr', { hasText: name });
  await row.waitFor();
  assert.equal(await row.locator('td.name').textContent(), name);
  assert.equal(await page.locator('#listing img, #queue img').count(), 0, 'no element was made from the name');
  await page.waitForTimeout(500);
  assert.deepEqual(page.dialogs, [], 'no dialog fired');
  assert.deepEqual(page.errors, []);
  await shot(page, 'xss-name-as-text');
});

test('create folder, rename and delete (with confirmation)', async (t) => {
  const server = await new Server().start();
  t.after(() => server.stop());
  await server.api('PUT', '/api/v1/files/a.txt', null);
  const page = await loggedInPage(browser, server);
  await page.fill('#mkdir-name', 'docs');
  await page.press('#mkdir-name', 'Enter');
  await page.locator('#listing-body tr[data-name="docs"]').waitFor();

  await page.locator('#listing-body tr[data-name="a.txt"] button', { hasText: 'Rename' }).click();
  await page.fill('#ask-input', 'b.txt');
  await page.press('#ask-input', 'Enter');
  await page.locator('#listing-body tr[data-name="b.txt"]').waitFor();
  assert.equal(await page.locator('#listing-body tr[data-name="a.txt"]').count(), 0);
  assert.equal((await server.api('HEAD', '/api/v1/files/b.txt')).status, 200);

  // Cancelling the confirmation keeps the file; confirming deletes it.
  await page.locator('#listing-body tr[data-name="b.txt"] button', { hasText: 'Delete' }).click();
  await page.click('#ask button[value=cancel]');
  assert.equal((await server.api('HEAD', '/api/v1/files/b.txt')).status, 200);
  await page.locator('#listing-body tr[data-name="b.txt"] button', { hasText: 'Delete' }).click();
  assert.match(await page.locator('#ask-text').textContent(), /Delete b\.txt\?/);
  await shot(page, 'delete-confirm');
  await page.click('#ask-ok');
  await until(async () => (await page.locator('#listing-body tr[data-name="b.txt"]').count()) === 0, 'the row to go');
  assert.equal((await server.api('HEAD', '/api/v1/files/b.txt')).status, 404);

  // Into the folder and back by the breadcrumbs.
  await page.locator('#listing-body tr[data-name="docs"] td.name button').click();
  await until(async () => (await page.locator('#crumbs').textContent()).includes('docs'), 'the breadcrumb');
  await page.locator('#crumbs button', { hasText: 'Home' }).click();
  await page.locator('#listing-body tr[data-name="docs"]').waitFor();
  await shot(page, 'listing');

  // Phone width: one column, still usable.
  await page.setViewportSize({ width: 375, height: 800 });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 375, `no horizontal scrolling at 375 px (content is ${width} px wide)`);
  await shot(page, 'phone-width');
});

test('a download link is a plain link the browser saves; the cookie alone serves a Range', async (t) => {
  const server = await new Server().start();
  t.after(() => server.stop());
  const dir = tempDir('ferry-web-download-');
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const data = randomBytes(256 * 1024 + 7);
  const name = 'report #1 ü.bin';
  const url = '/api/v1/files/' + encodeURIComponent(name);
  const put = await fetch(server.url + url, { method: 'PUT', headers: { Authorization: server.auth() }, body: data });
  assert.equal(put.status, 201);

  const page = await loggedInPage(browser, server);
  const link = page.locator(`#listing-body tr[data-name="${name}"] td.name a`);
  assert.equal(await link.textContent(), name);
  assert.equal(await link.getAttribute('href'), url);
  assert.equal(await link.getAttribute('download'), name);
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const saved = path.join(dir, 'saved.bin');
  await download.saveAs(saved);
  assert.equal(download.failure && (await download.failure()), null);
  assert.equal(md5(fs.readFileSync(saved)), md5(data), 'the saved file is exact');

  // The page's own fetch without Authorization: only the HttpOnly cookie authenticates it.
  const ranged = await page.evaluate(async (url) => {
    const r = await fetch(url, { headers: { Range: 'bytes=100-' } });
    const bytes = new Uint8Array(await r.arrayBuffer());
    return { status: r.status, range: r.headers.get('content-range'), bytes: Array.from(bytes), cookie: document.cookie };
  }, url);
  assert.equal(ranged.status, 206);
  assert.equal(ranged.range, `bytes 100-${data.length - 1}/${data.length}`);
  assert.ok(Buffer.from(ranged.bytes).equals(data.subarray(100)), 'exactly the bytes from 100 on');
  assert.equal(ranged.cookie, '', 'the token cookie is HttpOnly, invisible to scripts');

  await page.click('#logout');
  await page.waitForSelector('#login-view:not([hidden])');
  // (X-Requested-With: a 401 that offered Basic would open the browser's own login dialog.)
  const gone = await page.evaluate(async (url) => (await fetch(url, { headers: { 'X-Requested-With': 'ferry-web' } })).status, url);
  assert.equal(gone, 401, 'logout ends the cookie too');
  assert.deepEqual(page.errors, [], 'no exception, nothing refused by the CSP');
});

test('exec console: shown when the policy allows, stdout and stderr apart, exit code', async (t) => {
  const server = await new Server().start();
  t.after(() => server.stop());
  const off = await loggedInPage(browser, server);
  assert.equal(await off.locator('#exec').isHidden(), true, 'hidden while exec is off');
  await server.user('set', 'admin', '--exec', 'allow:echo,sh');
  const page = await loggedInPage(browser, server);
  await page.locator('#exec').waitFor({ state: 'visible' });
  await page.fill('#exec-line', `sh -c "echo '<b>out</b>'; echo err >&2; exit 3"`);
  await page.press('#exec-line', 'Enter');
  await until(async () => /Exit code 3/.test(await page.locator('#exec-status').textContent()), 'the exit code');
  assert.equal(await page.locator('#exec-stdout').textContent(), '<b>out</b>\n');
  assert.equal(await page.locator('#exec-stderr').textContent(), 'err\n');
  assert.equal(await page.locator('#exec-stdout b').count(), 0, 'output is text, not HTML');
  await shot(page, 'exec-console');
  assert.deepEqual(page.errors, [], 'no exception, nothing refused by the CSP');
  await page.fill('#exec-line', 'ls /');
  await page.press('#exec-line', 'Enter');
  await until(async () => /Refused: .*exec_denied/.test(await page.locator('#exec-status').textContent()), 'the refusal');
});
