// The upload queue: at most three uploads run at once, the rest wait their turn. Renders
// each upload (bar with percent, bytes, speed and ETA; pause, resume, cancel) and the
// overall bar. Rendering is batched to one per animation frame.

import { Upload } from './upload.js';
import { bytes, duration, el } from './format.js';

const CONCURRENT = 3;

export class Queue {
  constructor({ list, overallBar, overallText, onCommitted }) {
    this.list = list;
    this.overallBar = overallBar;
    this.overallText = overallText;
    this.onCommitted = onCommitted;
    this.uploads = [];
    this.views = new Map();
    this.dirty = false;
  }

  /** Queues `file` for `path`, or continues `record` (a saved unfinished upload). */
  add(user, file, path, record = null) {
    const u = new Upload({ user, file, path, record });
    this.uploads.push(u);
    this.views.set(u, this.view(u));
    u.addEventListener('change', () => {
      if (u.state === 'done' && !u.reported) {
        u.reported = true;
        this.onCommitted(u.path);
      }
      this.schedule();
    });
    this.pump();
    this.schedule();
    return u;
  }

  /** Starts queued uploads while fewer than CONCURRENT are running. */
  pump() {
    const active = () => this.uploads.filter((u) => u.active).length;
    for (const u of this.uploads) {
      if (active() >= CONCURRENT) break;
      if (u.state !== 'queued' || u.active) continue;
      u.active = true;
      const previous = u.running || Promise.resolve();
      // A resumed upload waits for its previous run to wind down (its hashing finishes).
      u.running = previous.then(() => u.run()).finally(() => {
        u.active = false;
        this.pump();
        this.schedule();
      });
    }
  }

  resume(u) {
    u.set('queued');
    this.pump();
  }

  view(u) {
    const title = el('div', { class: 'title' }, u.path);
    const bar = el('progress', { max: u.size || 1, value: 0 });
    bar.setAttribute('aria-label', 'Upload of ' + u.path);
    const stats = el('div', { class: 'stats' });
    const pause = el('button', { type: 'button', onclick: () => u.pause() }, 'Pause');
    const resume = el('button', { type: 'button', onclick: () => this.resume(u) }, 'Resume');
    const cancel = el('button', { type: 'button', onclick: () => u.cancel() }, 'Cancel');
    const replace = el('button', { type: 'button', onclick: () => ((u.overwrite = true), this.resume(u)) }, 'Replace it');
    const buttons = el('div', { class: 'inline' }, pause, resume, replace, cancel);
    const item = el('li', { 'data-path': u.path }, title, bar, stats, buttons);
    this.list.append(item);
    return { item, bar, stats, pause, resume, replace, cancel };
  }

  schedule() {
    if (this.dirty) return;
    this.dirty = true;
    requestAnimationFrame(() => {
      this.dirty = false;
      this.render();
    });
  }

  render() {
    let total = 0;
    let done = 0;
    for (const u of this.uploads) {
      const v = this.views.get(u);
      const pct = u.size ? Math.floor((u.done / u.size) * 100) : 100;
      v.item.className = 'state-' + u.state;
      v.item.dataset.state = u.state;
      v.bar.value = u.state === 'done' ? u.size || 1 : u.done;
      const parts = [`${pct}%`, `${bytes(u.done)} of ${bytes(u.size)}`];
      if (u.state === 'sending') {
        const speed = u.speed;
        parts.push(`${bytes(Math.round(speed))}/s`, 'ETA ' + (speed > 0 ? duration((u.size - u.done) / speed) : '…'));
      }
      parts.push(label(u.state));
      if (u.message) parts.push(u.message);
      v.stats.textContent = parts.join(' · ');
      const finished = ['done', 'cancelled'].includes(u.state);
      v.pause.hidden = finished || ['paused', 'error', 'queued'].includes(u.state);
      const exists = u.state === 'error' && ['already_exists', 'precondition_failed'].includes(u.errorCode) && !u.id;
      v.resume.hidden = exists || !['paused', 'error'].includes(u.state);
      v.replace.hidden = !exists;
      v.cancel.hidden = finished;
      if (u.state !== 'cancelled') {
        total += u.size;
        done += u.state === 'done' ? u.size : u.done;
      }
    }
    this.overallBar.max = total || 1;
    this.overallBar.value = done;
    this.overallText.textContent = total ? `${Math.floor((done / total) * 100)}% · ${bytes(done)} of ${bytes(total)}` : '';
  }
}

function label(state) {
  return {
    queued: 'waiting',
    sending: 'uploading',
    retrying: 'reconnecting',
    paused: 'paused',
    done: 'done',
    error: 'failed',
    cancelled: 'cancelled',
  }[state];
}
