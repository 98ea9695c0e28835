// The "Share" action of a row: a dialog with the link's terms, then the link with a copy
// button. The link is made by POST /api/v1/shares; the dialog stays open to copy it.

import * as api from './api.js';

const $ = (id) => document.getElementById(id);

let current = null;

/** Opens the share dialog for the file or folder at `path`. */
export function share(path, entry) {
  current = path;
  const form = $('share-form');
  form.reset();
  $('share-name').textContent = entry.name;
  $('share-upload-row').hidden = entry.kind !== 'dir';
  $('share-result').hidden = true;
  $('share-create').disabled = false;
  say('');
  $('share-dialog').showModal();
}

function say(text, bad = false) {
  $('share-message').textContent = text;
  $('share-message').classList.toggle('bad', bad);
}

async function create() {
  const f = $('share-form').elements;
  const doc = { path: current };
  if (f.expires.value) doc.expires = f.expires.value;
  if (f.password.value) doc.password = f.password.value;
  if (f.max.value) doc.max_downloads = Number(f.max.value);
  if (f.upload.checked && !$('share-upload-row').hidden) doc.upload = true;
  try {
    const link = await (await api.request('POST', '/api/v1/shares', { json: doc })).json();
    $('share-link').value = location.origin + link.url;
    $('share-result').hidden = false;
    $('share-create').disabled = true;
    say('Anyone with this link can open it.');
    $('share-link').select();
  } catch (err) {
    say(err.message, true);
  }
}

$('share-form').addEventListener('submit', (e) => {
  if (e.submitter?.value !== 'create') return;
  e.preventDefault();
  create();
});

$('share-copy').addEventListener('click', async () => {
  const link = $('share-link');
  try {
    await navigator.clipboard.writeText(link.value);
  } catch {
    // Without clipboard access (an insecure origin, a refused permission): select it for
    // the user's own copy.
    link.select();
    say('Press Ctrl+C (⌘C) to copy the selected link.');
    return;
  }
  say('Copied the link.');
});
