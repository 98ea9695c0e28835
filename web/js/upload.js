// One file's resumable upload through the Content-Range API, with its MD5 computed on the
// way. The server's offset is the only truth about what it holds: after any failure the
// upload asks it (`GET /api/v1/uploads/ID`) and continues from there, so retries, server
// restarts and page reloads all take the same path.
//
// The running MD5 is kept apart from the offset: the hasher covers file[0, hashed), which
// may be behind the server (a reload with an old saved state: the gap is hashed from the
// local file) or ahead of it (a chunk hashed but cut off in transit: it is not hashed
// again). The last chunk carries `Repr-Digest: md5=:…:` and the server commits only if the
// whole file matches.
//
// The server may hold every byte without having committed them: the last chunk was refused
// because its name was taken meanwhile (`409 already_exists`, the user then moved the other
// file away), or its body ran past its range. Then there is no chunk left to send; the page
// asks for the commit itself with `Content-Range: bytes */SIZE`, an empty body and the
// file's Repr-Digest, and `201` means done. The offset is asked with a GET rather than that
// same PUT, because the PUT commits a complete upload and the page wants its own MD5 checked.

import { ApiError, authHeader, check, encodePath, mkdir, request, stat } from './api.js';
import { ABORTED, putChunk } from './chunk.js';
import { Hasher } from './hasher.js';
import { parentOf } from './format.js';
import * as store from './store.js';

const CHUNK = 8 * 1024 * 1024;
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000];
const SPEED_WINDOW_MS = 4000;

class Stopped extends Error {}

/** The server holds every byte, was asked to commit them and answered "incomplete" (308). */
class NotCommitted extends Error {
  constructor() {
    super('the server holds every byte but did not commit the upload');
  }
}

/** Errors after which trying again cannot help. */
function fatal(err) {
  if (err instanceof NotCommitted) return true;
  if (!(err instanceof ApiError)) return false;
  if (err.status === 409) return err.code !== 'upload_busy';
  return [400, 401, 403, 404, 413, 422, 507].includes(err.status);
}

export class Upload extends EventTarget {
  /** `record` is a saved unfinished upload this file continues (after a reload). */
  constructor({ user, file, path, record = null }) {
    super();
    this.user = user;
    this.file = file;
    this.path = record ? record.path : path;
    this.size = file.size;
    this.id = record ? record.id : null;
    this.saved = record;
    this.offset = 0; // bytes the server acknowledged
    this.inflight = 0; // bytes of the current chunk on the wire
    this.resumedFrom = null; // the server offset a run started from, when not 0
    this.state = 'queued';
    this.message = '';
    this.attempts = 0;
    this.samples = [];
    this.hasher = null;
  }

  get done() {
    return Math.min(this.size, this.offset + this.inflight);
  }

  /** Bytes per second over the last few seconds. */
  get speed() {
    const s = this.samples;
    if (s.length < 2) return 0;
    const [t0, b0] = s[0];
    const [t1, b1] = s[s.length - 1];
    return t1 > t0 ? ((b1 - b0) * 1000) / (t1 - t0) : 0;
  }

  set(state, message = '') {
    this.state = state;
    this.message = message;
    this.emit();
  }

  emit() {
    const now = performance.now();
    this.samples.push([now, this.done]);
    while (this.samples.length > 2 && now - this.samples[0][0] > SPEED_WINDOW_MS) this.samples.shift();
    this.dispatchEvent(new Event('change'));
  }

  /** Runs until done, paused, cancelled or failed for good. */
  async run() {
    this.stopped = false;
    this.errorCode = null;
    try {
      if (this.size === 0) return await this.putEmpty();
      if (!this.id) {
        try {
          await this.create();
        } catch (err) {
          if (err instanceof ApiError && err.code === 'already_exists' && (await this.sameAsThere())) return this.upToDate();
          throw err;
        }
      }
      if (!this.hasher) {
        // A state from an older page (not a base64 string) is dropped: the file is hashed
        // again from its start.
        const saved = typeof this.saved?.md5State === 'string' ? this.saved : null;
        this.hasher = new Hasher(saved?.md5State ?? null, saved?.hashed ?? 0);
        await this.hasher.ready;
      }
      await this.loop();
    } catch (err) {
      if (err instanceof Stopped || this.stopped) return;
      this.errorCode = err.code;
      this.set('error', err.message || String(err));
      this.release();
    }
  }

