// console.js: the therapist console (/). Before a session: choose a
// playlist and profile and preview the timeline; during it: steer the
// session over the WebSocket; after it: the summary and the log's export.
import { get, post, list, me, isStaff, requireStaff, ApiError } from '/static/api.js';
import { Live } from '/static/ws.js';
import { Timeline, fmtClock } from '/static/timeline.js';

const $ = (id) => document.getElementById(id);
const MIN = 60000;
const ROLES = ['settling', 'onset', 'journey', 'return', 'integration'];

const st = {
  me: null,
  room: '', // selected room id
  playlists: [],
  profiles: [],
  defaultProfile: 'intranasal',
  chosen: '', // playlist name
  onsetMs: null, // the therapist's planned onset for the preview, null: the profile's middle
  planSeq: 0,
  planKey: '', // what the timeline shows, to skip redundant redraws
  ended: new Map(), // room id → session id whose end the console should summarise
  dismissed: new Set(), // session ids whose summary was closed
  lastSession: new Map(), // room id → last session id seen
  logSeen: new Set(), // "session:seq"
  tracks: null, // id → curation, loaded when a filter is used
  details: new Map(), // playlist name → its track ids
};

// A signed-out console (the login expired, or an admin removed the user)
// goes back to the sign-in page instead of retrying forever.
const live = new Live({
  stillAllowed: async () => {
    const u = await me();
    if (isStaff(u.role)) return true;
    location.replace('/login?next=' + encodeURIComponent(location.pathname + location.search));
    return false;
  },
});
const tl = new Timeline($('timeline'), { onOnset: (ms) => setOnset(ms) });

function showError(id, err) {
  const el = $(id);
  el.textContent = err ? err.message || String(err) : '';
  if (err) {
    clearTimeout(el._t);
    el._t = setTimeout(() => (el.textContent = ''), 8000);
  }
}

function room() {
  return live.rooms.get(st.room) || null;
}

// Commands: every control goes through here, so failures are shown alike.
async function cmd(type, args, errId = 'during-err') {
  try {
    const res = await live.send(type, st.room, args);
    showError(errId, null);
    return res;
  } catch (err) {
    showError(errId, err);
    return null;
  }
}

// ---- before the session ------------------------------------------------

async function loadChoices() {
  try {
    const [pls, profs] = await Promise.all([get('/api/playlists'), get('/api/profiles')]);
    st.playlists = list(pls, 'playlists');
    st.profiles = list(profs, 'profiles');
    st.defaultProfile = (profs && profs.default) || st.defaultProfile;
  } catch (err) {
    showError('before-err', err);
  }
  const sel = $('profile');
  sel.replaceChildren(...st.profiles.map((p) => new Option(p.route ? `${p.route} (${p.name})` : p.name, p.name)));
  await renderPlaylists();
}

async function loadFilterData() {
  if (!st.tracks) {
    const tracks = new Map();
    for (let offset = 0; ; offset += 500) {
      const r = await get(`/api/tracks?limit=500&offset=${offset}`);
      const page = list(r, 'tracks');
      for (const t of page) tracks.set(t.id, t.curation || {});
      if (page.length < 500 || tracks.size >= (r.total || 0)) break;
    }
    st.tracks = tracks;
  }
  await Promise.all(
    st.playlists
      .filter((p) => !st.details.has(p.name))
      .map(async (p) => {
        const pl = await get('/api/playlists/' + encodeURIComponent(p.name));
        st.details.set(p.name, (pl.phases || []).flatMap((ph) => (ph.entries || []).map((e) => e.track)));
      }),
  );
}

function passes(p, instrumental, maxIntensity) {
  if (!instrumental && !maxIntensity) return true;
  const ids = st.details.get(p.name);
  if (!ids || !st.tracks) return true;
  return ids.every((id) => {
    const c = st.tracks.get(id) || {};
    if (instrumental && c.instrumental !== 'yes') return false;
    if (maxIntensity && c.intensity > maxIntensity) return false;
    return true;
  });
}

