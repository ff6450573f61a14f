import { ObjectId } from 'mongodb';
import type { Logger } from '@vectort/shared';
import type { JobRecord } from './job-record';

interface JobIds {
  job_id: string;
  user_id: string;
  project_id: string;
  request_id: string;
}

/**
 * The common start of a job's processor: a logger carrying the job's ids, and the job marked
 * active. Null when the job already ended (a redelivery): the processor has nothing to do.
 * `firstAttempt`: no earlier attempt of the job ever started (see {@link JobRecord.start}).
 */
export async function beginJob(
  data: JobIds,
  record: JobRecord,
  logger: Logger,
  kind: 'generation' | 'export',
): Promise<{ jobId: ObjectId; log: Logger; firstAttempt: boolean } | null> {
  const jobId = new ObjectId(data.job_id);
  const log = logger.child({
    job_id: data.job_id,
    user_id: data.user_id,
    project_id: data.project_id,
    request_id: data.request_id,
  });
  const started = await record.start(jobId);
  if (!started) {
    log.info(`${kind}_skipped`, { reason: 'job already ended' });
    return null;
  }
  return { jobId, log, firstAttempt: started.firstAttempt };
}
