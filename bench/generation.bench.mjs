// Generation paths against DESIGN.md's budgets, each as a ratio to a baseline measured in the same run:
//  - cache hit over HTTP vs a bare Express route (alternating A B A B …, median ratio);
//  - cache hit p99 at a fixed 1,000 req/s, evenly spread (lib.mjs, loadPaced), against the bare route's;
//  - miss submit p50 (auth + limiter + reserve + enqueue) and submit → completed p50 with a 0 ms LLM;
//  - MongoDB commands and Redis round trips per operation (hit, miss submit, worker job, export
//    submit), checked against their budgets: the run exits non-zero when one is over.
//  - API CPU time per hit next to the bare route's per request (from /proc, same runs).
// Usage: npm run bench -- [--pairs 3] [--seconds 5] [--backlog 200] [--counts-only] [--only hit]
//   [--cpu-prof DIR] [--trace]
// --counts-only skips the load runs (flat-out and fixed-rate hits, worker throughput).
// --only hit runs the cache-hit section alone (its round trips, pairs and the fixed-rate runs).
// --cpu-prof DIR starts the API under `node --cpu-prof`: its profile lands in DIR at the end.
// --trace also lists every command one operation of each path sent, and the code that sent it.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startServices } from '../scripts/services.mjs';
import { REPO_ROOT, buildTs } from '../scripts/lib/proc.mjs';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { MongoClient, ObjectId } from 'mongodb';
import {
  benchUser,
  fmt,
  freePort,
  json,
  load,
  loadCharged,
  median,
  percentile,
  startProcess,
  benchEnv,
} from './lib.mjs';
import { idleRate, perOperation, reportRoundTrips, storeName } from './round-trips.mjs';
import { createTracer } from './trace-commands.mjs';

const { values: args } = parseArgs({
  options: {
    pairs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    backlog: { type: 'string', default: '200' },
    'counts-only': { type: 'boolean', default: false },
    only: { type: 'string' },
    'cpu-prof': { type: 'string' },
    trace: { type: 'boolean', default: false },
  },
});
const countsOnly = args['counts-only'];
const pairs = countsOnly ? 0 : Number(args.pairs);
const seconds = Number(args.seconds);
if (args.only !== undefined && args.only !== 'hit') throw new Error(`--only: only "hit" is known, not ${args.only}`);
const hitOnly = args.only === 'hit';
const apiNodeArgs = args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(args['cpu-prof'])}`] : [];
const log = (m) => process.stderr.write(`[bench] ${m}\n`);

const services = await startServices({ log });
await buildTs();
const prefix = `bench${Date.now()}`;
const [apiPort, barePort, workerPort, classesPort] = [
  await freePort(),
  await freePort(),
  await freePort(),
  await freePort(),
];
const env = benchEnv(services.env, prefix, {
  LLM_PROVIDER: 'offline',
  // The 0 ms LLM: no pause between live-output chunks.
  OFFLINE_STREAM_CHUNK_MS: '0',
  RATE_LIMIT_GENERATE_PER_MINUTE: 'free=10,starter=30,pro=1000000',
  // info, as deployed: every request's access line is part of what a hit costs.
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  // The hit ceiling still counts every hit in the probe; set out of reach so the runs get no 429s.
  RATE_LIMIT_HITS_PER_MINUTE: '10000000',
});
const apiUrl = `http://127.0.0.1:${apiPort}`;
const procs = [];
let worker;
/** Stops the processes and services this run started (once). */
let stopped = false;
async function stopAll() {
  if (stopped) return;
  stopped = true;
  await worker?.stop();
  for (const p of procs.reverse()) await p.stop();
  await services.stop();
}
const tracer = createTracer(args.trace ? path.join(REPO_ROOT, '.data', 'bench-logs') : null);

