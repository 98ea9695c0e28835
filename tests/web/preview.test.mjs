// Previews: images, text and PDF open in the page's preview from the file's inline view, and
// uploaded HTML, SVG or text made of markup never runs script on Ferry's origin.

import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { after, before, test } from 'node:test';
import { Server, launchBrowser, loggedInPage, shot, until } from './support.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/** A `size`×`size` PNG in two colours (RGB, no filter), made here so no fixture is needed. */
function png(size) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const head = Buffer.alloc(13);
  head.writeUInt32BE(size, 0);
  head.writeUInt32BE(size, 4);
  head[8] = 8; // bit depth
  head[9] = 2; // RGB
  const rows = [];
  for (let y = 0; y < size; y++) {
    const row = [0];
    for (let x = 0; x < size; x++) row.push(...(x < y ? [11, 92, 173] : [240, 168, 0]));
    rows.push(Buffer.from(row));
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', head),
    chunk('IDAT', zlib.deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Script that leaves a mark anywhere it manages to run. */
const HOSTILE = `<script>try{top.document.title='owned'}catch(e){};try{localStorage.setItem('owned','1')}catch(e){};try{parent.postMessage('owned','*')}catch(e){};alert('owned')</script>`;

async function put(server, name, body) {
  const r = await fetch(server.url + '/api/v1/files/' + encodeURIComponent(name), {
    method: 'PUT',
    headers: { Authorization: server.auth() },
    body,
  });
  assert.ok(r.ok, `PUT ${name}: ${r.status}`);
}

test('images, text and PDF open in the preview; other files offer no preview', async (t) => {
  const server = await new Server().start();
  t.after(() => server.stop());
  await put(server, 'picture.png', png(96));
  const text = 'Notes\n<b>not bold</b> & ünïcode\n';
  await put(server, 'notes.txt', text);
  await put(server, 'doc.pdf', '%PDF-1.1\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');
  await put(server, 'page.html', HOSTILE);
  await put(server, 'data.bin', 'x');
  const page = await loggedInPage(browser, server);
  await page.locator('#listing-body tr[data-name="picture.png"]').waitFor();
  await shot(page, 'listing-icons');
  const kinds = await page.$$eval('#listing-body tr[data-name] .icon', (els) => els.map((e) => e.dataset.kind));
  assert.deepEqual(kinds.sort(), ['image', 'other', 'other', 'pdf', 'text']);

  const previewOf = (name) => page.locator(`#listing-body tr[data-name="${name}"] button`, { hasText: 'Preview' });
  assert.equal(await previewOf('page.html').count(), 0, 'HTML is never previewed');
  assert.equal(await previewOf('data.bin').count(), 0, 'unknown kinds download as before');

  await previewOf('picture.png').click();
  const img = page.locator('#preview-body img');
  await img.waitFor();
  await until(() => img.evaluate((i) => i.complete && i.naturalWidth === 96), 'the image to load');
  assert.match(await img.getAttribute('src'), /^\/api\/v1\/files\/picture\.png\?inline=true$/);
  await shot(page, 'preview-image');
  await page.click('#preview-close');
  assert.equal(await page.locator('#preview-dialog').evaluate((d) => d.open), false);

  await previewOf('notes.txt').click();
  const pre = page.locator('#preview-body pre');
  await pre.waitFor();
  assert.equal(await pre.textContent(), text);
  assert.equal(await page.locator('#preview-body b').count(), 0, 'text stays text');
  await shot(page, 'preview-text');
  await page.keyboard.press('Escape');

  await previewOf('doc.pdf').click();
  const frame = page.locator('#preview-body iframe');
  await frame.waitFor();
  assert.equal(await frame.getAttribute('src'), '/api/v1/files/doc.pdf?inline=true');
  const head = await page.evaluate(async () => {
    const r = await fetch('/api/v1/files/doc.pdf?inline=true', { method: 'HEAD' });
    return [r.headers.get('content-type'), r.headers.get('content-security-policy')];
  });
  assert.deepEqual(head, ['application/pdf', 'sandbox']);
  await shot(page, 'preview-pdf');
  assert.deepEqual(page.errors, [], 'no exception, nothing refused by the CSP');
});

test('uploaded HTML, SVG and markup in text never run script on the origin', async (t) => {
  const server = await new Server().start();
  t.after(() => server.stop());
  await put(server, 'evil.html', HOSTILE);
  await put(server, 'evil.svg', `<svg xmlns="http://www.w3.org/2000/svg" onload="alert('owned')">${HOSTILE}</svg>`);
  await put(server, 'evil.txt', HOSTILE);
  const page = await loggedInPage(browser, server);
  const messages = [];
  await page.exposeFunction('noteMessage', (m) => messages.push(m));
  await page.evaluate(() => window.addEventListener('message', (e) => window.noteMessage(String(e.data))));
  const title = await page.title();

  // Each inline view in a frame of the page: HTML and SVG come as downloads, the text as
  // text, all under `sandbox`; nothing reaches the page.
  for (const name of ['evil.html', 'evil.svg', 'evil.txt']) {
    const r = await page.evaluate(async (name) => {
      const r = await fetch(`/api/v1/files/${name}?inline=true`, { method: 'HEAD' });
      return { type: r.headers.get('content-type'), disposition: r.headers.get('content-disposition'), csp: r.headers.get('content-security-policy') };
    }, name);
    assert.equal(r.csp, 'sandbox', name);
    if (name === 'evil.txt') assert.equal(r.type, 'text/plain; charset=utf-8');
    else assert.match(r.disposition, /^attachment/, name);
    await page.evaluate((name) => {
      const f = document.createElement('iframe');
      f.src = `/api/v1/files/${name}?inline=true`;
      document.body.append(f);
    }, name);
  }
  await page.waitForTimeout(1000);

  // Opened as a page of its own, the text view shows the markup as characters.
  const tab = await page.context().newPage();
  tab.on('dialog', (d) => {
    page.dialogs.push(d.message());
    d.dismiss().catch(() => {});
  });
  await tab.goto(server.url + '/api/v1/files/evil.txt?inline=true');
  assert.equal(await tab.evaluate(() => document.body.innerText.trim()), HOSTILE);
  // And HTML opened directly is a download, not a page.
  const tab2 = await page.context().newPage();
  const [download] = await Promise.all([
    tab2.waitForEvent('download'),
    tab2.goto(server.url + '/api/v1/files/evil.html?inline=true').catch(() => {}),
  ]);
  assert.equal(download.suggestedFilename(), 'evil.html');
  await tab.waitForTimeout(500);

  assert.equal(await page.title(), title, 'the page title is untouched');
  assert.equal(await page.evaluate(() => localStorage.getItem('owned')), null);
  assert.deepEqual(messages, [], 'no frame posted anything');
  assert.deepEqual(page.dialogs, [], 'no alert ran');
  await shot(page, 'preview-hostile-inert');
});
