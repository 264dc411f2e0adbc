// mock.js: a stand-in attune for page tests that need no daemon. Requests
// from a browser context are answered in the test process: the embedded
// pages straight from server/web/static, a few API replies, and a /ws that
// speaks docs/protocol.md v1 well enough for the pages' logic. Several
// contexts (console, tablet) share one mock room, as they would a server.
import { readFileSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const STATIC = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'server', 'web', 'static');
export const MOCK_URL = 'http://attune.test';
const CSP = "default-src 'self'; img-src 'self' data:; media-src 'self'; connect-src 'self'; frame-ancestors 'none'";
const PAGES = { '/': 'console.html', '/t': 'tablet.html', '/pair': 'pair.html', '/login': 'login.html', '/setup': 'setup.html' };
const MIN = 60000;
// a 1×1 PNG as the pairing QR code
const QR = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==';

function plan(onset = 12.5 * MIN) {
  const b = {
    onset_ms: onset, effect_end_ms: onset + 37.5 * MIN, return_end_ms: onset + 55 * MIN,
    observation_end_ms: 120 * MIN, onset_min_ms: 10 * MIN, onset_max_ms: 15 * MIN,
  };
  const phases = [
    { role: 'settling', start_ms: 0, end_ms: b.onset_ms, fit_error_ms: 0, fill: 'silence', filled_ms: 0 },
    { role: 'journey', start_ms: b.onset_ms, end_ms: b.effect_end_ms, fit_error_ms: -20000, fill: 'drone', filled_ms: 20000 },
    { role: 'return', start_ms: b.effect_end_ms, end_ms: b.return_end_ms, fit_error_ms: 0, fill: 'silence', filled_ms: 0 },
    { role: 'integration', start_ms: b.return_end_ms, end_ms: b.observation_end_ms, fit_error_ms: 0, fill: 'loop', filled_ms: 0 },
  ];
  const items = [];
  for (const ph of phases) {
    for (let t = ph.start_ms; t < ph.end_ms; t += 6 * MIN) {
      items.push({ track: `t${items.length}`, title: `Piece ${items.length + 1}`, artist: 'Mock', phase: ph.role,
        start_ms: t, end_ms: Math.min(ph.end_ms, t + 6 * MIN), fade_in_ms: 0, fade_out_ms: 0, fill: '' });
    }
  }
  return { boundaries: b, phases, items };
}

/** One mock server: its room, its clients and the commands it received. */
export class MockAttune {
  constructor() {
    this.commands = [];
    this.sockets = new Set(); // {ws, role}
    this.seq = 0;
    this.down = false; // refuse WebSocket connections, as a network blip would
    this.room = {
      id: 'room-1', name: 'Room 1', engine: 'idle', volume_db: -12, ceiling_db: -1, patient_min_db: -30,
      patient_max_db: -6, quiet: false, show_titles: false, underruns: 0, listeners: 0,
      outputs: [{ name: 'speakers', type: 'speaker', trim_db: 0, status: 'ok', underruns: 0, listeners: 0, error: '' },
        { name: 'stream', type: 'stream', trim_db: -3, status: 'ok', underruns: 0, listeners: 0, error: '' }],
      session: null,
    };
  }

  /** Drops every WebSocket connection and refuses new ones until up(). */
  blip() {
    this.down = true;
    for (const c of this.sockets) c.ws.close({ code: 1001, reason: 'gone' });
    this.sockets.clear();
  }

  up() {
    this.down = false;
  }

  patientView() {
    const r = this.room, s = r.session;
    return { id: r.id, name: r.name, playing: r.engine === 'playing', paused: !!(s && s.paused), quiet: r.quiet,
      phase: s ? s.phase : '', volume_db: r.volume_db, can_softer: true, can_louder: true, title: '' };
  }

  push() {
    for (const c of this.sockets) {
      c.ws.send(JSON.stringify({ type: 'room', server_time: new Date().toISOString(), room: c.role === 'patient' ? this.patientView() : this.room }));
    }
  }

  log(kind, role) {
    const s = this.room.session;
    const entry = { seq: ++this.seq, session: s ? s.id : 0, wall: new Date().toISOString(), clock_ms: s ? s.clock_ms : 0,
      dosed: !!(s && s.dosed_at), role, device: role === 'patient' ? 'iPad' : 'browser', kind, detail: '', phase: s ? s.phase : '', track: '' };
    for (const c of this.sockets) if (c.role !== 'patient') c.ws.send(JSON.stringify({ type: 'log', room: this.room.id, entry }));
  }

