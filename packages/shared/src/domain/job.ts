import type { ObjectId } from 'mongodb';

export const JOB_STATUSES = ['queued', 'active', 'completed', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export type JobKind = 'generate' | 'edit' | 'export';

export const JOB_ERROR_CODES = ['llm_error', 'invalid_llm_output', 'timeout', 'internal', 'export_failed'] as const;
export type JobErrorCode = (typeof JOB_ERROR_CODES)[number];

export interface JobError {
  code: JobErrorCode;
  message: string;
}

/**
 * An accepted job as stored in the `jobs` collection: the durable record clients poll. BullMQ
 * carries the work; this document outlives BullMQ's retention and lets a lost queue entry be
 * found and enqueued again.
 */
export interface JobDocument {
  _id: ObjectId;
  kind: JobKind;
  user_id: ObjectId;
  project_id: ObjectId;
  status: JobStatus;
  progress: number;
  result: Record<string, unknown> | null;
  error: JobError | null;
  webhook_url: string | null;
  /** The BullMQ payload, kept so the job can be enqueued again if Redis lost it. */
  payload: Record<string, unknown>;
  /**
   * How many attempts a worker has started, counted by the write that starts each (0 at submit).
   * The first attempt knows from it that no earlier one left anything to resume. Absent on jobs
   * submitted before it was kept: those are treated as resumed.
   */
  attempts_started?: number;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

/** The job status object of API.md. */
export interface JobView {
  job_id: string;
  kind: JobKind;
  status: JobStatus;
  progress: number;
  project_id: string;
  created_at: string;
  finished_at: string | null;
  result: Record<string, unknown> | null;
  error: JobError | null;
}

export function toJobView(job: JobDocument): JobView {
  return {
    job_id: job._id.toHexString(),
    kind: job.kind,
    status: job.status,
    progress: job.progress,
    project_id: job.project_id.toHexString(),
    created_at: job.created_at.toISOString(),
    finished_at: job.finished_at?.toISOString() ?? null,
    result: job.result,
    error: job.error,
  };
}

/** Ended for good: nothing changes a completed, failed or cancelled job again. */
export function isFinished(status: JobStatus): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}
