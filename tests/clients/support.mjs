// The tus tests' server (tests/support/ferry.mjs, plus the tus URL and a tus HEAD) and small
// helpers. No network beyond 127.0.0.1.

import { randomBytes } from 'node:crypto';

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

