// tus-js-client (pinned in package-lock.json), unmodified, against the real `ferry serve`:
// plain upload, resume after a cut connection, resume after kill -9 and a restart, parallel
// upload through concatenation, per-chunk checksums and a deferred length. Each file is read
// back with GET and compared by MD5.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import * as tus from 'tus-js-client';

import { AUTH, MiB, Server, cutAndResume, md5, random, upload as uploadTo } from './support.mjs';

let server;
before(async () => {
  server = await new Server().start();
  const r = await server.api('POST', '/api/v1/dirs/in');
  assert.equal(r.status, 201, await r.text());
});
after(async () => server?.stop());

/** Runs one tus upload to its end (see `support.mjs`). */
const upload = (data, options) => uploadTo(server.tus, data, options);

test('a plain upload lands byte-exact where its metadata says', async () => {
  const data = random(5 * MiB + 17);
  const u = await upload(data, { chunkSize: MiB, metadata: { filename: 'plain.bin', folder: '/in' } });
  assert.match(u.url, /\/api\/v1\/tus\/[0-9a-f]+$/);
  assert.equal(await server.md5Of('/in/plain.bin'), md5(data));
});

test('an upload whose connection is cut resumes from the server offset with a new client', async () => {
  await cutAndResume(server, {
    data: random(48 * MiB),
    path: '/api/v1/tus/',
    metadata: { filename: 'cut.bin', folder: '/in' },
    heldAt: (url) => server.offsetOf(url),
    file: '/in/cut.bin',
  });
});

test('an upload resumes after the server is killed with -9 and restarted on the same data', async () => {
  const data = random(12 * MiB + 5);
  let first;
  const failed = new Promise((resolve) => {
    first = new tus.Upload(data, {
      endpoint: server.tus,
      headers: { Authorization: AUTH },
      metadata: { filename: 'killed.bin', folder: '/in' },
      chunkSize: MiB,
      retryDelays: null,
      onChunkComplete: (_chunk, accepted) => {
        if (accepted >= 4 * MiB && server.proc.exitCode === null) server.kill();
      },
      onSuccess: () => resolve(new Error('finished despite the kill')),
      onError: resolve,
    });
    first.start();
  });
  const err = await failed;
  assert.ok(!(err instanceof Error && /despite/.test(err.message)), 'the kill did not interrupt the upload');
  await server.kill();
  await server.start();
  const held = await server.offsetOf(first.url);
  assert.ok(held >= 4 * MiB && held < data.length, `held ${held}`);
  await upload(data, { uploadUrl: first.url, chunkSize: MiB });
  assert.equal(await server.md5Of('/in/killed.bin'), md5(data));
});

test('parallelUploads: 4 joins four partial uploads into one file (concatenation)', async () => {
  const data = random(9 * MiB + 3);
  const u = await upload(data, { parallelUploads: 4, metadata: { filename: 'parallel.bin', folder: '/in' } });
  assert.match(u.url, /\/api\/v1\/tus\/final\/in\/parallel\.bin$/);
  assert.equal(await server.md5Of('/in/parallel.bin'), md5(data));
  const parts = await server.api('GET', '/api/v1/dirs/.tus-parts');
  assert.equal(parts.status, 200);
  assert.deepEqual((await parts.json()).entries, [], 'the parts are removed once joined');
  const head = await fetch(server.url + u.url.replace(/^https?:\/\/[^/]+/, ''), {
    method: 'HEAD',
    headers: { Authorization: AUTH, 'Tus-Resumable': '1.0.0' },
  });
  assert.equal(head.headers.get('upload-offset'), String(data.length));
});

test('a chunk with a wrong Upload-Checksum is refused with 460 and dropped; right ones land', async () => {
  const data = random(3 * MiB);
  const sha1 = (buf) => createHash('sha1').update(buf).digest('base64');
  const checksum = (corruptAt) => (req) => {
    if (req.getMethod() !== 'PATCH') return;
    const at = Number(req.getHeader('Upload-Offset'));
    const chunk = data.subarray(at, at + MiB);
    req.setHeader('Upload-Checksum', 'sha1 ' + sha1(at === corruptAt ? Buffer.from('not it') : chunk));
  };
  const err = await upload(data, {
    chunkSize: MiB,
    retryDelays: null,
    metadata: { filename: 'checked.bin', folder: '/in' },
    onBeforeRequest: checksum(MiB),
  }).then(
    () => null,
    (e) => e,
  );
  assert.ok(err, 'a wrong checksum must fail the upload');
  assert.equal(err.originalResponse.getStatus(), 460);
  const url = err.originalRequest.getURL();
  assert.equal(await server.offsetOf(url), MiB, 'the first chunk kept, the corrupt one dropped');
  await upload(data, { uploadUrl: url, chunkSize: MiB, onBeforeRequest: checksum(-1) });
  assert.equal(await server.md5Of('/in/checked.bin'), md5(data));
});

test('overridePatchMethod sends each PATCH as a POST with X-HTTP-Method-Override', async () => {
  const data = random(2 * MiB + 1);
  const methods = new Set();
  await upload(data, {
    chunkSize: MiB,
    overridePatchMethod: true,
    metadata: { filename: 'override.bin', folder: '/in' },
    onBeforeRequest: (req) => methods.add(req.getMethod()),
  });
  assert.ok(!methods.has('PATCH'), `methods: ${[...methods]}`);
  assert.equal(await server.md5Of('/in/override.bin'), md5(data));
});

test('uploadLengthDeferred: the length is stated by the last PATCH (creation-defer-length)', async () => {
  const data = random(3 * MiB + 7);
  await upload(data, { chunkSize: MiB, uploadLengthDeferred: true, metadata: { filename: 'deferred.bin', folder: '/in' } });
  assert.equal(await server.md5Of('/in/deferred.bin'), md5(data));
  const quota = await (await server.api('GET', '/api/v1/quota')).json();
  assert.equal(quota.reserved, 0, 'the reservation shrank to the length and went with the commit');
});
