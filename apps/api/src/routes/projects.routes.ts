import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { toProjectView } from '@vectort/shared';
import { parseObjectId } from '../http/object-id';
import { paginationQuery } from '../http/pagination';
import { parseInput } from '../http/validate';
import { recordRoute } from '../middleware/request-context';
import type { ProjectOwners } from '../services/project-owners';
import type { ProjectsService } from '../services/projects.service';

const name = z.string().trim().min(1).max(200);
const description = z.string().trim().max(8000).nullish();

export const createBody = z.strictObject({ name, description });
export const patchBody = z
  .strictObject({ name: name.optional(), description })
  .refine((b) => b.name !== undefined || b.description !== undefined, 'give name or description');

export interface ProjectsRoutesDeps {
  projects: ProjectsService;
  owners: ProjectOwners;
  auth: RequestHandler;
}

/** Project CRUD, owner only; mounted at `/api/projects`. */
export function projectsRoutes(deps: ProjectsRoutesDeps): Router {
  const router = Router();
  router.post('/', recordRoute, deps.auth, async (req, res) => {
    const body = parseInput(createBody, req.body, 'body');
    const project = await deps.projects.create(req.user!._id, body);
    res.status(201).location(`/api/projects/${project._id.toHexString()}`).json(toProjectView(project));
  });

  router.get('/', recordRoute, deps.auth, async (req, res) => {
    const query = parseInput(paginationQuery, req.query, 'query');
    const { rows, nextCursor } = await deps.projects.list(req.user!._id, query);
    res.json({ items: rows.map(toProjectView), next_cursor: nextCursor });
  });

  router.get('/:id', recordRoute, deps.auth, async (req, res) => {
    const project = await deps.projects.get(req.user!._id, parseObjectId(req.params.id as string, 'Project'));
    res.json(toProjectView(project));
  });

  router.patch('/:id', recordRoute, deps.auth, async (req, res) => {
    const id = parseObjectId(req.params.id as string, 'Project');
    const body = parseInput(patchBody, req.body, 'body');
    res.json(toProjectView(await deps.projects.update(req.user!._id, id, body)));
  });

  router.delete('/:id', recordRoute, deps.auth, async (req, res) => {
    const id = parseObjectId(req.params.id as string, 'Project');
    await deps.projects.remove(req.user!._id, id);
    await deps.owners.forget(id);
    res.status(204).end();
  });

  return router;
}
