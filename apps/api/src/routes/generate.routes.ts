import { Router, type Request, type RequestHandler } from 'express';
import type { ObjectId } from 'mongodb';
import { z } from 'zod';
import {
  FRAMEWORKS,
  PROJECT_TYPES,
  assertWebhookUrlAllowed,
  toGenerationView,
  type Metrics,
  type UserPlanMirror,
} from '@vectort/shared';
import { parseObjectId } from '../http/object-id';
import { paginationQuery } from '../http/pagination';
import { runMiddleware } from '../http/run-middleware';
import { parseInput } from '../http/validate';
import { cachedHitResponse, finishSubmit, queuedResponse, sendReplay } from '../http/submit-response';
import { loadUser } from '../middleware/auth';
import { recordRoute } from '../middleware/request-context';
import type { GenerationsService } from '../services/generations.service';
import { RateLimitedError } from '../services/hit-ceiling';
import { fingerprintOf, type IdempotencyService, type StoredResponse } from '../services/idempotency.service';
import type { ProjectOwners } from '../services/project-owners';
import type { Submitter } from '../services/paid-job';
import type { ProjectsService } from '../services/projects.service';
import type { UsersService } from '../services/users.service';

export interface GenerateRoutesDeps {
  auth: RequestHandler;
  /** Token check only: the submit route loads the user on misses alone. */
  authenticate: RequestHandler;
  users: UsersService;
  /** The users' plans mirrored in Redis: filled here after a user read, read by the cache probe. */
  plans: UserPlanMirror;
  projects: ProjectsService;
  generations: GenerationsService;
  idempotency: IdempotencyService;
  /** Checks ownership before a webhook URL is resolved. */
  owners: ProjectOwners;
  /** Counts hits, misses and bypasses (force_regenerate). */
  cacheRequests?: Metrics['cacheRequests'];
  /** Runs on misses only: cache hits never count against the plan's limit. */
  generateLimiter: RequestHandler;
  allowPrivateWebhooks: boolean;
}

export function generateBody(allowPrivateWebhooks: boolean) {
  return z.strictObject({
    description: z.string().trim().min(1).max(8000),
    framework: z.enum(FRAMEWORKS).default('react'),
    type: z.enum(PROJECT_TYPES).default('web_app'),
    force_regenerate: z.boolean().default(false),
    webhook_url: z
      .url({ protocol: allowPrivateWebhooks ? /^https?$/ : /^https$/ })
      .max(2048)
      .optional(),
  });
}

export const idempotencyKey = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII only');

/** Submit a generation (cache hit → 200, miss → 202 job), and read generations. */
export function generateRoutes(deps: GenerateRoutesDeps): Router {
  const router = Router();
  const body = generateBody(deps.allowPrivateWebhooks);

  /** The user read from MongoDB (401 when gone), its plan then mirrored for the next miss. */
  const readSubmitter = async (req: Request): Promise<Submitter> => {
    const user = await loadUser(req, deps.users);
    void deps.plans.fill(user._id, user.plan);
    return user;
  };

  /** A replayed hit's generation, read again (404 once the project is deleted). */
  const readGeneration = async (userId: ObjectId, generationId: string) =>
    toGenerationView(await deps.generations.get(userId, parseObjectId(generationId, 'Generation')), {
      withFiles: true,
    });

  router.post('/projects/:id/generate', recordRoute, deps.authenticate, async (req, res) => {
    const userId = req.userId!;
    const projectId = parseObjectId(req.params.id as string, 'Project');
    const input = parseInput(body, req.body, 'body');
    // Refuse loopback, private and metadata targets now; the worker checks again when it connects.
    // Ownership first: on another user's project the URL is never resolved (no DNS oracle).
    if (input.webhook_url) {
      await deps.owners.assertOwner(userId, projectId);
      await assertWebhookUrlAllowed(input.webhook_url, { allowPrivate: deps.allowPrivateWebhooks });
    }
    const rawKey = req.get('idempotency-key');
    const key = rawKey === undefined ? undefined : parseInput(idempotencyKey, rawKey, 'header');

    // A replay reads Redis on its own path: settle the revocation check first.
    if (key) await req.authCheck!.settleAlone();
    const claim = key
      ? await deps.idempotency.claim(userId.toHexString(), key, fingerprintOf([projectId.toHexString(), input]))
      : undefined;
    if (claim?.replay) {
      await sendReplay(res, claim.replay, (id) => readGeneration(userId, id));
      return;
    }

    let response: StoredResponse;
    try {
      // On a likely miss the plan is known: mirrored in Redis (the probe read it), or the user is
      // read from MongoDB while the cache's MongoDB tier is.
      let submitter: Promise<Submitter> | undefined;
      const hit = await deps.generations.tryCache(
        userId,
        projectId,
        input,
        (mirroredPlan) => {
          submitter = mirroredPlan ? Promise.resolve({ _id: userId, plan: mirroredPlan }) : readSubmitter(req);
          submitter.catch(() => undefined);
        },
        req.authCheck,
      );
      deps.cacheRequests?.inc({ result: hit ? 'hit' : input.force_regenerate ? 'bypass' : 'miss', kind: 'generate' });
      if (hit) {
        response = cachedHitResponse(hit);
      } else {
        const user = await (submitter ?? readSubmitter(req));
        req.plan = user.plan;
        await runMiddleware(deps.generateLimiter, req, res);
        const jobId = await deps.generations.enqueue(user, projectId, input, req.id);
        req.log.info('generation_queued', {
          project_id: projectId.toHexString(),
          job_id: jobId,
          force: input.force_regenerate,
        });
        response = queuedResponse(jobId);
      }
    } catch (err) {
      await claim?.release().catch(() => undefined);
      if (err instanceof RateLimitedError) res.set(err.headers);
      throw err;
    }
    await finishSubmit(res, claim, response);
  });

  router.get('/projects/:id/generations', recordRoute, deps.auth, async (req, res) => {
    const project = await deps.projects.get(req.user!._id, parseObjectId(req.params.id as string, 'Project'));
    const query = parseInput(paginationQuery, req.query, 'query');
    const { rows, nextCursor } = await deps.generations.list(req.user!._id, project._id, query);
    res.json({ items: rows.map((g) => toGenerationView(g, { withFiles: false })), next_cursor: nextCursor });
  });

  router.get('/generations/:id', recordRoute, deps.auth, async (req, res) => {
    const generation = await deps.generations.get(req.user!._id, parseObjectId(req.params.id as string, 'Generation'));
    res.json(toGenerationView(generation, { withFiles: true }));
  });

  return router;
}
