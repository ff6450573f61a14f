// The store as data grows, against DESIGN.md's budget (submit -> completed p50 with 20,000 earlier
// generations within 1.5x of an empty store), each figure next to a baseline from the same run:
//  - two stacks (API + worker each, own database and Redis prefix): one on an empty database, one
//    on a database seeded with `--seed` earlier generations and everything the app writes with
//    them (their jobs, debits, cache entries, users and projects), cloned from a generation the
//    app itself wrote, so every document has the app's shape;
//  - submit -> completed (0 ms offline LLM, one at a time), empty and seeded alternating (A B A B),
//    p50 / p99 and their ratio;
//  - a burst on the seeded store: `--misses` concurrent misses from `--users` new users; every job
//    must complete and every balance must equal start - debits + refunds, as the ledger says;
//  - what the store's operations cost at that size: point reads by `_id` against other filter
//    shapes, the requeue sweep's query, and pruning the finished job records.
// The run exits non-zero when the burst loses a job or a credit. Times are reported, not asserted.
// Usage: npm run bench:store -- [--pairs 3] [--runs 20] [--seed 20000] [--users 50] [--misses 200]
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { MongoClient, ObjectId } from 'mongodb';
import { startServices } from '../scripts/services.mjs';
import { buildTs } from '../scripts/lib/proc.mjs';
import { benchEnv, benchUser, fmt, freePort, json, median, percentile, startProcess } from './lib.mjs';
import { storeName } from './round-trips.mjs';

const { values: args } = parseArgs({
  options: {
    pairs: { type: 'string', default: '3' },
    runs: { type: 'string', default: '20' },
    seed: { type: 'string', default: '20000' },
    users: { type: 'string', default: '50' },
    misses: { type: 'string', default: '200' },
  },
});
const [pairs, runs, seedCount, userCount, missCount] = ['pairs', 'runs', 'seed', 'users', 'misses'].map((k) =>
  Number(args[k]),
);
const log = (m) => process.stderr.write(`[bench:store] ${m}\n`);
const prefix = `store${Date.now()}`;
const PASSWORD = 'bench-password';

/** One API and one worker on their own database and Redis prefix. */
async function startStack(services, label) {
  const name = `${prefix}${label}`;
  const [apiPort, workerPort] = [await freePort(), await freePort()];
  const env = benchEnv(services.env, name, {
    LLM_PROVIDER: 'offline',
    OFFLINE_STREAM_CHUNK_MS: '0',
    // The burst registers its users through the API.
    RATE_LIMIT_REGISTER_PER_HOUR: '100000',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    // To compare the write bound with another (`MONGO_MAX_CONCURRENT_WRITES=1000 npm run bench:store`).
    ...(process.env.MONGO_MAX_CONCURRENT_WRITES
      ? { MONGO_MAX_CONCURRENT_WRITES: process.env.MONGO_MAX_CONCURRENT_WRITES }
      : {}),
  });
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const api = await startProcess(
    'apps/api/dist/main.js',
    { ...env, PORT: String(apiPort) },
    async () => (await fetch(`${apiUrl}/readyz`)).ok,
    { logName: `store-${label}-api` },
  );
  const worker = await startProcess(
    'apps/worker/dist/main.js',
    { ...env, WORKER_METRICS_PORT: String(workerPort) },
    async () => (await fetch(`http://127.0.0.1:${workerPort}/healthz`)).ok,
    { logName: `store-${label}-worker` },
  );
  const user = await benchUser(apiUrl, env);
  return { label, env, apiUrl, user, stop: async () => Promise.all([worker.stop(), api.stop()]) };
}

/** Long-polls `jobId` until it ends or `deadline` passes; the last status object. */
async function waitEnded(apiUrl, token, jobId, deadline = Date.now() + 60_000) {
  for (;;) {
    const res = await json('GET', `${apiUrl}/api/jobs/${jobId}?wait=30`, { token });
    const ended = ['completed', 'failed', 'cancelled'].includes(res.body?.status);
    if (ended || Date.now() > deadline) return res.body;
  }
}