/** No-op BullMQ jobs per second on `redisUrl` (concurrency 50): the queue's own ceiling here. */
async function noopJobsPerSecond(redisUrl, prefix, count) {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue('noop', { connection, prefix });
  await queue.addBulk(
    Array.from({ length: count }, (_, i) => ({ name: 'noop', data: { i }, opts: { removeOnComplete: true } })),
  );
  let done = 0;
  const t0 = performance.now();
  const finished = new Promise((resolve) => {
    const w = new Worker('noop', async () => null, { connection, prefix, concurrency: 50 });
    w.on('completed', () => {
      if (++done === count) resolve(w);
    });
  });
  const w = await finished;
  const rate = count / ((performance.now() - t0) / 1000);
  await w.close();
  await queue.obliterate({ force: true });
  await queue.close();
  connection.disconnect();
  return rate;
}
try {
  procs.push(
    await startProcess(
      'bench/bare-server.mjs',
      { PORT: String(barePort), REDIS_URL: services.env.REDIS_URL, REDIS_KEY_PREFIX: prefix },
      async () => (await fetch(`http://127.0.0.1:${barePort}/bare`, { method: 'POST' })).ok,
    ),
  );
  const bareServer = procs[0];
  // The bare route again on the API's own server (SERVER_CLASSES, bare-server.mjs), in a process
  // of its own so that neither kind of request object slows the other's code.
  const classesServer = await startProcess(
    'bench/bare-server.mjs',
    { PORT: String(classesPort), SERVER_CLASSES: '1' },
    async () => (await fetch(`http://127.0.0.1:${classesPort}/bare`, { method: 'POST' })).ok,
    { logName: 'bench-bare-server-classes' },
  );
  procs.push(classesServer);
  const api = await startProcess(
    'apps/api/dist/main.js',
    { ...env, ...tracer.env('api'), PORT: String(apiPort) },
    async () => (await fetch(`${apiUrl}/readyz`)).ok,
    { nodeArgs: [...tracer.nodeArgs, ...apiNodeArgs] },
  );
  procs.push(api);
  const startWorker = () =>
    startProcess(
      'apps/worker/dist/main.js',
      { ...env, ...tracer.env('worker'), WORKER_METRICS_PORT: String(workerPort) },
      async () => (await fetch(`http://127.0.0.1:${workerPort}/healthz`)).ok,
      { nodeArgs: tracer.nodeArgs },
    );
  worker = await startWorker();

  // A plan the generate limiter counts (its limit raised for the run), so a miss submit pays the
  // limiter's round trip as DESIGN.md's budget has it (auth + limiter + reserve + enqueue).
  const { token, projectId } = await benchUser(apiUrl, env, { plan: 'pro' });
  const generateUrl = `${apiUrl}/api/projects/${projectId}/generate`;
  const waitFor = async (jobId) => json('GET', `${apiUrl}/api/jobs/${jobId}?wait=30`, { token });

  // Fill the cache once.
  const hitBody = JSON.stringify({ description: 'a todo app with tags and due dates', framework: 'react' });
  const first = await json('POST', generateUrl, { token, body: JSON.parse(hitBody) });
  await waitFor(first.body.job_id);
  const hitCheck = await json('POST', generateUrl, { token, body: JSON.parse(hitBody) });
  if (hitCheck.status !== 200) throw new Error(`expected a hit, got ${hitCheck.status}`);
  const hitBytes = JSON.stringify(hitCheck.body).length;

  const apiMetrics = `${apiUrl}/api/metrics`;
  const workerMetrics = `http://127.0.0.1:${workerPort}/metrics`;
  const [apiIdle, workerIdle] = await Promise.all([idleRate(apiMetrics), idleRate(workerMetrics)]);
  const roundTrips = {};
  roundTrips.hit = await perOperation(
    apiMetrics,
    apiIdle,
    100,
    tracer.op('hit', 'api', async () => {
      const res = await json('POST', generateUrl, { token, body: JSON.parse(hitBody) });
      if (res.status !== 200) throw new Error(`expected a hit, got ${res.status}`);
    }),
  );

  const hitOpts = {
    url: generateUrl,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: hitBody,
    seconds,
  };
  const bareOpts = {
    url: `http://127.0.0.1:${barePort}/bare`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: hitBody,
    seconds,
  };
  const floorOpts = { ...bareOpts, url: `http://127.0.0.1:${barePort}/floor` };
  const classesOpts = { ...bareOpts, url: `http://127.0.0.1:${classesPort}/bare` };
  if (!countsOnly) {
    await load({ ...bareOpts, seconds: 2 });
    await load({ ...classesOpts, seconds: 2 });
    await load({ ...floorOpts, seconds: 2 });
    await load({ ...hitOpts, seconds: 2 });
  }
  const rows = [];
  for (let i = 0; i < pairs; i++) {
    const bare = await loadCharged(bareServer.child.pid, bareOpts);
    const floor = await loadCharged(bareServer.child.pid, floorOpts);
    const classes = await loadCharged(classesServer.child.pid, classesOpts);
    const hit = await loadCharged(api.child.pid, hitOpts);
    if (hit.non2xx || bare.non2xx || floor.non2xx || classes.non2xx)
      throw new Error(
        `non-2xx answers: hit ${hit.non2xx}, bare ${bare.non2xx}, floor ${floor.non2xx}, classes ${classes.non2xx}`,
      );
    rows.push({
      classes: classes.requests.average,
      classesCpu: classes.cpuUsPerRequest,
      hitOfClasses: hit.requests.average / classes.requests.average,
      floor: floor.requests.average,
      floorRatio: floor.requests.average / bare.requests.average,
      hitOfFloor: hit.requests.average / floor.requests.average,
      floorCpu: floor.cpuUsPerRequest,
      bare: bare.requests.average,
      hit: hit.requests.average,
      hitP50: hit.latency.p50,
      hitP99: hit.latency.p99,
      ratio: hit.requests.average / bare.requests.average,
      hitCpu: hit.cpuUsPerRequest,
      bareCpu: bare.cpuUsPerRequest,
    });
    log(
      `pair ${i + 1}: bare ${fmt(bare.requests.average, 0)} req/s (${fmt(bare.cpuUsPerRequest, 0)} µs CPU each), ` +
        `floor ${fmt(floor.requests.average, 0)} req/s (${fmt(floor.cpuUsPerRequest, 0)} µs), ` +
        `bare on the API's server ${fmt(classes.requests.average, 0)} req/s (${fmt(classes.cpuUsPerRequest, 0)} µs), ` +
        `hit ${fmt(hit.requests.average, 0)} req/s (${fmt(hit.cpuUsPerRequest, 0)} µs CPU each)`,
    );
  }
  // Hits at a fixed 1,000 req/s, spread evenly (lib.mjs, loadPaced: why not autocannon's rate),
  // alternating with the bare route at the same rate, as many pairs as the flat-out runs.
  const fixed = [];
  const bareFixed = [];
  for (let i = 0; i < pairs; i++) {
    fixed.push(await loadCharged(api.child.pid, { ...hitOpts, rate: 1000 }));
    bareFixed.push(await loadCharged(bareServer.child.pid, { ...bareOpts, rate: 1000 }));
    const [hit, bare] = [fixed.at(-1), bareFixed.at(-1)];
    if (hit.non2xx || hit.errors || bare.non2xx || bare.errors)
      throw new Error(
        `fixed rate: hit ${hit.non2xx} non-2xx, ${hit.errors} errors; bare ${bare.non2xx}, ${bare.errors}`,
      );
    log(
      `fixed-rate pair ${i + 1}: hit p99 ${fmt(hit.latency.p99)} ms (p50 ${fmt(hit.latency.p50)}, ${fmt(hit.cpuUsPerRequest, 0)} µs CPU each), ` +
        `bare p99 ${fmt(bare.latency.p99)} ms (p50 ${fmt(bare.latency.p50)}); generator behind schedule by at most ${fmt(Math.max(hit.scheduleLagMs, bare.scheduleLagMs), 0)} ms`,
    );
  }
  if (hitOnly) {
    console.log('\nCache-hit benchmark (2-core machine, load generator on the same box)');
    console.log(`store: ${await storeName(env.MONGO_URL)}; hit body ${hitBytes} bytes`);
    if (reportRoundTrips(roundTrips, fmt).length) process.exitCode = 1;
    if (!countsOnly) reportHits(rows, fixed, bareFixed);
    // The other sections are not wanted: stop here (the `finally` below would run after them).
    await stopAll();
    process.exit();
  }

  // Miss submit: unique descriptions, one at a time, timed from the client.
  const submitMs = [];
  const completeMs = [];
  const submitted = [];
  roundTrips['miss submit'] = await perOperation(
    apiMetrics,
    apiIdle,
    200,
    tracer.op('miss submit', 'api', async (i) => {
      const t0 = performance.now();
      const res = await json('POST', generateUrl, {
        token,
        body: { description: `bench miss ${prefix} ${i}`, framework: 'html' },
      });
      submitMs.push(performance.now() - t0);
      if (res.status !== 202) throw new Error(`expected 202, got ${res.status}`);
      submitted.push(res.body.job_id);
    }),
  );
  // Let the worker drain that backlog so it does not queue ahead of the next measurement.
  for (const id of submitted) await waitFor(id);
  // Submit → completed: submit, then long-poll until done.
  roundTrips['worker job'] = await perOperation(
    workerMetrics,
    workerIdle,
    100,
    tracer.op('worker job', 'worker', async (i) => {
      const t0 = performance.now();
      const res = await json('POST', generateUrl, {
        token,
        body: { description: `bench e2e ${prefix} ${i}`, framework: 'html' },
      });
      const job = await waitFor(res.body.job_id);
      if (job.body.status !== 'completed') throw new Error(`job ended ${job.body.status}`);
      completeMs.push(performance.now() - t0);
    }),
  );
  const exportIds = [];
  roundTrips['export submit'] = await perOperation(
    apiMetrics,
    apiIdle,
    20,
    tracer.op('export submit', 'api', async () => {
      const res = await json('POST', `${apiUrl}/api/projects/${projectId}/export/zip`, { token, body: {} });
      if (res.status !== 202 && res.status !== 200) throw new Error(`export submit answered ${res.status}`);
      if (res.body.job_id) exportIds.push(res.body.job_id);
    }),
  );
  for (const id of exportIds) await waitFor(id);

  // Worker throughput: a backlog of misses submitted while no worker runs, then drained by one
  // worker process; against no-op BullMQ jobs on the same Redis (A B A B …).
  const mongo = await MongoClient.connect(env.MONGO_URL);
  const jobsCol = mongo.db().collection('jobs');
  const throughput = [];
  for (let pair = 0; pair < pairs; pair++) {
    const noop = await noopJobsPerSecond(env.REDIS_URL, `${prefix}noop${pair}`, 3000);
    await worker.stop();
    const ids = [];
    for (let i = 0; i < Number(args.backlog); i++) {
      const res = await json('POST', generateUrl, {
        token,
        body: { description: `bench backlog ${prefix} ${pair} ${i}`, framework: 'html' },
      });
      ids.push(new ObjectId(res.body.job_id));
    }
    worker = await startWorker();
    const t0 = performance.now();
    while ((await jobsCol.countDocuments({ _id: { $in: ids }, status: 'completed' })) < ids.length)
      await new Promise((r) => setTimeout(r, 20));
    const workerRate = ids.length / ((performance.now() - t0) / 1000);
    throughput.push({ noop, worker: workerRate, ratio: workerRate / noop });
    log(`throughput pair ${pair + 1}: no-op BullMQ ${fmt(noop, 0)} jobs/s, generate ${fmt(workerRate, 0)} jobs/s`);
  }
  await mongo.close();

  console.log('\nGeneration benchmark (2-core machine, load generator on the same box)');
  const store = await storeName(env.MONGO_URL);
  console.log(`store: ${store}; hit body ${hitBytes} bytes`);
  console.log(
    `taken off each path as idle (per second): API MongoDB ${fmt(apiIdle.mongo, 1)}, Redis ${fmt(apiIdle.redis, 1)}; ` +
      `worker MongoDB ${fmt(workerIdle.mongo, 1)}, Redis ${fmt(workerIdle.redis, 1)}; ` +
      `and per metrics reading: API MongoDB ${fmt(apiIdle.scrape.mongo, 0)}, Redis ${fmt(apiIdle.scrape.redis, 0)}`,
  );
  const over = reportRoundTrips(roundTrips, fmt);
  if (store.startsWith('FerretDB')) {
    console.log(
      'worker job on FerretDB: a job ends with one write by _id that returns the job as it was (FerretDB v1 pushes ' +
        'down no other filter); on MongoDB it is one conditional write',
    );
  }
  tracer.report();
  if (over.length) {
    console.log(`round trips over budget: ${over.join(', ')}`);
    process.exitCode = 1;
  }
  console.log(
    `miss submit:   p50 ${fmt(median(submitMs))} ms, p99 ${fmt(percentile(submitMs, 99))} ms (budget p50 < 5 ms)`,
  );
  console.log(
    `submit->done:  p50 ${fmt(median(completeMs))} ms, p99 ${fmt(percentile(completeMs, 99))} ms with the 0 ms offline LLM (budget p50 < 15 ms)`,
  );
  if (!countsOnly) {
    reportHits(rows, fixed, bareFixed);
    console.log(
      `worker:        ${fmt(median(throughput.map((t) => t.worker)), 0)} generate jobs/s (0 ms LLM, concurrency 10) vs ${fmt(median(throughput.map((t) => t.noop)), 0)} no-op BullMQ jobs/s (concurrency 50) -> ratio ${fmt(median(throughput.map((t) => t.ratio)), 3)} (budget >= 0.10)`,
    );
  }
} finally {
  await stopAll();
}

