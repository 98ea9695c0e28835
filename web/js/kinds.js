// What kind of file a name is, for its icon (a badge per kind in app.css, `.icon[data-kind]`) and for whether the page can preview it. The
// server decides what it will really show inline (routes/preview.rs); this list only mirrors
// it so the page offers "Preview" where the server will show the file, never where it would
// answer with a download (HTML, SVG, XML and everything unknown).

const KINDS = {
  image: ['png', 'jpg', 'jpeg', 'gif', 'webp', 'avif', 'bmp', 'ico'],
  video: ['mp4', 'm4v', 'webm', 'ogv', 'mov'],
  audio: ['mp3', 'm4a', 'ogg', 'oga', 'opus', 'wav', 'flac', 'aac', 'weba'],
  pdf: ['pdf'],
  text: ['txt', 'md', 'markdown', 'log', 'csv', 'tsv', 'json', 'ini', 'conf', 'cfg', 'toml', 'yaml', 'yml', 'rs', 'py', 'c', 'h', 'cpp', 'java', 'go', 'sh', 'sql', 'diff', 'patch'],
  archive: ['zip', 'tar', 'gz', 'tgz', 'xz', 'bz2', 'zst', '7z', 'rar', 'iso'],
};

/** `dir`, `image`, `video`, `audio`, `pdf`, `text`, `archive` or `other`. */
export function kindOf(entry) {
  if (entry.kind === 'dir') return 'dir';
  const dot = entry.name.lastIndexOf('.');
  const ext = dot > 0 ? entry.name.slice(dot + 1).toLowerCase() : '';
  for (const [kind, exts] of Object.entries(KINDS)) if (exts.includes(ext)) return kind;
  return 'other';
}

/** Whether the page can show this kind in its preview. */
export const previewable = (kind) => ['image', 'video', 'audio', 'pdf', 'text'].includes(kind);
