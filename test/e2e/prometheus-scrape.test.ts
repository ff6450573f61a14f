import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createProject, generate, waitForJob } from '../support/http';
import { freePort, startStack, type Stack } from '../support/stack';
import { registerUser } from '../support/users';

// A real Prometheus server (Debian's `prometheus` package, installed by scripts/test.mjs) on a free
// loopback port scrapes the real API and two worker processes, and evaluates the real
// ops/prometheus/alerts.yml. How it runs:
//   prometheus --config.file=<tmp>/prometheus.yml --storage.tsdb.path=<tmp>/data
//              --web.listen-address=127.0.0.1:<free port>
// The config is ops/prometheus/prometheus.yml made local: same job names and metrics paths, the
// API scraped with the Bearer token (METRICS_TOKEN is set on the stack, so this also proves the
// commented `authorization` block works), static targets instead of compose's DNS discovery,
// scrape and rule evaluation every second.
const ROOT = path.resolve(__dirname, '../..');
const PROMETHEUS = process.env.PROMETHEUS_BIN || '/usr/bin/prometheus';
const METRICS_TOKEN = 'e2e-metrics-token-0123456789';

let stack: Stack;
let tmp: string;
let prom: ChildProcess | undefined;
let promExited: Promise<unknown> | undefined;
let promUrl: string;
const promLog: string[] = [];

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(expr: string): Promise<Sample[]> {
  const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as {
    status: string;
    data?: { resultType: string; result: Sample[] };
    error?: string;
  };
  if (body.status !== 'success') throw new Error(`query ${expr} answered ${res.status}: ${body.error}`);
  return body.data!.result;
}

