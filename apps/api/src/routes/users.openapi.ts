import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { BEARER, errorResponses, idParam, json } from '../openapi/openapi-components';
import { userView } from '../openapi/view-schemas';
import { adminPatchBody } from './users.routes';

/** `/api/me` and `/api/admin/users/{id}` (users.routes.ts). */
export function registerUsersOperations(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/api/me',
    operationId: 'getMe',
    tags: ['users'],
    summary: 'The caller',
    security: BEARER,
    responses: { 200: json('The caller', userView), ...errorResponses(401) },
  });
  registry.registerPath({
    method: 'patch',
    path: '/api/admin/users/{id}',
    operationId: 'adminUpdateUser',
    tags: ['admin'],
    summary: "Set a user's plan or credits (admins only)",
    security: BEARER,
    request: { params: idParam, body: { required: true, content: { 'application/json': { schema: adminPatchBody } } } },
    responses: { 200: json('The updated user', userView), ...errorResponses(400, 401, 403, 404, 413) },
  });
}
