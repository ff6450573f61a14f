#!/usr/bin/env node
// Checks the ops files (npm run check:ops; also run by test/ops/ops-config.test.ts):
//   promtool check config  ops/prometheus/prometheus.yml   (also loads the rule files it names)
//   promtool check rules   ops/prometheus/alerts.yml
//   promtool test rules    ops/prometheus/alerts.test.yml  (unit tests of some alerts)
//   every alert rule has `for:`, a severity label and summary/description annotations
//   Grafana: the dashboards parse as JSON, have a uid and unique panel ids, and every panel and
//   query uses the provisioned Prometheus datasource by its uid.
// promtool comes from Debian's `prometheus` package, installed with apt-get when missing.
// `--ops-dir DIR` checks another copy of ops/ (the tests use it to prove that broken files fail).
// Node built-ins only. Exit code 0 when everything passes, 1 otherwise.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, which } from './lib/proc.mjs';
import { promtoolBinary } from './lib/prometheus.mjs';

const log = (msg) => process.stderr.write(`[check-ops] ${msg}\n`);

const argIndex = process.argv.indexOf('--ops-dir');
const OPS = path.resolve(argIndex > 0 ? process.argv[argIndex + 1] : path.join(REPO_ROOT, 'ops'));
const rel = (p) => path.relative(process.cwd(), p) || p;

const failures = [];
const fail = (what, detail) => {
  failures.push(what);
  log(`FAIL ${what}${detail ? `\n${detail.trimEnd()}` : ''}`);
};
const pass = (what) => log(`ok   ${what}`);

function promtool(bin, args, what, cwd) {
  const r = spawnSync(bin, args, { cwd, encoding: 'utf8' });
  if (r.status === 0) pass(what);
  else fail(what, `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}`);
}

/** Line-based look at alerts.yml (no YAML parser here): each `- alert:` block needs these keys. */
function checkRuleShape(file) {
  const text = fs.readFileSync(file, 'utf8');
  const blocks = text.split(/^\s*- (?=alert:|record:)/m).slice(1);
  const alerts = blocks.filter((b) => b.startsWith('alert:'));
  const problems = [];
  for (const block of alerts) {
    const name = block.match(/^alert:\s*(\S+)/)[1];
    const missing = [
      [/^\s+for:\s*\d+[smhdwy]/m, 'for:'],
      [/^\s+severity:\s*(critical|warning|info)\s*$/m, 'labels.severity (critical|warning|info)'],
      [/^\s+summary:\s*\S/m, 'annotations.summary'],
      [/^\s+description:\s*\S/m, 'annotations.description'],
    ]
      .filter(([re]) => !re.test(block))
      .map(([, key]) => key);
    if (missing.length) problems.push(`${name}: missing ${missing.join(', ')}`);
  }
  const what = `${rel(file)}: ${alerts.length} alerts with for/severity/summary/description`;
  if (!alerts.length) fail(what, 'no alert rules found');
  else if (problems.length) fail(what, problems.join('\n'));
  else pass(what);
}

/** Every panel, rows' nested panels included. */
function allPanels(panels = []) {
  return panels.flatMap((p) => [p, ...allPanels(p.panels)]);
}

