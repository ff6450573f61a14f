import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fromBufferPromise, type Entry } from 'yauzl';
import { freePort } from '../support/stack';

/** A plain S3 client of the test itself, on the same endpoint and bucket as the stack. */
export function testS3(env: Record<string, string>): { s3: S3Client; bucket: string } {
  const s3 = new S3Client({
    region: env.S3_REGION ?? 'us-east-1',
    endpoint: env.S3_ENDPOINT,
    forcePathStyle: true,
    credentials: {
      accessKeyId: env.AWS_ACCESS_KEY_ID ?? 'S3RVER',
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? 'S3RVER',
    },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return { s3, bucket: env.S3_BUCKET ?? 'vectort' };
}

export async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).map((o) => o.Key!));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

export async function objectExists(s3: S3Client, bucket: string, key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (err) {
    if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
    throw err;
  }
}

export async function putObject(s3: S3Client, bucket: string, key: string, body: string | Buffer): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

export async function getObject(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

/** Every entry of a ZIP, name → bytes, read with yauzl (which validates names and CRCs). */
export async function unzip(zip: Buffer): Promise<Map<string, Buffer>> {
  const file = await fromBufferPromise(zip, { lazyEntries: true, validateEntrySizes: true, strictFileNames: true });
  const out = new Map<string, Buffer>();
  // yauzl 3's eachEntry() is an async iterator over the central directory (not in @types/yauzl yet).
  for await (const entry of (file as unknown as { eachEntry(): AsyncIterable<Entry> }).eachEntry()) {
    if (entry.fileName.endsWith('/')) continue;
    const stream = await file.openReadStreamPromise(entry);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    if (out.has(entry.fileName)) throw new Error(`duplicate entry ${entry.fileName}`);
    out.set(entry.fileName, Buffer.concat(chunks));
  }
  return out;
}

/** Downloads a URL with plain fetch (no SDK, no credentials). */
export async function download(url: string): Promise<{ status: number; body: Buffer }> {
  const res = await fetch(url);
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

export interface PrivateS3 {
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * An s3rver of the test's own (bucket `vectort`, temporary directory), run with
 * `--openssl-legacy-provider`: s3rver makes ListObjectsV2 continuation tokens with DES, which
 * OpenSSL 3 only has in its legacy provider, so without the flag any truncated listing is a 500.
 */
export async function startPrivateS3(): Promise<PrivateS3> {
  const root = resolve(__dirname, '../..');
  const pkg = JSON.parse(readFileSync(join(root, 'node_modules/s3rver/package.json'), 'utf8')) as {
    bin: { s3rver: string };
  };
  const dir = mkdtempSync(join(tmpdir(), 'vectort-s3-'));
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      '--openssl-legacy-provider',
      join(root, 'node_modules/s3rver', pkg.bin.s3rver),
      '--address',
      '127.0.0.1',
      '--port',
      String(port),
      '--directory',
      dir,
      '--configure-bucket',
      'vectort',
      '--silent',
    ],
    { stdio: 'ignore' },
  );
  const deadline = Date.now() + 15_000;
  while (
    !(await fetch(`http://127.0.0.1:${port}/vectort`)
      .then((r) => r.ok)
      .catch(() => false))
  ) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('private s3rver did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    env: {
      S3_ENDPOINT: `http://127.0.0.1:${port}`,
      S3_BUCKET: 'vectort',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      S3_REGION: 'us-east-1',
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
