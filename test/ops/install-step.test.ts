import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// The install step of `npm test` / `npm start` (scripts/lib/proc.mjs ensureDeps): a lock that is
// right for this machine must install under CI whether or not the registry serves other
// platforms' optional packages, and a lock that misses a dependency must fail under CI.
const ROOT = path.resolve(__dirname, '../..');
const PROC = path.join(ROOT, 'scripts/lib/proc.mjs');
const LOCKFILE = path.join(ROOT, 'scripts/lib/lockfile.mjs');

/** Runs an ES module snippet with node and returns its exit code and output. */
function runModule(code: string, env: NodeJS.ProcessEnv = {}): { status: number | null; output: string } {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 120_000,
  });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

function writeJson(file: string, value: unknown): void {
  fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** A project with local `file:` dependencies only, so npm needs no registry. */
function localProject(deps: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vectort-install-'));
  for (const name of ['left-pad-local', 'right-pad-local']) {
    fs.mkdirSync(path.join(dir, name));
    writeJson(path.join(dir, name, 'package.json'), { name, version: '1.0.0' });
  }
  writeJson(path.join(dir, 'package.json'), {
    name: 'install-step-fixture',
    version: '1.0.0',
    private: true,
    dependencies: Object.fromEntries(deps.map((d) => [d, `file:./${d}`])),
  });
  return dir;
}

const ensureDeps = (dir: string) =>
  runModule(
    `import { ensureDeps } from ${JSON.stringify(PROC)};
     await ensureDeps((m) => console.log(m), { root: ${JSON.stringify(dir)} });
     console.log('installed');`,
    { CI: 'true', npm_config_audit: 'false', npm_config_fund: 'false' },
  );

describe('install step', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  test('a lock that matches package.json installs under CI with npm ci', () => {
    const dir = localProject(['left-pad-local']);
    dirs.push(dir);
    expect(spawnSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: dir }).status).toBe(0);
    fs.rmSync(path.join(dir, 'node_modules'), { recursive: true });
    const r = ensureDeps(dir);
    expect(r.output).toContain('installed');
    expect(r.output).not.toContain('npm ci failed');
    expect(r.status).toBe(0);
  });

  test('a lock that misses a dependency package.json names fails under CI and is left as committed', () => {
    const dir = localProject(['left-pad-local']);
    dirs.push(dir);
    expect(spawnSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: dir }).status).toBe(0);
    fs.rmSync(path.join(dir, 'node_modules'), { recursive: true });
    const lockBefore = fs.readFileSync(path.join(dir, 'package-lock.json'), 'utf8');
    // A dependency added to package.json without `npm install`: the lock is out of date.
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    pkg.dependencies['right-pad-local'] = 'file:./right-pad-local';
    writeJson(path.join(dir, 'package.json'), pkg);

    const r = ensureDeps(dir);
    expect(r.status).not.toBe(0);
    expect(r.output).toContain('package-lock.json does not match package.json');
    expect(r.output).toContain('node_modules/right-pad-local');
    expect(r.output).not.toContain('installed\n');
    expect(fs.readFileSync(path.join(dir, 'package-lock.json'), 'utf8')).toBe(lockBefore);
  });

  describe('lock comparison on the repository lock', () => {
    const lockText = fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8');
    const viaStdin = (before: string, after: string, platform?: string, arch?: string): string[] => {
      const code = `import { lockDifferences } from ${JSON.stringify(LOCKFILE)};
         import fs from 'node:fs';
         const [a, b] = JSON.parse(fs.readFileSync(0, 'utf8'));
         process.stdout.write(JSON.stringify(lockDifferences(a, b, ${JSON.stringify(platform ?? 'linux')}, ${JSON.stringify(arch ?? 'x64')})));`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
        input: JSON.stringify([before, after]),
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(r.stderr);
      return JSON.parse(r.stdout) as string[];
    };

    const lock = JSON.parse(lockText) as { packages: Record<string, { optional?: boolean; os?: string[] }> };
    const otherPlatform = Object.entries(lock.packages)
      .filter(([, e]) => e.optional && Array.isArray(e.os) && !e.os.includes('linux'))
      .map(([k]) => k);

    test('the committed lock holds other platforms\u2019 optional packages', () => {
      expect(otherPlatform.length).toBeGreaterThan(5);
      expect(otherPlatform).toContain('node_modules/@unrs/resolver-binding-darwin-arm64');
    });

    test('a lock without them installs the same tree here (served or not, both ways)', () => {
      const trimmed = JSON.parse(lockText);
      for (const k of otherPlatform) delete trimmed.packages[k];
      const trimmedText = JSON.stringify(trimmed, null, 2);
      expect(viaStdin(trimmedText, lockText)).toEqual([]);
      expect(viaStdin(lockText, trimmedText)).toEqual([]);
      // The same entries do matter on the platform they are for.
      expect(viaStdin(trimmedText, lockText, 'darwin', 'arm64')).toContain(
        'added node_modules/@unrs/resolver-binding-darwin-arm64',
      );
    });

    test('a missing or changed ordinary dependency is a difference', () => {
      const changed = JSON.parse(lockText);
      delete changed.packages['node_modules/bullmq'];
      changed.packages['node_modules/ioredis'].version = '0.0.1';
      expect(viaStdin(JSON.stringify(changed), lockText)).toEqual(
        expect.arrayContaining(['added node_modules/bullmq', 'changed node_modules/ioredis']),
      );
    });
  });
});
