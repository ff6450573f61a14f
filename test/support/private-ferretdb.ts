import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { MongoClient } from 'mongodb';
import { freePort } from './free-port';

const ROOT = resolve(__dirname, '../..');

/** The FerretDB build `npm test` made (scripts/lib/binaries.mjs caches it under a hash of tools/ferretdb). */
function ferretdbBinary(): string {
  const src = join(ROOT, 'tools', 'ferretdb');
  const hash = createHash('sha256');
  // The same files, in the same order, as scripts/lib/binaries.mjs hashes.
  const sources = [
    'go.mod',
    'go.sum',
    ...readdirSync(src)
      .filter((f) => f.endsWith('.go') && !f.endsWith('_test.go'))
      .sort(),
  ];
  for (const f of sources) hash.update(`${f}\0`).update(readFileSync(join(src, f)));
  const cacheHome = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  const bin = join(cacheHome, 'vectort', `ferretdb-${hash.digest('hex').slice(0, 12)}`, 'ferretdb');
  if (!existsSync(bin)) throw new Error(`FerretDB binary missing at ${bin}: run npm test (it builds it)`);
  return bin;
}

async function answers(url: string): Promise<boolean> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 300, connectTimeoutMS: 300 });
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
    return true;
  } catch {
    return false;
  } finally {
    await client.close().catch(() => undefined);
  }
}

/**
 * A FerretDB of this test's own (the suite's build, on a free loopback port, data in a temporary
 * directory), so a test can stop and restart "MongoDB" without disturbing the other test files.
 */
export class PrivateFerretDb {
  private child?: ChildProcess;
  private readonly dir = mkdtempSync(join(tmpdir(), 'vectort-ferretdb-'));
  port = 0;

  /** A URL for database `db`. */
  url(db: string): string {
    return `mongodb://127.0.0.1:${this.port}/${db}`;
  }

  async start(): Promise<void> {
    if (!this.port) this.port = await freePort();
    this.child = spawn(ferretdbBinary(), ['--listen-addr', `127.0.0.1:${this.port}`, '--data-dir', this.dir], {
      stdio: 'ignore',
    });
    const deadline = Date.now() + 20_000;
    while (!(await answers(this.url('admin')))) {
      if (Date.now() > deadline || this.child.exitCode !== null) throw new Error('FerretDB did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Stops the server (`signal` SIGKILL for a crash); its data directory stays for the next start. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((r) => {
      child.once('exit', () => r());
      child.kill(signal);
    });
  }

  async destroy(): Promise<void> {
    await this.stop('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
