import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { isFinished, type JobView } from '@vectort/shared';
import { parseObjectId } from '../http/object-id';
import { parseInput } from '../http/validate';
import { recordRoute } from '../middleware/request-context';
import { waitForJobEnd } from '../services/job-wait';
import type { JobWatcher } from '../services/job-watcher';
import type { JobsService } from '../services/jobs.service';

const waitQuery = z.object({ wait: z.coerce.number().min(0).max(30).default(0) });

/** Event streams send a comment this often so proxies keep the connection open. */
const SSE_HEARTBEAT_MS = 15_000;

export interface JobsRoutesDeps {
  /** Token check only: polling never needs the user's document; revocation is settled with the first read. */
  auth: RequestHandler;
  jobs: JobsService;
  watcher: JobWatcher;
}

/** `GET /api/jobs/:id` (with `?wait=` long-poll) and `GET /api/jobs/:id/events` (SSE); owner only. */
export function jobsRoutes(deps: JobsRoutesDeps): Router {
  const router = Router();

  router.get('/:id', recordRoute, deps.auth, async (req, res) => {
    const { wait } = parseInput(waitQuery, req.query, 'query');
    const userId = req.userId!;
    const id = parseObjectId(req.params.id as string, 'Job');
    const closed = new AbortController();
    res.on('close', () => closed.abort());
    const job = await waitForJobEnd(deps, userId, id, wait, closed.signal, req.authCheck);
    res.json(job);
  });

  router.get('/:id/events', recordRoute, deps.auth, async (req, res) => {
    const userId = req.userId!;
    const id = parseObjectId(req.params.id as string, 'Job');
    let job = await deps.jobs.getView(userId, id, req.authCheck);
    res.status(200).set({
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    const closed = new AbortController();
    res.on('close', () => closed.abort());
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), SSE_HEARTBEAT_MS);
    let last = '';
    const send = (view: JobView) => {
      const data = JSON.stringify(view);
      if (data === last) return;
      last = data;
      res.write(`data: ${data}\n\n`);
    };
    try {
      send(job);
      while (!isFinished(job.status) && !closed.signal.aborted) {
        await deps.watcher.nextChange(id.toHexString(), closed.signal);
        job = await deps.jobs.getView(userId, id);
        send(job);
      }
    } finally {
      clearInterval(heartbeat);
      res.end();
    }
  });

  return router;
}
