// Bytes the API allocates per cache hit, against the bare Express route's per request, both
// counted by V8's sampling heap profiler with collected objects kept (bench/heap-sampler.mjs).
// Unlike requests per second, the figure hardly moves between runs on this shared machine
// (within about 0.5 %), so it shows a cut of a few per cent that a throughput run cannot; the
// places that allocate most are listed after it.
// Usage: npm run bench:alloc -- [--requests 20000] [--pairs 2] [--top 12]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startServices } from '../scripts/services.mjs';
import { REPO_ROOT, buildTs } from '../scripts/lib/proc.mjs';
import { benchEnv, benchUser, fmt, freePort, json, load, median, startProcess } from './lib.mjs';

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '20000' },
    pairs: { type: 'string', default: '2' },
    top: { type: 'string', default: '12' },
  },
});
const requests = Number(args.requests);
const log = (m) => process.stderr.write(`[bench:alloc] ${m}\n`);
const sampler = ['--import', path.join(REPO_ROOT, 'bench', 'heap-sampler.mjs')];
const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vectort-alloc-'));

const services = await startServices({ log });
await buildTs();
const prefix = `alloc${Date.now()}`;
const [apiPort, barePort, workerPort] = [await freePort(), await freePort(), await freePort()];
const env = benchEnv(services.env, prefix, {
  LLM_PROVIDER: 'offline',
  // info, as deployed: the access line is part of what a hit allocates.
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  RATE_LIMIT_HITS_PER_MINUTE: '10000000',
});
const apiUrl = `http://127.0.0.1:${apiPort}`;
const procs = [];

/** Signals `proc` twice around `run()`; the bytes its profile counts per request. */
async function allocatedPerRequest(proc, out, run) {
  fs.rmSync(out, { force: true });
  proc.child.kill('SIGUSR2');
  await new Promise((resolve) => setTimeout(resolve, 200));
  const result = await run();
  if (result.non2xx) throw new Error(`${result.non2xx} non-2xx answers`);
  proc.child.kill('SIGUSR2');
  for (let waited = 0; !fs.existsSync(out); waited += 100) {
    if (waited > 30_000) throw new Error(`no heap profile from pid ${proc.child.pid}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const profile = JSON.parse(fs.readFileSync(out, 'utf8'));
  return { perRequest: totalBytes(profile.head) / result.requests.total, profile };
}

const totalBytes = (node) => node.children.reduce((sum, child) => sum + totalBytes(child), node.selfSize);

const frameName = ({ callFrame: f }) =>
  `${f.functionName || '(anonymous)'} ${f.url
    .replace(/^.*node_modules\//, '')
    .replace(`file://${REPO_ROOT}/`, '')
    .replace(`${REPO_ROOT}/`, '')}:${f.lineNumber + 1}`;

/** The frames that allocated most themselves (inlined callees included), as shares of the total. */
function topFrames(profile, count) {
  const bytes = new Map();
  const walk = (node) => {
    const name = frameName(node);
    bytes.set(name, (bytes.get(name) ?? 0) + node.selfSize);
    node.children.forEach(walk);
  };
  walk(profile.head);
  const total = totalBytes(profile.head);
  return [...bytes]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, size]) => `  ${fmt((100 * size) / total, 1).padStart(5)} %  ${name}`);
}

try {
  const bareOut = path.join(profileDir, 'bare.heapprofile');
  const bare = await startProcess(
    'bench/bare-server.mjs',
    { PORT: String(barePort), REDIS_URL: services.env.REDIS_URL, REDIS_KEY_PREFIX: prefix, HEAP_SAMPLE_OUT: bareOut },
    async () => (await fetch(`http://127.0.0.1:${barePort}/bare`, { method: 'POST' })).ok,
    { nodeArgs: sampler },
  );
  procs.push(bare);
  const apiOut = path.join(profileDir, 'api.heapprofile');
  const api = await startProcess(
    'apps/api/dist/main.js',
    { ...env, PORT: String(apiPort), HEAP_SAMPLE_OUT: apiOut },
    async () => (await fetch(`${apiUrl}/readyz`)).ok,
    { nodeArgs: sampler },
  );
  procs.push(api);
  procs.push(
    await startProcess(
      'apps/worker/dist/main.js',
      { ...env, WORKER_METRICS_PORT: String(workerPort) },
      async () => (await fetch(`http://127.0.0.1:${workerPort}/healthz`)).ok,
    ),
  );

  const { token, projectId } = await benchUser(apiUrl, env, { plan: 'pro' });
  const generateUrl = `${apiUrl}/api/projects/${projectId}/generate`;
  const hitBody = JSON.stringify({ description: 'a todo app with tags and due dates', framework: 'react' });
  const first = await json('POST', generateUrl, { token, body: JSON.parse(hitBody) });
  await json('GET', `${apiUrl}/api/jobs/${first.body.job_id}?wait=30`, { token });
  const hitOpts = {
    url: generateUrl,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: hitBody,
  };
  const bareOpts = {
    url: `http://127.0.0.1:${barePort}/bare`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: hitBody,
  };
  const check = await json('POST', generateUrl, { token, body: JSON.parse(hitBody) });
  if (check.status !== 200) throw new Error(`expected a hit, got ${check.status}`);
  // Warm both up, so what is compiled or cached once is not counted.
  await load({ ...bareOpts, seconds: 3 });
  await load({ ...hitOpts, seconds: 3 });

  const rows = [];
  let hitProfile;
  for (let pair = 0; pair < Number(args.pairs); pair++) {
    const b = await allocatedPerRequest(bare, bareOut, () => load({ ...bareOpts, amount: requests }));
    const h = await allocatedPerRequest(api, apiOut, () => load({ ...hitOpts, amount: requests }));
    hitProfile = h.profile;
    rows.push({ bare: b.perRequest, hit: h.perRequest });
    log(`pair ${pair + 1}: bare ${fmt(b.perRequest / 1024, 1)} KB a request, hit ${fmt(h.perRequest / 1024, 1)} KB`);
  }
  const bareKb = median(rows.map((r) => r.bare)) / 1024;
  const hitKb = median(rows.map((r) => r.hit)) / 1024;
  console.log('\nAllocation per request (V8 sampling heap profiler, collected objects included)');
  console.log(`requests: ${requests} per run, ${rows.length} pairs, the API at LOG_LEVEL=${env.LOG_LEVEL}`);
  console.log(
    `cache hit: ${fmt(hitKb, 1)} KB per hit vs bare Express ${fmt(bareKb, 1)} KB per request -> ${fmt(hitKb / bareKb)}x`,
  );
  console.log(`where the hit allocates (the last run):\n${topFrames(hitProfile, Number(args.top)).join('\n')}`);
} finally {
  for (const p of procs.reverse()) await p.stop();
  await services.stop();
  fs.rmSync(profileDir, { recursive: true, force: true });
}
