import { Redis } from 'ioredis';
import { MongoClient, ObjectId, type Db } from 'mongodb';
import { Registry } from 'prom-client';
import {
  Collections,
  countMongoCommands,
  createCreditsLedger,
  createStoreRoundTrips,
  type CreditsLedger,
} from '@vectort/shared';
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

/** Markers of balance changes that have no ledger entry: an operation cut short, never a finished one. */
async function unrecordedMarkers(id: ObjectId): Promise<string[]> {
  const markers = (await userDoc(id))!.applied_ops ?? [];
  const recorded = await db
    .collection<{ _id: string }>(Collections.creditLedger)
    .find({ _id: { $in: markers } })
    .toArray();
  return markers.filter((m) => !recorded.some((e) => e._id === m));
}

const debit = () => {
  const id = new ObjectId();
  return { key: `job:${id}:generation`, delta: -1, reason: 'generation' as const, jobId: id };
};

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
  // Markers hold operations in flight and at most the last recorded one: the user document does
  // not grow with history.
  expect(after!.applied_ops?.length ?? 0).toBeLessThanOrEqual(1);
  expect(await unrecordedMarkers(userId)).toEqual([]);
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
  expect(await unrecordedMarkers(userId)).toEqual([]);
  expect(await ledger.apply({ userId, key, delta: 1, reason: 'generation_refund' })).toBe('already_applied');
  expect((await userDoc(userId))!.credits).toBe(6);
  // The recorded marker goes: the next operation finds it recorded, the one after drops it.
  const [next, last] = [debit(), debit()];
  await ledger.apply({ userId, ...next });
  await ledger.apply({ userId, ...last });
  expect((await userDoc(userId))!.applied_ops).toEqual([last.key]);
  expect((await userDoc(userId))!.credits).toBe(4);
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

it('drops recorded markers with the next operation, and asks the ledger when Redis lost the hand-on note', async () => {
  const userId = await newUser(10);
  const [a, b, c] = [debit(), debit(), debit()];
  expect(await ledger.apply({ userId, ...a })).toBe('applied');
  expect(await ledger.apply({ userId, ...b })).toBe('applied');
  expect((await userDoc(userId))!.applied_ops).toEqual([b.key]);
  // Redis forgets the note (a restart): the next operation finds out from the ledger.
  await redis.del(`${name}:credit-markers:${userId.toHexString()}`);
  expect(await ledger.apply({ userId, ...c })).toBe('applied');
  expect((await userDoc(userId))!.applied_ops).toEqual([b.key, c.key]);
  const d = debit();
  expect(await ledger.apply({ userId, ...d })).toBe('applied');
  expect((await userDoc(userId))!.applied_ops).toEqual([d.key]);
  expect((await userDoc(userId))!.credits).toBe(6);
  expect(await db.collection(Collections.creditLedger).countDocuments({ user_id: userId })).toBe(4);
});

it('never drops the marker of an operation cut short, whatever the note says', async () => {
  const userId = await newUser(10);
  const a = debit();
  expect(await ledger.apply({ userId, ...a })).toBe('applied');
  // A crash after step 1 of another operation: its marker is on the document, the note does not know it.
  const cut = debit();
  await db
    .collection(Collections.users)
    .updateOne({ _id: userId }, { $inc: { credits: -1 }, $push: { applied_ops: cut.key } } as never);
  const b = debit();
  expect(await ledger.apply({ userId, ...b })).toBe('applied');
  expect((await userDoc(userId))!.applied_ops).toContain(cut.key);
  // Its replay changes nothing more and writes the entry.
  expect(await ledger.apply({ userId, ...cut })).toBe('already_applied');
  expect((await userDoc(userId))!.credits).toBe(7);
  expect(await unrecordedMarkers(userId)).toEqual([]);
});

it('costs MongoDB two commands for a new key once the user has a note: the balance change and the ledger entry', async () => {
  const registry = new Registry();
  const counter = createStoreRoundTrips(registry);
  const monitored = await MongoClient.connect(mongoUrlWithDb(serviceEnv().MONGO_URL!, name), { monitorCommands: true });
  countMongoCommands(monitored, counter);
  const counted = createCreditsLedger({ db: monitored.db(), redis, keyPrefix: name });
  try {
    const userId = await newUser(10);
    await counted.apply({ userId, ...debit() }, { fresh: true });
    const before = await mongoCommands(registry);
    await counted.apply({ userId, ...debit() }, { fresh: true });
    expect((await mongoCommands(registry)) - before).toBe(2);
    expect((await userDoc(userId))!.credits).toBe(8);
  } finally {
    await monitored.close();
  }
});

async function mongoCommands(registry: Registry): Promise<number> {
  const metric = await registry.getSingleMetric('vectort_store_round_trips_total')!.get();
  return metric.values.filter((v) => v.labels.store === 'mongo').reduce((n, v) => n + v.value, 0);
}
