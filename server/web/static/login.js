// login.js: staff sign in; then back to the page that sent them here.
import { post, safeNext } from '/static/api.js';

const $ = (id) => document.getElementById(id);
const next = safeNext(new URLSearchParams(location.search).get('next'));

$('form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  $('go').disabled = true;
  $('msg').textContent = '';
  try {
    await post('/api/login', { name: $('name').value.trim(), password: $('password').value });
    location.replace(next);
    return;
  } catch (err) {
    $('msg').textContent = err.code === 'unauthorized' ? 'Wrong name or password.' : err.message;
    $('password').select();
  }
  $('go').disabled = false;
});
