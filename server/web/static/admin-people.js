// admin-people.js: users (list, add, delete, reset password) and rooms
// (outputs with their status, trims, ceiling and patient range). Admin only:
// the server refuses these routes to anyone else as well.
import { get, post, put, patch, del } from '/static/api.js';
import { el } from '/static/admin-util.js';

/** Wires the users view. Returns {reload}. */
export function setupUsers({ me }) {
  const $ = (id) => document.getElementById(id);
  const err = (m) => {
    $('users-err').textContent = m;
    if (m) $('users-saved').textContent = '';
  };

  const reload = async () => {
    err('');
    let r;
    try {
      r = await get('/api/users');
    } catch (e) {
      err(`Users could not be read: ${e.message}`);
      return;
    }
    const users = Array.isArray(r) ? r : (r && r.users) || [];
    $('users-body').replaceChildren(...users.map((u) => el('tr', { 'data-user': u.name },
      el('td', { text: u.name + (u.name === me.name ? ' (you)' : '') }),
      el('td', { text: u.role }),
      el('td', { class: 'small', text: u.created ? new Date(u.created).toLocaleDateString() : '' }),
      el('td', { class: 'actions' },
        el('button', { type: 'button', text: 'Reset password', 'aria-label': `Reset the password of ${u.name}`, on: { click: () => reset(u.name) } }),
        el('button', { type: 'button', class: 'danger', text: 'Delete', 'aria-label': `Delete ${u.name}`, disabled: u.name === me.name,
          on: { click: () => remove(u.name) } })))));
  };

  const reset = async (name) => {
    const pw = prompt(`A new password for ${name} (at least 8 characters):`);
    if (pw === null) return;
    try {
      await put(`/api/users/${encodeURIComponent(name)}/password`, { password: pw });
      err('');
      $('users-saved').textContent = `The password of ${name} is changed.`;
    } catch (e) {
      err(`Password not changed: ${e.message}`);
    }
  };
  const remove = async (name) => {
    if (!confirm(`Delete the user ${name}?`)) return;
    try {
      await del(`/api/users/${encodeURIComponent(name)}`);
    } catch (e) {
      err(`Not deleted: ${e.message}`);
      return;
    }
    reload();
  };
  $('user-add').addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await post('/api/users', { name: $('user-name').value.trim(), role: $('user-role').value, password: $('user-password').value });
    } catch (e2) {
      err(`Not added: ${e2.message}`);
      return;
    }
    $('user-name').value = '';
    $('user-password').value = '';
    reload();
  });
  return { reload };
}

/** Wires the rooms view. Returns {reload}. */
export function setupRooms() {
  const $ = (id) => document.getElementById(id);
  const err = (m) => ($('rooms-err').textContent = m);

  const numField = (id, label, value, min, max) => el('div', { class: 'field' },
    el('label', { for: id, text: label }),
    el('input', { id, type: 'number', min: String(min), max: String(max), step: '0.5', value: String(value ?? 0), required: true }));

  const drawRoom = (r, i) => {
    const pre = `room-${i}`;
    const outs = (r.outputs || []).map((o, j) => el('tr', { 'data-output': o.name },
      el('th', { scope: 'row', text: o.name }),
      el('td', { text: o.type }),
      el('td', { class: 'out-status', 'data-status': o.status, text: o.status + (o.error ? `: ${o.error}` : '') }),
      el('td', {}, el('label', { for: `${pre}-trim-${j}`, class: 'visually-hidden', text: `Trim of ${o.name} (dB)` }),
        el('input', { id: `${pre}-trim-${j}`, type: 'number', min: '-60', max: '0', step: '0.5', value: String(o.trim_db ?? 0), 'data-trim': o.name }))));
    const form = el('form', { class: 'panel room', 'data-room': r.id },
      el('h3', { text: r.name || r.id }),
      el('p', { class: 'muted small', text: `${r.engine || 'idle'}${r.session ? ` · session: ${r.session.playlist}` : ''}` }),
      el('table', { class: 'lib outputs-table' },
        el('caption', { class: 'visually-hidden', text: `Outputs of ${r.name}` }),
        el('thead', {}, el('tr', {}, ...['Output', 'Type', 'Status', 'Trim (dB)'].map((h) => el('th', { scope: 'col', text: h })))),
        el('tbody', {}, ...outs)),
      el('div', { class: 'row' },
        numField(`${pre}-ceiling`, 'Ceiling (dBFS)', r.ceiling_db, -60, 0),
        numField(`${pre}-min`, 'Patient softest (dB)', r.patient_min_db, -80, 0),
        numField(`${pre}-max`, 'Patient loudest (dB)', r.patient_max_db, -80, 0),
        el('button', { type: 'submit', class: 'primary', text: 'Save room' })),
      el('p', { class: 'error-msg', role: 'alert' }));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const msg = form.querySelector('.error-msg');
      const trims = {};
      for (const inp of form.querySelectorAll('input[data-trim]')) trims[inp.dataset.trim] = Number(inp.value);
      const body = {
        ceiling_db: Number($(`${pre}-ceiling`).value),
        patient_min_db: Number($(`${pre}-min`).value),
        patient_max_db: Number($(`${pre}-max`).value),
        trims,
      };
      if (body.patient_min_db > body.patient_max_db) {
        msg.textContent = 'The softest level must not be above the loudest.';
        return;
      }
      try {
        await patch(`/api/rooms/${encodeURIComponent(r.id)}`, body);
      } catch (e2) {
        msg.textContent = `Not saved: ${e2.message}`;
        return;
      }
      msg.textContent = '';
      reload();
    });
    return form;
  };

  const reload = async () => {
    err('');
    let r;
    try {
      r = await get('/api/rooms');
    } catch (e) {
      err(`Rooms could not be read: ${e.message}`);
      return;
    }
    const rooms = Array.isArray(r) ? r : (r && r.rooms) || [];
    $('rooms-list').replaceChildren(...rooms.map(drawRoom));
  };
  return { reload };
}