/** Submits a unique miss and waits for it: ms from the submit to the completed status. */
async function submitToCompleted(stack, tag) {
  const { token, projectId } = stack.user;
  const t0 = performance.now();
  const res = await json('POST', `${stack.apiUrl}/api/projects/${projectId}/generate`, {
    token,
    body: { description: `store bench ${prefix} ${stack.label} ${tag}`, framework: 'html' },
  });
  if (res.status !== 202) throw new Error(`${stack.label}: expected 202, got ${res.status}`);
  const job = await waitEnded(stack.apiUrl, token, res.body.job_id);
  if (job.status !== 'completed') throw new Error(`${stack.label}: job ended ${job.status}`);
  return performance.now() - t0;
}

const daysAgo = (d) => new Date(Date.now() - d * 86400_000);

/**
 * Seeds `count` earlier generations into the stack's database, cloned from one generation the
 * app wrote (and its job, debit and cache entry), spread over 200 users and 1,000 projects. The
 * jobs ended within the last 6 days, inside the default record retention (7 days): all of them
 * stay in the collection the worker reads, the worst case for the store.
 */
async function seed(stack, db, count) {
  const { token, projectId } = stack.user;
  const first = await json('POST', `${stack.apiUrl}/api/projects/${projectId}/generate`, {
    token,
    body: { description: `store bench ${prefix} template`, framework: 'html' },
  });
  await waitEnded(stack.apiUrl, token, first.body.job_id);
  const id = new ObjectId(first.body.job_id);
  const [job, gen, debit, user, project] = await Promise.all([
    db.collection('jobs').findOne({ _id: id }),
    db.collection('generations').findOne({ _id: id }),
    db.collection('credit_ledger').findOne({ _id: `job:${id.toHexString()}:generation` }),
    db.collection('users').findOne({ _id: new ObjectId(stack.user.userId) }),
    db.collection('projects').findOne({ _id: new ObjectId(projectId) }),
  ]);
  if (!job || !gen || !debit || !user || !project) throw new Error('the template generation is incomplete');
  const users = Array.from({ length: 200 }, (_, i) => ({
    ...user,
    _id: new ObjectId(),
    email: `seed${i}-${prefix}@example.com`,
    email_lower: `seed${i}-${prefix}@example.com`,
    applied_ops: [],
  }));
  const projects = Array.from({ length: 1000 }, (_, i) => ({
    ...project,
    _id: new ObjectId(),
    user_id: users[i % users.length]._id,
    name: `seeded ${i}`,
  }));
  await db.collection('users').insertMany(users, { ordered: false });
  await db.collection('projects').insertMany(projects, { ordered: false });
  const t0 = performance.now();
  for (let at = 0; at < count; at += 1000) {
    const batch = { generations: [], jobs: [], credit_ledger: [], cache_entries: [] };
    for (let i = at; i < Math.min(count, at + 1000); i++) {
      const p = projects[i % projects.length];
      const gid = new ObjectId();
      const hex = gid.toHexString();
      const key = createHash('sha256').update(`${prefix}:${i}`).digest('hex');
      const ended = daysAgo(1 / 24 + (6 * (count - i)) / count);
      const description = `seeded generation ${i}`;
      const g = {
        ...gen,
        _id: gid,
        user_id: p.user_id,
        project_id: p._id,
        job_id: gid,
        cache_key: key,
        description,
        source_generation_id: hex,
        created_at: ended,
      };
      batch.generations.push(g);
      batch.jobs.push({
        ...job,
        _id: gid,
        user_id: p.user_id,
        project_id: p._id,
        result: {
          generation: { ...job.result.generation, id: hex, project_id: p._id.toHexString(), description },
        },
        payload: {
          ...job.payload,
          job_id: hex,
          user_id: p.user_id.toHexString(),
          project_id: p._id.toHexString(),
          cache_key: key,
          description,
        },
        created_at: ended,
        updated_at: ended,
        finished_at: ended,
      });
      batch.credit_ledger.push({
        ...debit,
        _id: `job:${hex}:generation`,
        user_id: p.user_id,
        job_id: gid,
        created_at: ended,
      });
      batch.cache_entries.push({ _id: key, generation_id: gid, updated_at: ended });
    }
    await Promise.all(
      Object.entries(batch).map(([name, docs]) => db.collection(name).insertMany(docs, { ordered: false })),
    );
    if ((at / 1000) % 5 === 4) log(`seeded ${at + 1000} of ${count}`);
  }
  return { seconds: (performance.now() - t0) / 1000, bytes: JSON.stringify(gen).length + JSON.stringify(job).length };
}

