// The user's own account (change password) and, for admins, the accounts section: list with
// space used, add, set quota, reset a password, give or take the admin role, remove. Every
// name is set as text; every action is a call to the admin API, which audits it.

import * as api from './api.js';
import { confirmText, promptText } from './ask.js';
import { bytes, el } from './format.js';

const $ = (id) => document.getElementById(id);

function say(id, text, bad = false) {
  $(id).textContent = text;
  $(id).classList.toggle('bad', bad);
}

$('password-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = e.target.elements;
  if (f.new.value !== f.again.value) {
    say('password-message', 'The new passwords differ.', true);
    return;
  }
  try {
    await api.request('POST', '/api/v1/password', {
      json: { current_password: f.current.value, new_password: f.new.value },
    });
    e.target.reset();
    say('password-message', 'Password changed. Your other logins were ended.');
  } catch (err) {
    const text = err.code === 'wrong_password' ? 'The current password is not right.' : err.message;
    say('password-message', text, true);
  }
});

/** `10GiB`, `500MB`, `123` as bytes; `null` for empty; NaN when unreadable. */
function parseSize(text) {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?i?B?)?\s*$/i.exec(text);
  if (!text.trim()) return null;
  if (!m) return NaN;
  const unit = (m[2] || '').toUpperCase().replace(/B$/, '');
  const power = { '': 0, K: 1, KI: 1, M: 2, MI: 2, G: 3, GI: 3, T: 4, TI: 4 }[unit];
  const base = unit.endsWith('I') || unit === '' ? 1024 : 1000;
  return power === undefined ? NaN : Math.round(Number(m[1]) * base ** power);
}

export class Admin {
  constructor() {
    this.section = $('admin');
    $('add-user-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.add(e.target);
    });
  }

  /** Shows the section for an admin (and loads it); hides it for anyone else. */
  async show(isAdmin) {
    this.section.hidden = !isAdmin;
    if (isAdmin) await this.refresh();
  }

  async refresh() {
    try {
      const { users } = await (await api.request('GET', '/api/v1/admin/users')).json();
      const details = await Promise.all(
        users.map((u) =>
          api
            .request('GET', '/api/v1/admin/users/' + encodeURIComponent(u.name))
            .then((r) => r.json())
            .catch(() => null),
        ),
      );
      $('users-body').replaceChildren(...users.map((u, i) => this.row(u, details[i])));
    } catch (err) {
      say('admin-message', err.message, true);
    }
  }

  row(u, detail) {
    const me = u.name === api.currentUser();
    const action = (label, fn) =>
      el('button', { type: 'button', onclick: fn, 'aria-label': `${label} ${u.name}` }, label);
    const uploads = detail?.uploads?.length ? ` (${detail.uploads.length} unfinished)` : '';
    return el(
      'tr',
      { 'data-user': u.name },
      el('td', { class: 'name' }, u.name),
      el('td', { class: 'num' }, detail ? bytes(detail.quota.used) + uploads : ''),
      el('td', { class: 'num' }, u.quota === null ? 'unlimited' : bytes(u.quota)),
      el('td', {}, u.exec.mode === 'allow' ? 'allow: ' + u.exec.programs.join(', ') : u.exec.mode),
      el('td', {}, u.admin ? 'admin' : 'user'),
      el(
        'td',
        {},
        el(
          'div',
          { class: 'row-actions' },
          action('Quota', () => this.quota(u)),
          me ? null : action(u.admin ? 'Make user' : 'Make admin', () => this.change(u.name, { admin: !u.admin })),
          me ? null : action('Reset password', () => this.reset(u.name)),
          me ? null : action('Remove', () => this.remove(u.name)),
        ),
      ),
    );
  }

  async change(name, doc) {
    try {
      await api.request('PATCH', '/api/v1/admin/users/' + encodeURIComponent(name), { json: doc });
      say('admin-message', `Updated ${name}.`);
      await this.refresh();
    } catch (err) {
      say('admin-message', err.message, true);
    }
  }

  async quota(u) {
    const text = await promptText(`Quota of ${u.name} (e.g. 10GiB; empty for unlimited):`, '', 'Set quota');
    if (text === null) return;
    const quota = parseSize(text);
    if (Number.isNaN(quota)) return say('admin-message', `Not a size: ${text}`, true);
    await this.change(u.name, { quota });
  }

  async reset(name) {
    const password = await promptText(`New password for ${name} (8+ characters):`, '', 'Reset password');
    if (!password) return;
    try {
      await api.request('PUT', `/api/v1/admin/users/${encodeURIComponent(name)}/password`, { json: { password } });
      say('admin-message', `Reset the password of ${name}; their logins were ended.`);
    } catch (err) {
      say('admin-message', err.message, true);
    }
  }

  async remove(name) {
    if (!(await confirmText(`Remove the account ${name}? Their files stay on the server.`, 'Remove'))) return;
    try {
      await api.request('DELETE', '/api/v1/admin/users/' + encodeURIComponent(name));
      say('admin-message', `Removed ${name}.`);
      await this.refresh();
    } catch (err) {
      say('admin-message', err.message, true);
    }
  }

  async add(form) {
    const f = form.elements;
    const quota = parseSize(f.quota.value);
    if (Number.isNaN(quota)) return say('admin-message', `Not a size: ${f.quota.value}`, true);
    const doc = { name: f.name.value.trim(), password: f.password.value, quota, admin: f.admin.checked };
    try {
      await api.request('POST', '/api/v1/admin/users', { json: doc });
      form.reset();
      say('admin-message', `Added ${doc.name}.`);
      await this.refresh();
    } catch (err) {
      say('admin-message', err.message, true);
    }
  }
}
