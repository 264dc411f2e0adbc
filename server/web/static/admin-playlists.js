// admin-playlists.js: the playlist editor — list, open, edit phases and
// their tracks (drag or move buttons to reorder, must-play, add from the
// library, remove), save with PUT, create, import and export.
import { get, put, post, del } from '/static/api.js';
import { el, duration, debounce, move } from '/static/admin-util.js';

export const ROLES = ['arrival', 'settling', 'journey', 'return', 'integration'];
const FILLS = [['silence', 'silence'], ['loop', 'loop the phase'], ['brown-noise', 'brown noise'], ['pink-noise', 'pink noise'], ['drone', 'drone']];

/** A new phase with the defaults the API documents. */
export function newPhase(role) {
  return { role, crossfade_ms: 0, level_db: 0, fill: 'silence', entries: [] };
}

/** Adds a phase in its place in the arc, keeping ROLES' order. */
export function addPhase(phases, role) {
  if (phases.some((p) => p.role === role)) return phases;
  return [...phases, newPhase(role)].sort((a, b) => ROLES.indexOf(a.role) - ROLES.indexOf(b.role));
}

/** Wires the editor. Returns {reload}. */
export function setupPlaylists() {
  const $ = (id) => document.getElementById(id);
  let pl = null; // the playlist being edited
  let dragging = null; // {phase, index}

  const listErr = (m) => ($('pl-list-err').textContent = m);

  const reload = async (open) => {
    listErr('');
    let r;
    try {
      r = await get('/api/playlists');
    } catch (err) {
      listErr(`Playlists could not be read: ${err.message}`);
      return;
    }
    const items = (r && r.playlists) || [];
    $('pl-list').replaceChildren(...items.map((p) => el('li', {},
      el('button', { type: 'button', class: 'pl-open', 'aria-current': pl && pl.name === p.name ? 'true' : null, on: { click: () => openPlaylist(p.name) } },
        el('span', { class: 'pl-name', text: p.name }),
        el('span', { class: 'muted small', text: `${p.tracks} tracks · ${duration(p.length_ms)}${p.dangling ? ` · ${p.dangling} missing` : ''}` })))));
    if (!items.length) $('pl-list').append(el('li', { class: 'muted', text: 'No playlists yet.' }));
    if (open) openPlaylist(open);
  };

  const profiles = get('/api/profiles').then((r) => (r && r.profiles) || []).catch(() => []);

  async function openPlaylist(name) {
    $('pl-err').textContent = '';
    $('pl-saved').textContent = '';
    try {
      pl = await get(`/api/playlists/${encodeURIComponent(name)}`);
    } catch (err) {
      listErr(`"${name}" could not be opened: ${err.message}`);
      return;
    }
    pl.phases = pl.phases || [];
    $('pl-edit').hidden = false;
    $('pl-edit-h').textContent = pl.name;
    $('pl-desc').value = pl.description || '';
    const profs = await profiles;
    $('pl-profile').replaceChildren(el('option', { value: '', text: 'default' }),
      ...profs.map((p) => el('option', { value: p.name, text: p.route || p.name })));
    $('pl-profile').value = pl.profile || '';
    const base = `/api/playlists/${encodeURIComponent(pl.name)}/export`;
    $('pl-export-yaml').href = base + '?format=yaml';
    $('pl-export-m3u').href = base + '?format=m3u';
    for (const b of document.querySelectorAll('#pl-list .pl-open')) {
      b.setAttribute('aria-current', b.querySelector('.pl-name').textContent === pl.name ? 'true' : 'false');
    }
    draw();
  }

  function draw() {
    $('pl-phases').replaceChildren(...pl.phases.map(drawPhase));
    const free = ROLES.filter((r) => !pl.phases.some((p) => p.role === r));
    $('pl-add-role').replaceChildren(...free.map((r) => el('option', { value: r, text: r })));
    $('pl-add-phase').disabled = !free.length;
  }

  function drawPhase(ph, pi) {
    const id = `ph-${pi}`;
    const num = (label, key, scale, min, max, step) => el('div', { class: 'field' },
      el('label', { for: `${id}-${key}`, text: label }),
      el('input', { id: `${id}-${key}`, type: 'number', min: String(min), max: String(max), step: String(step), value: String(ph[key] / scale),
        on: { change: (e) => { ph[key] = Math.round(Number(e.target.value) * scale); } } }));
    const fill = el('select', { id: `${id}-fill`, on: { change: (e) => { ph.fill = e.target.value; } } },
      ...FILLS.map(([v, t]) => el('option', { value: v, text: t })));
    fill.value = ph.fill || 'silence';
    const entries = el('ol', { class: 'entries', 'aria-label': `Tracks of ${ph.role}` },
      ...ph.entries.map((en, i) => drawEntry(ph, en, i)));
    if (!ph.entries.length) entries.append(el('li', { class: 'muted small', text: 'No tracks yet: add some from the library below.' }));
    return el('fieldset', { class: 'phase' },
      el('legend', { text: ph.role }),
      el('div', { class: 'row' },
        num('Crossfade (s, 0 = default)', 'crossfade_ms', 1000, 0, 120, 1),
        num('Level (dB)', 'level_db', 1, -30, 6, 0.5),
        el('div', { class: 'field' }, el('label', { for: `${id}-fill`, text: 'When the tracks run out' }), fill),
        el('button', { type: 'button', class: 'danger', text: `Remove ${ph.role}`, on: { click: () => {
          pl.phases.splice(pi, 1);
          draw();
        } } })),
      entries,
      drawAdder(ph, id));
  }

  function drawEntry(ph, en, i) {
    const li = el('li', { class: 'entry', draggable: 'true', 'data-track': en.track, 'data-missing': en.missing ? 'true' : null },
      el('span', { class: 'grip', 'aria-hidden': 'true', text: '⠿' }),
      el('span', { class: 'entry-title' }, el('span', { text: en.title || en.track }),
        el('span', { class: 'muted small', text: ` ${en.artist || ''} · ${duration(en.duration_ms)}${en.missing ? ' · missing from the library' : ''}` })),
      el('label', { class: 'inline small' }, el('input', { type: 'checkbox', checked: !!en.must_play,
        on: { change: (e) => { en.must_play = e.target.checked; } } }), 'must play'),
      el('button', { type: 'button', class: 'icon', 'aria-label': `Move ${en.title || en.track} up`, text: '↑', disabled: i === 0,
        on: { click: () => reorder(ph, i, i - 1, 'up') } }),
      el('button', { type: 'button', class: 'icon', 'aria-label': `Move ${en.title || en.track} down`, text: '↓', disabled: i === ph.entries.length - 1,
        on: { click: () => reorder(ph, i, i + 1, 'down') } }),
      el('button', { type: 'button', class: 'icon danger', 'aria-label': `Remove ${en.title || en.track}`, text: '×',
        on: { click: () => {
          ph.entries.splice(i, 1);
          draw();
        } } }));
    li.addEventListener('dragstart', (e) => {
      dragging = { ph, i };
      e.dataTransfer.effectAllowed = 'move';
      e.dataTransfer.setData('text/plain', en.track);
      li.classList.add('dragging');
    });
    li.addEventListener('dragend', () => li.classList.remove('dragging'));
    li.addEventListener('dragover', (e) => {
      if (dragging && dragging.ph === ph) e.preventDefault();
    });
    li.addEventListener('drop', (e) => {
      e.preventDefault();
      if (dragging && dragging.ph === ph) reorder(ph, dragging.i, i);
      dragging = null;
    });
    return li;
  }

  // reorder moves an entry and, for the keyboard, keeps focus on the moved
  // entry's same button so repeated presses keep moving it
  function reorder(ph, from, to, keep) {
    ph.entries = move(ph.entries, from, to);
    draw();
    if (keep) {
      const pi = pl.phases.indexOf(ph);
      const li = document.querySelectorAll('#pl-phases fieldset.phase')[pi]?.querySelectorAll('li.entry')[to];
      const btn = li && li.querySelector(`button[aria-label^="Move"][aria-label$="${keep}"]`);
      if (btn && !btn.disabled) btn.focus();
      else li?.querySelector('button')?.focus();
    }
  }

  function drawAdder(ph, id) {
    const results = el('ul', { class: 'add-results', 'aria-live': 'polite' });
    const search = async (q) => {
      if (!q) {
        results.replaceChildren();
        return;
      }
      try {
        const r = await get(`/api/tracks?q=${encodeURIComponent(q)}&limit=8`);
        results.replaceChildren(...((r && r.tracks) || []).map((t) => el('li', {},
          el('span', { text: `${t.title} — ${t.artist || ''} (${duration(t.duration_ms)})` }),
          el('button', { type: 'button', text: 'Add', 'aria-label': `Add ${t.title} to ${ph.role}`, on: { click: () => {
            ph.entries.push({ track: t.id, title: t.title, artist: t.artist, duration_ms: t.duration_ms, must_play: false, missing: false });
            draw();
          } } }))));
      } catch (err) {
        results.replaceChildren(el('li', { class: 'error-msg', text: err.message }));
      }
    };
    const input = el('input', { id: `${id}-add`, type: 'search', autocomplete: 'off', placeholder: 'search the library',
      on: { input: debounce((e) => search(e.target.value.trim()), 250) } });
    return el('div', { class: 'field adder' }, el('label', { for: `${id}-add`, text: `Add tracks to ${ph.role}` }), input, results);
  }

  $('pl-add-phase').addEventListener('click', () => {
    const role = $('pl-add-role').value;
    if (role) {
      pl.phases = addPhase(pl.phases, role);
      draw();
    }
  });
  $('pl-save').addEventListener('click', async () => {
    $('pl-err').textContent = '';
    $('pl-saved').textContent = '';
    pl.description = $('pl-desc').value;
    pl.profile = $('pl-profile').value;
    try {
      pl = await put(`/api/playlists/${encodeURIComponent(pl.name)}`, pl);
    } catch (err) {
      $('pl-err').textContent = `Not saved: ${err.message}`;
      return;
    }
    $('pl-saved').textContent = 'Saved.';
    draw();
    reload();
  });
  $('pl-delete').addEventListener('click', async () => {
    if (!confirm(`Delete the playlist "${pl.name}"?`)) return;
    try {
      await del(`/api/playlists/${encodeURIComponent(pl.name)}`);
    } catch (err) {
      $('pl-err').textContent = `Not deleted: ${err.message}`;
      return;
    }
    pl = null;
    $('pl-edit').hidden = true;
    reload();
  });
  $('pl-new').addEventListener('submit', async (e) => {
    e.preventDefault();
    const name = $('pl-new-name').value.trim();
    if (!name) return;
    try {
      await post('/api/playlists', { name, phases: [newPhase('settling'), newPhase('journey'), newPhase('return'), newPhase('integration')] });
    } catch (err) {
      listErr(`Not created: ${err.message}`);
      return;
    }
    $('pl-new-name').value = '';
    reload(name);
  });
  $('pl-import').addEventListener('submit', async (e) => {
    e.preventDefault();
    const file = $('pl-import-file').files[0];
    if (!file) return;
    const ext = file.name.split('.').pop().toLowerCase();
    const format = { yml: 'yaml', yaml: 'yaml', json: 'json', m3u: 'm3u', m3u8: 'm3u' }[ext];
    if (!format) {
      listErr('Import takes .yaml, .json or .m3u files.');
      return;
    }
    const q = new URLSearchParams({ format });
    if (format === 'm3u') q.set('name', file.name.replace(/\.[^.]+$/, ''));
    let res;
    try {
      res = await fetch('/api/playlists/import?' + q, { method: 'POST', credentials: 'same-origin', body: file, headers: { Accept: 'application/json' } });
    } catch {
      listErr('The server could not be reached.');
      return;
    }
    const body = await res.json().catch(() => null);
    if (!res.ok) {
      listErr(`Not imported: ${(body && body.error && body.error.message) || res.statusText}`);
      return;
    }
    $('pl-import-file').value = '';
    reload(body && body.name);
  });

  return { reload };
}
