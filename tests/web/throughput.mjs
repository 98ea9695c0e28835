// Upload throughput of the page next to curl, in one run against one release server (not
// part of CI): a 200 MiB random file through the page in headless Chromium, with `curl -T`
// (one whole-body PUT), and with curl sending the resumable API's 8 MiB Content-Range
// chunks. Every result is checked by MD5.
//
//   node tests/web/throughput.mjs            (builds target/release/ferry first)

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PASSWORD, REPO, Server, launchBrowser, loggedInPage, queueItem, randomFile, tempDir, until } from './support.mjs';

const MiB = 1 << 20;
const SIZE = 200 * MiB;
const CHUNK = 8 * MiB;

execFileSync('cargo', ['build', '--release', '--bin', 'ferry'], { cwd: REPO, stdio: 'inherit' });

const work = tempDir('ferry-throughput-');
const file = randomFile(work, 'big.bin', SIZE);
const server = await new Server({ bin: path.join(REPO, 'target/release/ferry') }).start();
const results = [];
const rate = (name, ms) => {
  const mbps = SIZE / 1e6 / (ms / 1000);
  results.push({ name, seconds: (ms / 1000).toFixed(2), 'MB/s': mbps.toFixed(1) });
};
const curl = (...args) => execFileSync('curl', ['-sS', '-f', '-u', `admin:${PASSWORD}`, ...args], { maxBuffer: 1 << 20 });

try {
  // The page.
  const browser = await launchBrowser();
  const page = await loggedInPage(browser, server);
  let t0 = performance.now();
  await page.setInputFiles('#file-input', file.path);
  await until(async () => (await queueItem(page, '/big.bin').getAttribute('data-state')) === 'done', 'the page upload', 600000);
  rate('page (Chromium, 8 MiB chunks, MD5 in a worker)', performance.now() - t0);
  await browser.close();

  // curl, whole body.
  t0 = performance.now();
  curl('-T', file.path, '-o', '/dev/null', `${server.url}/api/v1/files/curl-whole.bin`);
  rate('curl -T (one whole-body PUT)', performance.now() - t0);

  // curl, resumable chunks (split beforehand, outside the timing).
  const chunks = path.join(work, 'chunks');
  fs.mkdirSync(chunks);
  execFileSync('split', ['-b', String(CHUNK), file.path, path.join(chunks, 'c.')]);
  t0 = performance.now();
  const created = JSON.parse(
    curl('-H', 'Content-Type: application/json', '-d', JSON.stringify({ path: '/curl-chunks.bin', size: SIZE }), `${server.url}/api/v1/uploads`),
  );
  let start = 0;
  for (const name of fs.readdirSync(chunks).sort()) {
    const len = fs.statSync(path.join(chunks, name)).size;
    curl('-T', path.join(chunks, name), '-o', '/dev/null', '-H', `Content-Range: bytes ${start}-${start + len - 1}/${SIZE}`, `${server.url}/api/v1/uploads/${created.id}`);
    start += len;
  }
  rate('curl, 8 MiB Content-Range chunks', performance.now() - t0);

  for (const p of ['/big.bin', '/curl-whole.bin', '/curl-chunks.bin']) {
    const got = await server.md5Of(p);
    if (got !== file.md5) throw new Error(`${p}: MD5 ${got} != ${file.md5}`);
  }
  console.log(`200 MiB (${SIZE} bytes) over 127.0.0.1 to a release server; all three MD5-verified.`);
  console.table(results);
} finally {
  await server.stop();
  fs.rmSync(work, { recursive: true, force: true });
}