/**
 * Submits one miss as a client would: a 429 or 503 is tried again after its Retry-After (at
 * most 20 tries). Returns the job id (null when every try was refused) and the answers seen.
 */
async function submitPatiently(stack, account, description) {
  const answers = [];
  for (let attempt = 0; attempt < 20; attempt++) {
    const res = await fetch(`${stack.apiUrl}/api/projects/${account.projectId}/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${account.token}` },
      body: JSON.stringify({ description, framework: 'html' }),
    });
    answers.push(res.status);
    const body = await res.json().catch(() => null);
    if (res.status === 202) return { jobId: body.job_id, answers };
    if (res.status !== 429 && res.status !== 503) return { jobId: null, answers };
    const wait = Number(res.headers.get('retry-after') ?? 1);
    await new Promise((r) => setTimeout(r, Math.min(wait, 5) * 1000 * (0.5 + Math.random())));
  }
  return { jobId: null, answers };
}

/**
 * `missCount` concurrent misses from `userCount` new users (free plan). Every job must complete;
 * every balance must equal the start less debits plus refunds, match the ledger, and carry no
 * half-done operation (an `applied_ops` marker without its ledger entry). Balances come from `/api/me`; the ledger is read in one
 * query for all burst users (`GET /api/credits` per user would scan the ledger 50 times on
 * FerretDB: see the operations section).
 */
async function burst(stack, db) {
  const accounts = await Promise.all(
    Array.from({ length: userCount }, async (_, u) => {
      const reg = await json('POST', `${stack.apiUrl}/api/auth/register`, {
        body: { email: `burst${u}-${prefix}@example.com`, password: PASSWORD },
      });
      if (reg.status !== 201) throw new Error(`register answered ${reg.status}`);
      const token = reg.body.token;
      const project = await json('POST', `${stack.apiUrl}/api/projects`, { token, body: { name: `burst ${u}` } });
      return { id: reg.body.user.id, token, projectId: project.body.id, start: reg.body.user.credits, jobs: [] };
    }),
  );
  const t0 = performance.now();
  const submits = await Promise.all(
    Array.from({ length: missCount }, async (_, i) => {
      const a = accounts[i % accounts.length];
      const s0 = performance.now();
      const r = await submitPatiently(stack, a, `store burst ${prefix} ${i}`);
      if (r.jobId) a.jobs.push(r.jobId);
      return { ...r, ms: performance.now() - s0 };
    }),
  );
  const deadline = Date.now() + 300_000;
  const ends = await Promise.all(
    accounts.flatMap((a) => a.jobs.map((id) => waitEnded(stack.apiUrl, a.token, id, deadline))),
  );
  const seconds = (performance.now() - t0) / 1000;
  const byStatus = {};
  for (const e of ends) byStatus[e?.status ?? 'no answer'] = (byStatus[e?.status ?? 'no answer'] ?? 0) + 1;
  const free = new Set(ends.filter((e) => e?.result?.generation?.cached).map((e) => e.job_id));
  const ledger = await db
    .collection('credit_ledger')
    .find({ user_id: { $in: accounts.map((a) => new ObjectId(a.id)) } })
    .toArray();
  const users = await db
    .collection('users')
    .find({ _id: { $in: accounts.map((a) => new ObjectId(a.id)) } }, { projection: { applied_ops: 1 } })
    .toArray();
  let exact = 0;
  const wrong = [];
  for (const a of accounts) {
    const me = await json('GET', `${stack.apiUrl}/api/me`, { token: a.token });
    const mine = ledger.filter((e) => e.user_id.toHexString() === a.id);
    const sum = (es) => es.reduce((n, e) => n + e.delta, 0);
    const debits = mine.filter((e) => e.reason === 'generation');
    const refunds = mine.filter((e) => e.reason === 'generation_refund');
    const expected = a.start + sum(debits) + sum(refunds);
    // Each accepted job: one debit, and a refund exactly when it ended free (a hit).
    const perJob = a.jobs.every(
      (id) =>
        debits.filter((e) => e.job_id?.toHexString() === id).length === 1 &&
        refunds.filter((e) => e.job_id?.toHexString() === id).length === (free.has(id) ? 1 : 0),
    );
    // A marker whose ledger entry is missing is an operation caught half-way (credits-ledger.ts).
    const entryIds = new Set(mine.map((e) => e._id));
    const markers = users.find((u) => u._id.toHexString() === a.id)?.applied_ops ?? [];
    const pending = markers.filter((key) => !entryIds.has(key)).length;
    const balance = me.body?.credits;
    if (balance === expected && balance === sum(mine) && perJob && pending === 0) exact += 1;
    else wrong.push({ balance, expected, ledger: sum(mine), perJob, pending });
  }
  const retried = submits.filter((s) => s.answers.length > 1);
  return {
    accepted: submits.filter((s) => s.jobId).length,
    firstTry: submits.filter((s) => s.answers.length === 1 && s.jobId).length,
    retries: Object.entries(
      retried.flatMap((s) => s.answers.slice(0, -1)).reduce((m, c) => ({ ...m, [c]: (m[c] ?? 0) + 1 }), {}),
    ),
    submitP50: median(submits.map((s) => s.ms)),
    byStatus,
    seconds,
    exact,
    wrong,
  };
}