/** The cache-hit lines: pairs' median ratio, latencies, CPU per request, and the fixed-rate runs. */
function reportHits(rows, fixed, bareFixed) {
  const ratio = median(rows.map((r) => r.ratio));
  console.log(`pairs: ${pairs} x ${seconds}s`);
  console.log(
    `cache hit:     median ${fmt(median(rows.map((r) => r.hit)), 0)} req/s vs bare Express ${fmt(median(rows.map((r) => r.bare)), 0)} req/s -> ratio ${fmt(ratio)} (budget >= 0.60)`,
  );
  console.log(
    `floor route:   median ${fmt(median(rows.map((r) => r.floor)), 0)} req/s (bare route + 1 Redis GET + 1 access line) -> ratio ${fmt(median(rows.map((r) => r.floorRatio)))} of bare; ` +
      `the hit is ${fmt(median(rows.map((r) => r.hitOfFloor)))} of the floor`,
  );
  console.log(
    `same server:   the bare route on the API's server (createExpressServer) ${fmt(median(rows.map((r) => r.classes)), 0)} req/s, ` +
      `${fmt(median(rows.map((r) => r.classesCpu)), 0)} µs CPU each -> the hit is ${fmt(median(rows.map((r) => r.hitOfClasses)))} of it`,
  );
  console.log(
    `cache hit:     p50 ${fmt(median(rows.map((r) => r.hitP50)))} ms, p99 ${fmt(median(rows.map((r) => r.hitP99)))} ms flat out`,
  );
  const m = (runs, pick) => median(runs.map(pick));
  console.log(
    `cache hit CPU: API ${fmt(median(rows.map((r) => r.hitCpu)), 0)} µs per hit vs bare route ${fmt(median(rows.map((r) => r.bareCpu)), 0)} µs per request flat out ` +
      `(floor route ${fmt(median(rows.map((r) => r.floorCpu)), 0)} µs); ` +
      `${fmt(
        m(fixed, (r) => r.cpuUsPerRequest),
        0,
      )} vs ${fmt(
        m(bareFixed, (r) => r.cpuUsPerRequest),
        0,
      )} µs at 1,000 req/s`,
  );
  console.log(
    `cache hit @1000 req/s, evenly spread: p99 ${fmt(m(fixed, (r) => r.latency.p99))} ms, p50 ${fmt(m(fixed, (r) => r.latency.p50))} ms ` +
      `(bare route at the same rate: p99 ${fmt(m(bareFixed, (r) => r.latency.p99))} ms; budget < 10 ms), median of ${fixed.length} windows ` +
      `[${fixed.map((r) => fmt(r.latency.p99)).join(', ')}], achieved ${fmt(
        m(fixed, (r) => r.requests.average),
        0,
      )} req/s`,
  );
}
