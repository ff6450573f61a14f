// Finds or makes the service binaries: Debian's redis-server (apt-get when missing) and the
// FerretDB build of tools/ferretdb (cached per machine). Node built-ins only.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, runOk, since, which } from './proc.mjs';

export async function redisServerBinary(log) {
  const extra = ['/usr/bin', '/usr/sbin', '/usr/local/bin'];
  let bin = which('redis-server', extra);
  if (bin) return bin;
  if (process.getuid?.() !== 0) throw new Error('redis-server is missing: apt-get install redis-server (needs root)');
  log('redis-server is missing: installing it with apt-get');
  const aptEnv = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const stdio = ['ignore', 2, 2]; // keep stdout for the env lines of `start`
  await runOk('apt-get', ['update'], { env: aptEnv, stdio });
  await runOk('apt-get', ['install', '-y', 'redis-server'], { env: aptEnv, stdio });
  bin = which('redis-server', extra);
  if (!bin) throw new Error('redis-server still missing after apt-get install');
  return bin;
}

// The binary is cached per machine under a hash of the sources (every non-test .go file):
// built once (1-2 minutes), rebuilt only when tools/ferretdb changes.
export async function ferretdbBinary(log) {
  const src = path.join(REPO_ROOT, 'tools', 'ferretdb');
  const hash = createHash('sha256');
  const sources = [
    'go.mod',
    'go.sum',
    ...fs
      .readdirSync(src)
      .filter((f) => f.endsWith('.go') && !f.endsWith('_test.go'))
      .sort(),
  ];
  for (const f of sources) hash.update(`${f}\0`).update(fs.readFileSync(path.join(src, f)));
  const cacheHome = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  const dir = path.join(cacheHome, 'vectort', `ferretdb-${hash.digest('hex').slice(0, 12)}`);
  const bin = path.join(dir, 'ferretdb');
  if (fs.existsSync(bin)) return bin;
  const go = which('go', ['/usr/local/go/bin', '/usr/lib/go/bin']);
  if (!go) throw new Error('Go is missing: FerretDB is built from tools/ferretdb (or set MONGO_URL to a MongoDB)');
  log(`building FerretDB into ${dir} (first run on this machine or tools/ferretdb changed: takes 1-2 minutes)`);
  const t0 = performance.now();
  fs.mkdirSync(dir, { recursive: true });
  // Build to a temporary name and rename, so an interrupted or concurrent build never leaves a
  // half-written binary that later runs would trust. CGO off: the SQLite driver is pure Go.
  const tmp = `${bin}.tmp-${process.pid}`;
  await runOk(go, ['build', '-o', tmp, '.'], {
    cwd: src,
    env: { ...process.env, CGO_ENABLED: '0' },
    stdio: ['ignore', 2, 2],
  });
  fs.renameSync(tmp, bin);
  log(`FerretDB built in ${since(t0)}`);
  return bin;
}

/** s3rver's CLI script, from its package.json "bin" (it is a devDependency). */
export function s3rverScript() {
  const pkgDir = path.join(REPO_ROOT, 'node_modules', 's3rver');
  const pkgJson = path.join(pkgDir, 'package.json');
  if (!fs.existsSync(pkgJson)) throw new Error('node_modules/s3rver is missing: run npm install first');
  return path.join(pkgDir, JSON.parse(fs.readFileSync(pkgJson, 'utf8')).bin.s3rver);
}
