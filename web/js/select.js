// Several entries of the current folder at once: a checkbox per row, and a bar to download
// them as one zip (a plain link the browser saves, `GET /api/v1/files/DIR?zip=true&name=…`
// with the download cookie, streamed by the server as it is made), move them to another
// folder, or delete them after one confirmation.

import * as api from './api.js';
import { join } from './format.js';
import { confirmText, promptText } from './ask.js';

export class Selection {
  /** `browser`: the folder view (current folder, entries, refresh, messages). */
  constructor(browser) {
    this.browser = browser;
    this.names = new Set();
    this.bar = document.getElementById('selection-bar');
    this.all = document.getElementById('select-all');
    this.all.addEventListener('change', () => this.setAll(this.all.checked));
    document.getElementById('selection-clear').addEventListener('click', () => this.setAll(false));
    document.getElementById('selection-delete').addEventListener('click', () => this.remove());
    document.getElementById('selection-move').addEventListener('click', () => this.move());
  }

  /** Forgets the selection (a new folder was opened). */
  reset() {
    this.names.clear();
    this.update();
  }

  /** The checkbox of a row. */
  box(entry) {
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.className = 'pick';
    box.checked = this.names.has(entry.name);
    box.setAttribute('aria-label', 'Select ' + entry.name);
    box.addEventListener('change', () => {
      if (box.checked) this.names.add(entry.name);
      else this.names.delete(entry.name);
      this.update();
    });
    return box;
  }

  setAll(on) {
    this.names = new Set(on ? this.browser.entries.map((e) => e.name) : []);
    for (const b of document.querySelectorAll('#listing-body input.pick')) b.checked = on;
    this.update();
  }

  /** Drops names no longer listed (after a refresh) and redraws the bar. */
  update() {
    const listed = new Set(this.browser.entries.map((e) => e.name));
    for (const n of this.names) if (!listed.has(n)) this.names.delete(n);
    const n = this.names.size;
    this.bar.hidden = n === 0;
    this.all.checked = n > 0 && n === listed.size;
    this.all.indeterminate = n > 0 && n < listed.size;
    document.getElementById('selection-count').textContent = `${n} selected`;
    const q = new URLSearchParams({ zip: 'true' });
    for (const name of this.names) q.append('name', name);
    const zip = document.getElementById('selection-zip');
    zip.href = api.fileUrl(this.browser.dir) + '?' + q;
    zip.download = (this.browser.dir.split('/').filter(Boolean).pop() || 'files') + '.zip';
  }

  selected() {
    return this.browser.entries.filter((e) => this.names.has(e.name));
  }

  async remove() {
    const entries = this.selected();
    const what = entries.length === 1 ? entries[0].name : `${entries.length} entries`;
    const folders = entries.some((e) => e.kind === 'dir') ? ' (folders with everything in them)' : '';
    if (!(await confirmText(`Delete ${what}${folders}?`, 'Delete'))) return;
    await this.each(entries, (e) => api.remove(join(this.browser.dir, e.name), e.kind === 'dir'), 'Deleted');
  }

  async move() {
    const entries = this.selected();
    let to = await promptText(`Move ${entries.length === 1 ? entries[0].name : entries.length + ' entries'} to folder:`, this.browser.dir, 'Move');
    if (to === null || !to.trim()) return;
    to = to.trim();
    if (!to.startsWith('/')) to = join(this.browser.dir, to);
    if (to === this.browser.dir) return;
    await this.each(entries, (e) => api.move(join(this.browser.dir, e.name), join(to, e.name)), `Moved to ${to}:`);
  }

  /** Runs `op` on each entry in turn; says how many worked and why any did not. */
  async each(entries, op, verb) {
    const failed = [];
    for (const e of entries) {
      try {
        await op(e);
      } catch (err) {
        failed.push(`${e.name}: ${err.message}`);
      }
    }
    const done = entries.length - failed.length;
    this.browser.say(failed.length ? `${verb} ${done} of ${entries.length}. ${failed.join('; ')}` : `${verb} ${done} ${done === 1 ? 'entry' : 'entries'}.`, failed.length > 0);
    this.names.clear();
    await this.browser.refresh();
  }
}
