// The tus tests' server (tests/support/ferry.mjs, plus the tus URL and a tus HEAD), the
// upload runs both dialects' tests share, and small helpers. No network beyond 127.0.0.1.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import * as tus from 'tus-js-client';

import { AUTH, FerryServer, MiB, md5, sleep } from '../support/ferry.mjs';

export { AUTH, BIN, MiB, PASSWORD, REPO, md5, sleep } from '../support/ferry.mjs';

/** The real server, with what the tus tests add: the tus URL, API calls, a tus HEAD. */
export class Server extends FerryServer {
  constructor() {
    super({ prefix: 'ferry-clients-' });
  }

  get tus() {
    return this.url + '/api/v1/tus/';
  }

  async api(method, url, { body, headers = {} } = {}) {
    return fetch(this.url + url, { method, headers: { Authorization: AUTH, ...headers }, body });
  }

  /** The upload's offset, by a tus HEAD. */
  async offsetOf(uploadUrl) {
    const r = await fetch(uploadUrl, { method: 'HEAD', headers: { Authorization: AUTH, 'Tus-Resumable': '1.0.0' } });
    if (r.status !== 200) throw new Error(`HEAD ${uploadUrl}: ${r.status}`);
    return Number(r.headers.get('upload-offset'));
  }
}

export function random(size) {
  return randomBytes(size);
}

/**
 * Runs one tus-js-client upload to `endpoint` to its end; resolves with the Upload, rejects
 * with the client's error.
 */
export function upload(endpoint, data, options) {
  return new Promise((resolve, reject) => {
    const u = new tus.Upload(data, {
      endpoint,
      headers: { Authorization: AUTH },
      retryDelays: [100, 300, 1000],
      ...options,
      onSuccess: () => resolve(u),
      onError: reject,
    });
    u.start();
  });
}

/**
 * Uploads `data` to `server` at the endpoint path `path` (`/api/v1/tus/`, `/api/v1/resumable/`)
 * through a proxy that cuts the connection at 12 MiB; checks the client failed and the server
 * kept part (`heldAt(url)`: the offset it reports); resumes with a new client from there and
 * checks the file `file` is `data`, MD5 exact. `options` (the tus-js-client `protocol`) go to
 * both clients, `metadata` to the first.
 */
export async function cutAndResume(server, { data, path, options = {}, metadata = {}, heldAt, file }) {
  const proxy = await cuttingProxy(server.httpPort, 12 * MiB);
  let first;
  try {
    const err = await new Promise((resolve) => {
      first = new tus.Upload(data, {
        ...options,
        endpoint: proxy.url + path,
        headers: { Authorization: AUTH },
        metadata,
        retryDelays: null,
        onSuccess: () => resolve(null),
        onError: resolve,
      });
      first.start();
    });
    assert.ok(err, 'the upload finished although its connection was cut');
    assert.ok(proxy.cut, 'the proxy did not cut the connection');
  } finally {
    proxy.close();
  }
  const url = server.url + new URL(first.url).pathname;
  await sleep(300);
  const held = await heldAt(url);
  assert.ok(held > 0 && held < data.length, `held ${held}`);
  let resumedFrom = null;
  await upload(server.url + path, data, {
    ...options,
    uploadUrl: url,
    onAfterResponse: (req, res) => {
      if (req.getMethod() === 'HEAD') resumedFrom = Number(res.getHeader('Upload-Offset'));
    },
  });
  assert.ok(resumedFrom >= held, `resumed from ${resumedFrom}, held ${held}`);
  assert.equal(await server.md5Of(file), md5(data));
}

/**
 * A TCP proxy on 127.0.0.1 in front of `port` that cuts the first connection to carry more
 * than `cutAfter` bytes towards the server: it stops forwarding, lets what it already wrote
 * reach the server, then destroys both sides. Later connections pass untouched. A real cut
 * mid-request, whatever the speed of the machine (aborting from a progress callback races
 * with a fast server finishing the request first).
 */
export async function cuttingProxy(port, cutAfter) {
  let cut = false;
  const proxy = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    let forwarded = 0;
    upstream.pipe(client);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.on('data', (d) => {
      upstream.write(d);
      if (cut) return;
      forwarded += d.length;
      if (forwarded > cutAfter) {
        cut = true;
        client.pause();
        const drop = () => setTimeout(() => (client.destroy(), upstream.destroy()), 100);
        if (upstream.writableNeedDrain) upstream.once('drain', drop);
        else drop();
      }
    });
    client.on('end', () => upstream.end());
  });
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  return {
    url: `http://127.0.0.1:${proxy.address().port}`,
    get cut() {
      return cut;
    },
    close: () => proxy.close(),
  };
}
