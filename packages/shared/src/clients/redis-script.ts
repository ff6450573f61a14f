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

type Scripting = (sha: string, numkeys: number, ...args: (string | number)[]) => Promise<unknown>;

/**
 * EVALSHA and EVAL by name: the plain ones, or ioredis's Buffer-reply ones (there at run time,
 * as for every command, but not in its typings).
 */
type Commands = Record<'evalsha' | 'eval' | 'evalshaBuffer' | 'evalBuffer', Scripting>;
const STRINGS = { sha: 'evalsha', whole: 'eval' } as const;
const BUFFERS = { sha: 'evalshaBuffer', whole: 'evalBuffer' } as const;

const isNoScript = (err: unknown) => err instanceof Error && err.message.startsWith('NOSCRIPT');

export function redisScript(lua: string): RedisScript {
  const sha = createHash('sha1').update(lua).digest('hex');
  /** EVALSHA, then EVAL once when the server does not know the script (a restart, a flush). */
  async function runAs(
    names: typeof STRINGS | typeof BUFFERS,
    redis: Redis,
    keys: string[],
    args: (string | number)[],
  ) {
    const commands = redis as unknown as Commands;
    try {
      return await commands[names.sha](sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!isNoScript(err)) throw err;
      return commands[names.whole](lua, keys.length, ...keys, ...args);
    }
  }
  return {
    run: (redis, keys, args) => runAs(STRINGS, redis, keys, args),
    runBuffer: (redis, keys, args) => runAs(BUFFERS, redis, keys, args),
    queue(batch, keys, args) {
      return batch.eval(lua, keys.length, ...keys, ...args);
    },
  };
}
