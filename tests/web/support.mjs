// Shared pieces of the browser tests: the real `ferry serve` on free ports in a fresh data
// folder (restartable on the same ports, for the kill-and-restart test), Debian's Chromium
// through playwright-core, and small helpers. No network beyond 127.0.0.1.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

import { BIN, FerryServer, PASSWORD, REPO, md5, sleep, tempDir } from '../support/ferry.mjs';

export { BIN, MiB, PASSWORD, REPO, md5, sleep, tempDir } from '../support/ferry.mjs';
export const ARTIFACTS = path.join(REPO, 'target/web-artifacts');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

fs.mkdirSync(ARTIFACTS, { recursive: true });

/** The real server, with what the page tests add: `ferry user …` and JSON API calls. */
export class Server extends FerryServer {
  constructor({ data, bin = BIN, args = [] } = {}) {
    super({ data, bin, args, prefix: 'ferry-web-data-' });
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
