// MD5 in a worker, so hashing overlaps sending and never blocks the page: hash-wasm's MD5
// (WebAssembly; several times faster than MD5 in JavaScript). A classic worker, not a
// module, because the vendored hash-wasm build is a UMD script.
//
// Compiling WebAssembly needs 'wasm-unsafe-eval'. The server grants it to this script alone,
// in the Content-Security-Policy sent with it (a dedicated worker runs under the policy
// delivered with its own script); the page's policy stays without it.
//
// The worker reads the file itself (a File crosses threads as a reference, not a copy), so
// one message hashes a whole chunk's range and no bytes are posted between threads.
//
// Messages, answered in order: {op:'init', state?} → {ok, state};
// {op:'advance', file, from, to} → {ok, state} (the state then covers file[0, to));
// {op:'end'} → {ok, digest}. `state` is hash-wasm's save() as base64 (JSON-safe, for
// persistence), `digest` the MD5 as base64. A failure answers {ok: false, error}.
importScripts('/vendor/hash-wasm/md5.umd.min.js');

// Bytes read and hashed at a time: big enough that per-call costs vanish, small enough that
// the worker holds little memory.
const STEP = 4 * 1024 * 1024;

let hasher = null;

function toBase64(bytes) {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

function fromBase64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

async function handle(msg) {
  if (msg.op === 'init') {
    hasher = await self.hashwasm.createMD5();
    hasher.init();
    if (msg.state) hasher.load(fromBase64(msg.state));
    return { state: toBase64(hasher.save()) };
  }
  if (msg.op === 'advance') {
    for (let at = msg.from; at < msg.to; ) {
      const end = Math.min(msg.to, at + STEP);
      hasher.update(new Uint8Array(await msg.file.slice(at, end).arrayBuffer()));
      at = end;
    }
    return { state: toBase64(hasher.save()) };
  }
  if (msg.op === 'end') {
    // save/load around digest() keeps the hasher usable if the last chunk is resent.
    const state = hasher.save();
    const digest = hasher.digest('binary');
    hasher.load(state);
    return { digest: toBase64(digest) };
  }
  throw new Error('unknown operation ' + msg.op);
}

// Handlers await, so messages are chained to answer one at a time, in order.
let last = Promise.resolve();
self.onmessage = (e) => {
  last = last
    .then(() => handle(e.data))
    .then(
      (answer) => self.postMessage({ ok: true, ...answer }),
      (err) => self.postMessage({ ok: false, error: String(err) }),
    );
};
