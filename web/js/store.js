// Unfinished uploads kept in localStorage (per user), so a reload or a crashed tab can list
// them and continue: the upload id, where the file goes, how to recognise the file again
// (name, size, lastModified), and the MD5 state (hash-wasm's saved state, base64) with the
// offset it covers. localStorage is enough: a record is a few hundred bytes.

function key(user) {
  return 'ferry.uploads.' + user;
}

export function loadAll(user) {
  try {
    return JSON.parse(localStorage.getItem(key(user)) || '{}');
  } catch {
    return {};
  }
}

export function save(user, record) {
  const all = loadAll(user);
  all[record.id] = record;
  localStorage.setItem(key(user), JSON.stringify(all));
}

export function forget(user, id) {
  const all = loadAll(user);
  delete all[id];
  localStorage.setItem(key(user), JSON.stringify(all));
}

/** The record a re-chosen file continues, matched by name, size and modification time. */
export function matchFile(user, file, exclude = new Set()) {
  return Object.values(loadAll(user)).find(
    (r) => !exclude.has(r.id) && r.name === file.name && r.size === file.size && r.lastModified === file.lastModified,
  );
}
