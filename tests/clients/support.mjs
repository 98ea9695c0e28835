// The tus tests' server (tests/support/ferry.mjs, plus the tus URL and a tus HEAD) and small
// helpers. No network beyond 127.0.0.1.

import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';

import { AUTH, FerryServer } from '../support/ferry.mjs';

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
