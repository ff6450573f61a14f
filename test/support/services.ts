import { randomBytes } from 'node:crypto';

/**
 * The local services the suite runs against: started by `npm test` (scripts/test.mjs), which
 * passes their URLs in the environment. Each test file gets its own database and key prefix.
 */
export function serviceEnv(): Record<string, string> {
  return {
    MONGO_URL: process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017/vectort',
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    S3_ENDPOINT: process.env.S3_ENDPOINT ?? 'http://127.0.0.1:4568',
    S3_REGION: process.env.S3_REGION ?? 'us-east-1',
    S3_BUCKET: process.env.S3_BUCKET ?? 'vectort',
    S3_FORCE_PATH_STYLE: 'true',
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'S3RVER',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'S3RVER',
    // As `npm test` sets it: the free-credits provider is only ever used when named.
    PAYMENT_PROVIDER: process.env.PAYMENT_PROVIDER ?? 'test',
  };
}

/** A name unique to this run, for databases, key prefixes and queues. */
export function uniqueName(label: string): string {
  return `t_${label.replace(/[^a-z0-9]/gi, '').slice(0, 20)}_${randomBytes(4).toString('hex')}`;
}

/** `mongodb://host/db` with the database swapped for `dbName`. */
export function mongoUrlWithDb(mongoUrl: string, dbName: string): string {
  const url = new URL(mongoUrl);
  url.pathname = `/${dbName}`;
  return url.toString();
}
