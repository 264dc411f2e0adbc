// pair.js: a tablet enters the therapist's 6-digit code (or arrives from
// the QR code with ?code=) and becomes the room's patient tablet.
import { post } from '/static/api.js';

const $ = (id) => document.getElementById(id);
let busy = false;

async function pair(code) {
  if (busy) return;
  if (!/^[0-9]{6}$/.test(code)) {
    $('msg').textContent = 'The code has six digits.';
    return;
  }
  busy = true;
  $('go').disabled = true;
  $('msg').textContent = 'Connecting…';
  try {
    await post('/api/pair', { code });
    location.replace('/t');
    return;
  } catch (err) {
    $('msg').textContent =
      err.code === 'rate_limited'
        ? 'Please wait a minute, then try again.'
        : err.code === 'offline'
          ? 'The tablet cannot reach attune right now. Please try again in a moment.'
          : 'That code did not work. Please ask the therapist for a new one.';
    $('code').value = '';
    $('code').focus();
  }
  busy = false;
  $('go').disabled = false;
}

const input = $('code');
input.addEventListener('input', () => {
  input.value = input.value.replace(/[^0-9]/g, '').slice(0, 6);
  if (input.value.length === 6) pair(input.value);
});
$('form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  pair(input.value.trim());
});
const fromQR = new URLSearchParams(location.search).get('code');
if (fromQR) {
  input.value = fromQR.replace(/[^0-9]/g, '').slice(0, 6);
  pair(input.value);
}
