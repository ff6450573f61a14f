import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { BEARER, empty, errorResponses, json, rateLimitHeaders } from '../openapi/openapi-components';
import { tokenResponse } from '../openapi/view-schemas';
import { loginBody, passwordBody, registerBody } from './auth.routes';

/** `/api/auth/*` (auth.routes.ts). */
export function registerAuthOperations(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'post',
    path: '/api/auth/register',
    operationId: 'register',
    tags: ['auth'],
    summary: 'Create an account',
    description: 'Limited to `RATE_LIMIT_REGISTER_PER_HOUR` (5) per hour per client IP.',
    request: { body: { required: true, content: { 'application/json': { schema: registerBody } } } },
    responses: {
      201: json('The account and a token', tokenResponse, rateLimitHeaders),
      ...errorResponses(400, 409, 413, 429),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/api/auth/login',
    operationId: 'login',
    tags: ['auth'],
    summary: 'Exchange email and password for a token',
    request: { body: { required: true, content: { 'application/json': { schema: loginBody } } } },
    responses: {
      200: json('A token', tokenResponse, rateLimitHeaders),
      ...errorResponses(400, 401, 413, 429),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/api/auth/logout',
    operationId: 'logout',
    tags: ['auth'],
    summary: 'Revoke the token used',
    security: BEARER,
    responses: { 204: empty('Revoked'), ...errorResponses(401) },
  });
  registry.registerPath({
    method: 'post',
    path: '/api/auth/password',
    operationId: 'changePassword',
    tags: ['auth'],
    summary: 'Change the password; every earlier token of the user is revoked',
    description: 'A wrong `current_password` is 401 and counts as a failed login of that (email, IP).',
    security: BEARER,
    request: { body: { required: true, content: { 'application/json': { schema: passwordBody } } } },
    responses: { 204: empty('Changed'), ...errorResponses(400, 401, 413, 429) },
  });
}
