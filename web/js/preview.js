// The preview dialog: images, video, audio and PDF load from the file's inline view
// (`/api/v1/files/PATH?inline=true`, authenticated by the download cookie); text is fetched
// (its first 256 KiB) and shown as text. The server sends every view with
// `Content-Security-Policy: sandbox` and keeps HTML/SVG/XML attachments, so nothing shown here
// can run script on this origin; the page never turns file content into markup either.

import * as api from './api.js';
import { bytes, el } from './format.js';

/** Bytes of a text file shown; the rest is left to the download. */
const TEXT_MAX = 256 * 1024;

const dialog = () => document.getElementById('preview-dialog');

export async function preview(path, entry, kind) {
  const d = dialog();
  const url = api.fileUrl(path) + '?inline=true';
  document.getElementById('preview-name').textContent = entry.name;
  const download = document.getElementById('preview-download');
  download.href = api.fileUrl(path);
  download.download = entry.name;
  const body = document.getElementById('preview-body');
  body.dataset.kind = kind;
  body.replaceChildren(el('p', { class: 'hint' }, 'Loading…'));
  if (!d.open) d.showModal();
  body.replaceChildren(await content(kind, url, entry));
}

async function content(kind, url, entry) {
  switch (kind) {
    case 'image':
      return el('img', { src: url, alt: entry.name });
    case 'video':
      return el('video', { src: url, controls: true, preload: 'metadata' });
    case 'audio':
      return el('audio', { src: url, controls: true, preload: 'metadata' });
    case 'pdf':
      return el('iframe', { src: url, title: entry.name });
    default:
      return text(url, entry);
  }
}

async function text(url, entry) {
  try {
    const resp = await api.request('GET', url, { headers: { Range: `bytes=0-${TEXT_MAX - 1}` } });
    const shown = new TextDecoder('utf-8').decode(await resp.arrayBuffer());
    const cut = entry.size > TEXT_MAX ? el('p', { class: 'hint' }, `The first ${bytes(TEXT_MAX)} of ${bytes(entry.size)}; download the file for the rest.`) : null;
    return el('div', {}, el('pre', { tabIndex: 0 }, shown), cut);
  } catch (err) {
    return el('p', { class: 'message bad' }, err.message);
  }
}

export function closePreview() {
  const d = dialog();
  // Stop media and drop the frame before closing, so nothing keeps playing or loading.
  document.getElementById('preview-body').replaceChildren();
  if (d.open) d.close();
}
