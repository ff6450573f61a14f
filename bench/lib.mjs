// Shared pieces of the benchmarks: processes, HTTP helpers, load runs and statistics.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import path from 'node:path';
import autocannon from 'autocannon';
import { REPO_ROOT, run } from '../scripts/lib/proc.mjs';

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `node <script>` with `env`; resolves once `ready()` is true. Its stdout (JSON logs)
 * goes to `.data/bench-logs/<logName>.log` (default `<app>-<script>`) for a look after the run.
 */
export async function startProcess(script, env, ready, { nodeArgs = [], logName } = {}) {
  const logDir = path.join(REPO_ROOT, '.data', 'bench-logs');
  fs.mkdirSync(logDir, { recursive: true });
  const name =
    logName ?? `${path.basename(path.dirname(path.dirname(script)))}-${path.basename(script, path.extname(script))}`;
  const out = fs.openSync(path.join(logDir, `${name}.log`), 'w');
  const child = spawn(process.execPath, [...nodeArgs, path.resolve(REPO_ROOT, script)], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', out, 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const deadline = Date.now() + 30_000;
  while (!(await ready().catch(() => false))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${script} did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * What every bench gives the API and worker: the local services, a database and Redis key prefix
 * named `name` (so runs never share state), a fixed JWT secret, and `overrides` on top.
 */
export function benchEnv(servicesEnv, name, overrides = {}) {
  return {
    ...servicesEnv,
    NODE_ENV: 'test',
    MONGO_URL: withDatabase(servicesEnv.MONGO_URL, name),
    REDIS_KEY_PREFIX: name,
    JWT_SECRET: 'bench-secret-bench-secret-bench-secret-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...overrides,
  };
}

/**
 * `mongoUrl` with its database swapped for `name`, options and hosts kept: works for
 * `mongodb://h1:1,h2:2/db?replicaSet=rs`, `mongodb+srv://user:pw@cluster/?retryWrites=true` and a
 * URL without a path, which a plain `URL` cannot all parse.
 */
export function withDatabase(mongoUrl, name) {
  const m = /^(mongodb(?:\+srv)?:\/\/[^/?]*)(?:\/[^?]*)?(\?.*)?$/.exec(mongoUrl);
  if (!m) throw new Error('MONGO_URL is not a mongodb:// or mongodb+srv:// URL');
  return `${m[1]}/${name}${m[2] ?? ''}`;
}

export async function json(method, url, { token, body, headers = {} } = {}) {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

/**
 * One autocannon run; `overallRate` fixes the request rate instead of running flat out, and
 * `amount` the number of requests instead of the duration.
 */
export function load({ url, method = 'GET', headers, body, seconds = 5, connections = 10, overallRate, amount }) {
  return new Promise((resolve, reject) => {
    autocannon(
      { url, method, headers, body, duration: seconds, amount, connections, overallRate, pipelining: 1 },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

/**
 * `rate` requests a second for `seconds`, spread evenly (each sent on its millisecond, over
 * keep-alive connections, up to `maxSockets` at once), timed from send to the body's end with
 * sub-millisecond resolution. The fixed-rate latency runs use this rather than autocannon's
 * `overallRate`: that is a quota per connection and second, sent back to back at the start of
 * each second (20 connections at 1,000 req/s: a flat-out burst of 1,000 for about a quarter of a
 * second, then nothing), and its coordinated-omission correction takes 1 ms for the interval
 * (`Math.ceil(1 / rate)` of a rate per second), so each response of d ms is recorded d times.
 * The result has autocannon's shape for the fields the benches read.
 */
export async function loadPaced({ url, method = 'GET', headers = {}, body, rate, seconds = 5, maxSockets = 64 }) {
  const target = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const payload = body === undefined ? undefined : Buffer.from(body);
  const requestHeaders = payload ? { ...headers, 'content-length': payload.length } : headers;
  const total = Math.round(rate * seconds);
  const latencies = [];
  let sent = 0;
  let ended = 0;
  let non2xx = 0;
  let errors = 0;
  let lateMs = 0;
  const started = performance.now();
  await new Promise((resolve) => {
    const settle = () => {
      if (++ended === total) resolve();
    };
    const fire = () => {
      const at = performance.now();
      // Each request settles once: answered, or failed (before or during its answer).
      let settled = false;
      const failed = () => {
        if (settled) return;
        settled = true;
        errors++;
        settle();
      };
      const req = http.request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname + target.search,
          method,
          headers: requestHeaders,
        },
        (res) => {
          if (res.statusCode < 200 || res.statusCode > 299) non2xx++;
          res.on('data', () => {});
          res.on('error', failed);
          res.on('aborted', failed);
          res.on('end', () => {
            if (settled) return;
            settled = true;
            latencies.push(performance.now() - at);
            settle();
          });
        },
      );
      req.on('error', failed);
      req.end(payload);
    };
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - started) * rate) / 1000) + 1);
      // How far behind its schedule the generator itself fell (the machine is shared).
      if (due - sent > 1) lateMs = Math.max(lateMs, ((due - sent - 1) * 1000) / rate);
      while (sent < due) {
        sent++;
        fire();
      }
      if (sent < total) setTimeout(tick, 1);
    };
    tick();
  });
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  return {
    requests: { total: latencies.length, average: latencies.length / elapsed },
    latency: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: Math.max(...latencies) },
    non2xx,
    errors,
    scheduleLagMs: lateMs,
  };
}