async function renderPlaylists() {
  const q = $('pl-search').value.trim().toLowerCase();
  const instrumental = $('pl-instrumental').checked;
  const maxIntensity = Number($('pl-intensity').value);
  if (instrumental || maxIntensity) {
    try {
      await loadFilterData();
    } catch (err) {
      showError('before-err', err);
    }
  }
  const shown = st.playlists.filter(
    (p) => (!q || `${p.name} ${p.description || ''}`.toLowerCase().includes(q)) && passes(p, instrumental, maxIntensity),
  );
  const box = $('playlists');
  box.replaceChildren(
    ...shown.map((p) => {
      const lab = document.createElement('label');
      const inp = document.createElement('input');
      inp.type = 'radio';
      inp.name = 'playlist';
      inp.value = p.name;
      inp.checked = p.name === st.chosen;
      inp.addEventListener('change', () => choose(p.name));
      const txt = document.createElement('span');
      const len = p.length_ms ? ` · ${Math.round(p.length_ms / MIN)} min of music` : '';
      txt.textContent = `${p.name}`;
      const meta = document.createElement('span');
      meta.className = 'muted small';
      meta.textContent = `${p.profile || st.defaultProfile} · ${p.tracks} tracks${len}`;
      lab.append(inp, txt, meta);
      return lab;
    }),
  );
  if (!shown.length) {
    const p = document.createElement('p');
    p.className = 'muted';
    p.textContent = st.playlists.length ? 'No playlist matches.' : 'No playlists yet.';
    box.append(p);
  }
  if (!st.chosen && shown.length) choose(shown[0].name);
}

function choose(name) {
  st.chosen = name;
  const p = st.playlists.find((x) => x.name === name);
  const prof = (p && p.profile) || st.defaultProfile;
  if (st.profiles.some((x) => x.name === prof)) $('profile').value = prof;
  st.onsetMs = null;
  for (const inp of document.querySelectorAll('#playlists input')) inp.checked = inp.value === name;
  $('start').disabled = false;
  preview();
}

function setOnset(ms) {
  st.onsetMs = ms;
  $('onset-min').value = String(Math.round((ms / MIN) * 2) / 2);
  preview();
}

async function preview() {
  if (!st.chosen || mode() !== 'before') return;
  const seq = ++st.planSeq;
  const body = { playlist: st.chosen, profile: $('profile').value || undefined };
  if (st.onsetMs != null) body.onset_ms = Math.round(st.onsetMs);
  try {
    const plan = await post('/api/plan', body);
    if (seq !== st.planSeq) return; // a newer preview is on its way
    showError('before-err', null);
    const b = plan.boundaries || {};
    if (document.activeElement !== $('onset-min') && b.onset_ms != null) {
      $('onset-min').value = String(Math.round((b.onset_ms / MIN) * 2) / 2);
    }
    $('onset-min').min = String((b.onset_min_ms || 0) / MIN);
    $('onset-min').max = String((b.onset_max_ms || 60 * MIN) / MIN);
    drawPlan(plan, `preview: ${plan.playlist || st.chosen}, ${plan.profile || body.profile || ''}`);
    tl.setClock(null, false);
  } catch (err) {
    if (seq === st.planSeq) showError('before-err', err instanceof ApiError ? err : new Error(String(err)));
  }
}

function drawPlan(plan, caption) {
  const key = JSON.stringify([plan.boundaries, plan.phases, plan.items]);
  $('tl-caption').textContent = caption;
  if (key === st.planKey) return;
  st.planKey = key;
  tl.set(plan);
}

async function start() {
  if (!st.chosen) return;
  $('start').disabled = true;
  st.dismissed.clear();
  st.ended.delete(st.room);
  // The session starts on the timeline the preview showed: the onset
  // the therapist typed or dragged goes with it.
  const args = { playlist: st.chosen, profile: $('profile').value || undefined };
  if (st.onsetMs != null) args.onset_ms = Math.round(st.onsetMs);
  await cmd('start', args, 'before-err');
  $('start').disabled = false;
}

// ---- during ------------------------------------------------------------

function mode() {
  const r = room();
  const s = r && r.session;
  if (s && s.status !== 'ended') return 'during';
  const endedId = st.ended.get(st.room) || (s && s.status === 'ended' ? s.id : 0);
  if (endedId && !st.dismissed.has(endedId)) return 'after';
  return 'before';
}

function phaseName(role) {
  return role ? role[0].toUpperCase() + role.slice(1) : '—';
}

function setVal(input, v) {
  // never move a control under the therapist's finger
  if (document.activeElement === input || v == null) return;
  if (input.type === 'checkbox') input.checked = !!v;
  else input.value = String(v);
}

