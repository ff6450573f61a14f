import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { assertWebhookUrlAllowed, toGenerationView, type Metrics } from '@vectort/shared';
import { parseObjectId } from '../http/object-id';
import { runMiddleware } from '../http/run-middleware';
import { parseInput } from '../http/validate';
import { finishSubmit, hitResponse, queuedResponse, sendReplay } from '../http/submit-response';
import { loadUser } from '../middleware/auth';
import { recordRoute } from '../middleware/request-context';
import type { EditsService } from '../services/edits.service';
import { fingerprintOf, type IdempotencyService, type StoredResponse } from '../services/idempotency.service';
import type { GenerationsService } from '../services/generations.service';
import { RateLimitedError, type HitCeiling } from '../services/hit-ceiling';
import type { UsersService } from '../services/users.service';

export interface EditsRoutesDeps {
  auth: RequestHandler;
  /** Token check only: the submit route loads the user on misses alone. */
  authenticate: RequestHandler;
  users: UsersService;
  /** Reads a replayed hit's generation again. */
  generations: Pick<GenerationsService, 'get'>;
  /** Edit hits count against the same per-user ceiling as generate hits. */
  hitCeiling?: HitCeiling;
  edits: EditsService;
  idempotency: IdempotencyService;
  /** Counts hits and misses, with `kind: "edit"`. */
  cacheRequests?: Metrics['cacheRequests'];
  /** The generate limiter: edits share the plan's generation limit, on misses only. */
  generateLimiter: RequestHandler;
  allowPrivateWebhooks: boolean;
}

export function editBody(allowPrivateWebhooks: boolean) {
  return z.strictObject({
    instruction: z.string().trim().min(1).max(4000),
    webhook_url: z
      .url({ protocol: allowPrivateWebhooks ? /^https?$/ : /^https$/ })
      .max(2048)
      .optional(),
  });
}

const idempotencyKey = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII only');

export const diffQuery = z.strictObject({ against: z.string().optional() });

/** Edit a generation (cache hit → 200, miss → 202 job of kind `edit`), and diff two versions. */
export function editsRoutes(deps: EditsRoutesDeps): Router {
  const router = Router();
  const body = editBody(deps.allowPrivateWebhooks);

  router.post('/generations/:id/edits', recordRoute, deps.authenticate, async (req, res) => {
    // Edits read MongoDB anyway: the revocation check runs on its own, before any replay.
    await req.authCheck?.settleAlone();
    const userId = req.userId!;
    const generationId = parseObjectId(req.params.id as string, 'Generation');
    const input = parseInput(body, req.body, 'body');
    if (input.webhook_url)
      await assertWebhookUrlAllowed(input.webhook_url, { allowPrivate: deps.allowPrivateWebhooks });
    const rawKey = req.get('idempotency-key');
    const key = rawKey === undefined ? undefined : parseInput(idempotencyKey, rawKey, 'header');

    const claim = key
      ? await deps.idempotency.claim(
          userId.toHexString(),
          key,
          fingerprintOf(['edit', generationId.toHexString(), input]),
        )
      : undefined;
    if (claim?.replay) {
      await sendReplay(res, claim.replay, async (id) =>
        toGenerationView(await deps.generations.get(userId, parseObjectId(id, 'Generation')), { withFiles: true }),
      );
      return;
    }

    let response: StoredResponse;
    try {
      const { parent, key: cacheKey } = await deps.edits.parent(userId, generationId, input);
      const hit = await deps.edits.tryCache(parent, cacheKey, input);
      deps.cacheRequests?.inc({ result: hit ? 'hit' : 'miss', kind: 'edit' });
      if (hit) {
        await deps.hitCeiling?.take(userId);
        response = hitResponse(hit);
      } else {
        const user = await loadUser(req, deps.users);
        await runMiddleware(deps.generateLimiter, req, res);
        const jobId = await deps.edits.enqueue(user, parent, cacheKey, input, req.id);
        req.log.info('edit_queued', {
          project_id: parent.project_id.toHexString(),
          parent_id: parent._id.toHexString(),
          job_id: jobId,
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

  router.get('/generations/:id/diff', recordRoute, deps.auth, async (req, res) => {
    const id = parseObjectId(req.params.id as string, 'Generation');
    const query = parseInput(diffQuery, req.query, 'query');
    const against = query.against === undefined ? undefined : parseObjectId(query.against, 'Generation');
    const patch = await deps.edits.diff(req.user!._id, id, against);
    res.type('text/plain; charset=utf-8').send(patch);
  });

  return router;
}
