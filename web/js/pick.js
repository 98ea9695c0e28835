// Files from a drop or a picker, each with the path it keeps below the target folder, so a
// dropped or picked folder arrives with its structure.

/** [{file, rel}] from an <input type=file> (webkitRelativePath is set for folder picks). */
export function fromInput(input) {
  return [...input.files].map((file) => ({ file, rel: file.webkitRelativePath || file.name }));
}

/** [{file, rel}] from a drop, walking dropped folders. */
export async function fromDrop(dataTransfer) {
  const entries = [...dataTransfer.items]
    .filter((i) => i.kind === 'file')
    .map((i) => (i.webkitGetAsEntry ? i.webkitGetAsEntry() : null));
  if (entries.some((e) => !e)) return [...dataTransfer.files].map((file) => ({ file, rel: file.name }));
  const out = [];
  for (const entry of entries) await walk(entry, '', out);
  return out;
}

async function walk(entry, prefix, out) {
  if (entry.isFile) {
    const file = await new Promise((res, rej) => entry.file(res, rej));
    out.push({ file, rel: prefix + entry.name });
  } else if (entry.isDirectory) {
    const reader = entry.createReader();
    // readEntries answers in batches until it answers an empty one.
    for (;;) {
      const batch = await new Promise((res, rej) => reader.readEntries(res, rej));
      if (!batch.length) break;
      for (const child of batch) await walk(child, prefix + entry.name + '/', out);
    }
  }
}
