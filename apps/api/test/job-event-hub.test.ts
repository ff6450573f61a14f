import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import {
  countRedisRoundTrips,
  createLiveFilesWriter,
  createLogger,
  createStoreRoundTrips,
  jobStreamKey,
  jobStatusWrite,
  putJobStatus,
} from '@vectort/shared';
import { serviceEnv, uniqueName } from '../../../test/support/services';
import { compareStreamIds, createJobEventHub, type FeedEntry, type JobEventHub } from '../src/services/job-event-hub';
import { createJobWatcher, type JobWatcher } from '../src/services/job-watcher';
import { until as waitUntil } from '../../../test/support/until';

const until = (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000) =>
  waitUntil(what, check, timeoutMs, 20);

// The event streams' reader on the real Redis, fed by the workers' own writers (file deltas and
// status views, each announced on the job-events channel).
const url = serviceEnv().REDIS_URL!;
let prefix: string;
let writer: Redis;
let reader: Redis;
let subscriber: Redis;
let watcher: JobWatcher;
let hub: JobEventHub;
let registry: Registry;

beforeEach(() => {
  prefix = uniqueName('hub');
  writer = new Redis(url);
  reader = new Redis(url);
  subscriber = new Redis(url);
  registry = new Registry();
  countRedisRoundTrips(reader, createStoreRoundTrips(registry));
  watcher = createJobWatcher(subscriber, prefix, createLogger({ service: 'api', level: 'error' }));
  hub = createJobEventHub(reader, prefix, watcher);
});
afterEach(async () => {
  await watcher.close();
  const keys = await writer.keys(`${prefix}:*`);
  if (keys.length) await writer.del(...keys);
  for (const r of [writer, reader, subscriber]) r.disconnect();
});

/** Socket writes of the hub's Redis client so far. */
async function readerRoundTrips(): Promise<number> {
  const metric = await registry.getSingleMetric('vectort_store_round_trips_total')!.get();
  return metric.values.reduce((n, v) => n + v.value, 0);
}

const status = (jobId: string, s: string, progress: number) =>
  putJobStatus(
    writer,
    jobStatusWrite(
      prefix,
      `${prefix}:job:${jobId}`,
      { job_id: jobId, status: s },
      JSON.stringify({ view: { job_id: jobId, status: s, progress }, user_id: 'u', at: Date.now() }),
      60,
    ),
  );

/** Every entry of the job's stream, as the stream holds them. */
async function streamIds(jobId: string): Promise<string[]> {
  const raw = (await writer.xrange(jobStreamKey(prefix, jobId), '-', '+')) as [string, string[]][];
  return raw.map(([id]) => id);
}

it('serves many streams of many jobs: each gets every entry after its cursor once, in order, from one XREAD per round', async () => {
  const jobs = ['a', 'b', 'c', 'd', 'e'].map((j) => `job${j}${Date.now()}`);
  const got = new Map<string, FeedEntry[]>();
  const unsubscribe = jobs.flatMap((jobId) =>
    [0, 1, 2, 3].map((i) => {
      const name = `${jobId}/${i}`;
      got.set(name, []);
      return hub.subscribe(jobId, '0-0', (entries) => got.get(name)!.push(...entries));
    }),
  );
  const before = await readerRoundTrips();
  let announcements = 0;
  for (let round = 0; round < 3; round++) {
    for (const jobId of jobs) {
      const files = createLiveFilesWriter(writer, prefix, jobId, 0);
      files.write('src/App.jsx', `line ${round}\n`, false);
      await files.flush();
      await status(jobId, 'active', 10 + round);
      announcements += 2;
    }
  }
  for (const jobId of jobs) await status(jobId, 'completed', 100);
  announcements += jobs.length;
  await until('the completed status on every stream', () =>
    [...got.values()].every((entries) => entries.at(-1)?.ended === true),
  );

  for (const jobId of jobs) {
    const ids = await streamIds(jobId);
    for (const i of [0, 1, 2, 3]) expect(got.get(`${jobId}/${i}`)!.map((e) => e.id)).toEqual(ids);
  }
  const entry = got.get(`${jobs[0]}/0`)!;
  expect(entry[0]!.frame).toBe(`id: ${entry[0]!.id}\nevent: file\ndata: ${entry[0]!.data}\n\n`);
  expect(entry.at(-1)!.frame).toBe(`id: ${entry.at(-1)!.id}\ndata: ${entry.at(-1)!.data}\n\n`);
  // 20 streams and 35 announcements: a read per stream per announcement would be 700 round trips.
  expect((await readerRoundTrips()) - before).toBeLessThanOrEqual(announcements);
  for (const off of unsubscribe) off();
  expect(hub.size()).toBe(0);
});

