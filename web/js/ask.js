// Questions in the page's own <dialog> (not window.confirm/prompt): keyboard-usable,
// styled, and the text is set with textContent.

const dialog = () => document.getElementById('ask');

/** Resolves true when confirmed. */
export function confirmText(text, ok = 'OK') {
  return ask(text, null, ok).then((v) => v !== null);
}

/** Resolves the entered value, or null when cancelled. */
export function promptText(text, value, ok = 'OK') {
  return ask(text, value, ok);
}

function ask(text, value, ok) {
  const d = dialog();
  const input = document.getElementById('ask-input');
  document.getElementById('ask-text').textContent = text;
  document.getElementById('ask-ok').textContent = ok;
  input.hidden = value === null;
  input.required = value !== null;
  input.value = value ?? '';
  d.returnValue = '';
  d.showModal();
  if (value !== null) {
    input.focus();
    input.select();
  }
  return new Promise((resolve) => {
    d.addEventListener(
      'close',
      () => resolve(d.returnValue === 'ok' ? (value === null ? '' : input.value) : null),
      { once: true },
    );
  });
}
