#!/usr/bin/env node
// What `npm start` runs: deps, local services, tsc -b, then the API and the worker in the
// foreground. Ctrl-C stops the apps, then the services this script started.
// Env precedence for the apps: process env > .env > services env > defaults.
// Node built-ins only: this runs before `npm install`.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { config, startServices } from './services.mjs';
import { readDotenv } from './lib/dotenv.mjs';
import { REPO_ROOT, buildTs, ensureDeps, killActive, since, terminate } from './lib/proc.mjs';

const log = (msg) => process.stderr.write(`[start] ${msg}\n`);
const APPS = [
  { name: 'api', main: 'apps/api/dist/main.js' },
  { name: 'worker', main: 'apps/worker/dist/main.js' },
];

let services = null; // promise of startServices(), so a shutdown during startup still stops them
const children = new Map(); // name -> ChildProcess
let stopping = false;

/** A dev JWT secret made once per data dir, so tokens stay valid across restarts. */
function devJwtSecret(dataDir) {
  const file = path.join(dataDir, 'dev-jwt-secret');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  fs.mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('hex');
  fs.writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

/** Stops the apps (SIGTERM, SIGKILL after 10 s), then the services we started; exits. */
async function shutdown(code, why) {
  if (stopping) return;
  stopping = true;
  log(`${why}: stopping`);
  killActive('SIGTERM'); // npm ci / go build / tsc, if one is still running
  await Promise.all(
    [...children].map(async ([name, child]) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (await terminate(child.pid, 10_000)) log(`${name} needed SIGKILL`);
    }),
  );
  const started = await services?.catch(() => null); // startServices() cleans up after itself on failure
  await started?.stop();
  process.exit(code);
}

process.on('SIGINT', () => shutdown(0, 'SIGINT'));
process.on('SIGTERM', () => shutdown(0, 'SIGTERM'));
// A supervisor may signal `npm start` alone, and npm does not pass SIGTERM on to us: when our
// parent goes away, stop as if we had been told to.
const parentAtStart = process.ppid;
setInterval(() => {
  if (process.ppid !== parentAtStart) shutdown(0, 'parent exited');
}, 1000).unref();

async function main() {
  let t = performance.now();
  if (await ensureDeps(log)) log(`dependencies installed in ${since(t)}`);

  const dotenv = readDotenv(path.join(REPO_ROOT, '.env'));
  // .env may set ports, the data dir or MONGO_URL etc.; the process env still wins.
  const userEnv = { ...dotenv, ...process.env };

  t = performance.now();
  services = startServices({ env: userEnv });
  const svc = await services;
  if (stopping) return; // Ctrl-C came meanwhile: shutdown() stops them
  log(`services ready in ${since(t)}`);

  t = performance.now();
  await buildTs();
  log(`build (tsc -b) done in ${since(t)}`);
  if (stopping) return;

  // PAYMENT_PROVIDER=test: local purchases grant at once. The apps never pick it on their own.
  const defaults = { PORT: '8001', WORKER_METRICS_PORT: '9464', NODE_ENV: 'development', PAYMENT_PROVIDER: 'test' };
  const env = { ...defaults, ...svc.env, ...dotenv, ...process.env };
  if (!env.JWT_SECRET) env.JWT_SECRET = devJwtSecret(config(userEnv).dataDir);

  for (const app of APPS) {
    // Detached (own process group): a Ctrl-C in the terminal reaches only this script, which
    // then stops the apps and services in order instead of racing them.
    const child = spawn(process.execPath, [app.main], {
      cwd: REPO_ROOT,
      env,
      detached: true,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    children.set(app.name, child);
    child.on('error', (err) => shutdown(1, `${app.name} could not start: ${err.message}`));
    child.on('exit', (code, signal) => {
      if (!stopping) shutdown(code || 1, `${app.name} exited unexpectedly (${signal || `code ${code}`})`);
    });
  }

  const api = `http://127.0.0.1:${env.PORT}`;
  const lines = [
    `API            ${api}`,
    `health         ${api}/healthz`,
    `readiness      ${api}/readyz`,
    `metrics        ${api}/api/metrics`,
    `worker metrics http://127.0.0.1:${env.WORKER_METRICS_PORT}/metrics`,
    `Bull Board     ${api}/admin/queues${env.ADMIN_USER ? '' : ' (off: set ADMIN_USER and ADMIN_PASSWORD)'}`,
  ];
  log(`running (Ctrl-C to stop):\n${lines.map((l) => `  ${l}`).join('\n')}`);
}

main().catch((err) => shutdown(1, `error: ${err.message}`));