  async loop() {
    let ask = true;
    for (;;) {
      if (this.stopped) throw new Stopped();
      try {
        if (ask) {
          this.set(this.attempts ? 'retrying' : 'sending', this.attempts ? 'asking the server where to continue' : '');
          const held = await this.askOffset();
          if (held === null) return; // already committed
          if (this.offset === 0 && held > 0 && this.resumedFrom === null) this.resumedFrom = held;
          this.offset = held;
          ask = false;
        }
        const committed = await this.sendNext();
        this.attempts = 0;
        if (committed) return this.finish();
      } catch (err) {
        if (err instanceof Stopped || this.stopped) throw new Stopped();
        if (err instanceof ApiError && err.code === 'offset_mismatch' && err.offset !== undefined) {
          this.offset = err.offset;
          continue;
        }
        if (err instanceof ApiError && err.status === 404 && (await this.committedElsewhere())) return;
        if (fatal(err)) throw err;
        await this.backoff(err);
        ask = true;
      }
    }
  }

  /**
   * Sends the chunk at the server's offset; true when that committed the file. The body is
   * a Blob slice (Chromium streams it from disk; an ArrayBuffer body measured ~8x slower),
   * hashed meanwhile in the worker; the last chunk is hashed first for its Repr-Digest.
   */
  async sendNext() {
    const start = this.offset;
    if (start === this.size) return this.commitHeld();
    const end = Math.min(this.size, start + CHUNK);
    const last = end === this.size;
    this.set('sending', '');
    let digest = null;
    let hashing;
    if (last) {
      await this.hasher.advance(this.file, end);
      digest = await this.hasher.digest();
    } else {
      hashing = this.hasher.advance(this.file, end);
    }
    let xhr;
    try {
      xhr = await this.put(start, end, digest);
    } finally {
      this.inflight = 0;
      // The next advance must not start while this one runs.
      if (hashing) await hashing;
    }
    if (xhr.status === 201) return true;
    this.offset = Number(xhr.getResponseHeader('upload-offset'));
    this.persist();
    this.emit();
    return false;
  }

  /** Asks the server to commit the bytes it holds, all of them; true when it did. */
  async commitHeld() {
    this.set('sending', 'committing');
    await this.hasher.advance(this.file, this.size);
    const digest = await this.hasher.digest();
    const resp = await request('PUT', '/api/v1/uploads/' + encodeURIComponent(this.id), {
      headers: { 'Content-Range': `bytes */${this.size}`, 'Repr-Digest': `md5=:${digest}:` },
    });
    if (resp.status === 201) return true;
    this.offset = Number(resp.headers.get('upload-offset'));
    // Asking again would get the same answer, forever.
    if (this.offset === this.size) throw new NotCommitted();
    this.persist();
    this.emit();
    return false;
  }

  put(start, end, digest) {
    const { abort, done } = putChunk({
      id: this.id,
      body: this.file.slice(start, end),
      range: `bytes ${start}-${end - 1}/${this.size}`,
      digest,
      onProgress: (loaded) => {
        this.inflight = loaded;
        this.emit();
      },
    });
    this.abortChunk = abort;
    return done.catch((err) => {
      throw err === ABORTED ? new Stopped() : err;
    });
  }

  /** The server's offset, or null when the upload is gone because the file was committed. */
  async askOffset() {
    try {
      const resp = await request('GET', '/api/v1/uploads/' + encodeURIComponent(this.id));
      return Number(resp.headers.get('upload-offset'));
    } catch (err) {
      if (err instanceof ApiError && err.status === 404 && (await this.committedElsewhere())) return null;
      throw err;
    }
  }

