// admin-library.js: the library table (search, filters, sort, paging) and
// the track dialog that edits curation fields and deletes tracks.
import { get, patch, del } from '/static/api.js';
import { el, duration, db, analysis, debounce } from '/static/admin-util.js';

const PAGE = 50;

/** The query string GET /api/tracks takes for a view of the table. */
export function tracksQuery(v) {
  const p = new URLSearchParams();
  if (v.q) p.set('q', v.q);
  if (v.instrumental) p.set('instrumental', v.instrumental);
  if (v.intensity) p.set('intensity', v.intensity);
  p.set('sort', v.sort);
  p.set('order', v.desc ? 'desc' : 'asc');
  p.set('limit', String(PAGE));
  p.set('offset', String(v.offset));
  return '/api/tracks?' + p;
}

/** Wires the table and the dialog; isAdmin shows delete. Returns {reload}. */
export function setupLibrary({ isAdmin }) {
  const $ = (id) => document.getElementById(id);
  const body = $('lib-body');
  const view = { q: '', instrumental: '', intensity: '', sort: 'title', desc: false, offset: 0 };
  let total = 0;
  let seq = 0; // drops replies to older queries that arrive late

  const row = (t) => {
    const l = t.loudness;
    const c = t.curation || {};
    const open = el('button', { type: 'button', class: 'linkish', text: t.title || '(untitled)', on: { click: () => edit(t) } });
    return el('tr', { 'data-id': t.id, on: { click: (e) => { if (e.target.tagName !== 'BUTTON') edit(t); } } },
      el('td', {}, open),
      el('td', { text: t.artist || '' }),
      el('td', { class: 'num', text: duration(t.duration_ms) }),
      el('td', { class: 'num', text: l ? (l.silent ? 'silent' : db(l.integrated_lufs, 'LUFS')) : '–' }),
      el('td', { class: 'num', text: l ? db(l.true_peak_dbtp, 'dBTP') : '–' }),
      el('td', { class: 'num intensity', text: c.intensity ? String(c.intensity) : '–' }),
      el('td', { text: c.instrumental || 'unknown' }),
      el('td', { class: 'analysis', 'data-state': t.analysis ? t.analysis.state : 'pending', text: analysis(t.analysis) }));
  };

  const reload = async () => {
    const mine = ++seq;
    $('lib-err').textContent = '';
    let r;
    try {
      r = await get(tracksQuery(view));
    } catch (err) {
      if (mine === seq) $('lib-err').textContent = `The library could not be read: ${err.message}`;
      return;
    }
    if (mine !== seq) return;
    const tracks = (r && r.tracks) || [];
    total = (r && r.total) || 0;
    body.replaceChildren(...tracks.map(row));
    if (!tracks.length) body.append(el('tr', {}, el('td', { colspan: '8', class: 'muted', text: view.q || view.instrumental || view.intensity ? 'No track matches.' : 'The library is empty.' })));
    $('lib-count').textContent = `${total} track${total === 1 ? '' : 's'}`;
    const last = Math.min(total, view.offset + tracks.length);
    $('lib-page').textContent = total ? `${view.offset + 1}–${last} of ${total}` : '';
    $('lib-prev').disabled = view.offset === 0;
    $('lib-next').disabled = view.offset + PAGE >= total;
  };

  const refilter = () => {
    view.offset = 0;
    reload();
  };
  $('lib-q').addEventListener('input', debounce(() => {
    view.q = $('lib-q').value.trim();
    refilter();
  }, 250));
  $('lib-filters').addEventListener('submit', (e) => e.preventDefault());
  $('lib-instrumental').addEventListener('change', () => {
    view.instrumental = $('lib-instrumental').value;
    refilter();
  });
  $('lib-intensity').addEventListener('change', () => {
    view.intensity = $('lib-intensity').value;
    refilter();
  });
  for (const th of document.querySelectorAll('#lib-table th[data-sort]')) {
    th.querySelector('button').addEventListener('click', () => {
      const key = th.dataset.sort;
      view.desc = view.sort === key ? !view.desc : false;
      view.sort = key;
      for (const o of document.querySelectorAll('#lib-table th[data-sort]')) o.removeAttribute('aria-sort');
      th.setAttribute('aria-sort', view.desc ? 'descending' : 'ascending');
      refilter();
    });
  }
  $('lib-prev').addEventListener('click', () => {
    view.offset = Math.max(0, view.offset - PAGE);
    reload();
  });
  $('lib-next').addEventListener('click', () => {
    if (view.offset + PAGE < total) view.offset += PAGE;
    reload();
  });

  // the dialog
  const dlg = $('track-dlg');
  let current = null;
  let moods = [];
  const drawMoods = () => {
    $('track-moods').replaceChildren(...moods.map((m, i) => el('li', { class: 'chip' }, el('span', { text: m }),
      el('button', { type: 'button', class: 'chip-x', 'aria-label': `Remove mood ${m}`, text: '×', on: { click: () => {
        moods.splice(i, 1);
        drawMoods();
        $('track-mood').focus();
      } } }))));
  };
  const addMood = () => {
    const m = $('track-mood').value.trim();
    if (m && !moods.includes(m) && moods.length < 16) moods.push(m);
    $('track-mood').value = '';
    drawMoods();
  };
  $('track-mood-add').addEventListener('click', addMood);
  $('track-mood').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      addMood();
    }
  });

  function edit(t) {
    current = t;
    const c = t.curation || {};
    $('track-dlg-h').textContent = t.title || '(untitled)';
    $('track-meta').textContent = [t.artist, t.album, duration(t.duration_ms), t.format].filter(Boolean).join(' · ');
    for (const r of dlg.querySelectorAll('input[name=instrumental]')) r.checked = r.value === (c.instrumental || 'unknown');
    $('track-intensity').value = String(c.intensity || 0);
    moods = (c.moods || []).slice();
    drawMoods();
    $('track-notes').value = c.notes || '';
    $('track-err').textContent = '';
    $('track-delete').hidden = !isAdmin;
    $('track-force').hidden = true;
    dlg.showModal();
  }

  $('track-cancel').addEventListener('click', () => dlg.close());
  $('track-save').addEventListener('click', async () => {
    const instrumental = (dlg.querySelector('input[name=instrumental]:checked') || {}).value || 'unknown';
    const m = $('track-mood').value.trim();
    if (m) addMood(); // a typed mood not yet added counts
    try {
      await patch(`/api/tracks/${encodeURIComponent(current.id)}`, {
        instrumental, intensity: Number($('track-intensity').value), moods, notes: $('track-notes').value,
      });
    } catch (err) {
      $('track-err').textContent = `Not saved: ${err.message}`;
      return;
    }
    dlg.close();
    reload();
  });

  const remove = async (force) => {
    try {
      await del(`/api/tracks/${encodeURIComponent(current.id)}${force ? '?force=true' : ''}`);
    } catch (err) {
      $('track-err').textContent = `Not deleted: ${err.message}`;
      // in use by a playlist or a session: an admin may still insist
      if (err.status === 409 && isAdmin) $('track-force').hidden = false;
      return;
    }
    dlg.close();
    reload();
  };
  $('track-delete').addEventListener('click', () => remove(false));
  $('track-force').addEventListener('click', () => remove(true));

  return { reload };
}
