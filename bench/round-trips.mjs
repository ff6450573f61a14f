// Store round trips per operation, read from the processes' own counters
// (vectort_store_round_trips_total: MongoDB commands by driver command monitoring, Redis socket
// writes counted at the client). Counts do not depend on the machine, so unlike times they are
// checked against DESIGN.md's budgets, and a miss makes the benchmark exit non-zero.
import { MongoClient } from 'mongodb';

/** DESIGN.md's budgets: per operation, at most this many MongoDB commands / Redis round trips. */
export const ROUND_TRIP_BUDGETS = {
  hit: { mongo: 0, redis: 1 },
  'miss submit': { mongo: 3, redis: 4 },
  'worker job': { mongo: 5, redis: 15 },
};

/** `{ mongo, redis, commands: {name: n} }` summed from one process's Prometheus text. */
export async function readRoundTrips(metricsUrl) {
  const text = await (await fetch(metricsUrl)).text();
  const totals = { mongo: 0, redis: 0, commands: {} };
  for (const line of text.split('\n')) {
    const m = /^vectort_store_round_trips_total\{([^}]*)\} (\S+)/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...m[1].matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    const n = Number(m[2]);
    totals[labels.store] += n;
    if (labels.store === 'mongo') totals.commands[labels.command] = (totals.commands[labels.command] ?? 0) + n;
  }
  return totals;
}

const diff = (a, b) => ({
  mongo: b.mongo - a.mongo,
  redis: b.redis - a.redis,
  commands: Object.fromEntries(
    Object.keys(b.commands)
      .map((k) => [k, b.commands[k] - (a.commands[k] ?? 0)])
      .filter(([, n]) => n > 0),
  ),
});

/**
 * Round trips a process makes on its own while idle (timers: stalled-job checks, blocking
 * pops), per second, so they can be taken off what an operation is charged; and what reading
 * its metrics costs by itself (the API's gauges read Redis and MongoDB when scraped), which is
 * paid once per reading, not per second.
 */
export async function idleRate(metricsUrl, ms = 3000) {
  const a = await readRoundTrips(metricsUrl);
  const b = await readRoundTrips(metricsUrl);
  await new Promise((r) => setTimeout(r, ms));
  const c = await readRoundTrips(metricsUrl);
  const scrape = diff(a, b);
  const d = diff(b, c);
  const rate = (n, own) => (Math.max(0, n - own) * 1000) / ms;
  return {
    mongo: rate(d.mongo, scrape.mongo),
    redis: rate(d.redis, scrape.redis),
    scrape: { mongo: scrape.mongo, redis: scrape.redis },
  };
}

/**
 * Runs `op` `count` times one after another and returns the round trips of the process behind
 * `metricsUrl` per operation, less its idle rate over the same time and the cost of the reading.
 */
export async function perOperation(metricsUrl, idle, count, op) {
  const a = await readRoundTrips(metricsUrl);
  const t0 = performance.now();
  for (let i = 0; i < count; i++) await op(i);
  const seconds = (performance.now() - t0) / 1000;
  const d = diff(a, await readRoundTrips(metricsUrl));
  const per = (n, rate, scrape) => Math.max(0, (n - rate * seconds - scrape) / count);
  return {
    mongo: per(d.mongo, idle.mongo, idle.scrape.mongo),
    redis: per(d.redis, idle.redis, idle.scrape.redis),
    commands: Object.fromEntries(Object.entries(d.commands).map(([k, n]) => [k, n / count])),
  };
}

/** What the benchmark measured: `MongoDB 8.0.4`, or FerretDB and the MongoDB version it emulates. */
export async function storeName(mongoUrl) {
  const client = await MongoClient.connect(mongoUrl);
  try {
    const info = await client.db().admin().command({ buildInfo: 1 });
    if (!('ferretdbVersion' in info)) return `MongoDB ${info.version}`;
    const v = info.ferretdbVersion === 'unknown' ? 'embedded build (tools/ferretdb)' : info.ferretdbVersion;
    return `FerretDB ${v}, speaking MongoDB ${info.version}`;
  } finally {
    await client.close();
  }
}

/** Prints one line per path and returns the paths over budget. */
export function reportRoundTrips(rows, fmt) {
  const over = [];
  for (const [path, r] of Object.entries(rows)) {
    const budget = ROUND_TRIP_BUDGETS[path];
    // Within 0.1 of a budget passes: timers that run only while requests come in (the API's
    // active-user flush, one MULTI per 10 s; a lock renewed when a store write takes over 1.7 s)
    // land on operations by time, not per operation, more so where operations are slow.
    const ok = (n, max) => budget === undefined || n <= max + 0.1;
    const verdict = budget ? (ok(r.mongo, budget.mongo) && ok(r.redis, budget.redis) ? 'ok' : 'OVER') : 'no budget';
    if (verdict === 'OVER') over.push(path);
    const cmds = Object.entries(r.commands)
      // Below 0.05 per operation is a timer's (the requeue sweep), not the operation's.
      .filter(([, n]) => n >= 0.05)
      .map(([k, n]) => `${k} ${fmt(n, 1)}`)
      .join(', ');
    console.log(
      `round trips ${path.padEnd(13)} MongoDB ${fmt(r.mongo, 1)}, Redis ${fmt(r.redis, 1)}` +
        (budget ? ` (budget <= ${budget.mongo} / <= ${budget.redis}: ${verdict})` : ` (${verdict})`) +
        (cmds ? ` [${cmds}]` : ''),
    );
  }
  return over;
}
