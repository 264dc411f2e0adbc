// setup.js: creates the first admin with the one-time token from the setup
// link the daemon logged (/setup?token=…), which also signs them in.
import { get, post } from '/static/api.js';

const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.search).get('token') || '';

async function main() {
  try {
    const r = await get('/api/setup');
    if (r && r.needed === false) {
      $('form').hidden = true;
      $('done').hidden = false;
      return;
    }
  } catch {
    // the form still works; the server answers the POST
  }
  if (!token) $('msg').textContent = 'This page needs the setup link from the server log (it ends in ?token=…).';
  $('name').focus();
}

$('form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  if ($('password').value !== $('password2').value) {
    $('msg').textContent = 'The two passwords differ.';
    return;
  }
  $('go').disabled = true;
  $('msg').textContent = '';
  try {
    await post('/api/setup', { token, name: $('name').value.trim(), password: $('password').value });
    location.replace('/');
    return;
  } catch (err) {
    $('msg').textContent = err.message;
  }
  $('go').disabled = false;
});

main();
