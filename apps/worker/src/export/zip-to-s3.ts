import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { ZipArchive } from 'archiver';
import { createUploadTracker } from './upload-tracker';

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
  /**
   * Stops the export (a cancel request): the archive stops and the multipart upload is aborted,
   * so S3 keeps no part and no object, before `zipToS3` rejects with the signal's reason. An
   * upload S3 had already completed stays complete: `zipToS3` then resolves as usual.
   */
  signal?: AbortSignal;
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
 * any failure, or when `signal` aborts, the upload is stopped (`Upload.abort()`: no further part,
 * no CompleteMultipartUpload), the parts in flight are let land, and the multipart upload is
 * aborted, all before the error is thrown: S3 then holds no part of it and no object.
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

  const target = { Bucket: options.bucket, Key: options.key };
  const tracker = createUploadTracker(options.s3, target);
  const upload = new Upload({
    client: tracker.client,
    params: { ...target, Body: body, ContentType: 'application/zip' },
    partSize: options.partSizeBytes ?? DEFAULT_PART_SIZE_BYTES,
    queueSize: options.queueSize ?? 2,
    // The tracker aborts the multipart upload, once the parts in flight have landed.
    leavePartsOnError: true,
  });
  const uploaded = upload.done();
  const appended = appendAll(archive, options, failed.signal);
  const stop = () => {
    void upload.abort();
    fail(options.signal!.reason);
  };
  options.signal?.addEventListener('abort', stop, { once: true });
  if (options.signal?.aborted) stop();
  try {
    const [fileCount] = await Promise.all([appended, uploaded]);
    return { sizeBytes: archive.pointer(), fileCount };
  } catch (err) {
    fail(err);
    const [, counted] = await Promise.allSettled([uploaded, appended]);
    // Before the caller retries or reports: no request of this upload in flight, no part left.
    // An abort S3 refused rides along as the error's cause (as lib-storage's own would).
    const stored = await tracker.settle(upload.uploadId).catch((abortError: unknown) => {
      if (err instanceof Error && err.cause === undefined) err.cause = abortError;
      return false;
    });
    // A stop that came as S3 completed the upload: the object is there, and the caller must know.
    if (stored && options.signal?.aborted && counted.status === 'fulfilled') {
      return { sizeBytes: archive.pointer(), fileCount: counted.value };
    }
    throw options.signal?.aborted ? options.signal.reason : err;
  } finally {
    options.signal?.removeEventListener('abort', stop);
  }
}
