import type { Collection, Db } from 'mongodb';

/*
 * A bound on the MongoDB writes one process has in flight.
 *
 * FerretDB v1 runs an update (updateOne, findOneAndUpdate, delete) as a read on one connection
 * of its per-database SQLite pool (100 connections) and, with that read still open, the write on
 * a second one. When about 100 of them run at once every connection holds a read and waits for a
 * second: the database never answers again until FerretDB restarts. Measured here (2026-12-02,
 * 20,000 documents, updates whose filter FerretDB scans for): 3 processes × 100 concurrent
 * updates froze that database for good (other databases still answered); the same load with at
 * most 16 writes per process in flight finished in 8.7-9.7 s and the database went on answering. So each process waits for a slot before a write. On MongoDB the bound only queues
 * bursts (16 writes in flight is far from what one process needs: a write takes ~1 ms there).
 * Reads take one connection and give it back, so they are not bounded.
 */

/** The collection methods that write (each one command, each one slot). */
const WRITE_METHODS = new Set<PropertyKey>([
  'insertOne',
  'insertMany',
  'updateOne',
  'updateMany',
  'replaceOne',
  'deleteOne',
  'deleteMany',
  'findOneAndUpdate',
  'findOneAndReplace',
  'findOneAndDelete',
  'bulkWrite',
]);

/** A counting semaphore: at most `limit` holders, the others served first come, first served. */
export interface Gate {
  run<T>(work: () => Promise<T>): Promise<T>;
  /** Writes running now (for tests and metrics). */
  readonly inFlight: number;
}

export function createGate(limit: number): Gate {
  let inFlight = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else inFlight -= 1;
  };
  return {
    get inFlight() {
      return inFlight;
    },
    async run(work) {
      if (inFlight < limit) inFlight += 1;
      // A released slot passes straight to the next waiter, so the count never dips below.
      else await new Promise<void>((resolve) => waiting.push(resolve));
      try {
        return await work();
      } finally {
        release();
      }
    },
  };
}

function gatedCollection<T extends Collection>(collection: T, gate: Gate): T {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(collection, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      let fn = wrapped.get(prop);
      if (!fn) {
        const method = value as (...args: unknown[]) => unknown;
        fn = WRITE_METHODS.has(prop)
          ? (...args: unknown[]) => gate.run(() => method.apply(target, args) as Promise<unknown>)
          : method.bind(target);
        wrapped.set(prop, fn);
      }
      return fn;
    },
  });
}

/** `db` whose collections take a slot of `gate` for every write. */
export function gateWrites(db: Db, gate: Gate): Db {
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'collection') {
        return (...args: Parameters<Db['collection']>) => gatedCollection(target.collection(...args), gate);
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