/** Polls `check` until it returns true; on timeout throws with what it saw last. */
async function waitFor(
  what: string,
  check: () => Promise<{ ok: boolean; seen: unknown }>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen: unknown;
  while (Date.now() < deadline) {
    try {
      const r = await check();
      seen = r.seen;
      if (r.ok) return;
    } catch (err) {
      seen = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `${what} not seen after ${timeoutMs} ms; last: ${JSON.stringify(seen)}\nprometheus log tail:\n${promLog.join('').split('\n').slice(-20).join('\n')}`,
  );
}

/** The job names and metrics paths of ops/prometheus/prometheus.yml, which the local config must keep. */
function opsJobs(): Record<string, string> {
  const text = fs.readFileSync(path.join(ROOT, 'ops/prometheus/prometheus.yml'), 'utf8');
  const jobs: Record<string, string> = {};
  for (const m of text.matchAll(/job_name:\s*(\S+)\s*\n\s*metrics_path:\s*(\S+)/g)) jobs[m[1]!] = m[2]!;
  return jobs;
}

beforeAll(async () => {
  if (!fs.existsSync(PROMETHEUS))
    throw new Error(
      `${PROMETHEUS} is missing: this test needs Debian's prometheus package (npm test installs it with apt-get, see scripts/lib/prometheus.mjs)`,
    );
  stack = await startStack('promscrape', { LLM_PROVIDER: 'offline', METRICS_TOKEN }, 2);

  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vectort-prometheus-'));
  const tokenFile = path.join(tmp, 'metrics_token');
  fs.writeFileSync(tokenFile, `${METRICS_TOKEN}\n`);
  const jobs = opsJobs();
  expect(jobs).toEqual({ 'vectort-api': '/api/metrics', 'vectort-worker': '/metrics' });
  const config = {
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    rule_files: [path.join(ROOT, 'ops/prometheus/alerts.yml')],
    scrape_configs: [
      {
        job_name: 'vectort-api',
        metrics_path: jobs['vectort-api'],
        authorization: { type: 'Bearer', credentials_file: tokenFile },
        static_configs: [{ targets: [new URL(stack.apiUrl).host] }],
      },
      {
        job_name: 'vectort-worker',
        metrics_path: jobs['vectort-worker'],
        static_configs: [{ targets: stack.workers.map((w) => `127.0.0.1:${w.env.WORKER_METRICS_PORT}`) }],
      },
    ],
  };
  // YAML is a superset of JSON: Prometheus reads this file as is.
  const configFile = path.join(tmp, 'prometheus.yml');
  fs.writeFileSync(configFile, JSON.stringify(config, null, 2));

  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  prom = spawn(
    PROMETHEUS,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(tmp, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  prom.stdout!.on('data', (c: Buffer) => promLog.push(c.toString()));
  prom.stderr!.on('data', (c: Buffer) => promLog.push(c.toString()));
  promExited = new Promise((r) => prom!.once('exit', r));
  await waitFor('prometheus /-/ready', async () => {
    if (prom!.exitCode !== null) throw new Error(`prometheus exited with ${prom!.exitCode}`);
    const res = await fetch(`${promUrl}/-/ready`);
    return { ok: res.ok, seen: res.status };
  });
}, 90_000);

afterAll(async () => {
  if (prom && prom.exitCode === null) {
    prom.kill('SIGTERM');
    const timer = setTimeout(() => prom!.kill('SIGKILL'), 10_000);
    await promExited;
    clearTimeout(timer);
  }
  await stack?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

it('scrapes the API and both workers (up == 1) and stores vectort_generations_total after a generation', async () => {
  const u = await registerUser(stack.apiUrl, 'promscrape');
  const projectId = await createProject(stack.apiUrl, u.token);
  const res = await generate(stack.apiUrl, u.token, projectId, {
    description: 'A todo list scraped by Prometheus',
    framework: 'react',
  });
  expect(res.status).toBe(202);
  const job = await waitForJob(stack.apiUrl, u.token, res.body.job_id);
  expect(job.status).toBe('completed');

  const targets = [new URL(stack.apiUrl).host, ...stack.workers.map((w) => `127.0.0.1:${w.env.WORKER_METRICS_PORT}`)];
  await waitFor('up == 1 for the API and both workers', async () => {
    const up = await query('up');
    const seen = up.map((s) => `${s.metric.job} ${s.metric.instance} ${s.value[1]}`).sort();
    const ok = targets.every((t) => up.some((s) => s.metric.instance === t && s.value[1] === '1')) && up.length === 3;
    return { ok, seen };
  });
  const up = await query('up');
  expect(up.filter((s) => s.metric.job === 'vectort-api' && s.value[1] === '1')).toHaveLength(1);
  expect(up.filter((s) => s.metric.job === 'vectort-worker' && s.value[1] === '1')).toHaveLength(2);

  await waitFor('vectort_generations_total{status="completed"} from a worker', async () => {
    const samples = await query('vectort_generations_total{status="completed"}');
    const total = samples.reduce((n, s) => n + Number(s.value[1]), 0);
    return { ok: total >= 1, seen: samples };
  });
  const samples = await query('vectort_generations_total{status="completed"}');
  for (const s of samples)
    expect(s.metric).toMatchObject({ job: 'vectort-worker', service: 'worker', framework: 'react' });
  expect(samples.reduce((n, s) => n + Number(s.value[1]), 0)).toBe(1);
  // The default process metrics of every process carry the service label too.
  const rss = await query('process_resident_memory_bytes');
  expect(rss.map((s) => s.metric.service).sort()).toEqual(['api', 'worker', 'worker']);
}, 60_000);

it('loads and evaluates every rule of ops/prometheus/alerts.yml without error on the live data', async () => {
  const expected = [
    ...fs.readFileSync(path.join(ROOT, 'ops/prometheus/alerts.yml'), 'utf8').matchAll(/^\s*- alert:\s*(\S+)/gm),
  ].map((m) => m[1]);
  expect(expected.length).toBeGreaterThanOrEqual(7);
  type Rule = {
    name: string;
    health: string;
    lastError?: string;
    lastEvaluation: string;
    duration: number;
    labels: Record<string, string>;
    annotations: Record<string, string>;
  };
  let rules: Rule[] = [];
  await waitFor('every alert rule evaluated', async () => {
    const body = (await (await fetch(`${promUrl}/api/v1/rules?type=alert`)).json()) as {
      data: { groups: { rules: Rule[] }[] };
    };
    rules = body.data.groups.flatMap((g) => g.rules);
    const pending = rules.filter((r) => r.health === 'unknown' || r.lastEvaluation.startsWith('0001-'));
    return { ok: rules.length === expected.length && pending.length === 0, seen: pending.map((r) => r.name) };
  });
  expect(rules.map((r) => r.name).sort()).toEqual([...expected].sort());
  for (const r of rules) {
    expect({ name: r.name, health: r.health, lastError: r.lastError ?? '' }).toEqual({
      name: r.name,
      health: 'ok',
      lastError: '',
    });
    expect(r.duration).toBeGreaterThan(0);
    expect(['critical', 'warning']).toContain(r.labels.severity);
    expect(r.annotations.summary).toBeTruthy();
    expect(r.annotations.description).toBeTruthy();
  }
  // Rules start evaluating a few seconds before the first scrape (Prometheus batches target
  // discovery updates), so VectortApiDown/VectortNoWorkerUp go pending at first; with everything
  // up they must clear, and stay clear.
  await waitFor('availability alerts cleared', async () => {
    const alerts = await query('ALERTS{alertname=~"VectortApiDown|VectortNoWorkerUp"}');
    return { ok: alerts.length === 0, seen: alerts.map((a) => a.metric) };
  });
  await new Promise((r) => setTimeout(r, 2_000));
  expect(await query('ALERTS{alertname=~"VectortApiDown|VectortNoWorkerUp"}')).toEqual([]);
}, 60_000);

it('answers every query of the Grafana dashboard without error', async () => {
  const dash = JSON.parse(fs.readFileSync(path.join(ROOT, 'ops/grafana/dashboards/vectort.json'), 'utf8'));
  type Panel = { title: string; panels?: Panel[]; targets?: { expr: string; refId: string }[] };
  const panels: Panel[] = (function all(ps: Panel[] = []): Panel[] {
    return ps.flatMap((p) => [p, ...all(p.panels)]);
  })(dash.panels);
  const queries = panels.flatMap((p) =>
    (p.targets ?? []).map((t) => ({ panel: p.title, refId: t.refId, expr: t.expr })),
  );
  expect(queries.length).toBeGreaterThan(10);
  const errors: string[] = [];
  const results: Record<string, number> = {};
  for (const q of queries) {
    // Grafana's variables, as Grafana would fill them for a 5-minute view.
    const expr = q.expr
      .replaceAll('$__rate_interval', '1m')
      .replaceAll('$__range', '5m')
      .replaceAll('$__interval', '15s');
    try {
      results[`${q.panel} ${q.refId}`] = (await query(expr)).length;
    } catch (err) {
      errors.push(`${q.panel} ${q.refId}: ${(err as Error).message}`);
    }
  }
  expect(errors).toEqual([]);
  // Panels fed by metrics that exist by now return data.
  expect(results['Targets up A']).toBe(2);
  expect(results['Resident memory A']).toBe(3);
});
