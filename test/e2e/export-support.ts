import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
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
  /** s3rver's data directory: `<dir>/vectort/` holds the bucket. */
  dir: string;
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
    dir,
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

/** One request that went through an {@link S3Gate}. */
export interface GatedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  status: number;
}

/**
 * A pass-through HTTP proxy in front of a private s3rver that records every S3 request, can
 * hold UploadPart requests until released (so a test acts while an upload is under way, not
 * at some moment it guesses), and answers AbortMultipartUpload itself: s3rver 3.7.1 has no such
 * route (405) and cannot list multipart uploads (501). The gate aborts as S3 does, deleting the
 * upload's parts from s3rver's directory (404 `NoSuchUpload` for an unknown id), so a test can
 * read that directory to see which multipart uploads are still incomplete.
 */
export interface S3Gate {
  /** The stack's S3 settings, pointing at the gate. */
  env: Record<string, string>;
  readonly requests: GatedRequest[];
  /** UploadPart requests held now. */
  readonly held: number;
  holdParts(): void;
  /** Lets the held parts (and the next ones) through. */
  release(): void;
  /** Multipart uploads s3rver still holds parts or metadata of. */
  incompleteUploads(): string[];
  stop(): Promise<void>;
}

export async function startS3Gate(s3: PrivateS3): Promise<S3Gate> {
  const target = new URL(s3.env.S3_ENDPOINT!);
  const uploadsDir = join(s3.dir, s3.env.S3_BUCKET!, '._S3rver_uploads');
  const requests: GatedRequest[] = [];
  let holding = false;
  const held: (() => void)[] = [];

  const forward = (req: IncomingMessage, res: ServerResponse, record: GatedRequest) => {
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        record.status = answer.statusCode ?? 0;
        res.writeHead(record.status, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://gate');
    const record: GatedRequest = { method: req.method ?? '', path: url.pathname, query: url.searchParams, status: 0 };
    requests.push(record);
    const uploadId = url.searchParams.get('uploadId');
    if (req.method === 'DELETE' && uploadId) {
      // AbortMultipartUpload, as S3 answers it; ids are s3rver's hex strings, never paths.
      const dir = join(uploadsDir, uploadId);
      const known = /^[0-9a-f]+$/.test(uploadId) && existsSync(dir);
      if (known) rmSync(dir, { recursive: true, force: true });
      record.status = known ? 204 : 404;
      req.resume();
      res.writeHead(record.status, { 'content-type': 'application/xml' });
      res.end(known ? '' : '<Error><Code>NoSuchUpload</Code><Message>No such upload</Message></Error>');
      return;
    }
    if (req.method === 'PUT' && uploadId && url.searchParams.has('partNumber') && holding) {
      held.push(() => forward(req, res, record));
      return;
    }
    forward(req, res, record);
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    env: { ...s3.env, S3_ENDPOINT: `http://127.0.0.1:${port}` },
    requests,
    get held() {
      return held.length;
    },
    holdParts: () => void (holding = true),
    release() {
      holding = false;
      for (const go of held.splice(0)) go();
    },
    incompleteUploads: () => (existsSync(uploadsDir) ? readdirSync(uploadsDir) : []),
    async stop() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
