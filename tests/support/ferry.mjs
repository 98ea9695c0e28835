// The real `ferry serve` for the Node test suites (tests/web, tests/clients): free ports on
// 127.0.0.1, a fresh data folder, restartable on the same ports and data (for the kill -9
// tests). Node's own modules only, so every suite can import it whatever it installs.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.resolve(REPO, process.env.FERRY_BIN || 'target/debug/ferry');
export const MiB = 1 << 20;
export const PASSWORD = 'correct horse battery staple';
export const AUTH = 'Basic ' + Buffer.from('admin:' + PASSWORD).toString('base64');

export function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function md5(buf) {
  return createHash('md5').update(buf).digest('hex');
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
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

/**
 * A running `ferry serve` (with `args` after the ports); `kill()` is SIGKILL, `start()` again reuses ports and data. Suites
 * extend it with their own `api(method, url, …)`, which `md5Of` uses for a plain GET.
 */
export class FerryServer {
  constructor({ data, bin = BIN, prefix = 'ferry-test-data-', args = [] } = {}) {
    this.bin = bin;
    this.args = args;
    this.data = data || tempDir(prefix);
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
      [
        'serve',
        '--data',
        this.data,
        '--tcp',
        `127.0.0.1:${this.tcpPort}`,
        '--http',
        `127.0.0.1:${this.httpPort}`,
        ...this.args,
      ],
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

  /** MD5 (hex) of a committed file, read back through the API. */
  async md5Of(homePath) {
    const r = await this.api('GET', '/api/v1/files/' + homePath.split('/').filter(Boolean).map(encodeURIComponent).join('/'));
    if (!r.ok) throw new Error(`GET ${homePath}: ${r.status} ${await r.text()}`);
    return md5(Buffer.from(await r.arrayBuffer()));
  }

  async stop() {
    await this.kill();
    fs.rmSync(this.data, { recursive: true, force: true });
  }
}
