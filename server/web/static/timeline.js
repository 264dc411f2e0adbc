// timeline.js: draws a session's plan on the drug clock as SVG.
//
//   effect windows  ░onset window░ effect ─────── return ── | observe until
//   phases          settling | journey           | return | integration
//   tracks          ▮▮▮ ▮▮▮▮ ▮▮ …
//   axis            0 (dose)   15   30   45 …                       120 min
//
// The planned onset is a draggable, keyboard-operable marker; moving it
// calls onOnset(ms) so the page can re-plan. The playhead moves on its own
// between server messages, extrapolated from the last clock reading.

const NS = 'http://www.w3.org/2000/svg';
const MIN = 60000;

/** m:ss or h:mm:ss for ms on the drug clock. */
export function fmtClock(ms) {
  const neg = ms < 0;
  let s = Math.round(Math.abs(ms) / 1000);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const body = h ? `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}` : `${m}:${String(s).padStart(2, '0')}`;
  return (neg ? '−' : '') + body;
}

/** How a phase's tracks fit its span: "fits", "0:12 over", "1:05 short", "filled". */
export function phaseFit(phase, items) {
  // The plan preview says it directly (docs/api.md: fit_error_ms, filled_ms).
  if (typeof phase.fit_error_ms === 'number') {
    const e = phase.fit_error_ms;
    if (Math.abs(e) < 1000) return 'fits';
    if (e > 0) return `${fmtClock(e)} cut`;
    return phase.filled_ms > 0 && phase.fill ? `${fmtClock(-e)} ${phase.fill}` : `${fmtClock(-e)} short`;
  }
  const mine = items.filter((it) => it.phase === phase.role && it.start_ms < phase.end_ms && it.end_ms > phase.start_ms);
  if (!mine.length) return 'no tracks';
  if (mine.some((it) => it.fill)) return 'filled';
  const end = Math.max(...mine.map((it) => it.end_ms));
  const diff = end - phase.end_ms;
  if (Math.abs(diff) < 1000) return 'fits';
  return diff > 0 ? `${fmtClock(diff)} over` : `${fmtClock(-diff)} short`;
}

function el(name, attrs, parent) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (parent) parent.appendChild(e);
  return e;
}

function text(parent, x, y, s, cls) {
  const t = el('text', { x, y, class: cls || '' }, parent);
  t.textContent = s;
  return t;
}

export class Timeline {
  /**
   * @param {SVGSVGElement} svg an empty <svg> in the page
   * @param {object} [opts]
   * @param {(ms: number) => void} [opts.onOnset] called while and after the
   *   onset marker moves (throttled while dragging); no marker drag without it
   */
  constructor(svg, opts = {}) {
    this.svg = svg;
    this.onOnset = opts.onOnset || null;
    this.plan = null;
    this.clockMs = null;
    this.clockAt = 0;
    this.running = false;
    this.width = 1000;
    this.height = 190;
    this.tick = setInterval(() => this.movePlayhead(), 250);
    this.resize = new ResizeObserver(() => {
      const w = Math.round(this.svg.getBoundingClientRect().width);
      if (w > 0 && w !== this.width) {
        this.width = w;
        this.render();
      }
    });
    this.resize.observe(svg);
  }

  /** Stops the playhead's timer and the resize observer. */
  stop() {
    clearInterval(this.tick);
    this.resize.disconnect();
  }

  /**
   * Draws plan: {boundaries: {onset_ms, effect_end_ms, return_end_ms,
   * observation_end_ms, onset_min_ms, onset_max_ms}, phases: [{role,
   * start_ms, end_ms}], items: [{title, phase, start_ms, end_ms, fill}]}.
   */
  set(plan) {
    this.plan = plan;
    this.render();
  }

  /** Sets the playhead: the drug clock now (ms; null hides it), running or held. */
  setClock(ms, running) {
    this.clockMs = ms;
    this.clockAt = performance.now();
    this.running = !!running;
    this.movePlayhead();
  }

  span() {
    const p = this.plan || {};
    const b = p.boundaries || {};
    const ends = [b.observation_end_ms || 0, ...(p.phases || []).map((x) => x.end_ms), ...(p.items || []).map((x) => x.end_ms)];
    return Math.max(30 * MIN, ...ends.filter((x) => Number.isFinite(x)));
  }