function checkDashboards() {
  const dsFile = path.join(OPS, 'grafana/provisioning/datasources/prometheus.yml');
  const dsText = fs.readFileSync(dsFile, 'utf8');
  const uid = dsText.match(/^\s*uid:\s*['"]?([\w-]+)['"]?\s*$/m)?.[1];
  if (!uid || !/^\s*type:\s*prometheus\s*$/m.test(dsText)) {
    fail(`${rel(dsFile)}: a prometheus datasource with a uid`);
    return;
  }
  pass(`${rel(dsFile)}: prometheus datasource uid ${uid}`);

  const provider = fs.readFileSync(path.join(OPS, 'grafana/provisioning/dashboards/dashboards.yml'), 'utf8');
  if (!/^\s*path:\s*\/var\/lib\/grafana\/dashboards\s*$/m.test(provider))
    fail(
      'grafana/provisioning/dashboards/dashboards.yml: provider path /var/lib/grafana/dashboards (the compose mount)',
    );

  const dir = path.join(OPS, 'grafana/dashboards');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
  if (!files.length) fail(`${rel(dir)}: at least one dashboard`);
  const uids = new Set();
  for (const f of files) {
    const file = path.join(dir, f);
    let dash;
    try {
      dash = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      fail(`${rel(file)}: valid JSON`, err.message);
      continue;
    }
    const problems = [];
    if (!dash.uid || typeof dash.uid !== 'string') problems.push('no dashboard uid');
    else if (uids.has(dash.uid)) problems.push(`dashboard uid ${dash.uid} used twice`);
    uids.add(dash.uid);
    if (!dash.title) problems.push('no title');
    if (typeof dash.schemaVersion !== 'number') problems.push('no schemaVersion');
    const panels = allPanels(dash.panels);
    const ids = new Set();
    let queries = 0;
    for (const p of panels) {
      const name = `panel ${p.id} "${p.title}"`;
      if (ids.has(p.id)) problems.push(`${name}: duplicate id`);
      ids.add(p.id);
      if (!p.gridPos) problems.push(`${name}: no gridPos`);
      if (p.type === 'row') continue;
      if (!p.targets?.length) problems.push(`${name}: no queries`);
      if (p.datasource?.uid !== uid)
        problems.push(`${name}: datasource uid ${JSON.stringify(p.datasource?.uid)}, want ${uid}`);
      for (const t of p.targets ?? []) {
        queries++;
        if (t.datasource && t.datasource.uid !== uid)
          problems.push(`${name} query ${t.refId}: datasource uid ${JSON.stringify(t.datasource.uid)}, want ${uid}`);
        if (!t.expr?.trim()) problems.push(`${name} query ${t.refId}: empty expr`);
      }
    }
    const what = `${rel(file)}: ${panels.filter((p) => p.type !== 'row').length} panels, ${queries} queries on datasource ${uid}`;
    if (problems.length) fail(what, problems.join('\n'));
    else pass(what);
  }
}

function checkCompose() {
  const file = path.join(REPO_ROOT, 'docker-compose.yml');
  const text = fs.readFileSync(file, 'utf8');
  const mounts = [
    './ops/prometheus:/etc/prometheus',
    './ops/grafana/provisioning:/etc/grafana/provisioning',
    './ops/grafana/dashboards:/var/lib/grafana/dashboards',
  ];
  const missing = mounts.filter((m) => !text.includes(`- ${m}`));
  if (missing.length) fail(`${rel(file)}: mounts the ops directories`, `missing: ${missing.join(', ')}`);
  else pass(`${rel(file)}: mounts ops/prometheus and ops/grafana`);

  const docker = which('docker');
  if (!docker || spawnSync(docker, ['compose', 'version'], { encoding: 'utf8' }).status !== 0) {
    log('skip docker compose config -q (no docker CLI with the compose plugin here)');
    return;
  }
  // JWT_SECRET has no default in the compose file (it stops without one): give a placeholder.
  const env = { ...process.env, JWT_SECRET: process.env.JWT_SECRET || 'check-ops-placeholder-0123456789abcdef' };
  const r = spawnSync(docker, ['compose', '-f', file, 'config', '-q'], { cwd: REPO_ROOT, env, encoding: 'utf8' });
  if (r.status === 0) pass(`docker compose config -q ${rel(file)}`);
  else fail(`docker compose config -q ${rel(file)}`, `${r.stdout}${r.stderr}`);
}

try {
  const bin = await promtoolBinary(log);
  const prom = path.join(OPS, 'prometheus');
  // rule_files are resolved against the directory of the file that names them.
  for (const [cmd, file] of [
    ['check config', 'prometheus.yml'],
    ['check rules', 'alerts.yml'],
    ['test rules', 'alerts.test.yml'],
  ])
    promtool(bin, [...cmd.split(' '), file], `promtool ${cmd} ${rel(path.join(prom, file))}`, prom);
  checkRuleShape(path.join(prom, 'alerts.yml'));
  checkDashboards();
  checkCompose();
} catch (err) {
  fail('check-ops', err.stack ?? String(err));
}

log(failures.length ? `${failures.length} check(s) failed` : 'all ops checks passed');
process.exit(failures.length ? 1 : 0);
