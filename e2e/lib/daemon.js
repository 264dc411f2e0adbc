// daemon.js: builds attune, gives it a throw-away home, adds the users,
// and runs `attune serve --demo` on a free loopback port.
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, openSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ARTIFACTS } from './browser.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);

export const USERS = {
  admin: { name: 'admin', role: 'admin', password: 'e2e-admin-calm-waters-2026' },
  dana: { name: 'dana', role: 'therapist', password: 'e2e-dana-slow-river-2026' },
};

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

function withStdin(bin, args, env, input) {
  return new Promise((ok, fail) => {
    const p = spawn(bin, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('error', fail);
    p.on('exit', (code) => (code === 0 ? ok(out) : fail(new Error(`${bin} ${args.join(' ')}: exit ${code}: ${out}`))));
    p.stdin.end(input);
  });
}

/**
 * Starts a demo daemon. Resolves to {url, stop()} once GET /healthz answers.
 * Nothing outside its temporary folder is touched: HOME and the XDG folders
 * point into it.
 */
export async function startDaemon({ readyTimeoutMs = 180000 } = {}) {
  const tmp = mkdtempSync(join(tmpdir(), 'attune-e2e-'));
  try {
    return await serve(tmp, readyTimeoutMs);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

async function serve(tmp, readyTimeoutMs) {
  const bin = join(tmp, 'attune');
  // built with the caller's own Go environment (its module and build caches)
  await run('go', ['build', '-o', bin, './cmd/attune'], { cwd: ROOT, maxBuffer: 1 << 24 });

  const home = join(tmp, 'home');
  for (const d of ['home', 'data', 'config', 'state', 'cache', 'xdgdata']) mkdirSync(join(tmp, d), { recursive: true });
  const env = {
    PATH: process.env.PATH,
    LANG: 'C.UTF-8',
    HOME: home,
    ATTUNE_DATA_DIR: join(tmp, 'data'),
    XDG_CONFIG_HOME: join(tmp, 'config'),
    XDG_DATA_HOME: join(tmp, 'xdgdata'),
    XDG_STATE_HOME: join(tmp, 'state'),
    XDG_CACHE_HOME: join(tmp, 'cache'),
    XDG_RUNTIME_DIR: join(tmp, 'state'),
  };
  for (const u of Object.values(USERS)) {
    await withStdin(bin, ['user', 'add', u.name, '--role', u.role], env, u.password + '\n');
  }

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  mkdirSync(ARTIFACTS, { recursive: true });
  const logFile = join(ARTIFACTS, 'daemon.log');
  const log = openSync(logFile, 'w');
  const proc = spawn(bin, ['serve', '--demo', '--listen', `127.0.0.1:${port}`], { env, stdio: ['ignore', log, log] });
  closeSync(log);
  let exited = null;
  const done = new Promise((ok) => proc.on('exit', (code, sig) => ok((exited = { code, sig }))));

  const stop = async () => {
    if (!exited) {
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 10000);
      await done;
      clearTimeout(t);
    }
    rmSync(tmp, { recursive: true, force: true });
  };

  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (exited) {
      throw new Error(`attune serve exited (${JSON.stringify(exited)}) before it was ready; see ${logFile}`);
    }
    try {
      const r = await fetch(url + '/healthz');
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`attune serve did not answer /healthz within ${readyTimeoutMs} ms; see ${logFile}`);
    }
    await new Promise((ok) => setTimeout(ok, 250));
  }
  return { url, stop, logFile, exited: () => exited };
}
