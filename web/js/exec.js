// The exec console: one command line, stdout and stderr streamed apart (NDJSON events from
// POST /api/v1/exec), then the exit status. Output is appended as text nodes.

import { ApiError, authHeader, check } from './api.js';

/** Splits a command line into argv: whitespace separates, '…' and "…" quote, \ escapes. */
export function splitArgs(line) {
  const args = [];
  let cur = null;
  let quote = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) cur += line[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      cur ??= '';
    } else if (c === '\\' && i + 1 < line.length) {
      cur = (cur ?? '') + line[++i];
    } else if (/\s/.test(c)) {
      if (cur !== null) args.push(cur);
      cur = null;
    } else {
      cur = (cur ?? '') + c;
    }
  }
  if (cur !== null) args.push(cur);
  return args;
}

function decode(event, decoders) {
  if (event.encoding !== 'base64') return event.data;
  const raw = atob(event.data);
  const bytes = Uint8Array.from(raw, (c) => c.charCodeAt(0));
  return decoders[event.type].decode(bytes, { stream: true });
}

export class Console {
  constructor(getCwd) {
    this.getCwd = getCwd;
    this.section = document.getElementById('exec');
    this.out = document.getElementById('exec-stdout');
    this.err = document.getElementById('exec-stderr');
    this.status = document.getElementById('exec-status');
    this.form = document.getElementById('exec-form');
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.run(this.form.elements.line.value);
    });
  }

  /** Shows the console only when the policy allows something. */
  setPolicy(exec) {
    this.mode = exec.mode;
    this.section.hidden = exec.mode === 'off';
    document.getElementById('exec-policy').textContent =
      exec.mode === 'shell'
        ? 'Your account may run any shell command line.'
        : `Your account may run: ${exec.programs.join(', ')} (arguments are split on spaces; quotes group).`;
  }

  async run(line) {
    if (!line.trim()) return;
    const body = this.mode === 'shell' ? { command: line, cwd: this.getCwd() } : { argv: splitArgs(line), cwd: this.getCwd() };
    this.out.replaceChildren();
    this.err.replaceChildren();
    this.status.classList.remove('bad');
    this.status.textContent = 'Running…';
    const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
    try {
      const resp = await check(
        await fetch('/api/v1/exec', {
          method: 'POST',
          headers: {
            Authorization: authHeader(),
            'X-Requested-With': 'ferry-web',
            'Content-Type': 'application/json',
            Accept: 'application/x-ndjson',
          },
          body: JSON.stringify(body),
        }),
      );
      const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffered = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffered += value;
        let nl;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          if (line.trim()) this.event(JSON.parse(line), decoders);
        }
      }
    } catch (err) {
      this.status.classList.add('bad');
      this.status.textContent = err instanceof ApiError ? `Refused: ${err.message} (${err.code})` : `Failed: ${err.message}`;
    }
  }

  event(ev, decoders) {
    if (ev.type === 'stdout' || ev.type === 'stderr') {
      const pre = ev.type === 'stdout' ? this.out : this.err;
      pre.append(document.createTextNode(decode(ev, decoders)));
      pre.scrollTop = pre.scrollHeight;
    } else if (ev.type === 'exit') {
      const x = ev.exit;
      let text = x.code !== null && x.code !== undefined ? `Exit code ${x.code}` : `Killed by signal ${x.signal}`;
      if (x.timed_out) text += ' (timed out)';
      text += ` · ${x.duration_ms} ms`;
      if (x.stdout_truncated || x.stderr_truncated) text += ' · output truncated';
      this.status.textContent = text;
      this.status.dataset.exit = String(x.code);
    } else if (ev.type === 'error') {
      this.status.classList.add('bad');
      this.status.textContent = `The server failed (${ev.code}).`;
    }
  }
}
