// admin-mock.js: a stand-in attune for the admin page's tests that need no
// daemon: the embedded files from server/web/static and the library,
// playlist, user and room routes of docs/api.md over an in-memory store.
// An upload is judged by its bytes as the real import would at a glance: a
// RIFF/WAVE file is added (or found again by its content), anything else is
// rejected.
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const STATIC = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'server', 'web', 'static');
export const ADMIN_MOCK_URL = 'http://attune-admin.test';
const CSP = "default-src 'self'; img-src 'self' data:; media-src 'self'; connect-src 'self'; frame-ancestors 'none'";
const PAGES = { '/admin': 'admin.html', '/login': 'login.html' };

function track(id, title, over = {}) {
  return {
    id, title, artist: 'Mock', album: 'Demo', duration_ms: 180000 + id.length * 1000, format: 'flac', sample_rate: 48000,
    channels: 2, bit_depth: 24, added: '2026-11-29T10:00:00Z', path: `/lib/${id}.flac`, has_artwork: false,
    curation: { instrumental: 'yes', intensity: 2, moods: ['calm'], notes: '' },
    loudness: { integrated_lufs: -20.5, true_peak_dbtp: -3.1, lra: 5, silent: false, current: true },
    analysis: { state: 'done', error: '' },
    ...over,
  };
}

/** Splits a multipart body into its file parts: [{name, data}]. */
export function fileParts(body, contentType) {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType || '');
  if (!m) return [];
  const sep = Buffer.from('--' + (m[1] || m[2]));
  const out = [];
  let at = body.indexOf(sep);
  while (at >= 0) {
    const next = body.indexOf(sep, at + sep.length);
    if (next < 0) break;
    const part = body.subarray(at + sep.length + 2, next - 2); // CRLF after the boundary and before the next
    const head = part.indexOf('\r\n\r\n');
    const headers = part.subarray(0, head).toString();
    const fn = /name="file"; filename="([^"]*)"/.exec(headers);
    if (fn) out.push({ name: fn[1], data: part.subarray(head + 4) });
    at = next;
  }
  return out;
}

/** One mock server with what it stored and every change it was asked for. */
export class AdminMock {
  constructor() {
    this.requests = []; // {method, path, body}
    this.tracks = [
      track('aaaa0001', 'Open Sky'), track('aaaa0002', 'Slow River', { curation: { instrumental: 'no', intensity: 4, moods: [], notes: '' } }),
      track('aaaa0003', 'Warm Field', { loudness: null, analysis: { state: 'pending', error: '' } }),
    ];
    this.hashes = new Map(); // content hash → track id
    this.playlists = new Map([['Gentle arc', {
      name: 'Gentle arc', description: 'demo', author: '', profile: 'intranasal', transition_ms: 0,
      phases: [{ role: 'settling', crossfade_ms: 8000, level_db: 0, fill: 'silence', entries: [
        { track: 'aaaa0001', must_play: true }, { track: 'aaaa0002', must_play: false }, { track: 'aaaa0003', must_play: false }] },
      { role: 'journey', crossfade_ms: 0, level_db: 0, fill: 'drone', entries: [] }],
    }]]);
    this.users = [{ name: 'admin', role: 'admin', created: '2026-11-01T09:00:00Z' }, { name: 'dana', role: 'therapist', created: '2026-11-02T09:00:00Z' }];
    this.rooms = [{ id: 'room-1', name: 'Room 1', engine: 'idle', volume_db: -12, ceiling_db: -1, patient_min_db: -30, patient_max_db: -6,
      outputs: [{ name: 'speakers', type: 'speaker', trim_db: 0, status: 'ok', error: '' },
        { name: 'stream', type: 'stream', trim_db: -3, status: 'failed', error: 'encoder missing' }], session: null }];
  }

