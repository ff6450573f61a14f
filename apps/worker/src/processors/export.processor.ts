import type { S3Client } from '@aws-sdk/client-s3';
import { UnrecoverableError, type Job, type Processor } from 'bullmq';
import { ObjectId, type Db } from 'mongodb';
import {
  Collections,
  deletePrefix,
  endCancelledJob,
  exportKey,
  presignDownload,
  projectPrefix,
  toExportView,
  type ExportDocument,
  type ExportJobPayload,
  type FinishCancelledDeps,
  type GenerationDocument,
  type Logger,
  type Metrics,
  type ProjectDocument,
} from '@vectort/shared';
import { unsafeEntryNameReason } from '../export/zip-entry-name';
import { zipToS3, type ZipEntry } from '../export/zip-to-s3';
import { beginJob } from './begin-job';
import type { CancelWatcher } from './cancel-watch';
import type { JobRecord } from './job-record';
import type { Lease, LeaseManager } from './llm-lease';

/**
 * Exports one worker process runs at once. Each holds up to `queueSize + 1` parts of 5 MiB and
 * its generation's files, so this bounds a process's memory, not the time of a single export.
 */
export const EXPORT_CONCURRENCY = 4;

/** Life of the per-project export lease, renewed while the export runs; a dead holder frees it after this. */
export const EXPORT_LEASE_TTL_MS = 30_000;

/** How often an export waiting for another export of the same project looks again. */
const LEASE_POLL_MS = 100;

export interface ExportProcessorDeps {
  db: Db;
  s3: S3Client;
  bucket: string;
  /** Lifetime of the download URL put in the job's result. */
  urlTtlSeconds: number;
  record: JobRecord;
  /** One export per project at a time, so the latest record always describes the object at its key. */
  leases: LeaseManager;
  logger: Logger;
  /** @defaultValue 5 MiB */
  partSizeBytes?: number;
  /** @defaultValue 2 */
  queueSize?: number;
  /** An export waits this long for another export of the same project, then retries later. @defaultValue 120000 */
  lockWaitMs?: number;
  /**
   * Cancel requests: a cancel seen during the upload aborts it (S3 keeps no part and no object)
   * and the export records nothing; the API has already ended its job as `cancelled`.
   */
  cancels?: CancelWatcher;
  /** Ends a cancelled job whose API died between the cancel flag and the job's end. */
  cancelling?: FinishCancelledDeps;
  /** `vectort_exports_total`, by final status. */
  exportsTotal?: Metrics['exportsTotal'];
}

/** A failure of this export; `retryable` says whether another attempt could succeed. */
class ExportError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'ExportError';
  }
}

