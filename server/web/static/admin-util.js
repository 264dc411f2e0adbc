// admin-util.js: small helpers shared by the admin page's modules.

/** Creates an element with properties (class, text, attributes) and children. */
export function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
    else if (k in e && typeof v !== 'string') e[k] = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c);
  return e;
}

/** 312000 → "5:12"; 4000000 → "1:06:40". */
export function duration(ms) {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** A decibel figure with one decimal and a real minus sign, or "–". */
export function db(v, unit) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '–';
  return `${v.toFixed(1).replace('-', '−')} ${unit}`;
}

/** 1536 → "1.5 KiB". */
export function bytes(n) {
  if (n < 1024) return `${n} B`;
  const u = ['KiB', 'MiB', 'GiB'];
  let i = -1;
  do {
    n /= 1024;
    i++;
  } while (n >= 1024 && i < u.length - 1);
  return `${n.toFixed(1)} ${u[i]}`;
}

/** The words an analysis state is shown as. */
export function analysis(a) {
  if (!a) return 'not yet';
  if (a.state === 'done') return 'measured';
  if (a.state === 'failed') return 'failed' + (a.error ? `: ${a.error}` : '');
  return 'pending';
}

/** Calls fn at most once per wait ms, with the last arguments. */
export function debounce(fn, wait) {
  let t;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), wait);
  };
}

/** Moves the item at from to to in a copy of list. */
export function move(list, from, to) {
  const out = list.slice();
  if (from < 0 || from >= out.length || to < 0 || to >= out.length) return out;
  const [x] = out.splice(from, 1);
  out.splice(to, 0, x);
  return out;
}
