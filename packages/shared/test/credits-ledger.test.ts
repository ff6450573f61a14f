import { Redis } from 'ioredis';
import { MongoClient, ObjectId, type Db } from 'mongodb';
import { Collections, createCreditsLedger, type CreditsLedger } from '@vectort/shared';
import { mongoUrlWithDb, serviceEnv, uniqueName } from '../../../test/support/services';

// Issue 11 finding 14: "applied" must not depend on how much history a user has. Real FerretDB
// (or MongoDB) and Redis, as everywhere in the suite.
let mongo: MongoClient;
let db: Db;
let redis: Redis;
let ledger: CreditsLedger;
const name = uniqueName('ledger');

beforeAll(async () => {
  const env = serviceEnv();
  mongo = await MongoClient.connect(mongoUrlWithDb(env.MONGO_URL!, name));
  db = mongo.db();
  redis = new Redis(env.REDIS_URL!);
  ledger = createCreditsLedger({ db, redis, keyPrefix: name });
});

afterAll(async () => {
  await db.dropDatabase().catch(() => undefined);
  await mongo.close();
  const keys = await redis.keys(`${name}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

async function newUser(credits: number): Promise<ObjectId> {
  const id = new ObjectId();
  const now = new Date();
  await db
    .collection(Collections.users)
    .insertOne({ _id: id, email_lower: `${id}@x`, credits, created_at: now, updated_at: now });
  return id;
}

const userDoc = (id: ObjectId) =>
  db.collection<{ _id: ObjectId; credits: number; applied_ops?: string[] }>(Collections.users).findOne({ _id: id });

it('does not credit a refund again when it is replayed after more than 500 other operations', async () => {
  const userId = await newUser(10);
  const jobId = new ObjectId();
  const refund = {
    userId,
    key: `job:${jobId}:generation_refund`,
    delta: 1,
    reason: 'generation_refund' as const,
    jobId,
  };
  expect(await ledger.apply(refund)).toBe('applied');
  // 510 other operations (the old per-user set kept the last 500 keys only).
  for (let i = 0; i < 255; i++) {
    const other = new ObjectId();
    expect(
      await ledger.apply({ userId, key: `job:${other}:generation`, delta: -1, reason: 'generation', jobId: other }),
    ).toBe('applied');
    expect(
      await ledger.apply({
        userId,
        key: `job:${other}:generation_refund`,
        delta: 1,
        reason: 'generation_refund',
        jobId: other,
      }),
    ).toBe('applied');
  }
  expect((await userDoc(userId))!.credits).toBe(11);

  expect(await ledger.apply(refund)).toBe('already_applied');
  const after = await userDoc(userId);
  expect(after!.credits).toBe(11);
  expect(await db.collection(Collections.creditLedger).countDocuments({ _id: refund.key as never })).toBe(1);
  // Markers live only while an operation is in flight: the user document does not grow with history.
  expect(after!.applied_ops ?? []).toEqual([]);
}, 120_000);

it('finishes an operation cut short between the balance change and its ledger entry, without a second change', async () => {
  const userId = await newUser(5);
  const key = `job:${new ObjectId()}:generation_refund`;
  // What a crash right after step 1 leaves: the balance changed and marked, no ledger entry.
  await db
    .collection(Collections.users)
    .updateOne({ _id: userId }, { $inc: { credits: 1 }, $push: { applied_ops: key } } as never);
  expect(await ledger.isApplied(key)).toBe(false);

  expect(await ledger.apply({ userId, key, delta: 1, reason: 'generation_refund' })).toBe('already_applied');
  expect((await userDoc(userId))!.credits).toBe(6);
  expect(await ledger.isApplied(key)).toBe(true);
  expect((await userDoc(userId))!.applied_ops).toEqual([]);
  expect(await ledger.apply({ userId, key, delta: 1, reason: 'generation_refund' })).toBe('already_applied');
  expect((await userDoc(userId))!.credits).toBe(6);
});

it('keeps the balance exact under concurrent operations for one user, and refuses a debit the balance does not cover', async () => {
  const userId = await newUser(3);
  const ops = Array.from({ length: 20 }, () => {
    const id = new ObjectId();
    return ledger.apply({ userId, key: `job:${id}:generation`, delta: -1, reason: 'generation', jobId: id });
  });
  const results = await Promise.all(ops);
  expect(results.filter((r) => r === 'applied')).toHaveLength(3);
  expect(results.filter((r) => r === 'insufficient')).toHaveLength(17);
  expect((await userDoc(userId))!.credits).toBe(0);
  expect(await db.collection(Collections.creditLedger).countDocuments({ user_id: userId })).toBe(3);
});
