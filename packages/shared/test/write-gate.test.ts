import { ObjectId } from 'mongodb';
import { createGate, createMongo, findOwned, type Mongo } from '@vectort/shared';
import { serviceEnv, uniqueName } from '../../../test/support/services';

// The bound on MongoDB writes in flight per process (clients/write-gate.ts), seen from the
// driver's own command events on the real store, and the owner check of `findOwned`.
const env = serviceEnv();
const opened: Mongo[] = [];

async function open(maxConcurrentWrites: number): Promise<Mongo> {
  const mongo = await createMongo({
    mongoUrl: env.MONGO_URL ?? '',
    dbName: uniqueName('writegate'),
    maxConcurrentWrites,
  });
  opened.push(mongo);
  return mongo;
}

afterAll(async () => {
  for (const m of opened) {
    await m.db.dropDatabase().catch(() => undefined);
    await m.client.close();
  }
});

/** The most `update` commands the server had from this client at once while `work` ran. */
async function peakUpdates(mongo: Mongo, work: () => Promise<unknown>): Promise<number> {
  let now = 0;
  let peak = 0;
  const started = (e: { commandName: string }) => {
    if (e.commandName === 'update') peak = Math.max(peak, ++now);
  };
  const ended = (e: { commandName: string }) => {
    if (e.commandName === 'update') now -= 1;
  };
  mongo.client.on('commandStarted', started);
  mongo.client.on('commandSucceeded', ended);
  mongo.client.on('commandFailed', ended);
  try {
    await work();
  } finally {
    mongo.client.off('commandStarted', started);
    mongo.client.off('commandSucceeded', ended);
    mongo.client.off('commandFailed', ended);
  }
  return peak;
}

const concurrentUpdates = async (mongo: Mongo, n: number) => {
  const col = mongo.db.collection<{ _id: ObjectId; n: number }>('counters');
  const ids = Array.from({ length: n }, () => new ObjectId());
  await col.insertMany(ids.map((_id) => ({ _id, n: 0 })));
  return peakUpdates(mongo, () => Promise.all(ids.map((_id) => col.updateOne({ _id }, { $inc: { n: 1 } }))));
};

test('no more writes than the bound are in flight at once, and every one of them runs', async () => {
  const mongo = await open(3);
  expect(await concurrentUpdates(mongo, 40)).toBeLessThanOrEqual(3);
  const col = mongo.db.collection<{ n: number }>('counters');
  expect(await col.countDocuments({ n: 1 })).toBe(40);
});

test('without a tight bound the same burst runs many writes at once (the test can tell)', async () => {
  const mongo = await open(1000);
  expect(await concurrentUpdates(mongo, 40)).toBeGreaterThan(3);
});

test('the gate hands a freed slot to the longest waiter and never runs more than its limit', async () => {
  const gate = createGate(2);
  const order: number[] = [];
  let peak = 0;
  const job = (i: number) =>
    gate.run(async () => {
      peak = Math.max(peak, gate.inFlight);
      await new Promise((r) => setTimeout(r, 5));
      order.push(i);
    });
  await Promise.all([0, 1, 2, 3, 4, 5].map(job));
  expect(peak).toBe(2);
  expect(order).toEqual([0, 1, 2, 3, 4, 5]);
  expect(gate.inFlight).toBe(0);
  // A failing write frees its slot too.
  await expect(gate.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  expect(gate.inFlight).toBe(0);
});

test("findOwned reads by _id alone and answers null for another user's document", async () => {
  const mongo = await open(16);
  const col = mongo.db.collection<{ _id: ObjectId; user_id: ObjectId; secret: string; note: string }>('owned');
  const [owner, other] = [new ObjectId(), new ObjectId()];
  const _id = new ObjectId();
  await col.insertOne({ _id, user_id: owner, secret: 's', note: 'n' });
  expect(await findOwned(col, _id, owner)).toMatchObject({ secret: 's' });
  expect(await findOwned(col, _id, other)).toBeNull();
  expect(await findOwned(col, new ObjectId(), owner)).toBeNull();
  // An inclusion projection without the owner still checks it.
  expect(await findOwned(col, _id, other, { projection: { note: 1 } })).toBeNull();
  expect(await findOwned(col, _id, owner, { projection: { note: 1 } })).toMatchObject({ note: 'n' });
  expect(await findOwned(col, _id, owner, { projection: { secret: 0 } })).not.toHaveProperty('secret');
});
