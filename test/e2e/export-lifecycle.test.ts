import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { serviceEnv } from '../support/services';

const ROOT = resolve(__dirname, '../..');
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [resolve(ROOT, 'scripts/s3-lifecycle.mjs'), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...serviceEnv(), ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });

it('the lifecycle policy archives users/ objects after 90 days and aborts stale multipart uploads', () => {
  const policy = JSON.parse(readFileSync(resolve(ROOT, 'ops/s3/lifecycle.json'), 'utf8'));
  expect(policy.Rules).toEqual([
    expect.objectContaining({
      Status: 'Enabled',
      Filter: { Prefix: 'users/' },
      Transitions: [{ Days: 90, StorageClass: 'GLACIER_IR' }],
    }),
    expect.objectContaining({
      Status: 'Enabled',
      Filter: { Prefix: 'users/' },
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
    }),
  ]);
  const dry = run(['--dry-run']);
  expect(dry.status).toBe(0);
  expect(dry.stderr).toContain('would apply 2 rule(s)');
});

it('s3:lifecycle says plainly that s3rver cannot take a lifecycle policy (501) and exits 2', () => {
  const res = run([]);
  expect(res.stderr).toMatch(
    /does not implement lifecycle configuration \(HTTP 501 NotImplemented\); nothing was applied/,
  );
  expect(res.status).toBe(2);
});

it('s3:lifecycle exits 1 when S3 cannot be reached, and 64 on a bad policy file', () => {
  const down = run([], { S3_ENDPOINT: 'http://127.0.0.1:1' });
  expect(down.status).toBe(1);
  expect(down.stderr).toMatch(/could not apply the lifecycle policy .*ECONNREFUSED/);
  const bad = run(['--file', resolve(ROOT, 'package.json')]);
  expect(bad.status).toBe(64);
  expect(bad.stderr).toMatch(/has no "Rules"/);
});
