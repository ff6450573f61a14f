// ZIP export memory and throughput against DESIGN.md's budget (peak RSS growth < 64 MB for
// 50 MB of files), each figure next to a same-run baseline: the same files zipped fully in
// memory (a Buffer) by a child process. Baseline and subject alternate (A B A B ...), each in a
// fresh process whose RSS the parent samples from /proc/<pid>/status every 50 ms.
//
// Two subjects, because one generation is one MongoDB document and a document holds at most
// 16 MiB (MongoDB's limit; FerretDB's is about the same):
//  1. the real worker process (apps/worker/dist/main.js) exporting a 15 MiB generation inserted
//     into MongoDB: the largest a generation can be (the LLM path caps them at 8 MiB);
//  2. the worker's own streaming code (apps/worker/dist/export/zip-to-s3.js) in a child process,
//     zipping 50 MB of files read from disk into s3rver: the pipeline at the budget's size.
// Usage: npm run bench:export -- [--pairs 3] [--files 200] [--file-kib 256]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../scripts/lib/proc.mjs';

const { values: args } = parseArgs({
  options: {
    pairs: { type: 'string', default: '3' },
    files: { type: 'string', default: '200' },
    'file-kib': { type: 'string', default: '256' },
    child: { type: 'string' },
    dir: { type: 'string' },
    count: { type: 'string' },
  },
});
const MB = 1e6;
const MIB = 1024 * 1024;

// ---------------------------------------------------------------- child processes (measured)
// Each child loads its code, says "ready", waits for "go" on stdin (the parent samples its idle
// RSS in between), does its work, prints one JSON line and exits.
if (args.child) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const dir = args.dir;
  const names = fs
    .readdirSync(dir)
    .sort()
    .slice(0, Number(args.count ?? Infinity));
  const { ZipArchive } = await import('archiver');
  const { zipToS3 } = await import(path.join(REPO_ROOT, 'apps/worker/dist/export/zip-to-s3.js'));
  const { createS3, loadConfig } = await import(path.join(REPO_ROOT, 'packages/shared/dist/index.js'));
  process.stdout.write('ready\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  const t0 = performance.now();
  let zipBytes = 0;
  if (args.child === 'inmemory') {
    // What the seed did: every file in memory, the whole ZIP built into one Buffer.
    const files = names.map((n) => ({ name: n, content: fs.readFileSync(path.join(dir, n), 'utf8') }));
    const archive = new ZipArchive({ zlib: { level: 6 } });
    const chunks = [];
    archive.on('data', (c) => chunks.push(c));
    const ended = new Promise((resolve, reject) => {
      archive.on('end', resolve);
      archive.on('error', reject);
    });
    for (const f of files) archive.append(f.content, { name: `files/${f.name}` });
    await archive.finalize();
    await ended;
    zipBytes = Buffer.concat(chunks).length;
  } else if (args.child === 'stream') {
    const config = loadConfig(process.env);
    const s3 = createS3(config.s3);
    const result = await zipToS3({
      s3,
      bucket: config.s3.bucket,
      key: `bench/${process.pid}/code.zip`,
      // Lazily: each file is opened only when the archive is ready for it.
      entries: (function* () {
        for (const n of names) yield { name: `files/${n}`, content: fs.createReadStream(path.join(dir, n)) };
      })(),
    });
    zipBytes = result.sizeBytes;
    s3.destroy();
  }
  process.stdout.write(`${JSON.stringify({ seconds: (performance.now() - t0) / 1000, zipBytes })}\n`);
  process.exit(0);
}

// ---------------------------------------------------------------- the parent (measures)
const { startServices } = await import('../scripts/services.mjs');
const { buildTs } = await import('../scripts/lib/proc.mjs');
const { benchEnv, benchUser, fmt, freePort, json, median, startProcess } = await import('./lib.mjs');
const { storeName } = await import('./round-trips.mjs');
const { MongoClient, ObjectId } = await import('mongodb');

const pairs = Number(args.pairs);
const fileCount = Number(args.files);
const fileBytes = Number(args['file-kib']) * 1024;
const log = (m) => process.stderr.write(`[bench] ${m}\n`);

