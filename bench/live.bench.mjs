// Live output against DESIGN.md's budgets:
//  - the model's first token -> the first `file` event at the client (p50, p99; budget <= 1 s);
//  - the API's CPU with 200 concurrent event streams on generations being written, relative to
//    the same run without them, under a fixed cache-hit load (A B A B ..., median; budget < 5 %).
// The model is a streaming OpenAI-compatible server in this process, so its first-token time and
// the client's first event are read on one clock.
// Usage: npm run bench:live -- [--pairs 5] [--seconds 5] [--runs 30] [--streams 200]
import fs from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { startServices } from '../scripts/services.mjs';
import { buildTs } from '../scripts/lib/proc.mjs';
import { storeName } from './round-trips.mjs';
import { benchUser, fmt, freePort, json, load, median, percentile, startProcess, withDatabase } from './lib.mjs';

const { values: args } = parseArgs({
  options: {
    pairs: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '5' },
    runs: { type: 'string', default: '30' },
    streams: { type: 'string', default: '200' },
  },
});
const log = (m) => process.stderr.write(`[bench:live] ${m}\n`);

/** First-token times by the request's user message, as the fake model wrote them. */
const firstToken = new Map();
let pace = { chunks: 10, delayMs: 50, firstDelayMs: 300 };

function projectJson(description) {
  const body = `// ${description}\n${'console.log("line");\n'.repeat(60)}`;
  return JSON.stringify({
    files: [
      {
        path: 'index.html',
        content: `<!doctype html>\n<title>${description}</title>\n<script src="app.js"></script>\n`,
      },
      { path: 'app.js', content: body },
      { path: 'README.md', content: `# ${description}\n` },
    ],
    entrypoint: 'index.html',
  });
}

const fakeModel = createServer(async (req, res) => {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const body = JSON.parse(Buffer.concat(chunks).toString());
  const description = body.messages.at(-1).content;
  const content = projectJson(description);
  const size = Math.ceil(content.length / pace.chunks);
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const chunk = (delta, finish, usage) =>
    `data: ${JSON.stringify({ id: 'b', object: 'chat.completion.chunk', created: 1, model: body.model, choices: usage ? [] : [{ index: 0, delta, finish_reason: finish }], ...(usage ? { usage } : {}) })}\n\n`;
  await new Promise((r) => setTimeout(r, pace.firstDelayMs));
  for (let at = 0; at < content.length && !res.destroyed; at += size) {
    if (at === 0) firstToken.set(description, performance.now());
    res.write(chunk({ content: content.slice(at, at + size) }, null));
    await new Promise((r) => setTimeout(r, pace.delayMs));
  }
  res.write(chunk({}, 'stop'));
  res.write(chunk({}, null, { prompt_tokens: 100, completion_tokens: Math.ceil(content.length / 4) }));
  res.end('data: [DONE]\n\n');
});

/** Opens an event stream; calls `onFile` at the first `file` event; resolves `ended` when it closes. */
async function openStream(url, token, onFile) {
  const ctl = new AbortController();
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: ctl.signal });
  if (res.status !== 200) throw new Error(`event stream answered ${res.status}`);
  const ended = (async () => {
    const decoder = new TextDecoder();
    let seen = false;
    try {
      for await (const c of res.body) {
        if (!seen && decoder.decode(c, { stream: true }).includes('event: file')) {
          seen = true;
          onFile?.(performance.now());
        }
      }
    } catch {
      // aborted
    }
  })();
  return { ended, close: () => ctl.abort() };
}

/** CPU seconds (user + system) a process has used, from /proc. */
function cpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const services = await startServices({ log });
await buildTs();
await new Promise((r) => fakeModel.listen(0, '127.0.0.1', r));
const prefix = `benchlive${Date.now()}`;
const [apiPort, workerPort] = [await freePort(), await freePort()];
const env = {
  ...services.env,
  NODE_ENV: 'test',
  MONGO_URL: withDatabase(services.env.MONGO_URL, prefix),
  REDIS_KEY_PREFIX: prefix,
  JWT_SECRET: 'bench-secret-bench-secret-bench-secret-1',
  LLM_PROVIDER: 'openai',
  OPENAI_API_KEY: 'bench-key',
  OPENAI_BASE_URL: `http://127.0.0.1:${fakeModel.address().port}/v1`,
  MAX_STREAMS_PER_USER: '100000',
  WORKER_CONCURRENCY: '20',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  ADMIN_EMAILS: 'bench-admin@example.com',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};
