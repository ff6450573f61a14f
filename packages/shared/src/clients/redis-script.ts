import { createHash } from 'node:crypto';
import type { ChainableCommander, Redis } from 'ioredis';

/** A Lua script run by its SHA-1, sent whole only when the server does not know it yet. */
export interface RedisScript {
  run(redis: Redis, keys: string[], args: (string | number)[]): Promise<unknown>;
  /** {@link run}, with the reply's strings as Buffers (kept as bytes, never decoded). */
  runBuffer(redis: Redis, keys: string[], args: (string | number)[]): Promise<unknown>;
  /** Queues the script on a MULTI or pipeline (sent whole: a batch cannot retry one command). */
  queue(batch: ChainableCommander, keys: string[], args: (string | number)[]): ChainableCommander;
}

/** ioredis's Buffer-reply EVALSHA and EVAL: there at run time (every command has one), not in its typings. */
interface BufferScripting {
  evalshaBuffer(sha: string, numkeys: number, ...args: (string | number)[]): Promise<unknown>;
  evalBuffer(lua: string, numkeys: number, ...args: (string | number)[]): Promise<unknown>;
}

export function redisScript(lua: string): RedisScript {
  const sha = createHash('sha1').update(lua).digest('hex');
  return {
    async run(redis, keys, args) {
      try {
        return await redis.evalsha(sha, keys.length, ...keys, ...args);
      } catch (err) {
        if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
        return redis.eval(lua, keys.length, ...keys, ...args);
      }
    },
    async runBuffer(redis, keys, args) {
      try {
        return await (redis as unknown as BufferScripting).evalshaBuffer(sha, keys.length, ...keys, ...args);
      } catch (err) {
        if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
        return (redis as unknown as BufferScripting).evalBuffer(lua, keys.length, ...keys, ...args);
      }
    },
    queue(batch, keys, args) {
      return batch.eval(lua, keys.length, ...keys, ...args);
    },
  };
}
