// tablet.js: the patient's tablet (/t). Five gentle controls, the phase's
// name and a slow breathing dot while music plays. Nothing here may alarm:
// failed commands are shown by the state not changing, a lost connection by
// a small "reconnecting" note, an expired pairing by a calm request to ask
// for a new code. Never an error page.
import { me } from '/static/api.js';
import { Live } from '/static/ws.js';

const $ = (id) => document.getElementById(id);
const PHASES = {
  arrival: 'Arriving',
  settling: 'Settling',
  onset: 'Settling in',
  journey: 'Journey',
  return: 'Returning',
  integration: 'Resting',
};

let roomId = '';

async function stillPaired() {
  const u = await me(); // rejects when the server is unreachable: keep trying
  return u.role === 'patient';
}

const live = new Live({ stillAllowed: stillPaired });

function calm() {
  live.stop();
  stopListening();
  $('player').hidden = true;
  $('calm').hidden = false;
}

function render() {
  const r = live.rooms.get(roomId) || [...live.rooms.values()][0];
  if (!r) return;
  roomId = r.id;
  $('phase').textContent = PHASES[r.phase] || (r.phase ? r.phase[0].toUpperCase() + r.phase.slice(1) : 'Welcome');
  $('title').textContent = r.title || '';
  $('breath').dataset.on = String(!!r.playing && !r.paused && !r.quiet);
  $('pause').textContent = r.paused ? 'Resume' : 'Pause';
  $('pause').setAttribute('aria-pressed', String(!!r.paused));
  $('quiet').textContent = r.quiet ? 'Music back' : 'Quiet';
  $('quiet').setAttribute('aria-pressed', String(!!r.quiet));
  $('softer').disabled = r.can_softer === false;
  $('louder').disabled = r.can_louder === false;
}

async function send(type, args) {
  try {
    await live.send(type, '', args);
  } catch {
    // Deliberately silent: the room's state shows what happened, and the
    // connection note shows when the tablet is offline.
  }
}

// ---- listen here: the room's stream, faded in over ~3 s --------------

let audioCtx = null;
let gain = null;
let ramp = 0;

function startListening() {
  const a = $('audio');
  a.src = `/rooms/${encodeURIComponent(roomId)}/stream.mp3`;
  // iPad Safari ignores HTMLMediaElement.volume; a Web Audio gain works there.
  try {
    if (!audioCtx) {
      audioCtx = new AudioContext();
      gain = audioCtx.createGain();
      audioCtx.createMediaElementSource(a).connect(gain).connect(audioCtx.destination);
    }
    const t = audioCtx.currentTime;
    gain.gain.cancelScheduledValues(t);
    gain.gain.setValueAtTime(0.05, t);
    gain.gain.linearRampToValueAtTime(1, t + 3);
    audioCtx.resume();
  } catch {
    a.volume = 0.05;
    const t0 = performance.now();
    clearInterval(ramp);
    ramp = setInterval(() => {
      const x = Math.min(1, (performance.now() - t0) / 3000);
      a.volume = 0.05 + 0.95 * x;
      if (x >= 1) clearInterval(ramp);
    }, 50);
  }
  a.play().catch(() => {});
  $('listen').textContent = 'Stop listening here';
  $('listen').setAttribute('aria-pressed', 'true');
}

function stopListening() {
  const a = $('audio');
  clearInterval(ramp);
  a.pause();
  a.removeAttribute('src');
  a.load();
  $('listen').textContent = 'Listen here';
  $('listen').setAttribute('aria-pressed', 'false');
}

async function main() {
  let u;
  try {
    u = await me();
  } catch {
    u = { role: 'patient', room: '' }; // offline for now: the socket keeps trying
  }
  if (u.role !== 'patient') {
    calm();
    return;
  }
  roomId = u.room;
  $('player').hidden = false;
  $('pause').addEventListener('click', () => {
    const r = live.rooms.get(roomId);
    send(r && r.paused ? 'resume' : 'pause');
  });
  $('skip').addEventListener('click', () => send('skip'));
  $('softer').addEventListener('click', () => send('softer'));
  $('louder').addEventListener('click', () => send('louder'));
  $('quiet').addEventListener('click', () => {
    const r = live.rooms.get(roomId);
    send('quiet', { on: !(r && r.quiet) });
  });
  $('listen').addEventListener('click', () => ($('audio').src ? stopListening() : startListening()));
  live.addEventListener('room', render);
  live.addEventListener('status', (ev) => {
    if (ev.detail === 'stopped' && live.stopped && $('calm').hidden) {
      calm();
      return;
    }
    // a short blip should not flash a note: show it only once the first
    // reconnect has failed too (about 1.5 s without the server)
    $('conn').hidden = ev.detail === 'open' || live.attempt < 2;
  });
  live.addEventListener('bye', (ev) => {
    if (/expired|signed out/i.test(ev.detail.reason)) calm();
  });
  live.start();
}

main();
