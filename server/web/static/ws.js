// ws.js: the live-control WebSocket client (docs/protocol.md, version 1).
//
// One Live per page. It connects to /ws with the page's cookie, keeps the
// rooms from hello/room messages, turns commands into promises settled by
// the ack or error carrying the same id, and reconnects after a drop with
// exponential backoff from 0.5 s to 10 s with jitter, so a restarted server
// is not hit by every tablet at the same instant. It emits:
//   status  {detail: 'connecting' | 'open' | 'down' | 'stopped'}
//   hello   {detail: hello message}
//   room    {detail: room}       (also once per room after each hello)
//   log     {detail: {room, entry}}
//   bye     {detail: {reason}}

/** A command's failure: the protocol error code and message. */
export class CommandError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'CommandError';
    this.code = code;
  }
}

/** The next reconnect delay, ms: doubling from min to max, with ±25 % jitter. */
export function backoff(attempt, min = 500, max = 10000, rand = Math.random) {
  const base = Math.min(max, min * 2 ** Math.max(0, attempt));
  return Math.round(Math.min(max, base * (0.75 + rand() * 0.5)));
}

export class Live extends EventTarget {
  /**
   * @param {object} [opts]
   * @param {string} [opts.url] the WebSocket URL; default this origin's /ws
   * @param {() => Promise<boolean>} [opts.stillAllowed] asked before each
   *   reconnect; resolving false stops reconnecting (a tablet whose token expired)
   * @param {number} [opts.timeoutMs] how long a command waits for its reply
   */
  constructor(opts = {}) {
    super();
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    this.url = opts.url || `${proto}//${location.host}/ws`;
    this.stillAllowed = opts.stillAllowed || (async () => true);
    this.timeoutMs = opts.timeoutMs || 10000;
    this.rooms = new Map(); // id → room as the server last sent it
    this.received = new Map(); // id → performance.now() when it arrived
    this.you = null;
    this.status = 'stopped';
    this.sock = null;
    this.pending = new Map(); // command id → {resolve, reject, timer}
    this.seq = 0;
    this.attempt = 0;
    this.timer = 0;
    this.stopped = true;
  }

  /** Connects and keeps connected until stop. */
  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  /** Closes the connection and stops reconnecting; pending commands fail. */
  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.sock) this.sock.close(1000, 'bye');
    this.sock = null;
    this.failPending('offline', 'The connection was closed.');
    this.setStatus('stopped');
  }

  /**
   * Sends a command; resolves to the ack's result (or {}), rejects with a
   * CommandError. room may be '' for a patient (its own room).
   */
  send(type, room, args) {
    return new Promise((resolve, reject) => {
      if (!this.sock || this.sock.readyState !== WebSocket.OPEN) {
        reject(new CommandError('offline', 'Not connected; trying again.'));
        return;
      }
      const id = 'c' + ++this.seq;
      const msg = { id, type };
      if (room) msg.room = room;
      if (args && Object.keys(args).length) msg.args = args;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new CommandError('timeout', 'The server did not answer in time.'));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.sock.send(JSON.stringify(msg));
    });
  }

  /**
   * The room's drug clock now, ms, extrapolated from its last message: it
   * runs in real time while the engine plays and the session is not paused.
   */
  clock(id) {
    const r = this.rooms.get(id);
    const s = r && r.session;
    if (!s || typeof s.clock_ms !== 'number') return null;
    const running = r.engine === 'playing' && !s.paused && s.status !== 'ended';
    const since = performance.now() - (this.received.get(id) || performance.now());
    return running ? s.clock_ms + since : s.clock_ms;
  }

  connect() {
    if (this.stopped) return;
    this.setStatus('connecting');
    let sock;
    try {
      sock = new WebSocket(this.url);
    } catch {
      this.retry();
      return;
    }
    this.sock = sock;
    sock.onopen = () => {
      this.attempt = 0;
      this.setStatus('open');
    };
    sock.onmessage = (ev) => this.onMessage(ev.data);
    sock.onclose = () => {
      if (this.sock !== sock) return;
      this.sock = null;
      this.failPending('offline', 'The connection dropped; trying again.');
      if (!this.stopped) {
        this.setStatus('down');
        this.retry();
      }
    };
    // onerror is always followed by onclose, which does the work.
    sock.onerror = () => {};
  }

  retry() {
    clearTimeout(this.timer);
    const delay = backoff(this.attempt++);
    this.timer = setTimeout(async () => {
      let ok = true;
      try {
        ok = await this.stillAllowed();
      } catch {
        ok = true; // the server is unreachable: keep trying
      }
      if (!ok) {
        this.stopped = true;
        this.setStatus('stopped');
        return;
      }
      this.connect();
    }, delay);
  }

  onMessage(data) {
    let m;
    try {
      m = JSON.parse(data);
    } catch {
      return;
    }
    switch (m.type) {
      case 'hello':
        this.you = m.you || null;
        this.rooms.clear();
        this.emit('hello', m);
        for (const r of m.rooms || []) this.putRoom(r);
        break;
      case 'room':
        if (m.room) this.putRoom(m.room);
        break;
      case 'log':
        this.emit('log', { room: m.room, entry: m.entry });
        break;
      case 'ack':
      case 'error': {
        const p = m.id && this.pending.get(m.id);
        if (p) {
          this.pending.delete(m.id);
          clearTimeout(p.timer);
          if (m.type === 'ack') p.resolve(m.result || {});
          else p.reject(new CommandError(m.code || 'error', m.message || 'The command failed.'));
        }
        break;
      }
      case 'bye':
        this.emit('bye', { reason: m.reason || m.message || '' });
        break;
      default:
      // newer server messages: ignored (protocol versioning rule)
    }
  }

  putRoom(r) {
    this.rooms.set(r.id, r);
    this.received.set(r.id, performance.now());
    this.emit('room', r);
  }

  failPending(code, message) {
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new CommandError(code, message));
    }
    this.pending.clear();
  }

  setStatus(s) {
    if (this.status === s) return;
    this.status = s;
    this.emit('status', s);
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
