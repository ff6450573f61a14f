import { ObjectId, type Db } from 'mongodb';
import {
  Collections,
  findOwned,
  NotFoundError,
  cacheKey,
  withFilesJson,
  type CreditsLedger,
  type Framework,
  type GenerateJobPayload,
  type GenerationDocument,
  type GenerationStore,
  type Plan,
  type ProjectType,
  type UserPlanMirror,
} from '@vectort/shared';
import { page } from '../http/pagination';
import type { HitCeiling } from './hit-ceiling';
import type { JobsService } from './jobs.service';
import { submitPaidJob, type Submitter } from './paid-job';
import type { PendingAuthCheck } from './token-revocations';
import type { ProjectOwners } from './project-owners';

export interface GenerateRequest {
  description: string;
  framework: Framework;
  type: ProjectType;
  force_regenerate: boolean;
  webhook_url?: string;
}

/** A cache hit: its generation's id, and the generation's JSON around the files as the cache keeps them. */
export interface CacheHit {
  generationId: string;
  json: [before: string, files: Buffer, after: string];
}

export interface GenerationsService {
  /**
   * Checks that the project is the user's (404 otherwise) and answers from the cache when it
   * can: free, and on the hot path without touching MongoDB. `null` is a miss. The token's
   * revocation check (`authCheck`) is settled with the same Redis read, before anything else.
   * `onColdPath` runs once the answer is likely a miss, with the user's plan when the same read
   * found it mirrored in Redis (null: read the user).
   */
  tryCache(
    userId: ObjectId,
    projectId: ObjectId,
    req: GenerateRequest,
    onColdPath?: (mirroredPlan: Plan | null) => void,
    authCheck?: PendingAuthCheck,
  ): Promise<CacheHit | null>;
  /** Reserves the credits (402 when short) and enqueues a generate job. */
  enqueue(user: Submitter, projectId: ObjectId, req: GenerateRequest, requestId: string): Promise<string>;
  list(
    userId: ObjectId,
    projectId: ObjectId,
    options: { limit: number; cursor?: ObjectId },
  ): Promise<{ rows: GenerationDocument[]; nextCursor: string | null }>;
  get(userId: ObjectId, id: ObjectId): Promise<GenerationDocument>;
}

export interface GenerationsServiceDeps {
  db: Db;
  store: GenerationStore;
  ledger: CreditsLedger;
  jobs: JobsService;
  owners: ProjectOwners;
  costCredits: number;
  /** The generator's version (`generatorVersion(config.llm)`), part of every cache key. */
  generatorVersion: string;
  /** The per-user ceiling on cache hits (`RATE_LIMIT_HITS_PER_MINUTE`). @defaultValue none */
  hitCeiling?: HitCeiling;
  /** Where the probe finds the user's plan, for a miss that then needs no user read. @defaultValue none */
  plans?: UserPlanMirror;
}

export function createGenerationsService(deps: GenerationsServiceDeps): GenerationsService {
  const generations = deps.db.collection<GenerationDocument>(Collections.generations);

  return {
    async tryCache(userId, projectId, req, onColdPath, authCheck) {
      const key = cacheKey(req, deps.generatorVersion);
      if (req.force_regenerate) {
        await authCheck?.settleAlone();
        onColdPath?.(null);
        await deps.owners.assertOwner(userId, projectId);
        return null;
      }
      const authKeys = authCheck?.keys ?? [];
      const planKey = deps.plans?.key(userId);
      const probe = await deps.store.probe(
        key,
        projectId,
        [deps.owners.redisKey(projectId), ...authKeys, ...(planKey ? [planKey] : [])],
        deps.hitCeiling?.counter(userId),
      );
      await authCheck?.settle(probe.also.slice(1, 1 + authKeys.length));
      await deps.owners.assertOwner(userId, projectId, probe.also[0]);
      deps.hitCeiling?.check(probe.hits);
      const json = probe.hitJson();
      if (json) return { generationId: probe.copy!.view.id, json };
      // Off the hot path now: let the caller start what a miss will need meanwhile.
      if (!probe.entry) onColdPath?.(deps.plans?.parse(probe.also[1 + authKeys.length]) ?? null);
      // MongoDB's tier is asked unless the probe's index says it has no entry for the key.
      const output = probe.output ?? (probe.coldTier === 'absent' ? null : await deps.store.lookupCold(key));
      if (!output) return null;
      // A hit from MongoDB's tier: the probe saw no entry, so it did not count this one.
      if (!probe.entry) await deps.hitCeiling?.take(userId);
      // The cache is shared, a generation is not: reuse this project's own copy, or make one.
      const copy = await deps.store.ensureProjectCopy({
        id: new ObjectId(),
        userId,
        projectId,
        jobId: null,
        description: req.description,
        cacheKey: key,
        output,
        cached: true,
        costUsd: 0,
        durationSeconds: 0,
      });
      const filesJson = probe.entry?.filesJson ?? Buffer.from(JSON.stringify(output.files));
      return { generationId: copy.view.id, json: withFilesJson(copy, filesJson) };
    },

    async enqueue(user, projectId, req, requestId) {
      const jobId = new ObjectId();
      const cost = deps.costCredits;
      const payload: GenerateJobPayload = {
        job_id: jobId.toHexString(),
        user_id: user._id.toHexString(),
        project_id: projectId.toHexString(),
        description: req.description,
        framework: req.framework,
        type: req.type,
        cache_key: cacheKey(req, deps.generatorVersion),
        force_regenerate: req.force_regenerate,
        reserved_credits: cost,
        plan: user.plan,
        request_id: requestId,
      };
      await submitPaidJob(deps, {
        queue: 'generate',
        user,
        jobId,
        projectId,
        webhookUrl: req.webhook_url ?? null,
        cost,
        payload,
      });
      return payload.job_id;
    },

    async list(userId, projectId, { limit, cursor }) {
      const filter = { project_id: projectId, user_id: userId, ...(cursor ? { _id: { $lt: cursor } } : {}) };
      const rows = await generations
        // The paths stay: a generation stored before edits lists them as its changes.
        .find(filter, { projection: { 'files.content': 0 } })
        .sort({ _id: -1 })
        .limit(limit + 1)
        .toArray();
      return page(rows, limit);
    },

    async get(userId, id) {
      const generation = await findOwned(generations, id, userId);
      if (!generation) throw new NotFoundError('Generation');
      return generation;
    },
  };
}
