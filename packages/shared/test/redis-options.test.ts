import { redisOptions } from '../src/clients/redis';

// Auto-pipelining builds an ioredis Pipeline per tick, and each Pipeline gets a hidden class of
// its own (an own `length` getter): the cache hit's young-generation garbage was promoted through
// it (redis.ts). The request clients fail fast; the workers' wait for Redis.
it('gives the request clients no auto-pipelining, a command timeout and no offline queue', () => {
  const request = redisOptions('request');
  expect(request.enableAutoPipelining).toBe(false);
  expect(request.commandTimeout).toBe(3000);
  expect(request.enableOfflineQueue).toBe(false);
  expect(request.maxRetriesPerRequest).toBe(1);
  expect(redisOptions('worker').maxRetriesPerRequest).toBeNull();
});
