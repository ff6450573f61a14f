import { ObjectId, type Db } from 'mongodb';
import {
  Collections,
  findOwned,
  ConflictError,
  NotFoundError,
  ValidationError,
  editCacheKey,
  fileChanges,
  fileSetBytes,
  isFinished,
  lineageOf,
  unifiedDiff,
  withFiles,
  type CreditsLedger,
  type EditJobPayload,
  type GeneratedFile,
  type GenerationDocument,
  type GenerationStore,
  type GenerationView,
  type JobDocument,
} from '@vectort/shared';
import type { JobsService } from './jobs.service';
import { submitPaidJob, type Submitter } from './paid-job';

export interface EditRequest {
  instruction: string;
  webhook_url?: string;
}

export interface EditsService {
  /**
   * The user's generation to edit, with its files and the edit's cache key. 404 when it is not
   * the user's, 409 while its job is still writing it, 400 when its files exceed the input limit.
   */
  parent(userId: ObjectId, id: ObjectId, req: EditRequest): Promise<{ parent: GenerationDocument; key: string }>;
  /** The edit from the cache, as the parent project's generation (free); `null` is a miss. */
  tryCache(parent: GenerationDocument, key: string, req: EditRequest): Promise<GenerationView | null>;
  /** Reserves the credits (402 when short) and enqueues an edit job. */
  enqueue(
    user: Submitter,
    parent: GenerationDocument,
    key: string,
    req: EditRequest,
    requestId: string,
  ): Promise<string>;
  /** The unified diff from `against` (default: the parent; nothing for a version 1) to generation `id`. */
  diff(userId: ObjectId, id: ObjectId, against?: ObjectId): Promise<string>;
}

export interface EditsServiceDeps {
  db: Db;
  store: GenerationStore;
  ledger: CreditsLedger;
  jobs: JobsService;
  costCredits: number;
  /** The generator's version (`generatorVersion(config.llm)`), part of every cache key. */
  generatorVersion: string;
  /** Largest parent, paths and contents in UTF-8 bytes (`EDIT_MAX_INPUT_BYTES`). */
  maxInputBytes: number;
}

export function createEditsService(deps: EditsServiceDeps): EditsService {
  const generations = deps.db.collection<GenerationDocument>(Collections.generations);
  const jobs = deps.db.collection<JobDocument>(Collections.jobs);

  async function own(userId: ObjectId, id: ObjectId): Promise<GenerationDocument> {
    const generation = await findOwned(generations, id, userId);
    if (generation) return generation;
    // A generation a job writes has the job's id: until the job ends there is nothing to edit yet.
    const job = await findOwned(jobs, id, userId, { projection: { kind: 1, status: 1 } });
    if (job && (job.kind === 'generate' || job.kind === 'edit') && !isFinished(job.status)) {
      throw new ConflictError('The generation is still being written; edit it once its job has completed');
    }
    throw new NotFoundError('Generation');
  }

  function keyOf(parent: GenerationDocument, instruction: string): string {
    return editCacheKey(
      { files: parent.files, instruction, framework: parent.framework, type: parent.type },
      deps.generatorVersion,
    );
  }

  return {
    async parent(userId, id, req) {
      const parent = await own(userId, id);
      const bytes = fileSetBytes(parent.files);
      if (bytes > deps.maxInputBytes) {
        throw new ValidationError(`The generation is too large to edit (${bytes} bytes of files)`, [
          { field: 'id', message: `the generation's files exceed ${deps.maxInputBytes} bytes (EDIT_MAX_INPUT_BYTES)` },
        ]);
      }
      return { parent, key: keyOf(parent, req.instruction) };
    },

    async tryCache(parent, key, req) {
      const probe = await deps.store.probe(key, parent.project_id);
      if (probe.output && probe.copy) return withFiles(probe.copy, probe.output);
      // MongoDB's tier is asked unless the probe's index says it has no entry for the key.
      const output = probe.output ?? (probe.coldTier === 'absent' ? null : await deps.store.lookupCold(key));
      if (!output) return null;
      // The same edit of identical code elsewhere: a new version of this project with its files.
      const copy = await deps.store.ensureProjectCopy({
        id: new ObjectId(),
        userId: parent.user_id,
        projectId: parent.project_id,
        jobId: null,
        description: parent.description,
        cacheKey: key,
        output,
        cached: true,
        costUsd: 0,
        durationSeconds: 0,
        lineage: {
          version: lineageOf(parent).version + 1,
          parent_id: parent._id,
          instruction: req.instruction,
          changes: fileChanges(parent.files, output.files),
        },
      });
      return withFiles(copy, output);
    },

    async enqueue(user, parent, key, req, requestId) {
      const jobId = new ObjectId();
      const payload: EditJobPayload = {
        job_id: jobId.toHexString(),
        user_id: user._id.toHexString(),
        project_id: parent.project_id.toHexString(),
        parent_id: parent._id.toHexString(),
        instruction: req.instruction,
        description: parent.description,
        framework: parent.framework,
        type: parent.type,
        cache_key: key,
        reserved_credits: deps.costCredits,
        plan: user.plan,
        request_id: requestId,
      };
      await submitPaidJob(deps, {
        queue: 'edit',
        user,
        jobId,
        projectId: parent.project_id,
        webhookUrl: req.webhook_url ?? null,
        cost: deps.costCredits,
        payload,
      });
      return payload.job_id;
    },

    async diff(userId, id, against) {
      const newer = await findOwned(generations, id, userId);
      if (!newer) throw new NotFoundError('Generation');
      const fromId = against ?? lineageOf(newer).parent_id;
      let older: GeneratedFile[] = [];
      if (fromId) {
        const from = await findOwned(generations, fromId, userId, { projection: { files: 1 } });
        if (!from) throw new NotFoundError('Generation');
        older = from.files;
      }
      return unifiedDiff(older, newer.files);
    },
  };
}