it('a stream that joins late catches up from its own cursor; the others get nothing twice', async () => {
  const jobId = `late${Date.now()}`;
  await status(jobId, 'active', 10);
  const [firstId] = await streamIds(jobId);
  const early: FeedEntry[] = [];
  const late: FeedEntry[] = [];
  const offEarly = hub.subscribe(jobId, '0-0', (e) => early.push(...e));
  await until('the early stream to read the first entry', () => early.length === 1);
  await status(jobId, 'active', 20);
  await until('the early stream to read the second entry', () => early.length === 2);
  // Joins with the cursor of a snapshot taken after the first entry.
  const offLate = hub.subscribe(jobId, firstId!, (e) => late.push(...e));
  await status(jobId, 'completed', 100);
  await until('both streams to end', () => early.at(-1)?.ended === true && late.at(-1)?.ended === true);
  const ids = await streamIds(jobId);
  expect(early.map((e) => e.id)).toEqual(ids);
  expect(late.map((e) => e.id)).toEqual(ids.slice(1));
  offEarly();
  offLate();
});

it('reads an entry whose announcement was lost (a Redis restart), within its fallback interval', async () => {
  const jobId = `lost${Date.now()}`;
  const got: FeedEntry[] = [];
  const before = await readerRoundTrips();
  const off = hub.subscribe(jobId, '0-0', (e) => got.push(...e));
  // The subscription's own first read has gone (and found nothing) before the entry is written,
  // without the PUBLISH the workers send.
  await until('the first read', async () => (await readerRoundTrips()) > before);
  await new Promise((r) => setTimeout(r, 100));
  expect(got).toEqual([]);
  await writer.xadd(jobStreamKey(prefix, jobId), '*', 'status', JSON.stringify({ job_id: jobId, status: 'completed' }));
  await until('the entry', () => got.length === 1, 5000);
  expect(got[0]!.ended).toBe(true);
  off();
});

it('a stream that went costs nothing: once the last one of a job leaves, its announcements read nothing', async () => {
  const jobId = `gone${Date.now()}`;
  const got: FeedEntry[] = [];
  const off = hub.subscribe(jobId, '0-0', (e) => got.push(...e));
  await status(jobId, 'active', 10);
  await until('the first entry', () => got.length === 1);
  off();
  expect(hub.size()).toBe(0);
  const before = await readerRoundTrips();
  for (let i = 0; i < 5; i++) await status(jobId, 'active', 20 + i);
  // Longer than the fallback interval: no quiet-job read either.
  await new Promise((r) => setTimeout(r, 1500));
  expect((await readerRoundTrips()) - before).toBe(0);
  expect(got).toHaveLength(1);
});

it('orders stream ids by time, then sequence', () => {
  expect(compareStreamIds('1-0', '1-1')).toBeLessThan(0);
  expect(compareStreamIds('10-0', '9-5')).toBeGreaterThan(0);
  expect(compareStreamIds('1733070000000-3', '1733070000000-3')).toBe(0);
  expect(compareStreamIds('0-0', '1733070000000-0')).toBeLessThan(0);
});
