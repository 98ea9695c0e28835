// Wires the page together: login/logout, the folder view, uploads (picker, folder picker,
// drag and drop, unfinished uploads after a reload), the exec console, the account section
// (password; accounts for admins).

import { Admin } from './account.js';
import * as api from './api.js';
import { Browser } from './browse.js';
import { Search } from './search.js';
import { Console } from './exec.js';
import { bytes, el, join } from './format.js';
import { confirmText } from './ask.js';
import { fromDrop, fromInput } from './pick.js';
import { Queue } from './queue.js';
import * as store from './store.js';

const $ = (id) => document.getElementById(id);

const browser = new Browser();
const search = new Search(browser);
const admin = new Admin();
const console_ = new Console(() => browser.dir);
const queue = new Queue({
  list: $('queue'),
  overallBar: $('overall-bar'),
  overallText: $('overall-text'),
  onCommitted: () => {
    browser.refresh();
    renderUnfinished();
  },
});

function showLogin(message = '') {
  $('app-view').hidden = true;
  $('logout').hidden = true;
  $('who').textContent = '';
  $('login-view').hidden = false;
  $('login-message').textContent = message;
  $('login-form').elements.username.focus();
}

async function showApp() {
  $('login-view').hidden = true;
  $('app-view').hidden = false;
  $('logout').hidden = false;
  $('who').textContent = api.currentUser();
  search.clear();
  await browser.open('/');
  renderUnfinished();
  try {
    const me = await api.me();
    console_.setPolicy(me.exec);
    await admin.show(me.admin);
  } catch {
    console_.setPolicy({ mode: 'off', programs: [] });
    await admin.show(false);
  }
}

$('login-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = e.target.elements;
  const msg = $('login-message');
  msg.classList.remove('bad');
  msg.textContent = 'Logging in…';
  try {
    await api.login(f.username.value, f.password.value);
    f.password.value = '';
    msg.textContent = '';
    await showApp();
  } catch (err) {
    msg.classList.add('bad');
    if (err.status === 429) {
      msg.textContent = `Too many failed attempts. Try again in ${err.retryAfter || 'a few'} seconds.`;
    } else if (err.status === 401) {
      msg.textContent = 'Wrong user name or password.';
    } else {
      msg.textContent = `Could not log in: ${err.message}`;
    }
  }
});

$('logout').addEventListener('click', async () => {
  await api.logout().catch(() => {});
  showLogin('Logged out.');
});

window.addEventListener('ferry:unauthorized', () => {
  if (!$('app-view').hidden) showLogin('Your session ended; please log in again.');
});

/** Queues picked or dropped files into the current folder, continuing saved ones. */
function enqueue(items) {
  const user = api.currentUser();
  const taken = new Set(queue.uploads.map((u) => u.id).filter(Boolean));
  for (const { file, rel } of items) {
    const record = store.matchFile(user, file, taken);
    if (record) taken.add(record.id);
    queue.add(user, file, join(browser.dir, rel), record);
  }
  renderUnfinished();
}

for (const id of ['file-input', 'folder-input']) {
  $(id).addEventListener('change', (e) => {
    enqueue(fromInput(e.target));
    e.target.value = '';
  });
}

// Files chosen again continue an unfinished upload: one saved in this browser (matched by
// name, size and modification time, with its MD5 state), else one the server holds from any
// browser or client (matched by name and size; hashed again from the local file).
$('resume-input').addEventListener('change', (e) => {
  const user = api.currentUser();
  const taken = new Set(queue.uploads.map((u) => u.id).filter(Boolean));
  let unmatched = 0;
  for (const file of e.target.files) {
    const record = store.matchFile(user, file, taken) || serverRecord(file, taken);
    if (record) {
      taken.add(record.id);
      queue.add(user, file, record.path, record);
    } else {
      unmatched++;
    }
  }
  e.target.value = '';
  $('unfinished-message').textContent = unmatched ? `${unmatched} chosen file${unmatched === 1 ? ' matches' : 's match'} no unfinished upload (same name and size).` : '';
  renderUnfinished();
});

/** The server's last list of unfinished uploads (`renderUnfinished` keeps it). */
let onServer = [];

/** A record for `file` from an upload the server holds under its name and size. */
function serverRecord(file, taken) {
  const u = onServer.find((u) => !taken.has(u.id) && !u.length_deferred && u.size === file.size && u.path.split('/').pop() === file.name);
  return u ? { id: u.id, path: u.path, name: file.name, size: u.size, lastModified: file.lastModified, hashed: 0, md5State: null } : null;
}

async function discard(u) {
  if (!(await confirmText(`Discard the unfinished upload of ${u.path}? The ${bytes(u.offset)} received are deleted and its space is freed.`, 'Discard'))) return;
  try {
    await api.discardUpload(u.id);
    store.forget(api.currentUser(), u.id);
    $('unfinished-message').textContent = `Discarded the upload of ${u.path}.`;
  } catch (err) {
    $('unfinished-message').textContent = err.message;
  }
  await renderUnfinished();
  browser.refreshQuota();
}

const zone = $('drop-zone');
zone.addEventListener('dragover', (e) => {
  e.preventDefault();
  zone.classList.add('over');
});
zone.addEventListener('dragleave', () => zone.classList.remove('over'));
zone.addEventListener('drop', async (e) => {
  e.preventDefault();
  zone.classList.remove('over');
  enqueue(await fromDrop(e.dataTransfer));
});

/**
 * Unfinished uploads as the server lists them (from this or any other browser, device or
 * client), less those running here; local records the server no longer has are dropped.
 */
async function renderUnfinished() {
  const user = api.currentUser();
  if (!user) return;
  const inQueue = new Set(queue.uploads.map((u) => u.id));
  const saved = store.loadAll(user);
  try {
    onServer = await api.uploads();
  } catch {
    return; // keep what is shown; the server may be restarting
  }
  const live = new Set(onServer.map((u) => u.id));
  for (const id of Object.keys(saved)) if (!live.has(id)) store.forget(user, id);
  const shown = onServer.filter((u) => !inQueue.has(u.id));
  $('unfinished').hidden = !shown.length;
  $('unfinished-list').replaceChildren(
    ...shown.map((u) => {
      const here = saved[u.id] ? ` (started in this browser, file ${saved[u.id].name})` : '';
      const size = u.length_deferred ? `up to ${bytes(u.size)}` : bytes(u.size);
      return el(
        'li',
        { 'data-id': u.id, 'data-path': u.path },
        el('span', {}, `${u.path} — ${bytes(u.offset)} of ${size} on the server${here}`),
        el('button', { type: 'button', onclick: () => discard(u), 'aria-label': 'Discard the upload of ' + u.path }, 'Discard'),
      );
    }),
  );
}

if (api.currentUser()) showApp();
else showLogin();