  /** After the last chunk's answer was lost, the upload is gone but the file is there. */
  async committedElsewhere() {
    if (!this.hasher || this.hasher.hashed !== this.size) return false;
    try {
      const entry = await stat(this.path);
      const want = atob(await this.hasher.digest());
      const hex = [...want].map((c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('');
      if (entry.size === this.size && entry.md5 === hex) {
        this.finish();
        return true;
      }
    } catch {
      /* not there */
    }
    return false;
  }

  async backoff(err) {
    const wait = Math.max(BACKOFF_MS[Math.min(this.attempts, BACKOFF_MS.length - 1)], (err.retryAfter || 0) * 1000);
    this.attempts++;
    this.set('retrying', `${err.message || 'connection lost'}; retrying in ${Math.round(wait / 100) / 10} s`);
    await new Promise((resolve) => {
      this.wake = resolve;
      setTimeout(resolve, wait);
    });
    this.wake = null;
  }

  async create() {
    this.set('sending', 'starting');
    const parent = parentOf(this.path);
    if (parent !== '/') {
      try {
        await mkdir(parent);
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 'already_exists')) throw err;
      }
    }
    const resp = await request('POST', '/api/v1/uploads', {
      json: { path: this.path, size: this.size, overwrite: Boolean(this.overwrite) },
    });
    this.id = (await resp.json()).id;
    this.persist();
  }

  /**
   * Whether the file already at the path is this one (same size and MD5), as the CLI checks
   * before it reports "up to date": then there is nothing to send and nothing failed.
   */
  async sameAsThere() {
    let there;
    try {
      there = await stat(this.path, true);
    } catch {
      return false;
    }
    if (there.kind !== 'file' || there.size !== this.size || !there.md5) return false;
    if (this.size === 0) return true;
    this.set('sending', 'comparing with the file on the server');
    const hasher = new Hasher(null, 0);
    try {
      await hasher.ready;
      await hasher.advance(this.file, this.size);
      const raw = atob(await hasher.digest());
      const hex = [...raw].map((c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('');
      return hex === there.md5;
    } finally {
      hasher.close();
    }
  }

  upToDate() {
    this.offset = this.size;
    this.inflight = 0;
    this.set('done', 'already up to date');
  }

  async putEmpty() {
    this.set('sending');
    const resp = await fetch('/api/v1/files/' + encodePath(this.path), {
      method: 'PUT',
      headers: {
        Authorization: authHeader(),
        'X-Requested-With': 'ferry-web',
        ...(this.overwrite ? {} : { 'If-None-Match': '*' }),
      },
      body: new Blob([]),
    });
    if (resp.status === 412 && (await this.sameAsThere())) return this.upToDate();
    await check(resp);
    this.finish();
  }

  persist() {
    store.save(this.user, {
      id: this.id,
      path: this.path,
      name: this.file.name,
      size: this.size,
      lastModified: this.file.lastModified,
      hashed: this.hasher ? this.hasher.hashed : 0,
      md5State: this.hasher ? this.hasher.state : null,
      offset: this.offset,
    });
  }

  finish() {
    this.offset = this.size;
    this.inflight = 0;
    this.release();
    this.set('done', this.resumedFrom ? `continued from ${this.resumedFrom} bytes` : '');
  }

  /** Frees the worker; a failed upload keeps its record and hash state for a retry. */
  release() {
    if (this.state !== 'error' && this.id) store.forget(this.user, this.id);
    if (this.hasher) {
      this.saved = { ...this.saved, md5State: this.hasher.state, hashed: this.hasher.hashed };
      this.hasher.close();
    }
    this.hasher = null;
  }

  pause() {
    this.stopped = true;
    if (this.abortChunk) this.abortChunk();
    if (this.wake) this.wake();
    this.set('paused');
  }

  async cancel() {
    this.stopped = true;
    if (this.abortChunk) this.abortChunk();
    if (this.wake) this.wake();
    if (this.hasher) this.hasher.close();
    this.hasher = null;
    this.set('cancelled');
    if (this.id) {
      store.forget(this.user, this.id);
      await this.abandon();
    }
  }

  // The aborted chunk may still hold the upload on the server for a moment (`409
  // upload_busy`, until it notices the closed connection), so the DELETE is retried.
  async abandon() {
    for (const wait of [0, ...BACKOFF_MS]) {
      await new Promise((r) => setTimeout(r, wait));
      try {
        await request('DELETE', '/api/v1/uploads/' + encodeURIComponent(this.id));
        return;
      } catch (err) {
        if (fatal(err)) return; // gone already, or not ours to delete
      }
    }
  }
}
