// The folder view: breadcrumbs, the sortable listing, create folder, rename, delete,
// download links and the quota bar. Every name is set as text.
//
// A download link is a plain `<a href download>` GET that the browser's own download manager
// performs, authenticated by the download cookie the login set; so it streams to disk and can
// resume (Range with If-Range on the ETag) like any download.

import * as api from './api.js';
import { bytes, date, el, join, parentOf } from './format.js';
import { confirmText, promptText } from './ask.js';
import { share } from './sharing.js';
import { kindOf, previewable } from './kinds.js';
import { closePreview, preview } from './preview.js';
import { Selection } from './select.js';

export class Browser {
  constructor() {
    this.dir = '/';
    this.entries = [];
    this.sort = { key: 'name', desc: false };
    this.body = document.getElementById('listing-body');
    this.crumbs = document.getElementById('crumbs');
    this.message = document.getElementById('browse-message');
    for (const b of document.querySelectorAll('#listing th button')) {
      b.addEventListener('click', () => this.sortBy(b.dataset.sort));
    }
    document.getElementById('mkdir-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const input = e.target.elements.name;
      this.mkdir(input.value).then((ok) => ok && (input.value = ''));
    });
    this.selection = new Selection(this);
    document.getElementById('preview-close').addEventListener('click', closePreview);
    document.getElementById('preview-dialog').addEventListener('close', closePreview);
  }

  say(text, bad = false) {
    this.message.textContent = text;
    this.message.classList.toggle('bad', bad);
  }

  async open(dir) {
    this.dir = dir;
    this.selection.reset();
    await this.refresh();
  }

  async refresh() {
    try {
      this.entries = await api.listDir(this.dir);
      this.renderCrumbs();
      this.render();
      this.selection.update();
    } catch (err) {
      this.say(err.message, true);
      if (err.status === 404 && this.dir !== '/') return this.open(parentOf(this.dir));
    }
    this.refreshQuota();
  }

  async refreshQuota() {
    try {
      const q = await api.quota();
      const bar = document.getElementById('quota-bar');
      const used = q.used + q.reserved;
      // Without a limit there is nothing to fill: the text alone says what is used.
      bar.hidden = !q.limit;
      bar.max = q.limit || 1;
      bar.value = q.limit ? Math.min(used, q.limit) : 0;
      // Unfinished uploads hold their whole size against the limit; say so rather than
      // count it as files the user cannot see.
      const held = q.reserved ? `, ${bytes(q.reserved)} held for unfinished uploads` : '';
      document.getElementById('quota-text').textContent = q.limit
        ? `${bytes(q.used)} used${held}, of ${bytes(q.limit)}`
        : `${bytes(q.used)} used${held} (no limit)`;
    } catch {
      /* the listing already said what is wrong */
    }
  }

  sortBy(key) {
    this.sort = { key, desc: this.sort.key === key ? !this.sort.desc : false };
    this.render();
  }

  sorted() {
    const { key, desc } = this.sort;
    const dirsFirst = (a, b) => (b.kind === 'dir') - (a.kind === 'dir');
    const cmp = key === 'name' ? (a, b) => a.name.localeCompare(b.name) : (a, b) => a[key] - b[key] || a.name.localeCompare(b.name);
    return [...this.entries].sort((a, b) => dirsFirst(a, b) || (desc ? -cmp(a, b) : cmp(a, b)));
  }

  renderCrumbs() {
    const parts = this.dir.split('/').filter(Boolean);
    const nodes = [el('button', { type: 'button', onclick: () => this.open('/') }, 'Home')];
    parts.forEach((name, i) => {
      const path = '/' + parts.slice(0, i + 1).join('/');
      nodes.push(el('span', { class: 'sep', 'aria-hidden': 'true' }, '/'));
      nodes.push(el('button', { type: 'button', onclick: () => this.open(path) }, name));
    });
    nodes[nodes.length - 1].setAttribute('aria-current', 'page');
    this.crumbs.replaceChildren(...nodes);
  }

  render() {
    for (const th of document.querySelectorAll('#listing th')) {
      const key = th.querySelector('button')?.dataset.sort;
      if (key === this.sort.key) th.setAttribute('aria-sort', this.sort.desc ? 'descending' : 'ascending');
      else th.removeAttribute('aria-sort');
    }
    const rows = this.sorted().map((e) => this.row(e));
    if (this.dir !== '/') {
      rows.unshift(
        el('tr', {}, el('td', { class: 'name', colSpan: 5 }, el('button', { type: 'button', onclick: () => this.open(parentOf(this.dir)) }, '.. (up)'))),
      );
    }
    if (!this.entries.length) rows.push(el('tr', {}, el('td', { colSpan: 5, class: 'hint' }, 'This folder is empty.')));
    this.body.replaceChildren(...rows);
  }

  row(entry) {
    const path = join(this.dir, entry.name);
    const isDir = entry.kind === 'dir';
    const kind = kindOf(entry);
    const name = isDir
      ? el('button', { type: 'button', onclick: () => this.open(path) }, entry.name + '/')
      : el('a', { href: api.fileUrl(path), download: entry.name }, entry.name);
    const icon = el('span', { class: 'icon', 'aria-hidden': 'true', 'data-kind': kind });
    const view = previewable(kind)
      ? el('button', { type: 'button', onclick: () => preview(path, entry, kind), 'aria-label': 'Preview ' + entry.name }, 'Preview')
      : null;
    const zip = isDir
      ? el('a', { class: 'button', href: api.fileUrl(path) + '?zip=true', download: entry.name + '.zip', 'aria-label': 'Download ' + entry.name + ' as zip' }, 'Zip')
      : null;
    const actions = el(
      'div',
      { class: 'row-actions' },
      view,
      zip,
      el('button', { type: 'button', onclick: () => share(path, entry), 'aria-label': 'Share ' + entry.name }, 'Share'),
      el('button', { type: 'button', onclick: () => this.rename(entry, path), 'aria-label': 'Rename ' + entry.name }, 'Rename'),
      el('button', { type: 'button', onclick: () => this.remove(entry, path), 'aria-label': 'Delete ' + entry.name }, 'Delete'),
    );
    return el(
      'tr',
      { 'data-name': entry.name },
      el('td', { class: 'pick' }, this.selection.box(entry)),
      el('td', { class: 'name' }, icon, name),
      el('td', { class: 'num' }, isDir ? '' : bytes(entry.size)),
      el('td', { class: 'date' }, date(entry.modified)),
      el('td', {}, actions),
    );
  }

  async mkdir(name) {
    name = name.trim();
    if (!name) return false;
    try {
      await api.mkdir(join(this.dir, name));
      this.say(`Created folder ${name}.`);
      await this.refresh();
      return true;
    } catch (err) {
      this.say(err.message, true);
      return false;
    }
  }

  async rename(entry, path) {
    const to = await promptText(`Rename ${entry.name} to:`, entry.name, 'Rename');
    if (to === null || !to.trim() || to === entry.name) return;
    try {
      await api.move(path, join(this.dir, to.trim()));
      this.say(`Renamed ${entry.name} to ${to.trim()}.`);
      await this.refresh();
    } catch (err) {
      this.say(err.message, true);
    }
  }

  async remove(entry, path) {
    const isDir = entry.kind === 'dir';
    const what = isDir ? `the folder ${entry.name} and everything in it` : entry.name;
    if (!(await confirmText(`Delete ${what}?`, 'Delete'))) return;
    try {
      await api.remove(path, isDir);
      this.say(`Deleted ${entry.name}.`);
      await this.refresh();
    } catch (err) {
      this.say(err.message, true);
    }
  }
}