function renderRoom() {
  const r = room();
  const m = mode();
  $('before').hidden = m !== 'before';
  $('during').hidden = m !== 'during';
  $('side').hidden = m !== 'during';
  $('after').hidden = m !== 'after';
  if (!r) return;
  const s = r.session;
  if (s && s.id) {
    const prev = st.lastSession.get(st.room);
    st.lastSession.set(st.room, s.id);
    if (prev !== s.id && s.status !== 'ended') backfillLog(s.id);
  }
  if (m === 'before') {
    preview();
    return;
  }
  if (m === 'after') {
    renderAfter();
    return;
  }
  // during
  drawPlan({ boundaries: s.boundaries, phases: s.phases, items: s.items }, `${s.playlist} · ${s.profile}`);
  $('phase').textContent = phaseName(s.phase);
  const sounding = s.items && s.items[s.sounding];
  const engine = s.paused ? 'Paused' : r.quiet ? 'Quiet' : r.engine === 'playing' ? 'Playing' : phaseName(r.engine);
  $('engine').textContent = engine + (sounding && sounding.title ? ` · ${sounding.title}` : '');
  const dosed = !!s.dosed_at;
  $('dose-row').hidden = dosed;
  $('onset').disabled = !dosed;
  $('dose-state').textContent = dosed
    ? `Dose given at ${new Date(s.dosed_at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}` +
      (st.onsetMarked === s.id ? ' · onset marked' : '')
    : 'Arrival music plays until the dose.';
  $('pause').textContent = s.paused ? 'Resume' : 'Pause';
  $('pause').setAttribute('aria-pressed', String(!!s.paused));
  $('quiet').setAttribute('aria-pressed', String(!!r.quiet));
  $('quiet').textContent = r.quiet ? 'Leave quiet' : 'Quiet';

  const roles = (s.phases || []).map((p) => p.role).filter((x) => ROLES.includes(x));
  const sel = $('adj-phase');
  const keep = sel.value;
  const want = ['', ...roles].join(',');
  if (sel.dataset.roles !== want) {
    sel.replaceChildren(new Option('current phase', ''), ...roles.map((x) => new Option(phaseName(x), x)));
    sel.dataset.roles = want;
    if (roles.includes(keep)) sel.value = keep;
  }
  sel.options[0].textContent = `current phase (${phaseName(s.phase)})`;

  setVal($('master'), r.volume_db);
  $('master-val').textContent = `${Math.round(r.volume_db)} dB`;
  setVal($('ceiling'), r.ceiling_db);
  $('ceiling-val').textContent = `${Math.round(r.ceiling_db)} dB`;
  setVal($('pmin'), r.patient_min_db);
  setVal($('pmax'), r.patient_max_db);
  setVal($('titles'), r.show_titles);
  renderOutputs(r.outputs || []);
  tick();
}

function renderOutputs(outs) {
  const box = $('outputs');
  const want = outs.map((o) => o.name).join('\n');
  if (box.dataset.names !== want) {
    box.dataset.names = want;
    box.replaceChildren(
      ...outs.map((o, i) => {
        const row = document.createElement('div');
        row.className = 'out field';
        const lab = document.createElement('label');
        lab.htmlFor = `out-${i}`;
        lab.textContent = o.name;
        const inp = document.createElement('input');
        inp.type = 'range';
        inp.id = `out-${i}`;
        inp.min = '-60';
        inp.max = '0';
        inp.step = '1';
        inp.dataset.output = o.name;
        inp.addEventListener('input', () => (row.querySelector('.val').textContent = `${inp.value} dB`));
        inp.addEventListener('change', () => cmd('output_volume', { output: o.name, db: Number(inp.value) }));
        const val = document.createElement('span');
        val.className = 'val';
        const stat = document.createElement('span');
        stat.className = 'note';
        row.append(lab, inp, val, stat);
        return row;
      }),
    );
  }
  outs.forEach((o, i) => {
    const row = box.children[i];
    setVal(row.querySelector('input'), o.trim_db);
    row.querySelector('.val').textContent = `${Math.round(o.trim_db)} dB`;
    const bits = [o.type, o.status];
    if (o.listeners) bits.push(`${o.listeners} listening`);
    if (o.error) bits.push(o.error);
    row.querySelector('.note').textContent = bits.filter(Boolean).join(' · ');
  });
}

function tick() {
  const r = room();
  const s = r && r.session;
  if (!s || mode() !== 'during') return;
  const ms = live.clock(st.room);
  const running = r.engine === 'playing' && !s.paused;
  $('clock').textContent = !s.dosed_at ? 'not dosed' : ms == null ? '—' : fmtClock(ms);
  if (!s.dosed_at) return tl.setClock(null, false);
  tl.setClock(ms, running);
}