const CLOCK_TICKS = 100; // USER_HZ: what /proc/<pid>/stat counts in on Linux

/** User + system CPU seconds `pid` has used so far (Linux /proc), to charge a load run. */
export function cpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3; utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/**
 * {@link loadPaced} in a child process of its own (`paced-load.mjs`), with the CPU time `pid`
 * spent on it per answered request. Run from the bench's process, whose heap holds its clients
 * and the garbage of the flat-out runs, the generator's own pauses put it 11-18 ms behind its
 * schedule per 5 s window, and each pause ends in a burst of the requests it owed: that burst,
 * not the server, was much of a window's p99. The child first sends one unmeasured second at the
 * same rate (a cold generator's first second reads a p99 of 2-3 ms against a bare route here,
 * 0.6-0.8 ms after) and charges `pid` for the measured run alone.
 */
export function loadPacedApart(pid, options) {
  return new Promise((resolve, reject) => {
    const script = path.join(REPO_ROOT, 'bench', 'paced-load.mjs');
    const child = spawn(process.execPath, [script, JSON.stringify({ pid, options })], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`paced-load.mjs exited with ${code}`)),
    );
  });
}

/** `result` of a load run with `cpuSeconds` of the server's CPU, per answered request in µs. */
export const charged = (result, cpuSeconds) => ({
  ...result,
  cpuUsPerRequest: (cpuSeconds * 1e6) / Math.max(1, result.requests.total),
});

/**
 * {@link load} (or {@link loadPacedApart} when `options.rate` is set) with the CPU time `pid`
 * spent on it, in microseconds per answered request.
 */
export async function loadCharged(pid, options) {
  if (options.rate) return loadPacedApart(pid, options);
  const before = cpuSeconds(pid);
  const result = await load(options);
  return charged(result, cpuSeconds(pid) - before);
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

export const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

export const fmt = (n, digits = 2) => Number(n).toFixed(digits);

/**
 * A user of `plan` (enterprise: no rate limit) with credits to spare, made so by an admin, and
 * one project of theirs: `{ token, userId, projectId }`. The admin is made as an operator makes
 * one, with the admin command (what `npm run admin -- grant` runs) on the API's environment `env`.
 */
export async function benchUser(apiUrl, env, { plan = 'enterprise' } = {}) {
  const admin = await json('POST', `${apiUrl}/api/auth/register`, {
    body: { email: 'bench-admin@example.com', password: 'bench-password' },
  });
  const granted = await run(
    process.execPath,
    [path.join(REPO_ROOT, 'apps/api/dist/admin/admin-cli.js'), 'grant', 'bench-admin@example.com'],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  if (granted !== 0) throw new Error(`the admin command exited with ${granted}`);
  const user = await json('POST', `${apiUrl}/api/auth/register`, {
    body: { email: 'bench@example.com', password: 'bench-password' },
  });
  await json('PATCH', `${apiUrl}/api/admin/users/${user.body.user.id}`, {
    token: admin.body.token,
    body: { plan, credits: 1_000_000 },
  });
  const token = user.body.token;
  const project = await json('POST', `${apiUrl}/api/projects`, { token, body: { name: 'bench' } });
  return { token, userId: user.body.user.id, projectId: project.body.id };
}
