import request from 'supertest';
import { ObjectId } from 'mongodb';
import {
  Collections,
  createJobViewCache,
  createLogger,
  isFerretDb,
  toJobView,
  type JobDocument,
  type JobStatus,
} from '@vectort/shared';
import { pruneFinishedJobs, startJobPruning } from '../src/processors/prune-finished-jobs';
import { LogCapture } from '../../../test/support/log-capture';
import { startTestApp, type TestApp } from '../../../test/support/test-app';
import { bearer, registerUser, type TestUser } from '../../../test/support/users';

// The sweep that prunes finished job records on FerretDB (MongoDB's TTL index does it there),
// against the real store, and what polling a pruned job answers through the real API.

const HOUR = 3600_000;
let app: TestApp;
let user: TestUser;

beforeAll(async () => {
  app = await startTestApp('prunejobs');
  user = await registerUser(app.baseUrl, 'prune');
});

afterAll(async () => {
  await app?.close();
});

const jobs = () => app.db.collection<JobDocument>(Collections.jobs);

/** A job record as the API and worker write it, `endedAgoMs` after its end (null: not ended). */
async function insertJob(status: JobStatus, endedAgoMs: number | null, touchedAgoMs = endedAgoMs ?? 0) {
  const at = (ago: number) => new Date(Date.now() - ago);
  const doc: JobDocument = {
    _id: new ObjectId(),
    kind: 'generate',
    user_id: new ObjectId(user.id),
    project_id: new ObjectId(),
    status,
    progress: status === 'completed' ? 100 : 0,
    result: null,
    error: status === 'failed' ? { code: 'llm_error', message: 'The model failed' } : null,
    webhook_url: null,
    payload: { job_id: 'x' },
    created_at: at(touchedAgoMs + 1000),
    updated_at: at(touchedAgoMs),
    finished_at: endedAgoMs === null ? null : at(endedAgoMs),
  };
  await jobs().insertOne(doc);
  return doc;
}

const started = (logs: LogCapture) => logs.entries().find((e) => e.message === 'job_pruning_started');

const present = async (doc: JobDocument) => (await jobs().findOne({ _id: doc._id })) !== null;

test('finished jobs older than the retention go; running, queued and recent ones stay', async () => {
  const oldCompleted = await insertJob('completed', 3 * HOUR);
  const oldFailed = await insertJob('failed', 2 * HOUR);
  const oldCancelled = await insertJob('cancelled', 2 * HOUR);
  const recent = await insertJob('completed', 60_000);
  // Untouched for hours but not ended: the requeue sweep's business, never the pruner's.
  const active = await insertJob('active', null, 3 * HOUR);
  const queued = await insertJob('queued', null, 3 * HOUR);

  const pruned = await pruneFinishedJobs({ db: app.db, retentionSeconds: 3600 });

  expect(pruned).toBe(3);
  for (const gone of [oldCompleted, oldFailed, oldCancelled]) expect(await present(gone)).toBe(false);
  for (const kept of [recent, active, queued]) expect(await present(kept)).toBe(true);
  // Nothing more to do on a second pass.
  expect(await pruneFinishedJobs({ db: app.db, retentionSeconds: 3600 })).toBe(0);
});

test('works through more old jobs than one batch holds', async () => {
  const old = await Promise.all(Array.from({ length: 5 }, () => insertJob('completed', 2 * HOUR)));
  expect(await pruneFinishedJobs({ db: app.db, retentionSeconds: 3600, batchSize: 2 })).toBe(5);
  for (const doc of old) expect(await present(doc)).toBe(false);
});

test("a pruned job's poll: its Redis status copy answers while it lasts, then a 404", async () => {
  const withCopy = await insertJob('completed', 2 * HOUR);
  const withoutCopy = await insertJob('completed', 2 * HOUR);
  // The copy the worker wrote when the job ended (kept 24 h after its last change).
  await createJobViewCache(app.redis, app.config.redisKeyPrefix).put(toJobView(withCopy), user.id);

  await pruneFinishedJobs({ db: app.db, retentionSeconds: 3600 });
  expect(await present(withCopy)).toBe(false);

  const answered = await request(app.baseUrl)
    .get(`/api/jobs/${withCopy._id.toHexString()}`)
    .set(...bearer(user));
  expect(answered.status).toBe(200);
  expect(answered.body).toMatchObject({ job_id: withCopy._id.toHexString(), status: 'completed' });

  const gone = await request(app.baseUrl)
    .get(`/api/jobs/${withoutCopy._id.toHexString()}`)
    .set(...bearer(user));
  expect(gone.status).toBe(404);
  expect(gone.body.error.code).toBe('not_found');
});

test('pruning starts the way the server allows: a TTL index on MongoDB, the sweep on FerretDB', async () => {
  const logs = new LogCapture();
  const logger = createLogger({ service: 'worker', level: 'info', stream: logs.stream });
  const old = await insertJob('completed', 2 * HOUR);
  const stop = await startJobPruning({ db: app.db, logger, retentionSeconds: 3600 });
  try {
    if (await isFerretDb(app.db)) {
      // The first sweep runs at start.
      const deadline = Date.now() + 10_000;
      while ((await present(old)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(await present(old)).toBe(false);
      expect(started(logs)).toMatchObject({ how: 'sweep', retention_seconds: 3600 });
    } else {
      const indexes = await jobs().listIndexes().toArray();
      expect(indexes.find((i) => i.name === 'finished_ttl')).toMatchObject({
        key: { finished_at: 1 },
        expireAfterSeconds: 3600,
      });
      expect(started(logs)).toMatchObject({ how: 'ttl_index' });
    }
  } finally {
    await stop();
  }
});