// Log kinds in plain words (player/session's Kind constants); others as sent.
const KINDS = {
  start: 'session set up', dose: 'dose given', onset: 'onset marked', extend: 'extend', shorten: 'shorten',
  jump: 'jump', pause: 'pause', resume: 'resume', skip: 'skip', quiet: 'quiet', volume: 'volume',
  item: 'track began', failed: 'track failed', end: 'session ended', recovered: 'recovered after a restart',
};

function logText(e) {
  const who = e.role ? `${e.role}${e.device ? ` (${e.device})` : ''}` : '';
  const what = KINDS[e.kind] || e.kind;
  return [who && `${who}:`, what, e.detail && `— ${e.detail}`, e.phase && `· ${e.phase}`].filter(Boolean).join(' ');
}

function addLog(e) {
  // Not by seq: live entries may arrive before the store numbers them
  // (seq 0), and the backlog overlaps the live stream.
  const key = `${e.session}:${e.kind}:${Date.parse(e.wall)}`;
  if (st.logSeen.has(key)) return;
  st.logSeen.add(key);
  if (e.kind === 'onset') st.onsetMarked = e.session;
  const li = document.createElement('li');
  li.dataset.kind = e.kind;
  const t = document.createElement('span');
  t.className = 't';
  t.textContent = e.dosed ? fmtClock(e.clock_ms) : new Date(e.wall).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const txt = document.createElement('span');
  txt.textContent = logText(e);
  li.append(t, txt);
  const ol = $('log');
  ol.prepend(li);
  while (ol.children.length > 300) ol.lastChild.remove();
}

async function backfillLog(id) {
  $('log').replaceChildren();
  try {
    const r = await get(`/api/sessions/${id}/log?format=json`);
    for (const e of list(r, 'entries')) addLog(e);
  } catch {
    // the live log still arrives; an empty backlog is not worth alarming anyone
  }
  renderRoom();
}

// ---- after -------------------------------------------------------------

async function renderAfter() {
  const id = st.ended.get(st.room) || (room() && room().session && room().session.id);
  if (!id || $('after').dataset.id === String(id)) return;
  $('after').dataset.id = String(id);
  $('csv').href = `/api/sessions/${id}/log?format=csv`;
  $('json').href = `/api/sessions/${id}/log?format=json`;
  const dl = $('summary');
  dl.replaceChildren();
  try {
    const rec = await get(`/api/sessions/${id}`);
    const sum = rec.summary || {};
    const time = (t) => (t ? new Date(t).toLocaleString() : '—');
    const rows = [
      ['Playlist', rec.playlist],
      ['Profile', rec.profile],
      ['Started', time(rec.created)],
      ['Dose', time(rec.dosed_at)],
      ['Onset', sum.onset_ms != null ? `${fmtClock(sum.onset_ms)} after the dose` : 'not marked'],
      ['Ended', `${time(rec.ended)}${sum.ended ? ` (${sum.ended})` : ''}`],
      ['Pauses', String((sum.pauses || []).length)],
      ['Skips', String((sum.skips || []).length)],
      ['Tracks played', String((sum.played || []).length)],
      ['Log entries', String(sum.entries ?? '—')],
    ];
    for (const [k, v] of rows) {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v == null ? '—' : String(v);
      dl.append(dt, dd);
    }
  } catch (err) {
    const dd = document.createElement('dd');
    dd.textContent = `The summary could not be loaded: ${err.message}`;
    dl.append(dd);
  }
}

// ---- wiring ------------------------------------------------------------

function renderRooms() {
  const sel = $('room');
  const ids = [...live.rooms.keys()];
  if (sel.dataset.ids !== ids.join(',')) {
    sel.replaceChildren(...[...live.rooms.values()].map((r) => new Option(r.name, r.id)));
    sel.dataset.ids = ids.join(',');
  }
  if (!live.rooms.has(st.room)) st.room = ids[0] || '';
  sel.value = st.room;
}

function onRoom(r) {
  const s = r.session;
  const prev = st.lastSession.get(r.id);
  // a session that was running here and is gone or ended: summarise it
  if ((!s && prev) || (s && s.status === 'ended')) st.ended.set(r.id, s ? s.id : prev);
  if (r.id === st.room) renderRoom();
}

