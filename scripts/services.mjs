#!/usr/bin/env node
// Local services for tests and `npm start` (no Docker here; see DESIGN.md "Local services"):
// Redis (Debian's redis-server), FerretDB (tools/ferretdb, SQLite backend) and s3rver.
//   node scripts/services.mjs start|stop|status
// `start` prints the app's env as KEY=value lines on stdout (logs go to stderr), so
// `export $(node scripts/services.mjs start)` works. Node built-ins only: runs before npm install.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HOST, config, definitions } from './lib/definitions.mjs';
import { REPO_ROOT, cmdline, isAlive, since, terminate } from './lib/proc.mjs';
import { portOpen, waitUntil } from './lib/probe.mjs';

export { config };

const defaultLog = (msg) => process.stderr.write(`[services] ${msg}\n`);

const readPidFile = (file) => {
  try {
    const [pid, port] = fs.readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
    return { pid, port };
  } catch {
    return { pid: 0, port: 0 };
  }
};

/** The pid recorded for `svc` if that process is alive and still the service; drops stale files. */
function ourProcess(svc, cfg) {
  const file = path.join(cfg.runDir, `${svc.name}.pid`);
  const rec = readPidFile(file);
  if (rec.pid && isAlive(rec.pid) && cmdline(rec.pid).includes(svc.match)) return { ...rec, file };
  fs.rmSync(file, { force: true });
  return null;
}

const tail = (file) => {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
};

