// Preloaded (`node --import`) into the API and worker by `generation.bench.mjs --trace`: appends
// one JSON line per Redis command and per MongoDB command the process sends to the file in
// VECTORT_TRACE_FILE, with the first frame of the project's own code that sent it, so the
// benchmark can list what one operation of each path sends and why. Tooling only: the processes
// count round trips without it (vectort_store_round_trips_total).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The apps are CommonJS: patch the very module instances they will require.
const require = createRequire(import.meta.url);

const file = process.env.VECTORT_TRACE_FILE;
if (file) {
  const out = fs.openSync(file, 'a');
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const own = /\/(apps|packages)\/[^/]+\/(src|dist)\//;
  Error.stackTraceLimit = 40;

  /** The first frame in the project's own code (source-mapped when run with --enable-source-maps). */
  const site = () => {
    for (const line of (new Error().stack ?? '').split('\n').slice(2)) {
      if (!own.test(line) || line.includes('node_modules') || line.includes('store-round-trips')) continue;
      const m = /\(?((?:\/[^():]+)+):(\d+):\d+\)?$/.exec(line.trim());
      if (m) return `${path.relative(root, m[1]).replace(/^(apps|packages)\/([^/]+)\/(src|dist)\//, '$2/')}:${m[2]}`;
    }
    return 'library';
  };
  const write = (entry) => fs.writeSync(out, `${JSON.stringify({ t: Date.now(), ...entry })}\n`);

  const { Redis } = require('ioredis');
  const batches = new WeakMap();
  let nextBatch = 1;
  const sendCommand = Redis.prototype.sendCommand;
  Redis.prototype.sendCommand = function traced(command, stream) {
    // A pipeline or MULTI hands every command the same collecting stream, then writes once.
    let batch = null;
    if (stream) {
      if (!batches.has(stream)) batches.set(stream, nextBatch++);
      batch = batches.get(stream);
    }
    const args = command.args ?? [];
    const isScript = command.name === 'evalsha' || command.name === 'eval';
    const key = isScript ? args[2] : args[0];
    const script = isScript && command.name === 'eval' ? String(args[0]).trim().split('\n')[0].slice(0, 50) : undefined;
    write({
      store: 'redis',
      conn: this.options?.connectionName ?? '',
      cmd: command.name,
      key: key === undefined ? undefined : String(key).slice(0, 120),
      script,
      batch,
      site: site(),
    });
    return sendCommand.call(this, command, stream);
  };

  const { MongoClient } = require('mongodb');
  const emit = MongoClient.prototype.emit;
  MongoClient.prototype.emit = function traced(event, ...rest) {
    if (event === 'commandStarted') {
      const e = rest[0];
      const body = e.command ?? {};
      const filter = body.filter ?? body.query ?? body.updates?.[0]?.q ?? body.deletes?.[0]?.q;
      write({
        store: 'mongo',
        cmd: e.commandName,
        coll: typeof body[e.commandName] === 'string' ? body[e.commandName] : undefined,
        filter: filter ? Object.keys(filter).join(',') : undefined,
        site: site(),
      });
    }
    return emit.call(this, event, ...rest);
  };
}
