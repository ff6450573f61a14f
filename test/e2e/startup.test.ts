import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');

it.each(['api', 'worker'])('the %s refuses to start on a malformed setting, with one line naming it', (app) => {
  const run = spawnSync(process.execPath, [resolve(ROOT, `apps/${app}/dist/main.js`)], {
    cwd: resolve(ROOT, 'test'), // no .env here
    env: {
      PATH: process.env.PATH ?? '',
      PORT: 'eighty',
      WORKER_METRICS_PORT: '70000',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    encoding: 'utf8',
    timeout: 20_000,
  });
  expect(run.status).toBe(1);
  const lines = run.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^Invalid configuration: (PORT|WORKER_METRICS_PORT) is malformed/);
  expect(run.stdout).toBe('');
});
