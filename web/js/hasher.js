// A running MD5 of one file in its own worker. Operations are queued in order; each resolves
// with the worker's answer. `hashed` is how many bytes of the file the state covers; `state`
// is the worker's saved MD5 state (base64), persisted with the upload.

export class Hasher {
  constructor(state = null, hashed = 0) {
    this.worker = new Worker('/js/md5-worker.js');
    this.pending = [];
    this.hashed = hashed;
    this.state = state;
    this.worker.onmessage = (e) => {
      const p = this.pending.shift();
      if (e.data.ok) p.resolve(e.data);
      else p.reject(new Error(e.data.error));
    };
    this.worker.onerror = (e) => {
      for (const p of this.pending.splice(0)) p.reject(new Error(e.message || 'md5 worker failed'));
    };
    this.ready = this.call({ op: 'init', state });
  }

  call(msg) {
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.worker.postMessage(msg);
    });
  }

  /**
   * Hashes `file[hashed, to)`: one message, the worker reads the file itself. Bytes the
   * state already covers are not hashed again.
   */
  async advance(file, to) {
    if (this.hashed >= to) return;
    const answer = await this.call({ op: 'advance', file, from: this.hashed, to });
    this.state = answer.state;
    this.hashed = to;
  }

  /** The whole file's MD5 as base64 (only valid once `hashed` is the file's size). */
  async digest() {
    return (await this.call({ op: 'end' })).digest;
  }

  close() {
    this.worker.terminate();
  }
}
