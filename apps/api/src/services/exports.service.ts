import type { S3Client } from '@aws-sdk/client-s3';
import { ObjectId, type Db } from 'mongodb';
import {
  AppError,
  Collections,
  NotFoundError,
  presignDownload,
  toExportView,
  type ExportDocument,
  type ExportView,
  type GenerationDocument,
  type JobDocument,
  type ProjectDocument,
  type UserDocument,
} from '@vectort/shared';
import type { JobsService } from './jobs.service';

export interface ExportRequest {
  /** Hex id; the project's latest generation when absent. */
  generation_id?: string;
  webhook_url?: string;
}

export interface ExportsService {
  /**
   * Records and enqueues an export job of one of the project's generations. 404 when the
   * generation is not this project's (or the project has none yet).
   */
  enqueue(user: UserDocument, project: ProjectDocument, req: ExportRequest, requestId: string): Promise<JobDocument>;
  /** The project's latest export with a freshly signed URL, or 404. */
  latest(userId: ObjectId, projectId: ObjectId): Promise<ExportView>;
}

export interface ExportsServiceDeps {
  db: Db;
  s3: S3Client;
  bucket: string;
  urlTtlSeconds: number;
  jobs: JobsService;
}

export function createExportsService(deps: ExportsServiceDeps): ExportsService {
  const generations = deps.db.collection<GenerationDocument>(Collections.generations);
  const exports = deps.db.collection<ExportDocument>(Collections.exports);

  async function generationToExport(
    user: UserDocument,
    project: ProjectDocument,
    requested?: string,
  ): Promise<ObjectId> {
    const id = requested ? new ObjectId(requested) : project.latest_generation_id;
    // There is nothing to ZIP yet: answered like any missing object, with a message saying why.
    if (!id) throw new AppError('not_found', 404, 'The project has no generation to export yet');
    const found = await generations.findOne(
      { _id: id, project_id: project._id, user_id: user._id },
      { projection: { _id: 1 } },
    );
    if (!found) throw new NotFoundError('Generation');
    return id;
  }

  return {
    async enqueue(user, project, req, requestId) {
      const generationId = await generationToExport(user, project, req.generation_id);
      const jobId = new ObjectId();
      return deps.jobs.enqueue(
        'export',
        {
          _id: jobId,
          kind: 'export',
          user_id: user._id,
          project_id: project._id,
          webhook_url: req.webhook_url ?? null,
        },
        {
          job_id: jobId.toHexString(),
          user_id: user._id.toHexString(),
          project_id: project._id.toHexString(),
          generation_id: generationId.toHexString(),
          request_id: requestId,
        },
      );
    },

    async latest(userId, projectId) {
      const [latest] = await exports
        .find({ project_id: projectId, user_id: userId })
        .sort({ created_at: -1, _id: -1 })
        .limit(1)
        .toArray();
      if (!latest) throw new NotFoundError('Export');
      // The URL a job returned may have expired: sign a new one for every read.
      return toExportView(latest, await presignDownload(deps.s3, deps.bucket, latest.key, deps.urlTtlSeconds));
    },
  };
}
