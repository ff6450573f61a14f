import type { Socket } from 'node:net';
import type { Redis } from 'ioredis';
import type { MongoClient } from 'mongodb';
import { Counter, type Registry } from 'prom-client';

/**
 * Round trips to the stores, counted at the client: the machine-independent cost of a request
 * (DESIGN.md's budgets: a hit is 0 MongoDB commands and 1 Redis round trip). On a real MongoDB
 * each one costs ~0.3-1 ms, while absolute times on the local FerretDB say little.
 *
 * - `store="mongo"`: one per command the driver sends (command monitoring), `command` its name.
 * - `store="redis"`: one per write to the socket. ioredis writes a single command in one write
 *   and a whole pipeline or MULTI in one write, so this counts round trips, not commands.
 */
export type StoreRoundTrips = Counter<'store' | 'command'>;

export function createStoreRoundTrips(registry: Registry): StoreRoundTrips {
  return new Counter({
    name: 'vectort_store_round_trips_total',
    help: 'Round trips to MongoDB (by command) and Redis, counted at the client',
    labelNames: ['store', 'command'],
    registers: [registry],
  });
}

/** Counts every command `client` sends. It must have been created with `monitorCommands: true`. */
export function countMongoCommands(client: MongoClient, counter: StoreRoundTrips): void {
  client.on('commandStarted', (event) => counter.inc({ store: 'mongo', command: event.commandName }));
}

const counted = new WeakSet<Socket>();

/**
 * Counts the socket writes of `redis` and of every client duplicated from it (BullMQ duplicates
 * the connection a Worker is given for its blocking commands), across reconnects.
 */
export function countRedisRoundTrips(redis: Redis, counter: StoreRoundTrips): void {
  const child = counter.labels({ store: 'redis', command: '' });
  const wrap = () => {
    const stream = (redis as unknown as { stream?: Socket }).stream;
    if (!stream || counted.has(stream)) return;
    counted.add(stream);
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((...args: unknown[]) => {
      child.inc();
      return write(...args);
    }) as Socket['write'];
  };
  wrap();
  redis.on('connect', wrap);
  const duplicate = redis.duplicate.bind(redis);
  redis.duplicate = ((...args: Parameters<Redis['duplicate']>) => {
    const copy = duplicate(...args);
    countRedisRoundTrips(copy, counter);
    return copy;
  }) as Redis['duplicate'];
}
