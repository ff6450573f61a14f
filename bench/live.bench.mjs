// Live output against DESIGN.md's budgets:
//  - the model's first token -> the first `file` event at the client (p50, p99; budget <= 1 s);
//  - the API's CPU with 200 concurrent event streams on generations being written, relative to
//    a second replica of the same API in the same window doing the same other work (a fixed
//    cache-hit load, the worker's events) without them; the replicas swap roles each window
//    (median of the windows; budget < 5 %).
// The model is a streaming OpenAI-compatible server in this process, so its first-token time and
// the client's first event are read on one clock.
// Usage: npm run bench:live -- [--pairs 6] [--seconds 10] [--runs 30] [--streams 200] [--jobs 50] [--cpu-prof dir]
import fs from 'node:fs';
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { startServices } from '../scripts/services.mjs';
import { buildTs } from '../scripts/lib/proc.mjs';
import { benchEnv, benchUser, fmt, freePort, json, loadPaced, median, percentile, startProcess } from './lib.mjs';
import { readRoundTrips, storeName } from './round-trips.mjs';

const { values: args } = parseArgs({
  options: {
    // 10 s windows, 6 pairs: with 5 s windows a run with no streams at all read as -6 % to +11 %.
    pairs: { type: 'string', default: '6' },
    seconds: { type: 'string', default: '10' },
    runs: { type: 'string', default: '30' },
    streams: { type: 'string', default: '200' },
    // A directory: the API runs with --cpu-prof and writes its profile there when it stops.
    jobs: { type: 'string', default: '50' },
    'cpu-prof': { type: 'string' },
  },
});
const log = (m) => process.stderr.write(`[bench:live] ${m}\n`);

/** First-token times by the request's user message, as the fake model wrote them. */
const firstToken = new Map();
let pace = { chunks: 10, delayMs: 50, firstDelayMs: 300 };
/**
 * Descriptions whose answers go on until `release()`: the generations watched in a CPU phase keep
 * writing, at the model's pace, for the whole measured window of either phase.
 */
const endless = new Map();

function projectFiles(description) {
  return [
    {
      path: 'index.html',
      content: `<!doctype html>\n<title>${description}</title>\n<script src="app.js"></script>\n`,
    },
    { path: 'app.js', content: `// ${description}\n${'console.log("line");\n'.repeat(60)}` },
    { path: 'README.md', content: `# ${description}\n` },
  ];
}

function projectJson(description) {
  return JSON.stringify({ files: projectFiles(description), entrypoint: 'index.html' });
}

/**
 * An answer in pieces of `size` characters: the project as JSON, with app.js growing by a line
 * per piece until `released()` (then the rest of the JSON).
 */
function* endlessAnswer(description, size, released) {
  const [html, app, readme] = projectFiles(description);
  const open = `{"files":[${JSON.stringify(html)},{"path":"app.js","content":${JSON.stringify(app.content).slice(0, -1)}`;
  yield open;
  for (let n = 0; !released(); n++) yield JSON.stringify(`console.log("line ${n}");\n`.padEnd(size)).slice(1, -1);
  yield `"},${JSON.stringify(readme)}],"entrypoint":"index.html"}`;
}

function* fixedAnswer(content, size) {
  for (let at = 0; at < content.length; at += size) yield content.slice(at, at + size);
}

const fakeModel = createServer(async (req, res) => {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const body = JSON.parse(Buffer.concat(chunks).toString());
  const description = body.messages.at(-1).content;
  const content = projectJson(description);
  const hold = endless.get(description);
  const pieces = hold
    ? endlessAnswer(description, hold.size, () => hold.released)
    : fixedAnswer(content, Math.ceil(content.length / pace.chunks));
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const chunk = (delta, finish, usage) =>
    `data: ${JSON.stringify({ id: 'b', object: 'chat.completion.chunk', created: 1, model: body.model, choices: usage ? [] : [{ index: 0, delta, finish_reason: finish }], ...(usage ? { usage } : {}) })}\n\n`;
  await new Promise((r) => setTimeout(r, pace.firstDelayMs));
  let written = 0;
  for (const piece of pieces) {
    if (res.destroyed) break;
    if (written === 0) firstToken.set(description, performance.now());
    written += piece.length;
    res.write(chunk({ content: piece }, null));
    await new Promise((r) => setTimeout(r, pace.delayMs));
  }
  res.write(chunk({}, 'stop'));
  res.write(chunk({}, null, { prompt_tokens: 100, completion_tokens: Math.ceil(written / 4) }));
  res.end('data: [DONE]\n\n');
});