function wire() {
  $('room').addEventListener('change', () => {
    st.room = $('room').value;
    st.planKey = '';
    renderRoom();
  });
  $('signout').addEventListener('click', async () => {
    try {
      await post('/api/logout');
    } finally {
      location.assign('/login');
    }
  });
  $('pl-search').addEventListener('input', renderPlaylists);
  $('pl-instrumental').addEventListener('change', renderPlaylists);
  $('pl-intensity').addEventListener('change', renderPlaylists);
  $('profile').addEventListener('change', () => {
    st.onsetMs = null;
    preview();
  });
  $('onset-min').addEventListener('change', () => {
    const v = Number($('onset-min').value);
    if (Number.isFinite(v)) setOnset(v * MIN);
  });
  $('start').addEventListener('click', start);
  $('dose').addEventListener('click', () => {
    const ago = Math.max(0, Math.min(30, Number($('dose-ago').value) || 0));
    cmd('dose', ago ? { back_s: Math.round(ago * 60) } : {});
  });
  $('onset').addEventListener('click', () => cmd('onset'));
  const adj = (type) => () => {
    const r = room();
    const phase = $('adj-phase').value || (r && r.session && r.session.phase);
    cmd(type, { phase, by_s: 300 });
  };
  $('extend').addEventListener('click', adj('extend'));
  $('shorten').addEventListener('click', adj('shorten'));
  $('jump').addEventListener('click', () => {
    const phase = $('adj-phase').value;
    if (!phase) return showError('during-err', new Error('Choose the phase to jump to.'));
    cmd('jump', { phase });
  });
  $('pause').addEventListener('click', () => {
    const r = room();
    cmd(r && r.session && r.session.paused ? 'resume' : 'pause');
  });
  $('skip').addEventListener('click', () => cmd('skip'));
  $('quiet').addEventListener('click', () => cmd('quiet', { on: !(room() && room().quiet) }));
  $('master').addEventListener('input', () => ($('master-val').textContent = `${$('master').value} dB`));
  $('master').addEventListener('change', () => cmd('volume', { db: Number($('master').value) }));
  $('ceiling').addEventListener('input', () => ($('ceiling-val').textContent = `${$('ceiling').value} dB`));
  $('ceiling').addEventListener('change', () => cmd('ceiling', { db: Number($('ceiling').value) }));
  const range = () => cmd('patient_range', { min_db: Number($('pmin').value), max_db: Number($('pmax').value) });
  $('pmin').addEventListener('change', range);
  $('pmax').addEventListener('change', range);
  $('titles').addEventListener('change', () => cmd('titles', { on: $('titles').checked }));
  $('pair').addEventListener('click', async () => {
    const res = await cmd('pair');
    if (!res) return;
    $('pair-code').textContent = res.code;
    $('pair-url').textContent = res.url || location.origin + '/pair';
    $('pair-exp').textContent = res.expires ? new Date(res.expires).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : '';
    if (res.qr) $('pair-qr').src = res.qr;
    $('pair-qr').hidden = !res.qr;
    $('pairbox').hidden = false;
  });
  const endUI = (confirming) => {
    $('end').hidden = confirming;
    $('end-confirm').hidden = !confirming;
    $('end-cancel').hidden = !confirming;
  };
  $('end').addEventListener('click', () => {
    endUI(true);
    $('end-cancel').focus();
  });
  $('end-cancel').addEventListener('click', () => endUI(false));
  $('end-confirm').addEventListener('click', async () => {
    endUI(false);
    const r = room();
    const id = r && r.session && r.session.id;
    if ((await cmd('end', { why: 'the therapist ended it' })) && id) st.ended.set(st.room, id);
    renderRoom();
  });
  $('new').addEventListener('click', () => {
    const id = st.ended.get(st.room);
    if (id) st.dismissed.add(id);
    st.ended.delete(st.room);
    st.planKey = '';
    $('after').dataset.id = '';
    renderRoom();
  });

  live.addEventListener('status', (ev) => {
    const el = $('conn');
    el.dataset.state = ev.detail;
    el.textContent = { open: 'live', connecting: 'connecting…', down: 'reconnecting…', stopped: 'offline' }[ev.detail] || ev.detail;
  });
  live.addEventListener('hello', () => queueMicrotask(renderRooms));
  live.addEventListener('room', (ev) => {
    renderRooms();
    onRoom(ev.detail);
  });
  live.addEventListener('log', (ev) => {
    if (ev.detail.room !== st.room) return;
    addLog(ev.detail.entry);
    renderRoom();
  });
  setInterval(tick, 250);
}

async function main() {
  st.me = await requireStaff();
  $('who').textContent = `${st.me.name} (${st.me.role})`;
  const admin = st.me.role === 'admin';
  $('ceiling').disabled = !admin;
  $('ceiling-note').hidden = admin;
  wire();
  live.start();
  await loadChoices();
  renderRoom();
}

main();
