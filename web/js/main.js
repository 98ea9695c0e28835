// Wires the page together: login/logout, the folder view, uploads (picker, folder picker,
// drag and drop, unfinished uploads after a reload), the exec console, the account section
// (password; accounts for admins).

import { Admin } from './account.js';
import * as api from './api.js';
import { Browser } from './browse.js';
import { Search } from './search.js';
import { Console } from './exec.js';
import { bytes, el, join } from './format.js';
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

// Files chosen again after a reload continue their saved upload; others are ignored here.
$('resume-input').addEventListener('change', (e) => {
  const user = api.currentUser();
  const taken = new Set(queue.uploads.map((u) => u.id).filter(Boolean));
  for (const file of e.target.files) {
    const record = store.matchFile(user, file, taken);
    if (record) {
      taken.add(record.id);
      queue.add(user, file, record.path, record);
    }
  }
  e.target.value = '';
  renderUnfinished();
});

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

/** Saved uploads no running upload continues; dropped when the server no longer has them. */
async function renderUnfinished() {
  const user = api.currentUser();
  if (!user) return;
  const inQueue = new Set(queue.uploads.map((u) => u.id));
  let saved = Object.values(store.loadAll(user)).filter((r) => !inQueue.has(r.id));
  if (saved.length) {
    try {
      const live = new Map((await (await api.request('GET', '/api/v1/uploads')).json()).map((u) => [u.id, u]));
      for (const r of saved) if (!live.has(r.id)) store.forget(user, r.id);
      saved = saved.filter((r) => live.has(r.id)).map((r) => ({ ...r, offset: live.get(r.id).offset }));
    } catch {
      /* keep showing them; the server may be restarting */
    }
  }
  $('unfinished').hidden = !saved.length;
  $('unfinished-list').replaceChildren(
    ...saved.map((r) =>
      el('li', { 'data-id': r.id }, `${r.path} — ${bytes(r.offset)} of ${bytes(r.size)} on the server (file ${r.name})`),
    ),
  );
}

if (api.currentUser()) showApp();
else showLogin();
