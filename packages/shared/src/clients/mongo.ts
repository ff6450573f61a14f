import { MongoClient, type Db } from 'mongodb';

export interface Mongo {
  client: MongoClient;
  db: Db;
}

export interface MongoOptions {
  mongoUrl: string;
  /** Overrides the database named in the URL (tests use one database per file). */
  dbName?: string;
}

/** Connects to MongoDB; the database is the one named in the URL path, `vectort` when none. */
export async function createMongo(options: MongoOptions): Promise<Mongo> {
  const client = new MongoClient(options.mongoUrl, {
    serverSelectionTimeoutMS: 5000,
    connectTimeoutMS: 5000,
    appName: 'vectort',
  });
  await client.connect();
  const fromUrl = new URL(options.mongoUrl).pathname.replace(/^\//, '');
  return { client, db: client.db(options.dbName ?? (fromUrl || 'vectort')) };
}

/** True when the server is FerretDB (its buildInfo says so), which lacks some MongoDB guarantees. */
export async function isFerretDb(db: Db): Promise<boolean> {
  const info = await db.admin().command({ buildInfo: 1 });
  return 'ferretdb' in info;
}