  command(m, role) {
    this.commands.push({ role, type: m.type, args: m.args || {} });
    const r = this.room;
    const s = r.session;
    const need = () => {
      if (!s) throw Object.assign(new Error('the room has no session'), { code: 'conflict' });
    };
    let result;
    switch (m.type) {
      case 'start':
        r.session = { id: 7, playlist: m.args.playlist, profile: m.args.profile || 'intranasal', status: 'arrival',
          created: new Date().toISOString(), dosed_at: null, clock_ms: 0, paused: false, phase: 'arrival', ...plan(), sounding: 0 };
        r.engine = 'playing';
        break;
      case 'dose': need(); s.dosed_at = new Date(Date.now() - (m.args.back_s || 0) * 1000).toISOString(); s.clock_ms = (m.args.back_s || 0) * 1000; s.status = 'running'; s.phase = 'settling'; break;
      case 'onset': need(); Object.assign(s, plan(Math.max(10 * MIN, s.clock_ms))); s.phase = 'journey'; break;
      case 'pause': need(); s.paused = true; break;
      case 'resume': need(); s.paused = false; break;
      case 'skip': need(); s.sounding++; break;
      case 'quiet': r.quiet = !!m.args.on; break;
      case 'volume': r.volume_db = m.args.db; break;
      case 'pair': result = { code: '482913', expires: new Date(Date.now() + 10 * MIN).toISOString(), url: `${MOCK_URL}/pair`, qr: QR }; break;
      case 'end': need(); s.status = 'ended'; r.engine = 'idle'; break;
      default: break;
    }
    return result;
  }

  /** Makes context talk to this mock as role ('therapist', 'admin', 'patient' or '' before pairing). */
  async attach(context, role) {
    const who = { role };
    await context.route(`${MOCK_URL}/**`, async (route) => {
      const req = route.request();
      const url = new URL(req.url());
      const json = (body, status = 200) => route.fulfill({ status, contentType: 'application/json', body: JSON.stringify(body) });
      if (PAGES[url.pathname] || url.pathname.startsWith('/static/')) {
        const name = PAGES[url.pathname] || url.pathname.slice('/static/'.length);
        const type = name.endsWith('.js') ? 'text/javascript' : name.endsWith('.css') ? 'text/css' : 'text/html';
        try {
          return route.fulfill({ status: 200, contentType: type, headers: { 'Content-Security-Policy': CSP }, body: readFileSync(join(STATIC, name)) });
        } catch {
          return route.fulfill({ status: 404, body: 'not found' });
        }
      }
      switch (`${req.method()} ${url.pathname}`) {
        case 'GET /api/me': return json({ role: who.role, name: who.role === 'patient' ? '' : who.role, room: who.role === 'patient' ? 'room-1' : '', expires: null });
        case 'POST /api/login': who.role = 'therapist'; return json({ name: 'dana', role: 'therapist' });
        case 'POST /api/pair':
          if (JSON.parse(req.postData() || '{}').code !== '482913') return json({ error: { code: 'unauthorized', message: 'wrong code' } }, 401);
          who.role = 'patient';
          return json({ room: 'room-1', expires: null });
        case 'GET /api/profiles': return json({ default: 'intranasal', profiles: [{ name: 'intranasal', route: 'Intranasal' }, { name: 'intramuscular', route: 'Intramuscular' }] });
        case 'GET /api/playlists': return json({ playlists: [
          { name: 'Gentle arc', description: 'demo', profile: 'intranasal', phases: 4, tracks: 12, length_ms: 110 * MIN, dangling: 0 },
          { name: 'Deep water', description: 'demo', profile: 'intramuscular', phases: 4, tracks: 9, length_ms: 100 * MIN, dangling: 0 }] });
        case 'POST /api/plan': {
          const body = JSON.parse(req.postData() || '{}');
          this.commands.push({ role: who.role, type: 'plan', args: body });
          return json({ playlist: body.playlist, profile: body.profile, ...plan(body.onset_ms) });
        }
        case 'GET /api/sessions/7': return json({ id: 7, playlist: 'Gentle arc', profile: 'intranasal', status: 'ended', created: new Date().toISOString(), dosed_at: null, ended: new Date().toISOString(), summary: { played: [], pauses: [], skips: [], onset_ms: null, entries: 3, ended: 'the therapist ended it' } });
        case 'GET /api/sessions/7/log': return json({ session: 7, entries: [] });
        default: return json({ error: { code: 'not_found', message: `mock: no ${url.pathname}` } }, 404);
      }
    });
    await context.routeWebSocket(`${MOCK_URL.replace('http', 'ws')}/ws`, (ws) => {
      if (!who.role || this.down) {
        ws.close({ code: 1008, reason: 'unauthorized' });
        return;
      }
      const c = { ws, role: who.role };
      this.sockets.add(c);
      ws.onClose(() => this.sockets.delete(c));
      ws.send(JSON.stringify({ type: 'hello', protocol: 1, server_time: new Date().toISOString(),
        you: { role: who.role, name: '', room: who.role === 'patient' ? 'room-1' : '' },
        rooms: [who.role === 'patient' ? this.patientView() : this.room] }));
      ws.onMessage((data) => {
        const m = JSON.parse(String(data));
        try {
          const result = this.command(m, who.role);
          ws.send(JSON.stringify({ type: 'ack', id: m.id, ...(result ? { result } : {}) }));
          if (m.type !== 'pair' && m.type !== 'ping') {
            this.log(m.type, who.role);
            this.push();
          }
        } catch (err) {
          ws.send(JSON.stringify({ type: 'error', id: m.id, code: err.code || 'internal', message: err.message }));
        }
      });
    });
  }
}
