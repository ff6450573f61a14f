import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { AppError, countRedisRoundTrips, createStoreRoundTrips } from '@vectort/shared';
import { serviceEnv, uniqueName } from '../../../test/support/services';
import { createStreamSlots } from '../src/services/stream-slots';

// Two clients stand for two API replicas on one Redis; disconnecting one is its process dying.
const prefix = uniqueName('slots');
const url = serviceEnv().REDIS_URL!;
let a: Redis;
let b: Redis;
beforeEach(() => {
  a = new Redis(url);
  b = new Redis(url);
});
afterEach(async () => {
  const keys = await b.keys(`${prefix}:*`).catch(() => []);
  if (keys.length) await b.del(...keys);
  a.disconnect();
  b.disconnect();
});

const refused = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => e,
  );

describe('stream slots across API replicas', () => {
  it('counts one user across replicas, 429 beyond the bound, and frees a slot on release', async () => {
    const timing = { ttlMs: 5000, renewMs: 1000 };
    const one = createStreamSlots(a, prefix, 3, timing);
    const two = createStreamSlots(b, prefix, 3, timing);
    const held = [await one.acquire('u1'), await two.acquire('u1'), await one.acquire('u1')];
    const err = await refused(two.acquire('u1'));
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ httpStatus: 429, code: 'rate_limited', retryAfterSeconds: 5 });
    // Another user has slots of their own.
    (await two.acquire('u2')).release();
    held[0]!.release();
    await new Promise((r) => setTimeout(r, 50));
    (await two.acquire('u1')).release();
    for (const s of held) s.release();
  });

  it('lets the slots of a replica that died lapse: it stops renewing, they stop counting', async () => {
    const timing = { ttlMs: 600, renewMs: 200 };
    const dying = createStreamSlots(a, prefix, 2, timing);
    const alive = createStreamSlots(b, prefix, 2, timing);
    await dying.acquire('u1');
    await dying.acquire('u1');
    expect(await refused(alive.acquire('u1'))).toMatchObject({ httpStatus: 429 });
    // Renewals keep live slots counted past their first lapse time.
    await new Promise((r) => setTimeout(r, 900));
    expect(await refused(alive.acquire('u1'))).toMatchObject({ httpStatus: 429 });
    a.disconnect();
    await new Promise((r) => setTimeout(r, 900));
    const slot = await alive.acquire('u1');
    slot.release();
  });

  it('renews all the slots a replica holds in one round trip per period, not one per slot', async () => {
    const registry = new Registry();
    countRedisRoundTrips(a, createStoreRoundTrips(registry));
    const trips = async () =>
      (await registry.getSingleMetric('vectort_store_round_trips_total')!.get()).values.reduce(
        (n, v) => n + v.value,
        0,
      );
    const slots = createStreamSlots(a, prefix, 100, { ttlMs: 5000, renewMs: 200 });
    const held = [];
    for (let i = 0; i < 20; i++) held.push(await slots.acquire(`u${i % 4}`));
    const before = await trips();
    await new Promise((r) => setTimeout(r, 1000));
    // About five periods: a renewal per slot would be 100 round trips.
    expect((await trips()) - before).toBeLessThanOrEqual(6);
    const lapse = await a.zscore(`${prefix}:streams:u0`, (await a.zrange(`${prefix}:streams:u0`, '0', '0'))[0]!);
    expect(Number(lapse)).toBeGreaterThan(Date.now() + 4000);
    for (const s of held) s.release();
  });
});
