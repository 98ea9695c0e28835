// Small pure helpers for the views: sizes, dates, durations, and `el`, the one way the page
// builds DOM. `el` only ever sets text (textContent), so a user string can never become HTML.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function bytes(n) {
  let i = 0;
  while (n >= 1024 && i < UNITS.length - 1) {
    n /= 1024;
    i++;
  }
  return (i === 0 ? String(n) : n.toFixed(n < 10 ? 1 : 0)) + ' ' + UNITS[i];
}

export function date(unixSeconds) {
  return new Date(unixSeconds * 1000).toLocaleString();
}

export function duration(seconds) {
  if (!isFinite(seconds)) return '…';
  seconds = Math.round(seconds);
  if (seconds < 60) return seconds + ' s';
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${seconds % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** `el('button', {type: 'button', onclick}, 'text', child…)`: properties, then children. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (k === 'class') node.className = v;
    else if (k.startsWith('data-') || k.startsWith('aria-')) node.setAttribute(k, v);
    else node[k] = v;
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    node.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return node;
}

/** Joins a folder and a name into a home path. */
export function join(dir, name) {
  return (dir.endsWith('/') ? dir : dir + '/') + name;
}

export function parentOf(path) {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}
