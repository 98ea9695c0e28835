// The page's account parts: changing one's own password, the admin section (shown only to
// admins: add, quota, remove), and the "Share" action whose link, copied, opens the public
// page without an account and downloads the file.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PASSWORD, Server, launchBrowser, loggedInPage, shot, until } from './support.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test('a user changes their own password; a wrong current one is refused', async (t) => {
  const server = await new Server().start();
  t.after(() => server.stop());
  const page = await loggedInPage(browser, server);
  const form = page.locator('#password-form');
  const msg = page.locator('#password-message');
  await form.locator('input[name=current]').fill('not my password');
  await form.locator('input[name=new]').fill('a brand new password');
  await form.locator('input[name=again]').fill('a brand new password');
  await form.locator('button[type=submit]').click();
  await until(async () => /not right/.test(await msg.textContent()), 'the wrong-password message');
  await form.locator('input[name=current]').fill(PASSWORD);
  await form.locator('button[type=submit]').click();
  await until(async () => /Password changed/.test(await msg.textContent()), 'the changed message');
  assert.equal((await server.api('GET', '/api/v1/me')).status, 401, 'the old password no longer works');
  // The page's own token survives the change.
  await page.reload();
  await page.waitForSelector('#app-view:not([hidden])');
  assert.deepEqual(page.errors, []);
});

test('the admin section adds a user with a quota and removes them; a user does not see it', async (t) => {
  const server = await new Server().start();
  t.after(() => server.stop());
  const page = await loggedInPage(browser, server);
  await page.waitForSelector('#admin:not([hidden]) #users-body tr[data-user=admin]');
  await page.fill('#add-user-name', 'bob');
  await page.fill('#add-user-password', 'bob password 1');
  await page.fill('#add-user-quota', '10MiB');
  await page.click('#add-user-form button[type=submit]');
  const bob = page.locator('#users-body tr[data-user=bob]');
  await bob.waitFor();
  assert.match(await bob.textContent(), /10(\.0)? MiB/);
  await shot(page, 'admin-section');

  const other = await (await browser.newContext()).newPage();
  await other.goto(server.url + '/');
  await other.fill('input[name=username]', 'bob');
  await other.fill('input[name=password]', 'bob password 1');
  await other.click('#login-form button[type=submit]');
  await other.waitForSelector('#app-view:not([hidden])');
  await other.waitForTimeout(300);
  assert.equal(await other.locator('#admin').isHidden(), true);

  await bob.locator('button', { hasText: 'Remove' }).click();
  await page.click('#ask-ok');
  await until(async () => (await page.locator('#users-body tr[data-user=bob]').count()) === 0, 'bob removed');
  assert.deepEqual(page.errors, []);
});

test('Share makes a link with a copy button; the link opens a public page that downloads', async (t) => {
  const server = await new Server().start();
  t.after(() => server.stop());
  const body = 'shared bytes\n';
  await fetch(server.url + '/api/v1/files/notes.txt', {
    method: 'PUT',
    headers: { Authorization: server.auth() },
    body,
  });
  const page = await loggedInPage(browser, server);
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  const row = page.locator('#listing-body tr[data-name="notes.txt"]');
  await row.locator('button', { hasText: 'Share' }).click();
  await page.waitForSelector('#share-dialog[open]');
  await page.selectOption('#share-form select[name=expires]', '1d');
  await page.click('#share-create');
  await page.waitForSelector('#share-result:not([hidden])');
  const link = await page.inputValue('#share-link');
  assert.match(link, new RegExp('^' + server.url + '/s/[A-Za-z0-9_-]{22}$'));
  await page.click('#share-copy');
  await until(async () => /Copied/.test(await page.locator('#share-message').textContent()), 'the copied message');
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), link);
  await shot(page, 'share-dialog');

  const visitor = await (await browser.newContext({ acceptDownloads: true })).newPage();
  const errors = [];
  visitor.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await visitor.goto(link);
  assert.equal(await visitor.locator('h1').textContent(), 'notes.txt');
  await shot(visitor, 'share-page');
  const [download] = await Promise.all([visitor.waitForEvent('download'), visitor.click('#download')]);
  const stream = await download.createReadStream();
  let got = '';
  for await (const chunk of stream) got += chunk;
  assert.equal(got, body);
  assert.deepEqual(errors, [], 'the page runs under its CSP without refusals');

  const listed = await (await server.api('GET', '/api/v1/shares')).json();
  assert.equal(listed.shares[0].downloads, 1);
  assert.deepEqual(page.errors, []);
});

test('a drop-box link takes an upload from its public page, a password first', async (t) => {
  const server = await new Server().start();
  t.after(() => server.stop());
  await server.api('POST', '/api/v1/dirs/inbox');
  const made = await server.api('POST', '/api/v1/shares', { path: '/inbox', upload: true, password: 'drop here' });
  const { url } = await made.json();
  const visitor = await (await browser.newContext()).newPage();
  const errors = [];
  // The wrong password's 403 and the browser's own /favicon.ico 404 are expected.
  visitor.on('console', (m) => m.type() === 'error' && !/Failed to load resource/.test(m.text()) && errors.push(m.text()));
  visitor.on('pageerror', (e) => errors.push(String(e)));
  await visitor.goto(server.url + url);
  await visitor.fill('input[name=password]', 'wrong');
  await visitor.click('form.password button[type=submit]');
  await visitor.waitForSelector('.problem');
  await visitor.fill('input[name=password]', 'drop here');
  await visitor.click('form.password button[type=submit]');
  await visitor.waitForSelector('#dropbox');
  await visitor.setInputFiles('#dropbox-files', { name: 'hello.txt', mimeType: 'text/plain', buffer: Buffer.from('dropped!') });
  await visitor.click('#dropbox button[type=submit]');
  await until(async () => /Uploaded hello\.txt/.test(await visitor.locator('#dropbox-status').textContent()), 'the upload');
  await shot(visitor, 'share-dropbox');
  const r = await server.api('GET', '/api/v1/files/inbox/hello.txt');
  assert.equal(await r.text(), 'dropped!');
  assert.deepEqual(errors, []);
});
