import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { assertWebhookUrlAllowed } from '@vectort/shared';
import { parseObjectId } from '../http/object-id';
import { runMiddleware } from '../http/run-middleware';
import { parseInput } from '../http/validate';
import { recordRoute } from '../middleware/request-context';
import type { ExportsService } from '../services/exports.service';
import { waitForJobEnd } from '../services/job-wait';
import type { JobWatcher } from '../services/job-watcher';
import type { JobsService } from '../services/jobs.service';
import type { ProjectsService } from '../services/projects.service';

export interface ExportRoutesDeps {
  auth: RequestHandler;
  projects: ProjectsService;
  exports: ExportsService;
  jobs: JobsService;
  watcher: JobWatcher;
  /** The per-plan export limit (API.md "Rate limits"); runs after the project is known to be the caller's. */
  exportLimiter: RequestHandler;
  allowPrivateWebhooks: boolean;
}

export const waitQuery = z.object({ wait: z.coerce.number().min(0).max(30).default(0) });

export function exportBody(allowPrivateWebhooks: boolean) {
  return z.strictObject({
    generation_id: z
      .string()
      .regex(/^[0-9a-f]{24}$/i, 'must be a generation id')
      .optional(),
    webhook_url: z
      .url({ protocol: allowPrivateWebhooks ? /^https?$/ : /^https$/ })
      .max(2048)
      .optional(),
  });
}

/** `POST /api/projects/:id/export/zip` (with `?wait=`) and `GET /api/projects/:id/export`; owner only. */
export function exportRoutes(deps: ExportRoutesDeps): Router {
  const router = Router();
  const body = exportBody(deps.allowPrivateWebhooks);

  router.post('/projects/:id/export/zip', recordRoute, deps.auth, async (req, res) => {
    const user = req.user!;
    const project = await deps.projects.get(user._id, parseObjectId(req.params.id as string, 'Project'));
    const { wait } = parseInput(waitQuery, req.query, 'query');
    const input = parseInput(body, req.body, 'body');
    if (input.webhook_url)
      await assertWebhookUrlAllowed(input.webhook_url, { allowPrivate: deps.allowPrivateWebhooks });
    await runMiddleware(deps.exportLimiter, req, res);
    const queued = await deps.exports.enqueue(user, project, input, req.id);
    const jobId = queued._id.toHexString();
    req.log.info('export_queued', { project_id: project._id.toHexString(), job_id: jobId });

    const closed = new AbortController();
    res.on('close', () => closed.abort());
    const job = await waitForJobEnd(deps, user._id, queued._id, wait, closed.signal);
    if (job.status === 'completed' && job.result) {
      res.status(200).json(job.result);
      return;
    }
    // Not done within `wait` (or failed): the status URL tells the rest.
    const statusUrl = `/api/jobs/${jobId}`;
    res
      .status(202)
      .location(statusUrl)
      .json({ status: job.status, job_id: jobId, status_url: statusUrl, ...(job.error ? { error: job.error } : {}) });
  });

  router.get('/projects/:id/export', recordRoute, deps.auth, async (req, res) => {
    const projectId = parseObjectId(req.params.id as string, 'Project');
    await deps.projects.get(req.user!._id, projectId);
    res.json(await deps.exports.latest(req.user!._id, projectId));
  });

  return router;
}
