// Uppy (`@uppy/core` + `@uppy/tus`, the npm packages, bundled here by esbuild) on a test page
// in Chromium, uploading two files with progress to a Ferry on another origin: allowed by
// `--cors-origin`, both files land MD5-exact; from an origin not listed, the browser blocks
// every request and nothing lands. The page is served by a tiny static server on its own port
// (another origin than Ferry's); nothing is fetched from the network.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import esbuild from 'esbuild';

import { MiB, PASSWORD, Server, launchBrowser, md5 } from './support.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const FILES = { 'uppy-a.bin': randomBytes(3 * MiB + 123), 'uppy-b.bin': randomBytes(2 * MiB + 7) };

const PAGE = `<!doctype html><meta charset="utf-8"><title>Uppy to Ferry</title>
<script src="/uppy.js"></script>`;

/** Uppy and its tus plugin as one browser script that sets `window.Uppy` and `window.Tus`. */
async function bundle() {
  const out = await esbuild.build({
    stdin: {
      contents: "import Uppy from '@uppy/core'; import Tus from '@uppy/tus'; window.Uppy = Uppy; window.Tus = Tus;",
      resolveDir: HERE,
    },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  return out.outputFiles[0].text;
}

/** A static server on a free port: the page, the bundle and the files to upload. */
async function pageServer(script) {
  const srv = http.createServer((req, res) => {
    const name = req.url.slice(1);
    if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    else if (req.url === '/uppy.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    else if (FILES[name]) res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(FILES[name]);
    else res.writeHead(404).end();
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  return { srv, origin: `http://127.0.0.1:${srv.address().port}` };
}

/** In the page: Uppy uploads every file of FILES through tus; returns what it saw. */
async function uploadWithUppy(page, endpoint, names) {
  const auth = 'Basic ' + Buffer.from('admin:' + PASSWORD).toString('base64');
  return page.evaluate(
    async ({ endpoint, names, auth }) => {
      const uppy = new window.Uppy({ autoProceed: false });
      uppy.use(window.Tus, { endpoint, headers: { Authorization: auth }, chunkSize: 1 << 20, retryDelays: [] });
      const progress = {};
      uppy.on('upload-progress', (file, p) => {
        (progress[file.name] ??= []).push([p.bytesUploaded, p.bytesTotal]);
      });
      for (const name of names) {
        const data = await (await fetch('/' + name)).blob();
        uppy.addFile({ name, type: 'application/octet-stream', data });
      }
      const result = await uppy.upload();
      return {
        progress,
        successful: result.successful.map((f) => f.name),
        failed: result.failed.map((f) => [f.name, String(f.error)]),
      };
    },
    { endpoint, names, auth },
  );
}

let browser;
let script;
before(async () => {
  browser = await launchBrowser();
  script = await bundle();
});
after(() => browser?.close());

test('Uppy on an origin listed in --cors-origin uploads two files with progress, MD5-exact', async (t) => {
  const { srv, origin } = await pageServer(script);
  t.after(() => srv.close());
  const server = await new Server({ args: ['--cors-origin', origin] }).start();
  t.after(() => server.stop());
  const page = await browser.newPage();
  await page.goto(origin + '/');
  const names = Object.keys(FILES);
  const seen = await uploadWithUppy(page, server.url + '/api/v1/tus/', names);
  assert.deepEqual(seen.failed, [], 'no upload failed');
  assert.deepEqual(seen.successful.sort(), names.sort());
  for (const name of names) {
    const events = seen.progress[name] ?? [];
    const size = FILES[name].length;
    assert.ok(events.length >= 2, `${name}: progress reported more than once (${events.length})`);
    assert.ok(events.some(([done]) => done > 0 && done < size), `${name}: progress part-way`);
    assert.deepEqual(events.at(-1), [size, size], `${name}: progress ends at the size`);
    assert.equal(await server.md5Of('/' + name), md5(FILES[name]), `${name}: MD5 of what landed`);
  }
});

test('Uppy on an origin not in --cors-origin is blocked by the browser, and nothing lands', async (t) => {
  const allowed = await pageServer(script);
  const other = await pageServer(script);
  t.after(() => (allowed.srv.close(), other.srv.close()));
  const server = await new Server({ args: ['--cors-origin', allowed.origin] }).start();
  t.after(() => server.stop());
  const page = await browser.newPage();
  await page.goto(other.origin + '/');
  const names = Object.keys(FILES);
  const seen = await uploadWithUppy(page, server.url + '/api/v1/tus/', names);
  assert.deepEqual(seen.successful, [], 'nothing succeeded');
  assert.equal(seen.failed.length, names.length, `every upload failed: ${JSON.stringify(seen.failed)}`);
  for (const name of names) {
    const r = await server.api('GET', '/api/v1/files/' + name);
    assert.equal(r.status, 404, `${name} did not land`);
  }
  const uploads = await (await server.api('GET', '/api/v1/uploads')).json();
  assert.deepEqual(uploads, [], 'not even an upload was created');
});
