import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { paginationQuery } from '../http/pagination';
import { BEARER, empty, errorResponses, headers, idParam, json } from '../openapi/openapi-components';
import { pageOf, projectView } from '../openapi/view-schemas';
import { createBody, patchBody } from './projects.routes';

/** `/api/projects` CRUD (projects.routes.ts); owner only. */
export function registerProjectsOperations(registry: OpenAPIRegistry): void {
  const tags = ['projects'];
  registry.registerPath({
    method: 'post',
    path: '/api/projects',
    operationId: 'createProject',
    tags,
    summary: 'Create a project',
    security: BEARER,
    request: { body: { required: true, content: { 'application/json': { schema: createBody } } } },
    responses: {
      201: json('The project', projectView, { Location: headers.location }),
      ...errorResponses(400, 401, 413),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/projects',
    operationId: 'listProjects',
    tags,
    summary: "The caller's projects, newest first",
    security: BEARER,
    request: { query: paginationQuery },
    responses: { 200: json('A page of projects', pageOf(projectView, 'ProjectPage')), ...errorResponses(400, 401) },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/projects/{id}',
    operationId: 'getProject',
    tags,
    security: BEARER,
    request: { params: idParam },
    responses: { 200: json('The project', projectView), ...errorResponses(401, 404) },
  });
  registry.registerPath({
    method: 'patch',
    path: '/api/projects/{id}',
    operationId: 'updateProject',
    tags,
    security: BEARER,
    request: { params: idParam, body: { required: true, content: { 'application/json': { schema: patchBody } } } },
    responses: { 200: json('The project', projectView), ...errorResponses(400, 401, 404, 413) },
  });
  registry.registerPath({
    method: 'delete',
    path: '/api/projects/{id}',
    operationId: 'deleteProject',
    tags,
    summary: 'Delete a project with its generations, exports and S3 objects',
    security: BEARER,
    request: { params: idParam },
    responses: { 204: empty('Deleted'), ...errorResponses(401, 404) },
  });
}
