// Bad input in each HTTP spelling of an upload (the IETF draft, tus, Content-Range) against the
// real `ferry serve`: a wrong offset, a chunk digest that does not match, a length that
// changes, an unknown digest algorithm and a path outside the home each get their problem
// document (the same code, and the draft's IANA problem type where one exists, in every
// dialect), and nothing of the refused requests is kept.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';

import { Server } from './support.mjs';

const PROBLEM = 'https://iana.org/assignments/http-problem-types#';

let server;
before(async () => {
  server = await new Server().start();
  const r = await server.api('POST', '/api/v1/dirs/ietf');
  assert.equal(r.status, 201, await r.text());
});
after(async () => server?.stop());

/**
 * The three HTTP spellings of one upload, for the bad-input table: how to create an 8-byte
 * upload to a path, append at an offset with extra headers, and ask the offset.
 */
const DIALECTS = {
  ietf: {
    create: (path) =>
      server.api('POST', `/api/v1/resumable/?path=${encodeURIComponent(path)}`, { headers: { 'Upload-Complete': '?0', 'Upload-Length': '8' } }),
    append: (url, offset, body, headers) =>
      server.api('PATCH', url, {
        headers: { 'Content-Type': 'application/partial-upload', 'Upload-Offset': String(offset), 'Upload-Complete': '?0', ...headers },
        body,
      }),
    digest: (alg, b64) => ({ 'Content-Digest': `${alg === 'sha256' ? 'sha-256' : alg}=:${b64}:` }),
    length: (n) => ({ 'Upload-Length': String(n) }),
    checksumStatus: 400,
  },
  tus: {
    create: (path) =>
      server.api('POST', '/api/v1/tus/', {
        headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': '8', 'Upload-Metadata': 'path ' + Buffer.from(path).toString('base64') },
      }),
    append: (url, offset, body, headers) =>
      server.api('PATCH', url, {
        headers: { 'Tus-Resumable': '1.0.0', 'Content-Type': 'application/offset+octet-stream', 'Upload-Offset': String(offset), ...headers },
        body,
      }),
    digest: (alg, b64) => ({ 'Upload-Checksum': `${alg} ${b64}` }),
    length: (n) => ({ 'Upload-Length': String(n) }),
    checksumStatus: 460,
  },
  'content-range': {
    create: (path) =>
      server.api('POST', '/api/v1/uploads', { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ path, size: 8 }) }),
    append: (url, offset, body, headers) =>
      server.api('PUT', url, {
        headers: { 'Content-Range': `bytes ${offset}-${offset + body.length - 1}/${headers.total ?? 8}`, ...headers, total: undefined },
        body,
      }),
    digest: (alg, b64) => ({ 'Content-Digest': `${alg === 'sha256' ? 'sha-256' : alg}=:${b64}:` }),
    length: (n) => ({ total: n }),
    checksumStatus: 400,
  },
};

for (const [dialect, d] of Object.entries(DIALECTS)) {
  test(`${dialect}: bad input gets its problem and changes nothing`, async () => {
    const problem = async (r, status, code) => {
      const doc = await r.json();
      assert.equal(r.status, status, JSON.stringify(doc));
      assert.equal(r.headers.get('content-type'), 'application/problem+json');
      assert.equal(doc.code, code, JSON.stringify(doc));
      return doc;
    };
    const created = await d.create(`/ietf/bad-${dialect}.bin`);
    assert.equal(created.status, 201, await created.text());
    const url = created.headers.get('location');
    const clean = (h) => Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined));
    const append = (offset, body, headers = {}) => d.append(url, offset, body, clean(headers));

    const wrongOffset = await problem(await append(3, 'abc'), 409, 'offset_mismatch');
    assert.equal(wrongOffset.type, PROBLEM + 'mismatching-upload-offset');
    assert.equal(wrongOffset['expected-offset'], 0);

    const b64 = (alg, buf) => createHash(alg).update(buf).digest('base64');
    await problem(await append(0, 'abcd', d.digest('sha256', b64('sha256', 'other'))), d.checksumStatus, 'chunk_checksum_mismatch');

    const changed = await problem(await append(0, 'abcd', d.length(9)), 400, 'size_mismatch');
    assert.equal(changed.type, PROBLEM + 'inconsistent-upload-length');

    await problem(await append(0, 'abcd', d.digest('whirlpool', 'AAAA')), 400, 'checksum_algorithm_unsupported');

    await problem(await d.create('/../outside.bin'), 403, 'path_outside_home');

    const list = await (await server.api('GET', '/api/v1/uploads')).json();
    const mine = list.find((u) => url.endsWith(u.id));
    assert.equal(mine.offset, 0, 'nothing of the refused requests was kept');
  });
}
