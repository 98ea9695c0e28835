// Shared pieces of the browser tests: the real `ferry serve` on free ports in a fresh data
// folder (restartable on the same ports, for the kill-and-restart test), Debian's Chromium
// through playwright-core, and small helpers. No network beyond 127.0.0.1.

import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.resolve(REPO, process.env.FERRY_BIN || 'target/debug/ferry');
export const ARTIFACTS = path.join(REPO, 'target/web-artifacts');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const MiB = 1 << 20;
export const PASSWORD = 'correct horse battery staple';

fs.mkdirSync(ARTIFACTS, { recursive: true });

export function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

async function freePort() {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address();
  srv.close();
  await once(srv, 'close');
  return port;
}

/** A running `ferry serve`; `kill()` is SIGKILL, `start()` again reuses ports and data. */
export class Server {
  constructor({ data, bin = BIN } = {}) {
    this.bin = bin;
    this.data = data || tempDir('ferry-web-data-');
    this.log = [];
  }

  get url() {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  async start() {
    this.httpPort ??= await freePort();
    this.tcpPort ??= await freePort();
    this.proc = spawn(
      this.bin,
      ['serve', '--data', this.data, '--tcp', `127.0.0.1:${this.tcpPort}`, '--http', `127.0.0.1:${this.httpPort}`],
      { env: { ...process.env, FERRY_ADMIN_PASSWORD: PASSWORD, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    for (const s of [this.proc.stdout, this.proc.stderr]) s.on('data', (d) => this.log.push(String(d)));
    const deadline = Date.now() + 20000;
    for (;;) {
      if (this.proc.exitCode !== null) throw new Error('ferry serve exited:\n' + this.log.join(''));
      try {
        const r = await fetch(this.url + '/healthz');
        if (r.ok) return this;
      } catch {
        /* not yet */
      }
      if (Date.now() > deadline) throw new Error('ferry serve did not become ready:\n' + this.log.join(''));
      await sleep(100);
    }
  }

  async kill() {
    if (!this.proc || this.proc.exitCode !== null) return;
    this.proc.kill('SIGKILL');
    await once(this.proc, 'exit');
  }

  /** `ferry user …` against this data folder. */
  async user(...args) {
    const p = spawn(this.bin, ['user', ...args, '--data', this.data], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const [code] = await once(p, 'exit');
    if (code !== 0) throw new Error(`ferry user ${args.join(' ')} failed: ${out}`);
  }

  auth() {
    return 'Basic ' + Buffer.from('admin:' + PASSWORD).toString('base64');
  }

  /** An API call as admin with Basic auth. */
  async api(method, url, body) {
    const r = await fetch(this.url + url, {
      method,
      headers: { Authorization: this.auth(), ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return r;
  }

  /** MD5 (hex) of a committed file, read back through the API. */
  async md5Of(homePath) {
    const r = await this.api('GET', '/api/v1/files/' + homePath.split('/').filter(Boolean).map(encodeURIComponent).join('/'));
    if (!r.ok) throw new Error(`GET ${homePath}: ${r.status}`);
    return md5(Buffer.from(await r.arrayBuffer()));
  }

  async stop() {
    await this.kill();
    fs.rmSync(this.data, { recursive: true, force: true });
  }
}

// playwright-core gives every launch a fresh temporary profile (its own --user-data-dir).
export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Throttles `page`'s uploads to `bytesPerSecond` through Chromium's network emulation, which
 * slows request bodies too; returns the CDP session so a test can change the rate later.
 */
export async function throttle(page, bytesPerSecond) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: bytesPerSecond,
  });
  return cdp;
}

/** A browser and a temp folder for the local files one test file uploads. */
export async function openBrowserAndFiles(prefix) {
  return { browser: await launchBrowser(), files: tempDir(prefix) };
}

/** Closes what [`openBrowserAndFiles`] opened; either may be missing if it failed. */
export async function closeBrowserAndFiles(browser, files) {
  await browser?.close();
  if (files) fs.rmSync(files, { recursive: true, force: true });
}

/** A page logged in as admin on `server`. */
export async function loggedInPage(browser, server, viewport = { width: 1100, height: 900 }) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  page.dialogs = [];
  page.on('dialog', (d) => {
    page.dialogs.push(d.message());
    d.dismiss().catch(() => {});
  });
  // Uncaught exceptions and anything the CSP refused (Chromium logs each refusal).
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) page.errors.push(m.text());
  });
  await page.goto(server.url + '/');
  await page.fill('input[name=username]', 'admin');
  await page.fill('input[name=password]', PASSWORD);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#app-view:not([hidden])');
  return page;
}

/** A file of `size` random bytes in a temp folder; returns {path, md5}. */
export function randomFile(dir, name, size) {
  const p = path.join(dir, name);
  const fd = fs.openSync(p, 'w');
  const block = 1 << 20;
  for (let done = 0; done < size; done += block) fs.writeSync(fd, randomBytes(Math.min(block, size - done)));
  fs.closeSync(fd);
  return { path: p, md5: md5(fs.readFileSync(p)) };
}

export function md5(buf) {
  return createHash('md5').update(buf).digest('hex');
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

export async function shot(page, name) {
  await page.screenshot({ path: path.join(ARTIFACTS, name + '.png'), fullPage: true });
}

/** The queue item of the upload to `homePath`. */
export function queueItem(page, homePath) {
  return page.locator(`#queue li[data-path="${homePath.replace(/"/g, '\\"')}"]`);
}

/** Waits until `fn()` is truthy (polling), or fails with `what`. */
export async function until(fn, what, timeout = 60000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('timed out waiting for ' + what);
    await sleep(100);
  }
}

/** An upload's progress bar value (bytes). */
/** The `data-state` of the queue item for `homePath` (`uploading`, `done`, `error`…). */
export function stateOf(page, homePath) {
  return queueItem(page, homePath).getAttribute('data-state');
}

export async function progressOf(page, homePath) {
  return Number(await queueItem(page, homePath).locator('progress').getAttribute('value').catch(() => 0)) || 0;
}
