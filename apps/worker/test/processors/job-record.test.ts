import type { Redis } from 'ioredis';
import { MongoClient, ObjectId, type Db } from 'mongodb';
import { Collections, cancelFlagKey, createJobViewCache, type JobDocument } from '@vectort/shared';
import { createJobRecord, type EndedJob } from '../../src/processors/job-record';
import { countedRedis } from '../../../../test/support/counted-redis';
import { mongoCommandsDuring } from '../../../../test/support/mongo-commands';
import { mongoUrlWithDb, serviceEnv, uniqueName } from '../../../../test/support/services';

// The job's record as the worker writes it: each start counts the attempt in MongoDB (only the
// first finds the count at 0), and the end is one conditional write that never rewrites an end.
let mongo: MongoClient;
let db: Db;
let redis: Redis;
const name = uniqueName('jobrecord');

beforeAll(async () => {
  mongo = await MongoClient.connect(mongoUrlWithDb(serviceEnv().MONGO_URL!, name), { monitorCommands: true });
  db = mongo.db();
  ({ redis } = await countedRedis());
});
afterAll(async () => {
  await db.dropDatabase().catch(() => undefined);
  await mongo.close();
  const keys = await redis.keys(`${name}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

async function newJob(fields: Partial<JobDocument> = { attempts_started: 0 }): Promise<ObjectId> {
  const id = new ObjectId();
  const now = new Date();
  await db.collection<JobDocument>(Collections.jobs).insertOne({
    _id: id,
    kind: 'generate',
    user_id: new ObjectId(),
    project_id: new ObjectId(),
    status: 'queued',
    progress: 0,
    result: null,
    error: null,
    webhook_url: null,
    payload: {},
    created_at: now,
    updated_at: now,
    finished_at: null,
    ...fields,
  });
  return id;
}

it('tells only the first attempt that none ran before it; a job recorded without the count counts as resumed', async () => {
  const record = createJobRecord(db, redis, name);
  const id = await newJob();
  expect((await record.start(id))?.firstAttempt).toBe(true);
  expect((await record.start(id))?.firstAttempt).toBe(false);
  expect((await db.collection<JobDocument>(Collections.jobs).findOne({ _id: id }))?.attempts_started).toBe(2);
  const older = await newJob({});
  expect((await record.start(older))?.firstAttempt).toBe(false);
});

it('reports the cancel flag its status writes read on the way', async () => {
  const seen: [string, boolean][] = [];
  const record = createJobRecord(db, redis, name, {
    onCancelSeen: (jobId, requested) => seen.push([jobId, requested]),
  });
  const id = await newJob();
  await redis.set(cancelFlagKey(name, id.toHexString()), '1');
  await record.start(id);
  expect(seen).toEqual([[id.toHexString(), true]]);
});

// Both shapes of the end: one conditional write (MongoDB), one write by `_id` that returns the
// job as it was, putting back an end it overwrote (FerretDB).
it.each([true, false])(
  'never rewrites a job that already ended, and runs the end hook again with its real end (one write: %s)',
  async (compoundPointFilters) => {
    const ended: [EndedJob, string][] = [];
    const record = createJobRecord(db, redis, name, {
      onEnd: async (job, outcome) => void ended.push([job, outcome]),
      compoundPointFilters,
    });
    const id = await newJob();
    await record.start(id);
    // The API cancels it meanwhile.
    await db.collection<JobDocument>(Collections.jobs).updateOne({ _id: id }, { $set: { status: 'cancelled' } });
    await record.complete(id, { generation: { id: 'x' } });
    const doc = await db.collection<JobDocument>(Collections.jobs).findOne({ _id: id });
    expect(doc).toMatchObject({ status: 'cancelled', result: null });
    expect(ended.map(([job, outcome]) => [job._id.toHexString(), outcome])).toEqual([[id.toHexString(), 'cancelled']]);

    // A job still running ends once, and its status object says so.
    const other = await newJob();
    await record.start(other);
    await record.complete(other, { generation: { id: 'y' } });
    const otherDoc = await db.collection<JobDocument>(Collections.jobs).findOne({ _id: other });
    expect(otherDoc?.status).toBe('completed');
    const view = await createJobViewCache(redis, name).get(other.toHexString(), otherDoc!.user_id.toHexString());
    expect(view).toMatchObject({ status: 'completed', progress: 100 });
    expect(ended.map(([, outcome]) => outcome)).toEqual(['cancelled', 'completed']);
  },
);

it.each([true, false])(
  'ends a running job with one MongoDB command (one conditional write: %s)',
  async (compoundPointFilters) => {
    const record = createJobRecord(db, redis, name, { compoundPointFilters });
    const id = await newJob();
    await record.start(id);
    const commands = await mongoCommandsDuring(db, () => record.complete(id, { generation: { id: 'z' } }));
    expect(commands).toEqual(['findAndModify jobs']);
    expect((await db.collection<JobDocument>(Collections.jobs).findOne({ _id: id }))?.status).toBe('completed');
  },
);
