// api.js: fetch helpers for attune's JSON API. Every failure becomes an
// ApiError carrying the server's {error: {code, message}} (or "offline" when
// the server could not be reached), so pages can word it calmly.

/** An API failure: HTTP status, protocol error code and a message for people. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/**
 * Calls the API. body, when given, is sent as JSON. Resolves to the parsed
 * JSON reply (null for an empty one); rejects with ApiError.
 */
export async function api(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, 'offline', 'The server could not be reached.');
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const e = data && data.error;
    throw new ApiError(res.status, (e && e.code) || 'http_' + res.status, (e && e.message) || res.statusText || 'Request failed');
  }
  return data;
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body === undefined ? {} : body);
export const patch = (path, body) => api('PATCH', path, body);
export const put = (path, body) => api('PUT', path, body);
export const del = (path) => api('DELETE', path);

/**
 * Returns the array in an API reply: the reply itself, or the first of keys
 * that holds an array (lists may come wrapped, like {tracks: [...], total}).
 */
export function list(reply, ...keys) {
  if (Array.isArray(reply)) return reply;
  if (reply && typeof reply === 'object') {
    for (const k of [...keys, 'items', 'results']) {
      if (Array.isArray(reply[k])) return reply[k];
    }
  }
  return [];
}

/**
 * Who the browser is signed in as: {role, name, room}, role "" when
 * anonymous. Accepts both a flat reply and {user: {...}} / {you: {...}}.
 * Rejects only when the server cannot be reached or fails.
 */
export async function me() {
  let r;
  try {
    r = await get('/api/me');
  } catch (err) {
    if (err.status === 401 || err.status === 403) return { role: '', name: '', room: '' };
    throw err;
  }
  const u = (r && (r.user || r.you)) || r || {};
  return { role: u.role || '', name: u.name || '', room: u.room || '' };
}

/** True for a role that may use the staff pages. */
export const isStaff = (role) => role === 'admin' || role === 'therapist';

/**
 * Sends the browser to the login page (coming back here afterwards) unless
 * it is signed in as staff. Resolves to the user when it is.
 */
export async function requireStaff() {
  const u = await me();
  if (!isStaff(u.role)) {
    const next = location.pathname + location.search;
    location.replace('/login?next=' + encodeURIComponent(next));
    return new Promise(() => {}); // the page is going away
  }
  return u;
}

/** A same-site path to go to after signing in: never another origin. */
export function safeNext(raw) {
  if (typeof raw !== 'string' || !raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\')) return '/';
  return raw;
}
