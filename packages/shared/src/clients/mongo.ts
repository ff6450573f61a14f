import { MongoClient, type Db } from 'mongodb';
import { createGate, gateWrites } from './write-gate';

export interface Mongo {
  client: MongoClient;
  db: Db;
}

export interface MongoOptions {
  mongoUrl: string;
  /** Overrides the database named in the URL (tests use one database per file). */
  dbName?: string;
  /** Writes in flight at once from this process (clients/write-gate.ts). @defaultValue 16 */
  maxConcurrentWrites?: number;
}

/**
 * Connects to MongoDB; the database is the one named in the URL path, `vectort` when none. Its
 * collections' writes wait for one of `maxConcurrentWrites` slots (see write-gate.ts).
 */
export async function createMongo(options: MongoOptions): Promise<Mongo> {
  const client = new MongoClient(options.mongoUrl, {
    serverSelectionTimeoutMS: 5000,
    connectTimeoutMS: 5000,
    appName: 'vectort',
    // For vectort_store_round_trips_total (metrics/store-round-trips.ts): one event per command.
    monitorCommands: true,
  });
  await client.connect();
  const fromUrl = new URL(options.mongoUrl).pathname.replace(/^\//, '');
  const db = client.db(options.dbName ?? (fromUrl || 'vectort'));
  return { client, db: gateWrites(db, createGate(options.maxConcurrentWrites ?? 16)) };
}

/**
 * True when the server is FerretDB, which lacks some MongoDB guarantees. Its buildInfo has a
 * `ferretdbVersion` field (`"unknown"` in the embedded build that scripts/services.mjs runs).
 */
export async function isFerretDb(db: Db): Promise<boolean> {
  const info = await db.admin().command({ buildInfo: 1 });
  return 'ferretdbVersion' in info || 'ferretdb' in info;
}
