// tus-js-client (pinned in package-lock.json), unmodified, speaking the IETF resumable-upload
// draft in each protocol mode it offers (`ietf-draft-03`: interop version 5, `ietf-draft-05`:
// interop version 6) against the real `ferry serve` at /api/v1/resumable/: plain uploads,
// resume after a cut connection, lengths stated late, and uploads begun in this dialect
// finished in another (tus, Content-Range), MD5 exact. Each file is read back with GET and
// compared by MD5.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as tus from 'tus-js-client';

import { AUTH, MiB, Server, cutAndResume, md5, random, upload as uploadTo } from './support.mjs';

const PROTOCOLS = ['ietf-draft-03', 'ietf-draft-05'];

let server;
before(async () => {
  server = await new Server().start();
  const r = await server.api('POST', '/api/v1/dirs/ietf');
  assert.equal(r.status, 201, await r.text());
});
after(async () => server?.stop());

const endpoint = () => server.url + '/api/v1/resumable/';

/** Runs one upload to its end (see `support.mjs`). */
const upload = (data, options) => uploadTo(endpoint(), data, options);

/** Starts an upload and aborts it once `stopAt` bytes are accepted; resolves with its URL. */
function begun(data, stopAt, options) {
  return new Promise((resolve, reject) => {
    const u = new tus.Upload(data, {
      endpoint: endpoint(),
      headers: { Authorization: AUTH },
      chunkSize: MiB,
      retryDelays: null,
      ...options,
      onChunkComplete: (_chunk, accepted) => {
        if (accepted >= stopAt) u.abort().then(() => resolve(u.url), reject);
      },
      onSuccess: () => reject(new Error('finished before it was stopped')),
      onError: reject,
    });
    u.start();
  });
}

/** The id at the end of an upload URL. */
const idOf = (url) => new URL(url).pathname.split('/').pop();

for (const protocol of PROTOCOLS) {
  test(`${protocol}: a plain upload lands byte-exact where its metadata says`, async () => {
    const data = random(5 * MiB + 17);
    const u = await upload(data, { protocol, chunkSize: MiB, metadata: { filename: `${protocol}.bin`, folder: '/ietf' } });
    assert.match(u.url, /\/api\/v1\/resumable\/[0-9a-f]+$/);
    assert.equal(await server.md5Of(`/ietf/${protocol}.bin`), md5(data));
  });

  test(`${protocol}: the whole file in the creation request (Upload-Complete: ?1)`, async () => {
    const data = random(MiB + 3);
    await upload(data, { protocol, uploadDataDuringCreation: true, metadata: { filename: `${protocol}-one.bin`, folder: '/ietf' } });
    assert.equal(await server.md5Of(`/ietf/${protocol}-one.bin`), md5(data));
  });

  test(`${protocol}: an upload of deferred length states it with its last request`, async () => {
    const data = random(3 * MiB + 5);
    await upload(data, { protocol, chunkSize: MiB, uploadLengthDeferred: true, metadata: { filename: `${protocol}-deferred.bin`, folder: '/ietf' } });
    assert.equal(await server.md5Of(`/ietf/${protocol}-deferred.bin`), md5(data));
    const quota = await (await server.api('GET', '/api/v1/quota')).json();
    assert.equal(quota.reserved, 0, 'the reservation went with the commit');
  });

  test(`${protocol}: an upload whose connection is cut resumes from the server offset`, async () => {
    await cutAndResume(server, {
      data: random(48 * MiB),
      path: '/api/v1/resumable/',
      options: { protocol },
      metadata: { filename: `${protocol}-cut.bin`, folder: '/ietf' },
      heldAt: async (url) => {
        const head = await fetch(url, { method: 'HEAD', headers: { Authorization: AUTH } });
        assert.equal(head.headers.get('upload-complete'), '?0');
        return Number(head.headers.get('upload-offset'));
      },
      file: `/ietf/${protocol}-cut.bin`,
    });
  });
}

test('begun with ietf-draft-05, finished by tus-js-client speaking tus 1.0, MD5 exact', async () => {
  const data = random(4 * MiB + 9);
  const url = await begun(data, 2 * MiB, { protocol: 'ietf-draft-05', metadata: { filename: 'to-tus.bin', folder: '/ietf' } });
  const tusUrl = server.tus + idOf(url);
  await upload(data, { protocol: 'tus-v1', uploadUrl: tusUrl, chunkSize: MiB });
  assert.equal(await server.md5Of('/ietf/to-tus.bin'), md5(data));
});

test('begun with ietf-draft-03, finished with Content-Range, MD5 exact', async () => {
  const data = random(3 * MiB + 1);
  const url = await begun(data, MiB, { protocol: 'ietf-draft-03', metadata: { filename: 'to-range.bin', folder: '/ietf' } });
  const id = idOf(url);
  const listed = await (await server.api('GET', '/api/v1/uploads')).json();
  const mine = listed.find((u) => u.id === id);
  assert.ok(mine, 'the upload is listed with the others');
  const from = mine.offset;
  const r = await server.api('PUT', `/api/v1/uploads/${id}`, {
    headers: { 'Content-Range': `bytes ${from}-${data.length - 1}/${data.length}` },
    body: data.subarray(from),
  });
  const entry = await r.json();
  assert.equal(r.status, 201, JSON.stringify(entry));
  assert.equal(entry.md5, md5(data));
});
