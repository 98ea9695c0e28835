// One chunk PUT to the resumable upload API. XMLHttpRequest, not fetch: only XHR reports
// upload progress, which the bars need within an 8 MiB chunk.

import { ApiError, authHeader } from './api.js';

/** The rejection of an aborted chunk (pause, cancel). */
export const ABORTED = new Error('aborted');

/** A network failure: no answer from the server (dropped connection, server down). */
export class NetworkError extends Error {}

/**
 * Sends `body` with `Content-Range: range` (and `Repr-Digest` on the last chunk). `done`
 * resolves with the XHR on 201 (committed) or 308 (more to come) and rejects with an
 * ApiError, a NetworkError or ABORTED.
 */
export function putChunk({ id, body, range, digest, onProgress }) {
  const xhr = new XMLHttpRequest();
  const done = new Promise((resolve, reject) => {
    xhr.open('PUT', '/api/v1/uploads/' + encodeURIComponent(id));
    xhr.setRequestHeader('Authorization', authHeader());
    xhr.setRequestHeader('X-Requested-With', 'ferry-web');
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.setRequestHeader('Content-Range', range);
    if (digest) xhr.setRequestHeader('Repr-Digest', `md5=:${digest}:`);
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () => {
      if (xhr.status === 201 || xhr.status === 308) return resolve(xhr);
      let problem;
      try {
        problem = JSON.parse(xhr.responseText);
      } catch {
        problem = { detail: `HTTP ${xhr.status}` };
      }
      if (xhr.status === 401) window.dispatchEvent(new CustomEvent('ferry:unauthorized'));
      reject(new ApiError(xhr.status, problem, Number(xhr.getResponseHeader('retry-after')) || undefined));
    };
    xhr.onerror = () => reject(new NetworkError('connection lost'));
    xhr.ontimeout = () => reject(new NetworkError('timed out'));
    xhr.onabort = () => reject(ABORTED);
    xhr.send(body);
  });
  return { abort: () => xhr.abort(), done };
}