/** Peak VmRSS of `pid` (bytes), sampled every 50 ms until `until` settles. */
function rssOf(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}
async function samplePeak(pid, until) {
  let peak = rssOf(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssOf(pid));
    } catch {
      // the process ended between samples
    }
  }, 50);
  try {
    const result = await until;
    return { peak, result };
  } finally {
    clearInterval(timer);
  }
}
/** Idle RSS: the median of 10 samples 50 ms apart. */
async function idleRss(pid) {
  const xs = [];
  for (let i = 0; i < 10; i++) {
    xs.push(rssOf(pid));
    await new Promise((r) => setTimeout(r, 50));
  }
  return median(xs);
}

/** Semi-random text (words, identifiers, numbers): compresses about as well as source code. */
function writeFiles(dir, count, bytes) {
  const words =
    'const let function return import export from class extends async await if else for while new this true false null undefined value items state props render component index data user project file export zip stream upload part buffer'.split(
      ' ',
    );
  let seed = 42;
  const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    let text = '';
    while (text.length < bytes) {
      const line = [];
      for (let w = 0; w < 10; w++)
        line.push(rand() < 0.2 ? Math.floor(rand() * 1e9).toString(36) : words[Math.floor(rand() * words.length)]);
      text += `${line.join(' ')};\n`;
    }
    fs.writeFileSync(path.join(dir, `file-${String(i).padStart(4, '0')}.js`), text.slice(0, bytes));
  }
}