/** Makes `svc` answer on its port: reuses a running one, otherwise starts it. */
async function ensure(svc, cfg) {
  const mine = ourProcess(svc, cfg);
  if (mine) {
    // Started by an earlier `start` with the same data dir: a second one would share its files.
    if (mine.port !== svc.port)
      throw new Error(
        `${svc.name} from ${cfg.dataDir} already runs on port ${mine.port} (pid ${mine.pid}); stop it first`,
      );
    if (!(await waitUntil(() => svc.ready(svc.port), { timeoutMs: svc.timeoutMs, exited: () => !isAlive(mine.pid) })))
      throw new Error(`${svc.name} (pid ${mine.pid}) does not answer on port ${svc.port}; see ${svc.log}`);
    return { how: 'reused', pid: mine.pid };
  }
  if (await svc.ready(svc.port)) return { how: 'reused', pid: null };
  if (await portOpen(svc.port))
    throw new Error(
      `port ${svc.port} is taken by something that is not ${svc.name}; set ${svc.portVar} to a free port`,
    );

  const { cmd, args } = await svc.prepare();
  fs.mkdirSync(path.dirname(svc.log), { recursive: true });
  fs.mkdirSync(cfg.runDir, { recursive: true });
  const fd = fs.openSync(svc.log, 'a');
  // Detached: own process group, so the service outlives `services.mjs start` and a Ctrl-C in
  // the terminal reaches only our callers, which then stop what they started, in order.
  const child = spawn(cmd, args, { cwd: REPO_ROOT, detached: true, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  await new Promise((resolve, reject) => child.once('spawn', resolve).once('error', reject));
  child.unref();
  const pidFile = path.join(cfg.runDir, `${svc.name}.pid`);
  fs.writeFileSync(pidFile, `${child.pid} ${svc.port}\n`);
  let exited = false;
  child.once('exit', () => (exited = true));
  if (!(await waitUntil(() => svc.ready(svc.port), { timeoutMs: svc.timeoutMs, exited: () => exited }))) {
    await terminate(child.pid, 3000);
    fs.rmSync(pidFile, { force: true });
    throw new Error(
      `${svc.name} ${exited ? 'exited' : `did not answer within ${svc.timeoutMs / 1000}s`}; end of ${svc.log}:\n${tail(svc.log)}`,
    );
  }
  return { how: 'started', pid: child.pid };
}

async function stopOne(svc, cfg, log) {
  const mine = ourProcess(svc, cfg);
  if (!mine) return false;
  const killed = await terminate(mine.pid, 10_000);
  fs.rmSync(mine.file, { force: true });
  log(`${svc.name} stopped (pid ${mine.pid}${killed ? ', needed SIGKILL' : ''})`);
  return true;
}

/**
 * Starts (or reuses) the services and resolves { env, started, reused, external, stop }.
 * `opts.env` is where ports, data dir, bucket and user-given URLs are read (default
 * process.env). A service whose URL the user already set (MONGO_URL, REDIS_URL, S3_ENDPOINT) is
 * not started: their values pass through. stop() stops only what this call started.
 */
export async function startServices({ env = process.env, log = defaultLog } = {}) {
  const cfg = config(env);
  const defs = definitions(cfg, log);
  const result = { env: {}, started: [], reused: [], external: [] };
  const t0 = performance.now();
  const outcomes = await Promise.allSettled(
    defs.map(async (svc) => {
      if (env[svc.urlVar]) return { svc, how: 'external' };
      const r = await ensure(svc, cfg);
      try {
        await svc.after?.(r.how);
      } catch (err) {
        if (r.how === 'started') await stopOne(svc, cfg, log);
        throw err;
      }
      return { svc, ...r };
    }),
  );
  const stop = async () => {
    for (const svc of defs.filter((d) => result.started.includes(d.name))) await stopOne(svc, cfg, log);
  };
  for (const o of outcomes) {
    if (o.status !== 'fulfilled') continue;
    result[o.value.how].push(o.value.svc.name);
    const pid = o.value.pid ? `, pid ${o.value.pid}` : '';
    log(
      `${o.value.svc.name}: ${o.value.how}${o.value.how === 'external' ? ` (${o.value.svc.urlVar} is set)` : ` on port ${o.value.svc.port}${pid}`}`,
    );
  }
  const failed = outcomes.filter((o) => o.status === 'rejected');
  if (failed.length) {
    await stop();
    throw new Error(failed.map((o) => o.reason?.message || String(o.reason)).join('\n'));
  }
  log(`ready in ${since(t0)} (data in ${cfg.dataDir})`);

  const local = !env.S3_ENDPOINT;
  result.env = {
    MONGO_URL: env.MONGO_URL || `mongodb://${HOST}:${cfg.mongoPort}/vectort`,
    REDIS_URL: env.REDIS_URL || `redis://${HOST}:${cfg.redisPort}`,
    S3_ENDPOINT: env.S3_ENDPOINT || `http://${HOST}:${cfg.s3Port}`,
    S3_REGION: env.S3_REGION || 'us-east-1',
    S3_BUCKET: cfg.bucket,
    S3_FORCE_PATH_STYLE: env.S3_FORCE_PATH_STYLE || 'true',
  };
  // s3rver only accepts its built-in key pair; for a user-given endpoint keep the user's keys.
  for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) {
    if (local) result.env[k] = 'S3RVER';
    else if (env[k]) result.env[k] = env[k];
  }
  result.stop = stop;
  return result;
}

/** Stops every service that a pid file in the data dir says we started. */
export async function stopServices({ env = process.env, log = defaultLog } = {}) {
  const cfg = config(env);
  const stopped = [];
  for (const svc of definitions(cfg, log)) if (await stopOne(svc, cfg, log)) stopped.push(svc.name);
  if (!stopped.length) log('nothing to stop (no live pid files)');
  return stopped;
}

async function printStatus(env = process.env) {
  const cfg = config(env);
  for (const svc of definitions(cfg, defaultLog)) {
    const mine = ourProcess(svc, cfg);
    const port = mine?.port || svc.port;
    const up = await svc.ready(port);
    const who = mine ? `pid ${mine.pid}` : up ? 'not started by services.mjs' : '';
    console.log(
      `${svc.name.padEnd(9)} ${(up ? 'running' : mine ? 'not answering' : 'stopped').padEnd(14)} port ${String(port).padEnd(6)} ${who}`,
    );
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const cmd = process.argv[2];
  try {
    if (cmd === 'start') {
      const { env } = await startServices();
      for (const [k, v] of Object.entries(env)) console.log(`${k}=${v}`);
    } else if (cmd === 'stop') await stopServices();
    else if (cmd === 'status') await printStatus();
    else {
      console.error('usage: node scripts/services.mjs start|stop|status');
      process.exitCode = 2;
    }
  } catch (err) {
    defaultLog(`error: ${err.message}`);
    process.exitCode = 1;
  }
}