  x(ms) {
    const pad = 12;
    return pad + (Math.max(0, ms) / this.span()) * (this.width - 2 * pad);
  }

  ms(x) {
    const pad = 12;
    return ((x - pad) / (this.width - 2 * pad)) * this.span();
  }

  render() {
    const svg = this.svg;
    svg.replaceChildren();
    svg.setAttribute('viewBox', `0 0 ${this.width} ${this.height}`);
    const p = this.plan;
    if (!p) {
      text(svg, 12, 100, 'Choose a playlist to see its timeline.', 'tl-empty');
      return;
    }
    const b = p.boundaries || {};
    const phases = (p.phases || []).filter((ph) => ph.end_ms > 0);
    const items = (p.items || []).filter((it) => it.end_ms > 0);

    // effect windows
    const fx = el('g', { class: 'tl-effects' }, svg);
    if (b.onset_min_ms != null && b.onset_max_ms != null) {
      el('rect', { class: 'tl-onset-window', x: this.x(b.onset_min_ms), y: 22, width: Math.max(2, this.x(b.onset_max_ms) - this.x(b.onset_min_ms)), height: 26 }, fx);
    }
    const band = (from, to, cls, label) => {
      if (from == null || to == null || to <= from) return;
      const g = el('g', { class: cls }, fx);
      el('rect', { x: this.x(from), y: 26, width: this.x(to) - this.x(from), height: 18, rx: 3 }, g);
      if (this.x(to) - this.x(from) > 50) text(g, this.x(from) + 5, 39, label, 'tl-label');
    };
    band(b.onset_ms, b.effect_end_ms, 'tl-effect', 'effect');
    band(b.effect_end_ms, b.return_end_ms, 'tl-return', 'return');
    if (b.observation_end_ms) {
      const xo = this.x(b.observation_end_ms);
      el('line', { class: 'tl-observe', x1: xo, x2: xo, y1: 16, y2: 150 }, fx);
      text(fx, xo - 4, 14, 'observe until', 'tl-label tl-end');
    }
    text(fx, this.x(0) + 2, 14, 'dose', 'tl-label');

    // phases and their fit
    const pg = el('g', { class: 'tl-phases' }, svg);
    for (const ph of phases) {
      const g = el('g', { class: `tl-phase tl-role-${ph.role}`, 'data-role': ph.role }, pg);
      const x0 = this.x(ph.start_ms);
      const w = Math.max(1, this.x(ph.end_ms) - x0);
      el('rect', { x: x0, y: 58, width: w, height: 40, rx: 4 }, g);
      const fit = phaseFit(ph, items);
      const t = el('title', {}, g);
      t.textContent = `${ph.role}: ${fmtClock(ph.start_ms)}–${fmtClock(ph.end_ms)} (${fit})`;
      // labels only where they fit (about 7 px a character at 12 px)
      if (w > ph.role.length * 7.5 + 10) text(g, x0 + 5, 74, ph.role, 'tl-label tl-strong');
      if (w > fit.length * 7 + 10) text(g, x0 + 5, 91, fit, 'tl-label tl-fit');
    }

    // track blocks
    const ig = el('g', { class: 'tl-items' }, svg);
    items.forEach((it, i) => {
      const x0 = this.x(it.start_ms);
      const g = el('g', { class: `tl-item ${i % 2 ? 'tl-odd' : ''} ${it.fill ? 'tl-fill' : ''}` }, ig);
      el('rect', { x: x0, y: 106, width: Math.max(1, this.x(it.end_ms) - x0), height: 22, rx: 2 }, g);
      const t = el('title', {}, g);
      t.textContent = `${it.title || it.fill || it.track || 'track'} ${fmtClock(it.start_ms)}–${fmtClock(it.end_ms)}`;
    });

    // axis
    const ag = el('g', { class: 'tl-axis' }, svg);
    const span = this.span();
    const step = span > 150 * MIN ? 30 * MIN : 15 * MIN;
    for (let t = 0; t <= span + 1; t += step) {
      const xt = this.x(t);
      el('line', { x1: xt, x2: xt, y1: 136, y2: 142 }, ag);
      text(ag, xt, 158, t === 0 ? '0' : `${t / MIN}`, 'tl-label tl-tick');
    }
    text(ag, this.width - 12, 176, 'minutes after the dose', 'tl-label tl-end');

    // planned onset marker
    if (b.onset_ms != null) this.drawOnset(b.onset_ms);

    // playhead
    this.head = el('g', { class: 'tl-playhead', visibility: 'hidden' }, svg);
    el('line', { x1: 0, x2: 0, y1: 18, y2: 134 }, this.head);
    el('circle', { cx: 0, cy: 134, r: 4 }, this.head);
    this.movePlayhead();
  }