/**
 * Opens an event stream; calls `onFile` at the first `file` event; counts the bytes and reads
 * that arrive; resolves `ended` when it closes.
 */
async function openStream(url, token, onFile) {
  const ctl = new AbortController();
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: ctl.signal });
  if (res.status !== 200) throw new Error(`event stream answered ${res.status}`);
  const stream = { bytes: 0, reads: 0, close: () => ctl.abort() };
  stream.ended = (async () => {
    const decoder = new TextDecoder();
    let seen = false;
    try {
      for await (const c of res.body) {
        stream.bytes += c.length;
        stream.reads++;
        if (!seen && decoder.decode(c, { stream: true }).includes('event: file')) {
          seen = true;
          onFile?.(performance.now());
        }
      }
    } catch {
      // aborted
    }
  })();
  return stream;
}

/** The stream clients' process (bench/live-streams.mjs): `ask(message)` resolves with its answer. */
function streamClients() {
  const child = fork(new URL('./live-streams.mjs', import.meta.url));
  return {
    ask: (msg) =>
      new Promise((resolve, reject) => {
        child.once('message', (answer) => (answer.error ? reject(new Error(answer.error)) : resolve(answer)));
        child.send(msg);
      }),
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill();
      await exited;
    },
  };
}

/** CPU seconds a process has used, from /proc: `{ user, system }`. */
function cpuTimes(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 };
}

