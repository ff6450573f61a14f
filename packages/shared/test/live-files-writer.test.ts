import type { Redis } from 'ioredis';
import {
  cancelFlagKey,
  createJobViewCache,
  createLiveFilesWriter,
  readJobStream,
  type JobView,
  type StatusWriteResult,
} from '@vectort/shared';
import { countedRedis } from '../../../test/support/counted-redis';
import { uniqueName } from '../../../test/support/services';

// A live-output flush carries the job's progress too: file deltas, the status write (which reads
// the cancel flag on its way) and the announcement are one round trip.
let redis: Redis;
let roundTrips: () => Promise<number>;
const prefix = uniqueName('live');

beforeAll(async () => ({ redis, roundTrips } = await countedRedis()));
afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

const view = (jobId: string, progress: number): JobView => ({
  job_id: jobId,
  kind: 'generate',
  status: 'active',
  progress,
  project_id: 'p',
  created_at: new Date(0).toISOString(),
  finished_at: null,
  result: null,
  error: null,
});

it('sends file deltas and the latest progress in one round trip, the status write reading the cancel flag', async () => {
  const jobId = 'job-1';
  const views = createJobViewCache(redis, prefix);
  const writer = createLiveFilesWriter(redis, prefix, jobId, 10_000);
  const results: StatusWriteResult[] = [];
  await redis.set(cancelFlagKey(prefix, jobId), '1');
  const start = await roundTrips();
  writer.write('a.txt', 'hello ', false);
  writer.status(views.write(view(jobId, 20), 'u1'));
  writer.write('a.txt', 'world', true);
  // A later status replaces one not yet sent.
  writer.status(
    views.write(view(jobId, 40), 'u1', { cancelKey: cancelFlagKey(prefix, jobId), onResult: (r) => results.push(r) }),
  );
  await writer.flush();
  expect(await roundTrips()).toBe(start + 1);
  expect(results).toEqual([{ written: true, cancelRequested: true }]);
  expect((await views.get(jobId, 'u1'))?.progress).toBe(40);
  const entries = await readJobStream(redis, prefix, jobId, '0-0');
  expect(entries.map((e) => e.type)).toEqual(['file', 'status']);
  expect(JSON.parse(entries[0]!.data)).toEqual({ path: 'a.txt', text: 'hello world', done: true, replace: true });
});
