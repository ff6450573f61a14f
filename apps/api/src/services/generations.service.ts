import { ObjectId, type Db } from 'mongodb';
import {
  Collections,
  InsufficientCreditsError,
  NotFoundError,
  cacheKey,
  persistently,
  withFiles,
  type CreditsLedger,
  type Framework,
  type GenerateJobPayload,
  type GenerationDocument,
  type GenerationStore,
  type GenerationView,
  type ProjectType,
  type UserDocument,
} from '@vectort/shared';
import { page } from '../http/pagination';
import type { JobsService } from './jobs.service';
import type { ProjectOwners } from './project-owners';

/**
 * How long a failed submit keeps trying to give its reservation back before answering: longer
 * than a short MongoDB outage plus the driver's 5 s server selection, so the credit is not lost.
 */
const UNDO_TIMEOUT_MS = 30_000;

export interface GenerateRequest {
  description: string;
  framework: Framework;
  type: ProjectType;
  force_regenerate: boolean;
  webhook_url?: string;
}

export type GenerateOutcome = { kind: 'hit'; generation: GenerationView } | { kind: 'queued'; jobId: string };

export interface GenerationsService {
  /**
   * Checks that the project is the user's (404 otherwise) and answers from the cache when it
   * can: free, and on the hot path without touching MongoDB. `null` is a miss.
   */
  tryCache(
    userId: ObjectId,
    projectId: ObjectId,
    req: GenerateRequest,
    onColdPath?: () => void,
  ): Promise<GenerationView | null>;
  /** Reserves the credits (402 when short) and enqueues a generate job. */
  enqueue(user: UserDocument, projectId: ObjectId, req: GenerateRequest, requestId: string): Promise<string>;
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
}

export function createGenerationsService(deps: GenerationsServiceDeps): GenerationsService {
  const generations = deps.db.collection<GenerationDocument>(Collections.generations);

  return {
    async tryCache(userId, projectId, req, onColdPath) {
      const key = cacheKey(req, deps.generatorVersion);
      if (req.force_regenerate) {
        onColdPath?.();
        await deps.owners.assertOwner(userId, projectId);
        return null;
      }
      const probe = await deps.store.probe(key, projectId, [deps.owners.redisKey(projectId)]);
      await deps.owners.assertOwner(userId, projectId, probe.also[0]);
      if (probe.output && probe.copy) return withFiles(probe.copy, probe.output);
      // Off the hot path now: let the caller start what a miss will need meanwhile.
      if (!probe.output) onColdPath?.();
      const output = probe.output ?? (await deps.store.lookup(key));
      if (!output) return null;
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
      return withFiles(copy, output);
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
      const creditOp = (delta: number, reason: 'generation' | 'generation_refund') =>
        deps.ledger.apply({ userId: user._id, key: `job:${payload.job_id}:${reason}`, delta, reason, jobId });
      // The job record and the reservation are independent writes: make them together, and
      // take the record back if the credits were short.
      const [reservation, record] = await Promise.allSettled([
        cost > 0 ? creditOp(-cost, 'generation') : Promise.resolve('applied' as const),
        deps.jobs.record(
          {
            _id: jobId,
            kind: 'generate',
            user_id: user._id,
            project_id: projectId,
            webhook_url: req.webhook_url ?? null,
          },
          payload,
        ),
      ]);
      // Give back a reservation whose job will not run. A reservation that threw may still have
      // changed the balance (a store that went away mid-operation): replaying it under its key
      // finishes it or makes it, and the refund then cancels it. Retried through a short outage.
      const undoReservation = (applied: boolean) =>
        cost > 0
          ? persistently(async () => {
              if (!applied && (await creditOp(-cost, 'generation')) === 'insufficient') return;
              await creditOp(cost, 'generation_refund');
            }, UNDO_TIMEOUT_MS)
          : Promise.resolve();
      // Never leave a record without its reservation (the sweep would run it) nor the reverse.
      if (reservation.status === 'rejected' || reservation.value === 'insufficient' || record.status === 'rejected') {
        if (record.status === 'fulfilled') await deps.jobs.discard(jobId);
        if (reservation.status === 'rejected' || reservation.value !== 'insufficient') {
          await undoReservation(reservation.status === 'fulfilled');
        }
        if (reservation.status === 'rejected') throw reservation.reason;
        if (record.status === 'rejected') throw record.reason;
        throw new InsufficientCreditsError(`A generation costs ${cost} credit(s)`);
      }
      const doc = record.value;
      try {
        await deps.jobs.push('generate', doc, payload);
      } catch (err) {
        await undoReservation(true);
        throw err;
      }
      return payload.job_id;
    },

    async list(userId, projectId, { limit, cursor }) {
      const filter = { project_id: projectId, user_id: userId, ...(cursor ? { _id: { $lt: cursor } } : {}) };
      const rows = await generations
        .find(filter, { projection: { files: 0 } })
        .sort({ _id: -1 })
        .limit(limit + 1)
        .toArray();
      return page(rows, limit);
    },

    async get(userId, id) {
      const generation = await generations.findOne({ _id: id, user_id: userId });
      if (!generation) throw new NotFoundError('Generation');
      return generation;
    },
  };
}