  filled(pl) {
    return { ...pl, phases: pl.phases.map((ph) => ({ ...ph, entries: ph.entries.map((e) => {
      const t = this.tracks.find((x) => x.id === e.track);
      return { track: e.track, must_play: !!e.must_play, title: t ? t.title : '', artist: t ? t.artist : '', duration_ms: t ? t.duration_ms : 0, missing: !t };
    }) })) };
  }

  list(url) {
    const q = (url.searchParams.get('q') || '').toLowerCase();
    const instr = url.searchParams.get('instrumental');
    const inten = Number(url.searchParams.get('intensity') || 0);
    const sort = url.searchParams.get('sort') || 'title';
    const desc = url.searchParams.get('order') === 'desc';
    const key = { title: (t) => t.title, artist: (t) => t.artist, duration: (t) => t.duration_ms, intensity: (t) => t.curation.intensity,
      loudness: (t) => (t.loudness ? t.loudness.integrated_lufs : -99), added: (t) => t.added, album: (t) => t.album }[sort];
    let ts = this.tracks.filter((t) => (!q || `${t.title} ${t.artist} ${t.curation.moods.join(' ')} ${t.curation.notes}`.toLowerCase().includes(q))
      && (!instr || t.curation.instrumental === instr) && (!inten || t.curation.intensity === inten));
    ts = ts.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0) * (desc ? -1 : 1));
    const off = Number(url.searchParams.get('offset') || 0);
    const lim = Number(url.searchParams.get('limit') || 100);
    return { tracks: ts.slice(off, off + lim), total: ts.length };
  }

  upload(files) {
    const results = files.map(({ name, data }) => {
      if (data.subarray(0, 4).toString() !== 'RIFF' || data.subarray(8, 12).toString() !== 'WAVE') {
        return { name, status: 'rejected', error: 'not an audio file attune plays', code: 'bad_request', track: null };
      }
      const h = createHash('sha256').update(data).digest('hex');
      const known = this.hashes.get(h);
      if (known) return { name, status: 'exists', error: '', code: '', track: this.tracks.find((t) => t.id === known) };
      const t = track(h.slice(0, 24), name.replace(/\.[^.]+$/, ''), { format: 'wav', analysis: { state: 'pending', error: '' }, loudness: null });
      this.tracks.push(t);
      this.hashes.set(h, t.id);
      return { name, status: 'added', error: '', code: '', track: t };
    });
    const n = (s) => results.filter((r) => r.status === s).length;
    return { results, summary: { added: n('added'), exists: n('exists'), rejected: n('rejected') } };
  }

  /** Makes context talk to this mock, signed in as role ('admin', 'therapist' or ''). */
  async attach(context, role) {
    await context.route(`${ADMIN_MOCK_URL}/**`, async (route) => {
      const req = route.request();
      const url = new URL(req.url());
      const json = (body, status = 200) => route.fulfill({ status, contentType: 'application/json', body: JSON.stringify(body) });
      const fail = (status, code, message) => json({ error: { code, message } }, status);
      if (PAGES[url.pathname] || url.pathname.startsWith('/static/')) {
        const name = PAGES[url.pathname] || url.pathname.slice('/static/'.length);
        const type = name.endsWith('.js') ? 'text/javascript' : name.endsWith('.css') ? 'text/css' : 'text/html';
        try {
          return route.fulfill({ status: 200, contentType: type, headers: { 'Content-Security-Policy': CSP }, body: readFileSync(join(STATIC, name)) });
        } catch {
          return route.fulfill({ status: 404, body: 'not found' });
        }
      }
      const method = req.method();
      const raw = req.postDataBuffer();
      let body = null;
      if (raw && /json/.test(req.headers()['content-type'] || '')) body = JSON.parse(raw.toString());
      this.requests.push({ method, path: url.pathname + url.search, body });
      if (url.pathname === '/api/me') return json({ role, name: role ? (role === 'admin' ? 'admin' : 'dana') : '', room: '', expires: null });
      if (!role) return fail(401, 'unauthorized', 'sign in first');
      const admin = role === 'admin';
      const p = url.pathname.split('/').slice(1).map(decodeURIComponent); // ['api', 'tracks', id]
      const key = `${method} /${p.slice(0, 2).join('/')}${p.length > 2 ? '/:' : ''}${p.length > 3 ? '/' + p[3] : ''}`;
      switch (key) {
        case 'GET /api/tracks': return json(this.list(url));
        case 'POST /api/tracks': {
          if (!admin) return fail(403, 'forbidden', 'a therapist may not do this');
          const files = fileParts(raw || Buffer.alloc(0), req.headers()['content-type']);
          if (!files.length) return fail(400, 'bad_request', 'no file part');
          return json(this.upload(files));
        }
        case 'PATCH /api/tracks/:': {
          const t = this.tracks.find((x) => x.id === p[2]);
          if (!t) return fail(404, 'not_found', 'no such track');
          if (body.intensity !== undefined && (body.intensity < 0 || body.intensity > 5)) return fail(400, 'bad_request', 'intensity: 0–5');
          Object.assign(t.curation, body);
          return json(t);
        }
        case 'DELETE /api/tracks/:': {
          if (!admin) return fail(403, 'forbidden', 'a therapist may not do this');
          const using = [...this.playlists.values()].filter((pl) => pl.phases.some((ph) => ph.entries.some((e) => e.track === p[2]))).map((pl) => pl.name);
          if (using.length && url.searchParams.get('force') !== 'true') return fail(409, 'conflict', `used by playlist ${using.map((n) => `"${n}"`).join(', ')}`);
          this.tracks = this.tracks.filter((x) => x.id !== p[2]);
          return route.fulfill({ status: 204 });
        }
        case 'GET /api/profiles': return json({ default: 'intranasal', profiles: [{ name: 'intranasal', route: 'Intranasal' }, { name: 'intramuscular', route: 'Intramuscular' }] });
        case 'GET /api/playlists': return json({ playlists: [...this.playlists.values()].map((pl) => ({ name: pl.name, description: pl.description, profile: pl.profile,
          phases: pl.phases.length, tracks: pl.phases.reduce((s, ph) => s + ph.entries.length, 0), length_ms: 0, dangling: 0 })) });
        case 'POST /api/playlists':
          if (this.playlists.has(body.name)) return fail(409, 'conflict', 'a playlist of that name exists');
          this.playlists.set(body.name, { description: '', author: '', profile: '', transition_ms: 0, ...body });
          return json(this.filled(this.playlists.get(body.name)), 201);
        case 'GET /api/playlists/:': {
          const pl = this.playlists.get(p[2]);
          return pl ? json(this.filled(pl)) : fail(404, 'not_found', 'no such playlist');
        }
        case 'PUT /api/playlists/:':
          this.playlists.set(p[2], { ...body, phases: body.phases.map((ph) => ({ ...ph, entries: ph.entries.map((e) => ({ track: e.track, must_play: e.must_play })) })) });
          return json(this.filled(this.playlists.get(p[2])));
        case 'GET /api/users': return admin ? json(this.users) : fail(403, 'forbidden', 'admins only');
        case 'PUT /api/users/:/password': return route.fulfill({ status: 204 });
        case 'POST /api/users':
          this.users.push({ name: body.name, role: body.role, created: new Date().toISOString() });
          return json({}, 201);
        case 'GET /api/rooms': return json({ rooms: this.rooms });
        case 'PATCH /api/rooms/:': {
          const r = this.rooms.find((x) => x.id === p[2]);
          Object.assign(r, { ceiling_db: body.ceiling_db, patient_min_db: body.patient_min_db, patient_max_db: body.patient_max_db });
          for (const o of r.outputs) if (body.trims && o.name in body.trims) o.trim_db = body.trims[o.name];
          return json(r);
        }
        default: return fail(404, 'not_found', `mock: no ${method} ${url.pathname}`);
      }
    });
  }
}
