// admin-upload.js: drag-and-drop upload to POST /api/tracks, one request per
// file and two at a time, so each file has its own progress bar and its own
// result, and one bad file never holds up the others.
import { el, bytes } from '/static/admin-util.js';

const PARALLEL = 2;

/** The words shown for one file's result from the server. */
export function resultText(r) {
  switch (r.status) {
    case 'added': return 'Added';
    case 'exists': return 'Already in the library';
    case 'rejected': return 'Rejected: ' + (r.error || 'the server gave no reason');
    default: return r.status || 'Unknown result';
  }
}

/**
 * Sends one file; resolves to its result ({name, status, error, track}),
 * never rejects: a failed request becomes a rejected result saying why.
 */
export function sendFile(file, onProgress) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    const fail = (why) => resolve({ name: file.name, status: 'rejected', error: why, code: 'upload', track: null });
    xhr.open('POST', '/api/tracks');
    xhr.responseType = 'json';
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable) onProgress(e.loaded, e.total);
    });
    xhr.addEventListener('load', () => {
      const body = xhr.response;
      if (xhr.status >= 200 && xhr.status < 300 && body && Array.isArray(body.results) && body.results.length) {
        resolve(body.results[0]);
        return;
      }
      const e = body && body.error;
      if (xhr.status === 401) fail('you are signed out; sign in again');
      else fail((e && e.message) || `the server answered ${xhr.status}`);
    });
    xhr.addEventListener('error', () => fail('the server could not be reached'));
    xhr.addEventListener('abort', () => fail('the upload was cancelled'));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}

/**
 * Wires the drop zone, the file picker and the lists. onAdded is called
 * after each batch in which a file was added, so the library can refresh.
 */
export function setupUpload({ onAdded }) {
  const drop = document.getElementById('drop');
  const picker = document.getElementById('files');
  const list = document.getElementById('up-list');
  const all = document.getElementById('up-all');
  const total = document.getElementById('up-total');
  const totalText = document.getElementById('up-total-text');
  let batch = null; // {items, done}

  const updateTotal = () => {
    const size = batch.items.reduce((s, it) => s + it.total, 0) || 1;
    const sent = batch.items.reduce((s, it) => s + it.sent, 0);
    total.max = size;
    total.value = sent;
    totalText.textContent = `${batch.done} of ${batch.items.length} done · ${bytes(sent)} of ${bytes(size)}`;
  };

  const start = async (files) => {
    files = [...files];
    if (!files.length) return;
    const items = files.map((file) => {
      const bar = el('progress', { max: file.size || 1, value: 0, 'aria-label': `Upload of ${file.name}` });
      const state = el('span', { class: 'up-state', text: 'Waiting' });
      const li = el('li', { class: 'up-item', 'data-state': 'waiting' },
        el('span', { class: 'up-name', text: file.name }), el('span', { class: 'muted small', text: bytes(file.size) }), bar, state);
      list.append(li);
      return { file, li, bar, state, sent: 0, total: file.size || 1 };
    });
    // a new drop while files are still going joins the running batch
    if (batch && batch.done < batch.items.length) batch.items.push(...items);
    else batch = { items, done: 0 };
    all.hidden = false;
    updateTotal();
    let added = false;
    const queue = items.slice();
    const worker = async () => {
      for (let it = queue.shift(); it; it = queue.shift()) {
        it.li.dataset.state = 'sending';
        it.state.textContent = 'Sending…';
        const r = await sendFile(it.file, (loaded, size) => {
          it.sent = Math.min(loaded, it.total);
          it.bar.value = it.sent * (it.bar.max / (size || 1));
          if (loaded >= size) it.state.textContent = 'Checking…';
          updateTotal();
        });
        it.sent = it.total;
        it.bar.value = it.bar.max;
        it.li.dataset.state = r.status;
        it.state.textContent = resultText(r);
        if (r.status === 'added') added = true;
        batch.done++;
        updateTotal();
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL, items.length) }, worker));
    if (added) onAdded();
  };

  picker.addEventListener('change', () => {
    start(picker.files);
    picker.value = '';
  });
  for (const ev of ['dragenter', 'dragover']) {
    drop.addEventListener(ev, (e) => {
      e.preventDefault();
      drop.classList.add('over');
    });
  }
  for (const ev of ['dragleave', 'drop']) drop.addEventListener(ev, () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    start(e.dataTransfer.files);
  });
  // the picker's input stays hidden: a real button opens it, so keyboard
  // and screen reader users reach it like any other control
  document.getElementById('pick').addEventListener('click', () => picker.click());
  return { start };
}