/** The message a client sees. S3 and network details (hosts, ports) stay in the logs. */
function clientMessage(err: unknown, attempts: number): string {
  if (err instanceof ExportError) return err.message;
  // S3 answered with an error (AccessDenied, NoSuchBucket...); network errors have no HTTP status.
  const status = (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  if (err instanceof Error && status !== undefined)
    return `Storage (S3) refused the ZIP upload (${err.name}, HTTP ${status}) after ${attempts} attempt(s)`;
  return `Storage (S3) could not be reached to upload the ZIP after ${attempts} attempt(s)`;
}

function* entriesOf(generation: GenerationDocument): Generator<ZipEntry> {
  const seen = new Set<string>();
  for (const file of generation.files) {
    const reason = unsafeEntryNameReason(file.path);
    if (reason) throw new ExportError(`The generation holds a file path that cannot go into a ZIP: ${reason}`, false);
    if (seen.has(file.path)) throw new ExportError(`The generation holds the file ${file.path} twice`, false);
    seen.add(file.path);
    yield { name: file.path, content: file.content };
  }
}

/**
 * Runs an `export` job: ZIP the generation's files into S3 at the project's key, record the
 * export in MongoDB (only after S3 completed the upload), and finish the job with a presigned
 * download URL. S3 failures are retried with the queue's backoff; the last one fails the job
 * as `export_failed`.
 */
export function createExportProcessor(deps: ExportProcessorDeps): Processor<ExportJobPayload> {
  const generations = deps.db.collection<GenerationDocument>(Collections.generations);
  const projects = deps.db.collection<ProjectDocument>(Collections.projects);
  const exports = deps.db.collection<ExportDocument>(Collections.exports);

  async function holdProjectLease(projectId: string, owner: string): Promise<Lease> {
    const deadline = Date.now() + (deps.lockWaitMs ?? 120_000);
    for (;;) {
      const lease = await deps.leases.acquire(`export:${projectId}`, owner);
      if (lease) return lease;
      if (Date.now() > deadline) throw new ExportError('Another export of this project is still running', true);
      await new Promise((r) => setTimeout(r, LEASE_POLL_MS));
    }
  }

  async function exportOnce(p: ExportJobPayload, jobId: ObjectId, log: Logger): Promise<ExportDocument> {
    const userId = new ObjectId(p.user_id);
    const projectId = new ObjectId(p.project_id);
    const generation = await generations.findOne({
      _id: new ObjectId(p.generation_id),
      project_id: projectId,
      user_id: userId,
    });
    if (!generation) throw new ExportError('The generation to export no longer exists', false);
    const key = exportKey(p.user_id, p.project_id);
    const fileTotal = generation.files.length;
    let lastProgress = 10;

    const lease = await holdProjectLease(p.project_id, p.job_id);
    const cancel = deps.cancels?.watch(p.job_id);
    // The upload stops now; its parts in flight land and the multipart upload is aborted after.
    cancel?.signal.addEventListener('abort', () => log.info('export_cancel_seen', { detail: 'stopping the upload' }));
    try {
      await deps.record.progress(jobId, lastProgress);
      const zip = await zipToS3({
        s3: deps.s3,
        bucket: deps.bucket,
        key,
        entries: entriesOf(generation),
        date: generation.created_at,
        partSizeBytes: deps.partSizeBytes,
        queueSize: deps.queueSize,
        onEntry: (count) => {
          const progress = 10 + Math.floor((count / Math.max(1, fileTotal)) * 80);
          if (progress - lastProgress < 5) return;
          lastProgress = progress;
          void deps.record.progress(jobId, progress).catch(() => undefined);
        },
        signal: cancel?.signal,
      });
      const doc: ExportDocument = {
        _id: jobId,
        user_id: userId,
        project_id: projectId,
        generation_id: generation._id,
        job_id: jobId,
        key,
        size_bytes: zip.sizeBytes,
        file_count: zip.fileCount,
        created_at: new Date(),
      };
      // Written only now that S3 holds the whole ZIP. A redelivered job keeps its first record.
      // A cancel that came as S3 completed the upload is recorded all the same: the ZIP has
      // replaced the last one at the project's key, and the latest record must describe it.
      await exports.updateOne({ _id: jobId }, { $setOnInsert: doc }, { upsert: true });
      // A project deleted while we uploaded: its deletion may have purged S3 before our object
      // landed, so remove what we wrote (the API deletes the project before purging S3).
      if (!(await projects.findOne({ _id: projectId }, { projection: { _id: 1 } }))) {
        await exports.deleteOne({ _id: jobId });
        await deletePrefix(deps.s3, deps.bucket, projectPrefix(p.user_id, p.project_id));
        throw new ExportError('The project was deleted during the export', false);
      }
      log.info('export_uploaded', { key, size_bytes: zip.sizeBytes, file_count: zip.fileCount });
      return doc;
    } finally {
      cancel?.stop();
      await lease.release();
    }
  }

  async function isCancelled(jobId: string): Promise<boolean> {
    const watch = deps.cancels?.watch(jobId);
    try {
      return (await watch?.check()) ?? false;
    } finally {
      watch?.stop();
    }
  }

  return async (job: Job<ExportJobPayload>) => {
    const p = job.data;
    const started = performance.now();
    const begun = await beginJob(p, deps.record, deps.logger, 'export');
    if (!begun) return null;
    const { jobId, log } = begun;
    const attempt = job.attemptsMade + 1;
    log.info('export_started', { generation_id: p.generation_id, attempt });
    try {
      const doc = await exportOnce(p, jobId, log);
      if (await isCancelled(p.job_id)) throw new ExportError('cancelled after the upload', false);
      const link = await presignDownload(deps.s3, deps.bucket, doc.key, deps.urlTtlSeconds);
      await deps.record.complete(jobId, { ...toExportView(doc, link) });
      deps.exportsTotal?.inc({ status: 'completed' });
      log.info('export_completed', {
        generation_id: p.generation_id,
        size_bytes: doc.size_bytes,
        file_count: doc.file_count,
        duration_seconds: Math.round(performance.now() - started) / 1000,
      });
      return { key: doc.key };
    } catch (err) {
      if (await isCancelled(p.job_id)) {
        deps.record.forget(jobId);
        // The upload's abort, when S3 refused it, is the error's cause: parts may be left.
        const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : undefined;
        log.info('export_stopped', { reason: 'cancelled', ...(cause ? { abort_error: cause } : {}) });
        if (deps.cancelling) await endCancelledJob(deps.cancelling, jobId);
        return null;
      }
      const attempts = job.opts.attempts ?? 1;
      const retryable = err instanceof ExportError ? err.retryable : !(err instanceof UnrecoverableError);
      const final = !retryable || attempt >= attempts;
      const message = clientMessage(err, attempt);
      const cause = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      if (!final) {
        log.warn('export_attempt_failed', { reason: message, cause, attempt });
        await deps.record.progress(jobId, 0, 'queued');
        throw err;
      }
      await deps.record.fail(jobId, { code: 'export_failed', message });
      deps.exportsTotal?.inc({ status: 'failed' });
      log.error('export_failed', { reason: message, cause, attempt });
      throw new UnrecoverableError(message);
    }
  };
}
