// Find by name below the current folder (`GET /api/v1/search`): one page of matches at a
// time, "More results" while the server gives a cursor. The server bounds each request in
// entries visited and time; a page it cut short says so, and "More" continues the walk.

import * as api from './api.js';
import { bytes, el, parentOf } from './format.js';
import { kindOf, previewable } from './kinds.js';
import { preview } from './preview.js';

const PAGE = 50;

export class Search {
  /** `browser`: the folder view, which says where to search and opens a result's folder. */
  constructor(browser) {
    this.browser = browser;
    this.panel = document.getElementById('search-results');
    this.list = document.getElementById('search-list');
    this.status = document.getElementById('search-status');
    this.more = document.getElementById('search-more');
    document.getElementById('search-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.start(e.target.elements.q.value);
    });
    document.getElementById('search-clear').addEventListener('click', () => this.clear());
    this.more.addEventListener('click', () => this.page());
  }

  clear() {
    this.panel.hidden = true;
    this.list.replaceChildren();
    document.getElementById('search-q').value = '';
  }

  start(q) {
    q = q.trim();
    if (!q) return this.clear();
    this.query = { q, under: this.browser.dir, cursor: null, found: 0 };
    this.list.replaceChildren();
    this.panel.hidden = false;
    return this.page();
  }

  async page() {
    const s = this.query;
    const params = new URLSearchParams({ q: s.q, under: s.under, limit: String(PAGE) });
    if (s.cursor) params.set('cursor', s.cursor);
    this.more.hidden = true;
    this.status.textContent = 'Searching…';
    this.status.classList.remove('bad');
    try {
      const resp = await api.request('GET', '/api/v1/search?' + params);
      const page = await resp.json();
      if (this.query !== s) return; // a newer search started meanwhile
      this.list.append(...page.entries.map((e) => this.row(e)));
      s.found += page.entries.length;
      s.cursor = page.next;
      const where = s.under === '/' ? 'your home' : s.under;
      const count = `${s.found} match${s.found === 1 ? '' : 'es'} for “${s.q}” in ${where}`;
      this.status.textContent = page.next
        ? page.truncated
          ? `${count} so far; the search paused to keep the server responsive.`
          : `${count} so far.`
        : `${count}.`;
      this.more.hidden = !page.next;
    } catch (err) {
      this.status.textContent = err.message;
      this.status.classList.add('bad');
    }
  }

  row(entry) {
    const kind = kindOf(entry);
    const isDir = kind === 'dir';
    const folder = isDir ? entry.path : parentOf(entry.path);
    const open = el('button', { type: 'button', class: 'link', onclick: () => this.browser.open(folder) }, entry.path + (isDir ? '/' : ''));
    const view = previewable(kind)
      ? el('button', { type: 'button', onclick: () => preview(entry.path, entry, kind), 'aria-label': 'Preview ' + entry.path }, 'Preview')
      : null;
    const download = isDir ? null : el('a', { class: 'button', href: api.fileUrl(entry.path), download: entry.name }, 'Download');
    return el(
      'li',
      { 'data-path': entry.path },
      el('span', { class: 'icon', 'aria-hidden': 'true', 'data-kind': kind }),
      open,
      el('span', { class: 'hint' }, isDir ? '' : ' ' + bytes(entry.size)),
      el('span', { class: 'row-actions' }, view, download),
    );
  }
}
