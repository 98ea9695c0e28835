// Find by name: the search box searches below the current folder on the server, pages with
// "More results", and a result opens its folder or its preview.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Server, launchBrowser, loggedInPage, shot, until } from './support.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

async function put(server, path, body) {
  const url = server.url + '/api/v1/files/' + path.split('/').map(encodeURIComponent).join('/');
  const r = await fetch(url, { method: 'PUT', headers: { Authorization: server.auth() }, body });
  assert.ok(r.ok, `PUT ${path}: ${r.status}`);
}

test('the search box finds names below the current folder, pages, and opens results', async (t) => {
  const server = await new Server().start();
  t.after(() => server.stop());
  await put(server, 'docs/Report 2024.txt', 'annual');
  await put(server, 'docs/old/report-draft.txt', 'draft');
  await put(server, 'photos/beach.png', 'x');
  for (let i = 0; i < 55; i++) await put(server, `many/item-${String(i).padStart(2, '0')}.bin`, 'x');
  const page = await loggedInPage(browser, server);
  const results = page.locator('#search-list li');

  await page.fill('#search-q', 'REPORT');
  await page.press('#search-q', 'Enter');
  await until(async () => (await results.count()) === 2, 'two matches');
  assert.deepEqual(await results.evaluateAll((ls) => ls.map((l) => l.dataset.path)), ['/docs/Report 2024.txt', '/docs/old/report-draft.txt']);
  assert.match(await page.locator('#search-status').textContent(), /2 matches for “REPORT” in your home\./);
  assert.equal(await page.locator('#search-more').isHidden(), true);
  await shot(page, 'search-results');

  // A result's preview, then its folder.
  await page.locator('#search-list li[data-path="/docs/old/report-draft.txt"] button', { hasText: 'Preview' }).click();
  await until(async () => (await page.locator('#preview-body pre').textContent().catch(() => '')) === 'draft', 'the preview');
  await page.click('#preview-close');
  await page.locator('#search-list li[data-path="/docs/old/report-draft.txt"] button.link').click();
  await page.locator('#listing-body tr[data-name="report-draft.txt"]').waitFor();

  // Below the current folder only.
  await page.fill('#search-q', 'report');
  await page.press('#search-q', 'Enter');
  await until(async () => /1 match for “report” in \/docs\/old\./.test(await page.locator('#search-status').textContent()), 'one match in /docs/old');

  // Pages: 50, then "More results" for the rest.
  await page.locator('#crumbs button', { hasText: 'Home' }).click();
  await page.locator('#listing-body tr[data-name="many"]').waitFor();
  await page.fill('#search-q', 'item-');
  await page.press('#search-q', 'Enter');
  await until(async () => (await results.count()) === 50, 'the first page');
  assert.match(await page.locator('#search-status').textContent(), /50 matches .* so far\./);
  await page.click('#search-more');
  await until(async () => (await results.count()) === 55, 'the second page');
  assert.equal(await page.locator('#search-more').isHidden(), true);
  await shot(page, 'search-paged');

  await page.click('#search-clear');
  assert.equal(await page.locator('#search-results').isHidden(), true);
  assert.deepEqual(page.errors, [], 'no exception, nothing refused by the CSP');
});
