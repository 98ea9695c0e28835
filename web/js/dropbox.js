// The public page of a share link: uploads into a drop box, one file at a time, each a
// whole-body PUT to /s/ID/files/NAME (the page's grant cookie goes along by itself).
const form = document.getElementById('dropbox');
if (form) {
  const input = document.getElementById('dropbox-files');
  const status = document.getElementById('dropbox-status');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const files = [...input.files];
    if (files.length === 0) {
      status.textContent = 'Choose a file first.';
      return;
    }
    for (const file of files) {
      status.textContent = `Uploading ${file.name}…`;
      const url = form.dataset.target + encodeURIComponent(file.name);
      let answer;
      try {
        answer = await fetch(url, { method: 'PUT', body: file, credentials: 'same-origin' });
      } catch {
        status.textContent = `${file.name}: the upload failed (network).`;
        return;
      }
      if (!answer.ok) {
        let why = answer.statusText;
        try {
          why = (await answer.json()).detail || why;
        } catch { /* not JSON */ }
        status.textContent = `${file.name}: ${why}`;
        return;
      }
    }
    status.textContent = files.length === 1 ? `Uploaded ${files[0].name}.` : `Uploaded ${files.length} files.`;
    input.value = '';
  });
}