async function until(check, ms, what) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const services = await startServices({ log });
await buildTs();
await new Promise((r) => fakeModel.listen(0, '127.0.0.1', r));
const prefix = `benchlive${Date.now()}`;
const [apiPort, otherApiPort, workerPort] = [await freePort(), await freePort(), await freePort()];
const env = benchEnv(services.env, prefix, {
  LLM_PROVIDER: 'openai',
  OPENAI_API_KEY: 'bench-key',
  OPENAI_BASE_URL: `http://127.0.0.1:${fakeModel.address().port}/v1`,
  MAX_STREAMS_PER_USER: '100000',
  // The fixed hit load is the background both phases share, not a test of the hit ceiling.
  RATE_LIMIT_HITS_PER_MINUTE: '10000000',
  WORKER_CONCURRENCY: args.jobs,
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  ADMIN_EMAILS: 'bench-admin@example.com',
});
const apiUrl = `http://127.0.0.1:${apiPort}`;
const procs = [];
/** An API replica, as `{ url, child, stop }`. */
async function startApi(port, name) {
  const url = `http://127.0.0.1:${port}`;
  const api = await startProcess(
    'apps/api/dist/main.js',
    { ...env, PORT: String(port) },
    async () => (await fetch(`${url}/readyz`)).ok,
    {
      nodeArgs: args['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', args['cpu-prof']] : [],
      logName: name,
    },
  );
  procs.push(api);
  return { ...api, url };
}
try {
  // Two replicas of the same API: in each measured window one serves the streams and the other
  // does the same other work without them, side by side, so both see the same machine.
  const apis = [await startApi(apiPort, 'api-a'), await startApi(otherApiPort, 'api-b')];
  const worker = await startProcess(
    'apps/worker/dist/main.js',
    { ...env, WORKER_METRICS_PORT: String(workerPort) },
    async () => (await fetch(`http://127.0.0.1:${workerPort}/healthz`)).ok,
  );
  procs.push(worker);
  const { token, projectId } = await benchUser(apiUrl, env);
  const generateUrl = `${apiUrl}/api/projects/${projectId}/generate`;
  const submit = async (description) => {
    const res = await json('POST', generateUrl, { token, body: { description, framework: 'html' } });
    if (res.status !== 202) throw new Error(`expected 202, got ${res.status}`);
    return res.body.job_id;
  };

  // 1. First token -> first file event, one generation at a time.
  const latencies = [];
  for (let i = 0; i < Number(args.runs); i++) {
    const description = `live bench latency ${prefix} ${i}`;
    const jobId = await submit(description);
    let firstFile = 0;
    const s = await openStream(`${apiUrl}/api/jobs/${jobId}/events`, token, (t) => (firstFile = t));
    await s.ended;
    if (!firstFile || !firstToken.has(description)) throw new Error(`run ${i}: no file event or no token`);
    latencies.push(firstFile - firstToken.get(description));
  }

  // 2. The CPU of two API replicas in the same window, under the same fixed hit load each, on the
  //    same generations being written at a model's pace (the worker's events reach both); one
  //    of them also serves the streams. The replicas swap roles from one window to the next.
  const hitBody = { description: `live bench hit ${prefix}`, framework: 'html' };
  const hitJob = await submit(hitBody.description);
  await json('GET', `${apiUrl}/api/jobs/${hitJob}?wait=30`, { token });
  const hitOpts = (api) => ({
    url: `${api.url}/api/projects/${projectId}/generate`,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(hitBody),
    // A fixed number of hits spread evenly over the window (lib.mjs, loadPaced: autocannon's
    // rate sends each second's quota in one burst), so both replicas do the same other work.
    rate: 300,
    seconds: Number(args.seconds),
  });
  // About 10 tokens a chunk, 10 chunks a second per generation; the worker sends them on as a
  // file event per 200 ms, plus progress.
  pace = { ...pace, delayMs: 100, firstDelayMs: 200 };
  const jobsPerWindow = Number(args.jobs);
  const clients = streamClients();
  procs.push({ stop: clients.stop });
  /** One API's CPU seconds, Redis round trips and hits over one load run. */
  const measured = async (api) => {
    // The metrics scrapes (queue and credit gauges) stay outside the measured CPU.
    const trips0 = await readRoundTrips(`${api.url}/api/metrics`);
    const cpu0 = cpuTimes(api.child.pid);
    const t0 = performance.now();
    const result = await loadPaced(hitOpts(api));
    const seconds = (performance.now() - t0) / 1000;
    const cpu1 = cpuTimes(api.child.pid);
    const system = cpu1.system - cpu0.system;
    const cpu = cpu1.user - cpu0.user + system;
    const trips = await readRoundTrips(`${api.url}/api/metrics`);
    if (result.non2xx || result.errors) throw new Error(`${result.non2xx} non-2xx hits, ${result.errors} errors`);
    return { cpu, system, seconds, hits: result.requests.total, redis: trips.redis - trips0.redis };
  };
  const window = async (label, streamed) => {
    const descriptions = Array.from({ length: jobsPerWindow }, (_, j) => `live bench cpu ${prefix} ${label} ${j}`);
    const holds = descriptions.map((d) => {
      const hold = { size: 40, released: false };
      endless.set(d, hold);
      return hold;
    });
    const ids = [];
    for (const d of descriptions) ids.push(await submit(d));
    await until(() => descriptions.every((d) => firstToken.has(d)), 60_000, 'every generation writing');
    const urls = Array.from(
      { length: Number(args.streams) },
      (_, k) => `${streamed.url}/api/jobs/${ids[k % ids.length]}/events`,
    );
    await clients.ask({ open: { urls, token } });
    await new Promise((r) => setTimeout(r, 500));
    const got0 = await clients.ask({ count: true });
    const [a, b] = await Promise.all(apis.map(measured));
    const got = await clients.ask({ count: true });
    for (const h of holds) h.released = true;
    for (const id of ids) await json('GET', `${apiUrl}/api/jobs/${id}?wait=30`, { token });
    await clients.ask({ close: true });
    for (const d of descriptions) endless.delete(d);
    const [some, none] = streamed === apis[0] ? [a, b] : [b, a];
    return {
      some,
      none,
      added: (some.cpu - none.cpu) / none.cpu,
      addedSystem: (some.system - none.system) / none.cpu,
      reads: got.reads - got0.reads,
      bytes: got.bytes - got0.bytes,
    };
  };
  // One discarded round first: the APIs' first minutes of load include JIT warm-up.
  await window('warm-a', apis[0]);
  await window('warm-b', apis[1]);
  const windows = [];
  for (let p = 0; p < Number(args.pairs); p++) {
    for (const [i, streamed] of apis.entries()) {
      const w = await window(`p${p}-${i}`, streamed);
      windows.push(w);
      const about = (x) => `${fmt(x.cpu)} s (${x.hits} hits in ${fmt(x.seconds, 1)} s, ${x.redis} Redis round trips)`;
      log(
        `pair ${p + 1}, streams on replica ${'ab'[i]}: API CPU ${about(w.some)} with ${args.streams} streams, ` +
          `${about(w.none)} without -> ${fmt(100 * w.added, 1)} %; the clients read ${w.reads} chunks, ${w.bytes} bytes`,
      );
    }
  }

  const seconds = Number(args.seconds);
  const med = (f) => median(windows.map(f));
  const perStream = (n) => fmt(n / med((w) => w.some.seconds) / Number(args.streams), 1);
  console.log('\nLive output benchmark (2-core machine, everything on the same box)');
  console.log(`store: ${await storeName(env.MONGO_URL)}`);
  console.log(
    `first token -> first file event at the client: p50 ${fmt(median(latencies))} ms, p99 ${fmt(percentile(latencies, 99))} ms over ${latencies.length} generations (budget <= 1000 ms)`,
  );
  console.log(
    `${args.streams} event streams on ${jobsPerWindow} generations being written, two API replicas side by side under 300 cache hits/s each for ${seconds} s: ` +
      `API CPU ${fmt(med((w) => w.some.cpu))} s with the streams vs ${fmt(med((w) => w.none.cpu))} s without -> added ${fmt(100 * med((w) => w.added), 1)} % ` +
      `(median of ${windows.length} windows, ${args.pairs} pairs with the replicas' roles swapped; budget < 5 %)`,
  );
  console.log(
    `  the streams' replica made ${fmt(
      med((w) => (w.some.redis - w.none.redis) / w.some.seconds),
      1,
    )} more Redis round trips a second; ` +
      `each stream got ${perStream(med((w) => w.reads))} reads and ${perStream(med((w) => w.bytes))} bytes a second`,
  );
  // The share depends on what the baseline's hits cost; the streams' own cost does not.
  console.log(
    `  in absolute terms: ${fmt((1000 * med((w) => w.some.cpu - w.none.cpu)) / seconds, 1)} ms of API CPU a second, ` +
      `${fmt((1e6 * med((w) => w.some.cpu - w.none.cpu)) / med((w) => w.reads), 0)} µs per chunk the clients read; ` +
      `the baseline ${fmt((1e6 * med((w) => w.none.cpu)) / med((w) => w.none.hits), 0)} µs of API CPU per hit`,
  );
  // On loopback the kernel runs the receiving side's TCP work in the writer's system call, so
  // the socket writes' system time is charged to the API here.
  console.log(
    `  of the added CPU, system time (the kernel's socket writes, loopback delivery included): ${fmt(100 * med((w) => w.addedSystem), 1)} % of the baseline`,
  );
} finally {
  for (const p of procs.reverse()) await p.stop();
  fakeModel.closeAllConnections?.();
  await new Promise((r) => fakeModel.close(r));
  await services.stop();
}
