import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { redisScript } from '../src/clients/redis-script';
import { countedRedis } from '../../../test/support/counted-redis';
import { uniqueName } from '../../../test/support/services';

// A script the server has never seen (its text is unique to this run) answers NOSCRIPT to
// EVALSHA: the first run sends it whole, later runs go by its SHA-1 alone.
let redis: Redis;
let roundTrips: () => Promise<number>;
const key = uniqueName('script');

beforeAll(async () => ({ redis, roundTrips } = await countedRedis()));
afterAll(async () => {
  await redis.del(key);
  redis.disconnect();
});

const fresh = () =>
  redisScript(`-- ${randomUUID()}\nredis.call('SET', KEYS[1], ARGV[1])\nreturn {redis.call('GET', KEYS[1]), 7}`);

it.each([
  ['run', 'strings', (v: unknown) => v],
  ['runBuffer', 'Buffers', (v: unknown) => (Buffer.isBuffer(v) ? v.toString('utf8') : `not a Buffer: ${String(v)}`)],
] as const)(
  '%s: sends an unknown script whole once, then by its SHA-1 (replies as %s)',
  async (method, _kind, text) => {
    const script = fresh();
    const start = await roundTrips();
    const first = (await script[method](redis, [key], ['é-1'])) as unknown[];
    expect(await roundTrips()).toBe(start + 2); // EVALSHA answered NOSCRIPT, then EVAL
    expect([text(first[0]), first[1]]).toEqual(['é-1', 7]);

    const second = (await script[method](redis, [key], ['é-2'])) as unknown[];
    expect(await roundTrips()).toBe(start + 3);
    expect([text(second[0]), second[1]]).toEqual(['é-2', 7]);
  },
);

it('passes on errors other than NOSCRIPT without sending the script again', async () => {
  const script = redisScript(`-- ${randomUUID()}\nreturn redis.error_reply('BOOM from the script')`);
  await expect(script.run(redis, [key], [])).rejects.toThrow('BOOM from the script');
  const start = await roundTrips();
  await expect(script.runBuffer(redis, [key], [])).rejects.toThrow('BOOM from the script');
  expect(await roundTrips()).toBe(start + 1);
});
