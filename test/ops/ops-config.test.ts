import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// scripts/check-ops.mjs (npm run check:ops) on the real ops/ files, then on broken copies of them
// to show that each kind of mistake is caught. promtool comes from Debian's prometheus package
// (scripts/test.mjs installs it).
const ROOT = path.resolve(__dirname, '../..');
const OPS = path.join(ROOT, 'ops');

function checkOps(opsDir?: string): { code: number | null; output: string } {
  const args = [path.join(ROOT, 'scripts/check-ops.mjs'), ...(opsDir ? ['--ops-dir', opsDir] : [])];
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

/** A copy of ops/ with `edit` applied to one file. */
function brokenCopy(file: string, edit: (text: string) => string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vectort-ops-'));
  fs.cpSync(OPS, dir, { recursive: true });
  const target = path.join(dir, file);
  const before = fs.readFileSync(target, 'utf8');
  const after = edit(before);
  if (after === before) throw new Error(`the edit of ${file} changed nothing: the test is stale`);
  fs.writeFileSync(target, after);
  return dir;
}

const copies: string[] = [];
afterAll(() => copies.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

it('passes promtool check config/rules, promtool test rules and the dashboard checks on ops/', () => {
  const { code, output } = checkOps();
  expect(output).toContain('ok   promtool check config');
  expect(output).toContain('ok   promtool check rules');
  expect(output).toContain('ok   promtool test rules');
  expect(output).toMatch(/ok {3}.*alerts\.yml: (\d+) alerts with for\/severity\/summary\/description/);
  expect(Number(output.match(/alerts\.yml: (\d+) alerts/)![1])).toBeGreaterThanOrEqual(7);
  expect(output).toMatch(/ok {3}.*vectort\.json: \d+ panels, \d+ queries on datasource vectort-prometheus/);
  expect(output).not.toContain('FAIL');
  expect(code).toBe(0);
}, 300_000);

const cases: [string, string, (t: string) => string, RegExp][] = [
  [
    'a PromQL syntax error in a rule',
    'prometheus/alerts.yml',
    (t) => t.replace(') > 0.05', ') >> 0.05'),
    /FAIL promtool check rules/,
  ],
  [
    'a threshold that breaks an alert unit test',
    'prometheus/alerts.yml',
    (t) => t.replace(') > 0.05', ') > 0.5'),
    /FAIL promtool test rules[\s\S]*VectortApiHigh5xxRate/,
  ],
  [
    'an alert without `for:`',
    'prometheus/alerts.yml',
    (t) => t.replace(/(alert: VectortWebhookFailuresHigh[\s\S]*?)\n\s+for: 15m/, '$1'),
    /VectortWebhookFailuresHigh: missing for:/,
  ],
  [
    'a scrape config Prometheus rejects',
    'prometheus/prometheus.yml',
    (t) => t.replace('scrape_interval: 15s', 'scrape_interval: fifteen'),
    /FAIL promtool check config/,
  ],
  [
    'a panel on another datasource',
    'grafana/dashboards/vectort.json',
    (t) => t.replace('"uid": "vectort-prometheus"', '"uid": "some-other-prometheus"'),
    /datasource uid "some-other-prometheus", want vectort-prometheus/,
  ],
  [
    'a dashboard that is not JSON',
    'grafana/dashboards/vectort.json',
    (t) => t.replace(/}\s*$/, ''),
    /FAIL .*vectort\.json: valid JSON/,
  ],
];

it.each(cases)(
  'fails on %s',
  (_name, file, edit, expected) => {
    const dir = brokenCopy(file, edit);
    copies.push(dir);
    const { code, output } = checkOps(dir);
    expect(output).toMatch(expected);
    expect(code).toBe(1);
  },
  120_000,
);