  drawOnset(onsetMs) {
    const g = el('g', { class: 'tl-onset' + (this.onOnset ? ' tl-draggable' : '') }, this.svg);
    const line = el('line', { x1: 0, x2: 0, y1: 18, y2: 100 }, g);
    const handle = el('circle', { cx: 0, cy: 24, r: 9 }, g);
    // a wider invisible target: ≥ 44 px for touch
    const hit = el('rect', { x: -22, y: 2, width: 44, height: 100, class: 'tl-hit' }, g);
    const place = (ms) => {
      g.setAttribute('transform', `translate(${this.x(ms)},0)`);
      g.setAttribute('aria-valuenow', String(Math.round(ms / MIN)));
      g.setAttribute('aria-valuetext', `onset at ${fmtClock(ms)} after the dose`);
    };
    g.setAttribute('role', 'slider');
    g.setAttribute('aria-label', 'Planned onset');
    const bw = this.plan.boundaries || {};
    g.setAttribute('aria-valuemin', String(Math.round((bw.onset_min_ms || 0) / MIN)));
    g.setAttribute('aria-valuemax', String(Math.round((bw.onset_max_ms || this.span()) / MIN)));
    place(onsetMs);
    void line;
    void handle;
    if (!this.onOnset) return;
    g.setAttribute('tabindex', '0');
    let cur = onsetMs;
    let last = 0;
    // The planner accepts an onset only inside the profile's window.
    const b = this.plan.boundaries || {};
    const lo = b.onset_min_ms != null ? b.onset_min_ms : MIN;
    const hi = b.onset_max_ms != null ? b.onset_max_ms : this.span() - MIN;
    const clamp = (ms) => Math.min(Math.max(lo, Math.round(ms / 15000) * 15000), hi);
    const emit = (final) => {
      const now = performance.now();
      if (final || now - last > 200) {
        last = now;
        this.onOnset(cur);
      }
    };
    const toMs = (ev) => {
      const r = this.svg.getBoundingClientRect();
      return this.ms(((ev.clientX - r.left) / r.width) * this.width);
    };
    hit.addEventListener('pointerdown', (ev) => {
      hit.setPointerCapture(ev.pointerId);
      ev.preventDefault();
      g.classList.add('tl-dragging');
    });
    hit.addEventListener('pointermove', (ev) => {
      if (!hit.hasPointerCapture(ev.pointerId)) return;
      cur = clamp(toMs(ev));
      place(cur);
      emit(false);
    });
    const up = (ev) => {
      if (!hit.hasPointerCapture(ev.pointerId)) return;
      hit.releasePointerCapture(ev.pointerId);
      g.classList.remove('tl-dragging');
      emit(true);
    };
    hit.addEventListener('pointerup', up);
    hit.addEventListener('pointercancel', up);
    g.addEventListener('keydown', (ev) => {
      const d = { ArrowLeft: -MIN, ArrowDown: -MIN, ArrowRight: MIN, ArrowUp: MIN, PageDown: -5 * MIN, PageUp: 5 * MIN }[ev.key];
      if (!d) return;
      ev.preventDefault();
      cur = clamp(cur + d);
      place(cur);
      emit(true);
    });
  }

  movePlayhead() {
    if (!this.head) return;
    if (this.clockMs == null || !this.plan) {
      this.head.setAttribute('visibility', 'hidden');
      return;
    }
    const ms = this.running ? this.clockMs + (performance.now() - this.clockAt) : this.clockMs;
    this.head.setAttribute('visibility', 'visible');
    this.head.setAttribute('transform', `translate(${this.x(Math.min(ms, this.span()))},0)`);
    this.head.setAttribute('data-clock-ms', String(Math.round(ms)));
  }
}
