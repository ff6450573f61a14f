// Process helpers shared by scripts/services.mjs, scripts/test.mjs and scripts/start.mjs.
// Node built-ins only: these scripts run before `npm install`.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { lockDifferences } from './lockfile.mjs';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Seconds since t0 (from performance.now()), for the short timing lines. */
export const since = (t0) => `${((performance.now() - t0) / 1000).toFixed(1)}s`;

/** First executable named `cmd` on PATH (plus `extraDirs`), or null. */
export function which(cmd, extraDirs = []) {
  const dirs = [...(process.env.PATH || '').split(path.delimiter), ...extraDirs];
  for (const dir of dirs) {
    if (!dir) continue;
    const file = path.join(dir, cmd);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      // not here; keep looking
    }
  }
  return null;
}

// Foreground children we are waiting on (npm ci, go build, tsc, jest), so a SIGINT/SIGTERM
// handler can pass the signal on instead of leaving them running after we exit.
const active = new Set();

export function killActive(signal = 'SIGTERM') {
  for (const child of active) child.kill(signal);
}

/**
 * Runs a command with inherited stdio and resolves with its exit code (128+n when killed by a
 * signal, like a shell). Rejects only when the command cannot be started at all.
 */
export function run(cmd, args, { cwd = REPO_ROOT, env = process.env, stdio = 'inherit' } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio });
    active.add(child);
    child.on('error', (err) => {
      active.delete(child);
      reject(new Error(`cannot run ${cmd}: ${err.message}`));
    });
    child.on('exit', (code, signal) => {
      active.delete(child);
      resolve(code ?? 128 + (signalNumber(signal) || 1));
    });
  });
}

/** Like run() but throws when the exit code is not 0. */
export async function runOk(cmd, args, opts) {
  const code = await run(cmd, args, opts);
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed with exit code ${code}`);
}

export function signalNumber(signal) {
  return { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 }[signal] || 0;
}

/** True when `pid` is a live process (a zombie counts as gone: it only waits to be reaped). */
export function isAlive(pid) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return err.code === 'EPERM';
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state ..."; comm may contain spaces, so split after ')'.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true; // no /proc (not Linux): trust kill(0)
  }
}

/** The command line of `pid` as one string ('' when unknown), to check a pid file is still ours. */
export function cmdline(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

/**
 * SIGTERM to the process group of `pid` (our services are spawned detached, so each leads its
 * own group), then SIGKILL after `timeoutMs`. Resolves true when it had to SIGKILL.
 */
export async function terminate(pid, timeoutMs = 10_000) {
  const send = (sig) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig); // not a group leader after all
      } catch {
        // already gone
      }
    }
  };
  send('SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return false;
    await sleep(100);
  }
  send('SIGKILL');
  for (let i = 0; i < 50 && isAlive(pid); i++) await sleep(100);
  return true;
}

/**
 * Installs npm dependencies when they are missing or older than package-lock.json: `npm ci`
 * for a reproducible tree, `npm install` when there is no lock file yet. `root` is the
 * project to install (the repository itself but for the install step's own test).
 */
export async function ensureDeps(log, { root = REPO_ROOT, env = process.env } = {}) {
  const lock = path.join(root, 'package-lock.json');
  const hidden = path.join(root, 'node_modules', '.package-lock.json');
  const mtime = (f) => (fs.existsSync(f) ? fs.statSync(f).mtimeMs : null);
  const lockTime = mtime(lock);
  const installedTime = mtime(hidden);
  // npm writes node_modules/.package-lock.json at the end of every install, so it is newer
  // than package-lock.json unless the lock file changed since (git pull, branch switch).
  if (installedTime !== null && (lockTime === null || lockTime <= installedTime)) return false;
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const opts = { cwd: root, env };
  log(
    `node_modules ${installedTime === null ? 'missing' : 'older than package-lock.json'}: npm ${lockTime === null ? 'install' : 'ci'}`,
  );
  if (lockTime === null) return runOk(npm, ['install'], opts).then(() => true);
  if ((await run(npm, ['ci'], opts)) === 0) return true;

  // Whether the registry these machines reach serves other platforms' optional packages (e.g.
  // @unrs/resolver-binding-darwin-arm64, pulled in by jest) changes from day to day, and npm
  // 11's `npm ci` rejects a lock whose set of such entries differs from what it would write
  // today ("Missing: ... from lock file", npm/cli#9846). `npm install` installs the same locked
  // versions; we then compare the lock it wrote with the committed one, setting aside entries
  // that are never installed on this machine. Anything else that changed means the lock is
  // really out of date (a dependency added to a package.json without it), and CI fails.
  log('npm ci failed; trying npm install with the same lock file');
  const before = fs.readFileSync(lock, 'utf8');
  await runOk(npm, ['install'], opts);
  const after = fs.readFileSync(lock, 'utf8');
  const diffs = before === after ? [] : lockDifferences(before, after);
  if (diffs.length === 0) {
    // Only other platforms' entries moved: keep the committed lock byte for byte.
    if (before !== after) fs.writeFileSync(lock, before);
    log("the lock file installs the same tree here; npm ci failed only on other platforms' optional packages");
    return true;
  }
  const shown = diffs.slice(0, 10).join(', ') + (diffs.length > 10 ? `, and ${diffs.length - 10} more` : '');
  const msg = `package-lock.json does not match package.json (npm install changed: ${shown})`;
  if (env.CI) {
    fs.writeFileSync(lock, before);
    throw new Error(`${msg}; run npm install and commit the lock file`);
  }
  log(`warning: ${msg} (commit the new lock file)`);
  return true;
}

/** `tsc -b` from the repo's own TypeScript. Not `npx tsc`: without node_modules that would
 *  fetch the unrelated npm package called "tsc". */
export async function buildTs() {
  const tsc = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!fs.existsSync(tsc)) throw new Error(`${tsc} is missing: is typescript in devDependencies?`);
  await runOk(process.execPath, [tsc, '-b'], { cwd: REPO_ROOT });
}