async function runChild(kind, dir, count, env) {
  const child = spawn(
    process.execPath,
    [path.join(REPO_ROOT, 'bench/export.bench.mjs'), '--child', kind, '--dir', dir, '--count', String(count)],
    {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, ...env },
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines = [];
  let buffer = '';
  let onLine = () => {};
  child.stdout.on('data', (d) => {
    buffer += d;
    const parts = buffer.split('\n');
    buffer = parts.pop();
    for (const l of parts) {
      lines.push(l);
      onLine();
    }
  });
  const nextLine = () =>
    new Promise((resolve) => (lines.length ? resolve(lines.shift()) : (onLine = () => resolve(lines.shift()))));
  if ((await nextLine()) !== 'ready') throw new Error(`${kind} child did not start`);
  const before = await idleRss(child.pid);
  child.stdin.write('go\n');
  const { peak, result } = await samplePeak(child.pid, nextLine());
  await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
  return { growth: peak - before, ...JSON.parse(result) };
}

const services = await startServices({ log });
await buildTs();
const prefix = `benchexp${Date.now()}`;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vectort-export-bench-'));
const env = benchEnv(services.env, prefix, {
  LLM_PROVIDER: 'offline',
  LOG_LEVEL: 'warn',
});
const apiPort = await freePort();
const apiUrl = `http://127.0.0.1:${apiPort}`;
const procs = [];
const mongo = await MongoClient.connect(env.MONGO_URL);
try {
  const bigDir = path.join(tmp, 'files');
  writeFiles(bigDir, fileCount, fileBytes);
  const totalBytes = fileCount * fileBytes;
  // As many of the same files as one MongoDB document holds (16 MiB, less some room for the rest).
  const docCount = Math.min(fileCount, Math.floor((15 * MIB) / fileBytes));
  const docBytes = docCount * fileBytes;
  log(
    `files: ${fileCount} x ${fileBytes / 1024} KiB = ${fmt(totalBytes / MB, 1)} MB; one generation holds ${docCount} of them (${fmt(docBytes / MB, 1)} MB)`,
  );

  procs.push(
    await startProcess(
      'apps/api/dist/main.js',
      { ...env, PORT: String(apiPort) },
      async () => (await fetch(`${apiUrl}/readyz`)).ok,
    ),
  );
  const { token, userId, projectId } = await benchUser(apiUrl, env);
  const insertGeneration = async (files) => {
    const id = new ObjectId();
    await mongo
      .db()
      .collection('generations')
      .insertOne({
        _id: id,
        user_id: new ObjectId(userId),
        project_id: new ObjectId(projectId),
        job_id: null,
        cache_key: `bench-${id}`,
        description: 'bench',
        cached: false,
        cost_usd: 0,
        duration_seconds: 0,
        created_at: new Date(),
        files,
        entrypoint: null,
        instructions: null,
        model: 'bench',
        provider: 'bench',
        usage: { prompt_tokens: 0, completion_tokens: 0 },
        framework: 'html',
        type: 'web_app',
        source_generation_id: id.toHexString(),
      });
    return id.toHexString();
  };
  const names = fs.readdirSync(bigDir).sort().slice(0, docCount);
  const bigGeneration = await insertGeneration(
    names.map((n) => ({ path: `files/${n}`, content: fs.readFileSync(path.join(bigDir, n), 'utf8') })),
  );
  const smallGeneration = await insertGeneration([{ path: 'index.html', content: '<h1>warm-up</h1>' }]);
  const exportOnce = async (generationId) => {
    const t0 = performance.now();
    const res = await json('POST', `${apiUrl}/api/projects/${projectId}/export/zip?wait=30`, {
      token,
      body: { generation_id: generationId },
    });
    if (res.status !== 200) throw new Error(`export answered ${res.status}: ${JSON.stringify(res.body)}`);
    return { seconds: (performance.now() - t0) / 1000, zipBytes: res.body.size_bytes };
  };

  /** A fresh worker, warmed up by a tiny export (modules loaded), then the measured export. */
  async function workerRun() {
    const metricsPort = await freePort();
    const worker = await startProcess(
      'apps/worker/dist/main.js',
      { ...env, WORKER_METRICS_PORT: String(metricsPort) },
      async () => (await fetch(`http://127.0.0.1:${metricsPort}/healthz`)).ok,
    );
    try {
      await exportOnce(smallGeneration);
      const before = await idleRss(worker.child.pid);
      const { peak, result } = await samplePeak(worker.child.pid, exportOnce(bigGeneration));
      return { growth: peak - before, ...result };
    } finally {
      await worker.stop();
    }
  }

  const rows = { worker: [], workerBase: [], stream: [], streamBase: [] };
  for (let i = 0; i < pairs; i++) {
    rows.workerBase.push(await runChild('inmemory', bigDir, docCount, env));
    rows.worker.push(await workerRun());
    rows.streamBase.push(await runChild('inmemory', bigDir, fileCount, env));
    rows.stream.push(await runChild('stream', bigDir, fileCount, env));
    log(
      `pair ${i + 1}: worker ${fmt(rows.worker[i].growth / MB, 1)} MB vs in-memory ${fmt(rows.workerBase[i].growth / MB, 1)} MB (${fmt(docBytes / MB, 1)} MB of files); ` +
        `pipeline ${fmt(rows.stream[i].growth / MB, 1)} MB vs in-memory ${fmt(rows.streamBase[i].growth / MB, 1)} MB (${fmt(totalBytes / MB, 1)} MB)`,
    );
  }

  const report = (label, subject, base, bytes) => {
    const growth = median(subject.map((r) => r.growth));
    const ratio = median(subject.map((r, i) => r.growth / base[i].growth));
    console.log(`${label}: ${fmt(bytes / MB, 1)} MB of files -> ${fmt(subject[0].zipBytes / MB, 1)} MB ZIP`);
    console.log(
      `  peak RSS growth: median ${fmt(growth / MB, 1)} MB, max ${fmt(Math.max(...subject.map((r) => r.growth)) / MB, 1)} MB (budget < 64 MB)`,
    );
    console.log(
      `  in-memory baseline: median ${fmt(median(base.map((r) => r.growth)) / MB, 1)} MB -> ratio streamed/in-memory ${fmt(ratio)}`,
    );
    console.log(
      `  throughput: median ${fmt(median(subject.map((r) => bytes / MB / r.seconds)), 1)} MB/s of files (in-memory build alone: ${fmt(median(base.map((r) => bytes / MB / r.seconds)), 1)} MB/s, no upload)`,
    );
  };
  console.log(`\nExport benchmark (${pairs} pairs, each run in a fresh process; RSS sampled every 50 ms)`);
  console.log(`store: ${await storeName(env.MONGO_URL)}`);
  report('real worker process, one generation (submit -> completed, ?wait=)', rows.worker, rows.workerBase, docBytes);
  report('worker streaming code in a child (archiver -> Upload -> s3rver)', rows.stream, rows.streamBase, totalBytes);
} finally {
  for (const p of procs.reverse()) await p.stop();
  await mongo
    .db()
    .dropDatabase()
    .catch(() => undefined);
  await mongo.close();
  fs.rmSync(tmp, { recursive: true, force: true });
  await services.stop();
}
