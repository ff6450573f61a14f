import { Router, type RequestHandler } from 'express';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { isFinished } from '@vectort/shared';
import { parseObjectId } from '../http/object-id';
import { parseInput } from '../http/validate';
import { recordRoute } from '../middleware/request-context';
import { serveJobEvents } from '../services/job-event-feed';
import { createJobEventHub } from '../services/job-event-hub';
import type { JobCancelService } from '../services/job-cancel.service';
import { waitForJobEnd } from '../services/job-wait';
import type { JobWatcher } from '../services/job-watcher';
import type { JobsService } from '../services/jobs.service';
import type { StreamSlots } from '../services/stream-slots';

export const waitQuery = z.object({ wait: z.coerce.number().min(0).max(30).default(0) });

export interface JobsRoutesDeps {
  /** Token check only: polling never needs the user's document; revocation is settled with the first read. */
  auth: RequestHandler;
  jobs: JobsService;
  watcher: JobWatcher;
  cancels: JobCancelService;
  /** Open event streams and long-polls per user. */
  slots: StreamSlots;
  redis: Redis;
  keyPrefix: string;
}

/**
 * `GET /api/jobs/:id` (with `?wait=` long-poll), `GET /api/jobs/:id/events` (SSE) and
 * `POST /api/jobs/:id/cancel`; owner only.
 */
export function jobsRoutes(deps: JobsRoutesDeps): Router {
  const router = Router();
  const feed = { ...deps, hub: createJobEventHub(deps.redis, deps.keyPrefix, deps.watcher) };

  router.get('/:id', recordRoute, deps.auth, async (req, res) => {
    const { wait } = parseInput(waitQuery, req.query, 'query');
    const userId = req.userId!;
    const id = parseObjectId(req.params.id as string, 'Job');
    if (wait === 0) {
      res.json(await deps.jobs.getView(userId, id, { authCheck: req.authCheck }));
      return;
    }
    // The first read settles the revocation check (and 404s) before a slot is taken.
    const first = await deps.jobs.getView(userId, id, { authCheck: req.authCheck });
    if (isFinished(first.status)) {
      res.json(first);
      return;
    }
    const slot = await deps.slots.acquire(userId.toHexString());
    try {
      const closed = new AbortController();
      res.on('close', () => closed.abort());
      res.json(await waitForJobEnd(deps, userId, id, wait, closed.signal, { first }));
    } finally {
      slot.release();
    }
  });

  router.get('/:id/events', recordRoute, deps.auth, async (req, res) => {
    const userId = req.userId!;
    const id = parseObjectId(req.params.id as string, 'Job');
    // 404 (and the revocation check) before anything is counted or written.
    const first = await deps.jobs.getView(userId, id, { authCheck: req.authCheck });
    const slot = await deps.slots.acquire(userId.toHexString());
    try {
      await serveJobEvents(feed, res, userId, id, first);
    } finally {
      slot.release();
    }
  });

  router.post('/:id/cancel', recordRoute, deps.auth, async (req, res) => {
    const id = parseObjectId(req.params.id as string, 'Job');
    // A write: the revocation check goes first, on its own.
    await req.authCheck?.settleAlone();
    res.json(await deps.cancels.cancel(req.userId!, id));
  });

  return router;
}
