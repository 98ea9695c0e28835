// The HTTP API client: bearer token, problem documents as ApiError. Nothing here touches
// the DOM. The token lives in sessionStorage so a reload keeps the login but closing the
// tab ends it. The login also asks for the download cookie (HttpOnly, sent by the browser to
// /api/v1/files only, good for GET and HEAD there), so download links are plain links.

const TOKEN_KEY = 'ferry.token';
const USER_KEY = 'ferry.user';

import { bytes } from './format.js';

/**
 * What a person is told for a problem: sizes in human units for the space and size refusals
 * (the server's own detail counts bytes), the server's detail otherwise.
 */
function explain(status, problem) {
  const n = (v) => typeof v === 'number';
  if (problem.code === 'quota_exceeded' && n(problem.needed) && n(problem.available)) {
    return `Not enough space: this needs ${bytes(problem.needed)} and ${bytes(problem.available)} is left of your quota.`;
  }
  if (problem.code === 'upload_too_large' && n(problem.max)) {
    return `Too large: this server takes files of at most ${bytes(problem.max)}.`;
  }
  return problem.detail || problem.title || `HTTP ${status}`;
}

/** An API error: an HTTP status with the problem document's stable `code`. */
export class ApiError extends Error {
  constructor(status, problem, retryAfter) {
    super(explain(status, problem));
    this.status = status;
    this.code = problem.code || 'http_' + status;
    this.offset = problem.offset;
    this.retryAfter = retryAfter;
  }
}

export function currentUser() {
  return sessionStorage.getItem(TOKEN_KEY) ? sessionStorage.getItem(USER_KEY) : null;
}

export function authHeader() {
  return 'Bearer ' + (sessionStorage.getItem(TOKEN_KEY) || '');
}

/** `/a b/c` as URL path segments: each name percent-encoded, so any name is just a name. */
export function encodePath(path) {
  return path.split('/').filter(Boolean).map(encodeURIComponent).join('/');
}

export function fileUrl(path) {
  return '/api/v1/files/' + encodePath(path);
}

async function problemOf(resp) {
  try {
    return await resp.json();
  } catch {
    return { detail: resp.statusText };
  }
}

/** Throws an ApiError for a non-2xx answer (308 is the upload API's "incomplete"). */
export async function check(resp) {
  if (resp.ok || resp.status === 308) return resp;
  const retry = Number(resp.headers.get('retry-after')) || undefined;
  const err = new ApiError(resp.status, await problemOf(resp), retry);
  if (resp.status === 401) window.dispatchEvent(new CustomEvent('ferry:unauthorized'));
  throw err;
}

/** One authenticated request; `json` is sent as a JSON body. */
export async function request(method, url, { json, headers = {}, signal } = {}) {
  const h = { Authorization: authHeader(), 'X-Requested-With': 'ferry-web', ...headers };
  let body;
  if (json !== undefined) {
    h['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  }
  return check(await fetch(url, { method, headers: h, body, signal, cache: 'no-store' }));
}

export async function login(username, password) {
  const resp = await fetch('/api/v1/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Requested-With': 'ferry-web' },
    body: JSON.stringify({ username, password, cookie: true }),
  });
  if (!resp.ok) {
    const retry = Number(resp.headers.get('retry-after')) || undefined;
    throw new ApiError(resp.status, await problemOf(resp), retry);
  }
  const grant = await resp.json();
  sessionStorage.setItem(TOKEN_KEY, grant.token);
  sessionStorage.setItem(USER_KEY, grant.user);
  return grant;
}

export async function logout() {
  try {
    await request('POST', '/api/v1/logout');
  } finally {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(USER_KEY);
  }
}

/** Every entry of a folder, following `next` pages. */
export async function listDir(path) {
  const entries = [];
  let after = null;
  do {
    const q = new URLSearchParams({ limit: '1000' });
    if (after !== null) q.set('after', after);
    const resp = await request('GET', '/api/v1/dirs/' + encodePath(path) + '?' + q);
    const page = await resp.json();
    entries.push(...page.entries);
    after = page.next;
  } while (after !== null && after !== undefined);
  return entries;
}

export const mkdir = (path) => request('POST', '/api/v1/dirs/' + encodePath(path));
export const remove = (path, recursive) =>
  request('DELETE', fileUrl(path) + (recursive ? '?recursive=true' : ''));
export const move = (from, to) => request('POST', '/api/v1/move', { json: { from, to, overwrite: false } });
export const quota = async () => (await request('GET', '/api/v1/quota')).json();
export const me = async () => (await request('GET', '/api/v1/me')).json();
export const stat = async (path, digest = false) =>
  (await request('GET', '/api/v1/stat/' + encodePath(path) + (digest ? '?digest=true' : ''))).json();
/** Unfinished uploads the server holds for this user, from any browser, device or client. */
export const uploads = async () => (await request('GET', '/api/v1/uploads')).json();
export const discardUpload = (id) => request('DELETE', '/api/v1/uploads/' + encodeURIComponent(id));