/** Median ms of `n` runs of `op`. */
async function timeOp(n, op) {
  const ms = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await op(i);
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

/** What single operations cost on the seeded collections, by filter shape. */
async function shapes(db, n = 5) {
  const gens = db.collection('generations');
  const sample = await gens
    .find({}, { projection: { _id: 1, user_id: 1, cache_key: 1 } })
    .limit(2000)
    .toArray();
  const pick = (i) => sample[(i * 397) % sample.length];
  return {
    'findOne({_id})': await timeOp(n, (i) => gens.findOne({ _id: pick(i)._id })),
    'findOne({_id}) of a missing id': await timeOp(n, () => gens.findOne({ _id: new ObjectId() })),
    'findOne({_id, user_id})': await timeOp(n, (i) => gens.findOne({ _id: pick(i)._id, user_id: pick(i).user_id })),
    'findOne({cache_key}) (indexed field)': await timeOp(n, (i) => gens.findOne({ cache_key: pick(i).cache_key })),
    'updateOne({_id}) on cache_entries': await timeOp(n, (i) =>
      db.collection('cache_entries').updateOne({ _id: pick(i).cache_key }, { $set: { touched_at: new Date() } }),
    ),
  };
}

/** The requeue sweep's query (requeue-lost-jobs.ts) as the worker runs it. */
const requeueQuery = (db) =>
  db
    .collection('jobs')
    .find({ status: { $in: ['queued', 'active'] }, updated_at: { $lt: new Date(Date.now() - 60_000) } })
    .limit(200)
    .toArray();

const services = await startServices({ log });
await buildTs();
const { pruneFinishedJobs } = await import('../apps/worker/dist/processors/prune-finished-jobs.js');
const stacks = [];
let failed = false;
try {
  const empty = await startStack(services, 'empty');
  stacks.push(empty);
  const seeded = await startStack(services, 'seeded');
  stacks.push(seeded);
  const mongo = await MongoClient.connect(seeded.env.MONGO_URL);
  const db = mongo.db();
  log(`seeding ${seedCount} generations with their jobs, debits and cache entries`);
  const seeding = await seed(seeded, db, seedCount);
  log(`seeded in ${fmt(seeding.seconds, 1)} s`);

  for (const s of stacks) for (let i = 0; i < 3; i++) await submitToCompleted(s, `warm ${i}`);
  const rows = [];
  const all = { empty: [], seeded: [] };
  for (let pair = 0; pair < pairs; pair++) {
    const row = {};
    for (const s of stacks) {
      const ms = [];
      for (let i = 0; i < runs; i++) ms.push(await submitToCompleted(s, `${pair} ${i}`));
      all[s.label].push(...ms);
      row[s.label] = median(ms);
    }
    rows.push({ ...row, ratio: row.seeded / row.empty });
    log(`pair ${pair + 1}: empty p50 ${fmt(row.empty)} ms, seeded p50 ${fmt(row.seeded)} ms`);
  }

  log(`burst: ${missCount} concurrent misses from ${userCount} users on the seeded store`);
  const b = await burst(seeded, db);
  const shape = await shapes(db);
  const counts = Object.fromEntries(
    await Promise.all(
      ['generations', 'jobs', 'credit_ledger', 'cache_entries'].map(async (c) => [
        c,
        await db.collection(c).estimatedDocumentCount(),
      ]),
    ),
  );
  const creditsPage = await timeOp(1, () => json('GET', `${seeded.apiUrl}/api/credits`, { token: seeded.user.token }));
  const requeueBefore = await timeOp(1, () => requeueQuery(db));
  const p0 = performance.now();
  const pruned = await pruneFinishedJobs({ db, retentionSeconds: 0 });
  const pruneSeconds = (performance.now() - p0) / 1000;
  const requeueAfter = await timeOp(3, () => requeueQuery(db));
  await mongo.close();

  const ratio = median(rows.map((r) => r.ratio));
  console.log('\nSeeded-store benchmark (2-core machine, everything on the same box)');
  console.log(`store: ${await storeName(seeded.env.MONGO_URL)}`);
  console.log(
    `seeded: ${seedCount} generations with their jobs, debits and cache entries in ${fmt(seeding.seconds, 1)} s (generation + job ≈ ${seeding.bytes} bytes of JSON); counts ${JSON.stringify(counts)}`,
  );
  console.log(`pairs: ${pairs} x ${runs} submit -> completed per store, one at a time, 0 ms offline LLM`);
  console.log(`submit->done empty:  p50 ${fmt(median(all.empty))} ms, p99 ${fmt(percentile(all.empty, 99))} ms`);
  console.log(`submit->done seeded: p50 ${fmt(median(all.seeded))} ms, p99 ${fmt(percentile(all.seeded, 99))} ms`);
  console.log(
    `seeded/empty p50 ratio: median of pairs ${fmt(ratio)} [${rows.map((r) => fmt(r.ratio)).join(', ')}] (budget <= 1.5: ${ratio <= 1.5 ? 'ok' : 'OVER'})`,
  );
  const burstOk = b.accepted === missCount && b.byStatus.completed === missCount && b.exact === userCount;
  console.log(
    `burst: ${missCount} concurrent misses from ${userCount} users: ${b.accepted} accepted (${b.firstTry} at the first try${b.retries.length ? `; answers before a retry: ${b.retries.map(([c, n]) => `${n} x ${c}`).join(', ')}` : ''}), submit p50 ${fmt(b.submitP50)} ms; ends ${JSON.stringify(b.byStatus)} in ${fmt(b.seconds, 1)} s; balances exact for ${b.exact} of ${userCount} users (${burstOk ? 'ok' : 'FAILED'})`,
  );
  if (b.wrong.length) console.log(`  wrong balances: ${JSON.stringify(b.wrong.slice(0, 5))}`);
  console.log(`operations at this size (median of 5):`);
  for (const [name, ms] of Object.entries(shape)) console.log(`  ${name.padEnd(38)} ${fmt(ms, 1)} ms`);
  console.log(`  ${'GET /api/credits (the ledger, by user)'.padEnd(38)} ${fmt(creditsPage, 1)} ms`);
  console.log(
    `requeue sweep query: ${fmt(requeueBefore, 1)} ms with ${counts.jobs} job records; pruning ${pruned} finished records took ${fmt(pruneSeconds, 1)} s; then ${fmt(requeueAfter, 1)} ms`,
  );
  if (!burstOk) failed = true;
} finally {
  for (const s of stacks.reverse()) {
    await s.stop();
    // The seeded database is a few hundred MB: do not leave it behind.
    const client = await MongoClient.connect(s.env.MONGO_URL).catch(() => null);
    await client
      ?.db()
      .dropDatabase()
      .catch(() => undefined);
    await client?.close();
  }
  await services.stop();
}
if (failed) process.exitCode = 1;
