// `--trace`: what one operation of each path sends to the stores, command by command, with the
// code that sent it. The processes run with trace-round-trips.mjs preloaded, which appends every
// command to a file per process; the benchmark notes when its traced operation ran and prints the
// commands of that window (commands of a pipeline or MULTI, one round trip, on one line).
// Timers that run whatever the load (blocking pops, stalled-job checks) show up as `library`.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PRELOAD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'trace-round-trips.mjs');
/** Which operation of each path is traced: one past the first few, which warm caches up. */
const TRACED_OP = 5;

/** A tracer writing under `dir`, or a no-op one when `dir` is null. */
export function createTracer(dir) {
  const files = {};
  const windows = [];
  const fileOf = (proc) => (files[proc] ??= path.join(dir, `trace-${proc}.jsonl`));
  return {
    nodeArgs: dir ? ['--enable-source-maps', '--import', PRELOAD] : [],
    env(proc) {
      if (!dir) return {};
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(fileOf(proc), '');
      return { VECTORT_TRACE_FILE: fileOf(proc) };
    },
    /** Wraps the operation `op` of `label`, run by the process `proc`, to note its window. */
    op(label, proc, op) {
      if (!dir) return op;
      return async (i) => {
        if (i !== TRACED_OP) return op(i);
        const t0 = Date.now();
        await op(i);
        // Writes the process finishes after the client has its answer belong to the operation too.
        await new Promise((r) => setTimeout(r, 50));
        windows.push({ label, proc, t0, t1: Date.now() });
      };
    },
    report() {
      for (const w of windows) printWindow(w, readTrace(fileOf(w.proc)));
    },
  };
}

function readTrace(file) {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

const describe = (e) =>
  e.store === 'mongo'
    ? `${e.cmd} ${e.coll ?? ''}${e.filter ? ` {${e.filter}}` : ''}`
    : `${e.cmd.toUpperCase()}${e.script ? ` "${e.script}"` : ''}${e.key ? ` ${shorten(e.key)}` : ''}`;
// Keys carry the run's prefix and ids: keep the part that says what the key is.
const shorten = (key) =>
  key
    .replace(/^bench\d+:?/, '')
    .replace(/[0-9a-f]{24}/g, '<id>')
    .replace(/[0-9a-f]{64}/g, '<key>');

function printWindow({ label, proc, t0, t1 }, entries) {
  const inWindow = entries.filter((e) => e.t >= t0 && e.t <= t1);
  const lines = [];
  for (const e of inWindow) {
    const last = lines.at(-1);
    if (e.batch && last?.batch === e.batch) {
      last.what.push(describe(e));
      continue;
    }
    lines.push({ store: e.store, batch: e.batch, what: [describe(e)], site: e.site });
  }
  const count = (store) => lines.filter((l) => l.store === store).length;
  console.log(
    `\ntrace ${label} (${proc}, operation #${TRACED_OP}, ${t1 - t0} ms): ` +
      `MongoDB ${count('mongo')}, Redis ${count('redis')} round trips, timers included`,
  );
  for (const l of lines) {
    const what = l.batch ? `[${l.what.join('; ')}]` : l.what[0];
    console.log(`  ${l.store.padEnd(5)} ${what.slice(0, 150).padEnd(80)} ${l.site}`);
  }
}