const apiUrl = `http://127.0.0.1:${apiPort}`;
const procs = [];
try {
  const api = await startProcess(
    'apps/api/dist/main.js',
    { ...env, PORT: String(apiPort) },
    async () => (await fetch(`${apiUrl}/readyz`)).ok,
  );
  procs.push(api);
  procs.push(
    await startProcess(
      'apps/worker/dist/main.js',
      { ...env, WORKER_METRICS_PORT: String(workerPort) },
      async () => (await fetch(`http://127.0.0.1:${workerPort}/healthz`)).ok,
    ),
  );
  const { token, projectId } = await benchUser(apiUrl);
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

  // 2. API CPU under a fixed hit load, with and without 200 streams on generations being written.
  const hitBody = { description: `live bench hit ${prefix}`, framework: 'html' };
  const hitJob = await submit(hitBody.description);
  await json('GET', `${apiUrl}/api/jobs/${hitJob}?wait=30`, { token });
  const hitOpts = {
    url: generateUrl,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(hitBody),
    seconds: Number(args.seconds),
    overallRate: 300,
    connections: 10,
  };
  pace = { chunks: 150, delayMs: 50, firstDelayMs: 200 };
  const jobsPerPhase = 10;
  const phase = async (label, withStreams) => {
    const ids = [];
    for (let j = 0; j < jobsPerPhase; j++) ids.push(await submit(`live bench cpu ${prefix} ${label} ${j}`));
    const streams = [];
    if (withStreams) {
      for (let k = 0; k < Number(args.streams); k++)
        streams.push(await openStream(`${apiUrl}/api/jobs/${ids[k % ids.length]}/events`, token));
    }
    await new Promise((r) => setTimeout(r, 500));
    const before = cpuSeconds(api.child.pid);
    const result = await load(hitOpts);
    const cpu = cpuSeconds(api.child.pid) - before;
    for (const id of ids) await json('GET', `${apiUrl}/api/jobs/${id}?wait=30`, { token });
    for (const s of streams) s.close();
    if (result.non2xx) throw new Error(`${result.non2xx} non-2xx hits`);
    return cpu;
  };
  // One discarded round first: the API's first minutes of load include JIT warm-up.
  await phase('warm-a', false);
  await phase('warm-b', true);
  const pairs = [];
  for (let p = 0; p < Number(args.pairs); p++) {
    const none = await phase(`a${p}`, false);
    const some = await phase(`b${p}`, true);
    pairs.push({ none, some, added: (some - none) / none });
    log(`pair ${p + 1}: API CPU ${fmt(none)} s without streams, ${fmt(some)} s with ${args.streams}`);
  }

  console.log('\nLive output benchmark (2-core machine, everything on the same box)');
  console.log(`store: ${await storeName(env.MONGO_URL)}`);
  console.log(
    `first token -> first file event at the client: p50 ${fmt(median(latencies))} ms, p99 ${fmt(percentile(latencies, 99))} ms over ${latencies.length} generations (budget <= 1000 ms)`,
  );
  console.log(
    `${args.streams} event streams on ${jobsPerPhase} generations being written, under 300 cache hits/s for ${args.seconds} s: API CPU ${fmt(median(pairs.map((p) => p.some)))} s vs ${fmt(median(pairs.map((p) => p.none)))} s without -> added ${fmt(100 * median(pairs.map((p) => p.added)), 1)} % (median of ${pairs.length} pairs; budget < 5 %)`,
  );
} finally {
  for (const p of procs.reverse()) await p.stop();
  fakeModel.closeAllConnections?.();
  await new Promise((r) => fakeModel.close(r));
  await services.stop();
}
