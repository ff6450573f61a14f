import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { ZipArchive } from 'archiver';

/** One file of the ZIP. A stream is read as the archive reaches it (the benchmark feeds files from disk). */
export interface ZipEntry {
  name: string;
  content: string | Buffer | Readable;
}

export interface ZipToS3Options {
  s3: S3Client;
  bucket: string;
  key: string;
  /** Appended one at a time: the next entry is pulled only when the previous one is in the archive. */
  entries: Iterable<ZipEntry> | AsyncIterable<ZipEntry>;
  /** Modification time written for every entry, so the same files give the same ZIP. @defaultValue now */
  date?: Date;
  /** Multipart part size; S3's minimum is 5 MiB. @defaultValue 5 MiB */
  partSizeBytes?: number;
  /** Parts uploaded at once; each holds one part in memory. @defaultValue 2 */
  queueSize?: number;
  /** zlib level, 0 (store) to 9. @defaultValue 6 */
  compressionLevel?: number;
  /** Called after each entry is in the archive, with how many are. */
  onEntry?: (count: number) => void;
}

export interface ZipToS3Result {
  sizeBytes: number;
  fileCount: number;
}

export const DEFAULT_PART_SIZE_BYTES = 5 * 1024 * 1024;

async function appendAll(archive: ZipArchive, options: ZipToS3Options, signal: AbortSignal): Promise<number> {
  const date = options.date ?? new Date();
  let count = 0;
  for await (const entry of options.entries) {
    signal.throwIfAborted();
    // Wait for each entry: archiver would otherwise queue every source in memory at once.
    const written = once(archive as unknown as NodeJS.EventEmitter, 'entry', { signal });
    archive.append(entry.content, { name: entry.name, date });
    await written;
    count += 1;
    options.onEntry?.(count);
  }
  await archive.finalize();
  return count;
}

/**
 * Streams a ZIP of `entries` into S3 at `key`: archiver's output goes straight into a
 * lib-storage multipart Upload, so memory holds about `queueSize + 1` parts and one entry,
 * whatever the archive's size. Nothing is visible at `key` until S3 completes the upload; on
 * any failure the multipart upload is aborted (lib-storage does this) and the error is thrown.
 */
export async function zipToS3(options: ZipToS3Options): Promise<ZipToS3Result> {
  // archiver 8 is ESM-only: loaded when an export runs, never when this module is imported.
  const { ZipArchive } = await import('archiver');
  const archive = new ZipArchive({ zlib: { level: options.compressionLevel ?? 6 } });
  // lib-storage accepts node's own Readable only; archiver is a readable-stream Transform.
  const body = new PassThrough();
  const failed = new AbortController();
  const fail = (err: unknown) => {
    if (failed.signal.aborted) return;
    failed.abort(err);
    body.destroy(err instanceof Error ? err : new Error(String(err)));
    archive.abort();
  };
  archive.on('error', fail);
  archive.on('warning', fail);
  archive.pipe(body);

  const upload = new Upload({
    client: options.s3,
    params: { Bucket: options.bucket, Key: options.key, Body: body, ContentType: 'application/zip' },
    partSize: options.partSizeBytes ?? DEFAULT_PART_SIZE_BYTES,
    queueSize: options.queueSize ?? 2,
    leavePartsOnError: false,
  });
  const uploaded = upload.done();
  const appended = appendAll(archive, options, failed.signal);
  try {
    const [fileCount] = await Promise.all([appended, uploaded]);
    return { sizeBytes: archive.pointer(), fileCount };
  } catch (err) {
    fail(err);
    // Let the upload settle (and abort its multipart upload) before the caller retries.
    await Promise.allSettled([uploaded, appended]);
    throw err;
  }
}
