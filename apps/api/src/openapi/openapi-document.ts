import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { registerAuthOperations } from '../routes/auth.openapi';
import { registerCreditsOperations } from '../routes/credits.openapi';
import { registerDocsOperations } from '../routes/docs.openapi';
import { registerEditsOperations } from '../routes/edits.openapi';
import { registerExportOperations } from '../routes/export.openapi';
import { registerGenerateOperations } from '../routes/generate.openapi';
import { registerOperationsOperations } from '../routes/health.openapi';
import { registerJobsOperations } from '../routes/jobs.openapi';
import { registerProjectsOperations } from '../routes/projects.openapi';
import { registerUsersOperations } from '../routes/users.openapi';
import { registerWebhooksOperations } from '../routes/webhooks.openapi';
import { registerCommonComponents } from './openapi-components';

/**
 * One entry per route group: each `*.openapi.ts` sits next to its `*.routes.ts` and registers
 * that group's operations from the zod schemas the routes validate with.
 */
const OPERATION_GROUPS: ReadonlyArray<(registry: OpenAPIRegistry) => void> = [
  registerOperationsOperations,
  registerDocsOperations,
  registerAuthOperations,
  registerUsersOperations,
  registerProjectsOperations,
  registerGenerateOperations,
  registerEditsOperations,
  registerJobsOperations,
  registerExportOperations,
  registerWebhooksOperations,
  registerCreditsOperations,
];

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

/** Builds the OpenAPI 3.1 document of every route (`GET /api/openapi.json`). */
export function buildOpenApiDocument(): OpenApiDocument {
  const registry = new OpenAPIRegistry();
  registerCommonComponents(registry);
  for (const register of OPERATION_GROUPS) register(registry);
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Vectort API',
      version: '1.1.0',
      description:
        'Describe an app in words, get its code as a ZIP. Generated from the zod schemas the server ' +
        'validates with; the prose contract is docs/API.md. JSON fields are snake_case, ids are opaque ' +
        'strings, times are ISO-8601 UTC. Every response carries `X-Request-Id`.',
    },
    servers: [{ url: '/' }],
    security: [{ bearerAuth: [] }],
    tags: [
      { name: 'auth' },
      { name: 'users' },
      { name: 'projects' },
      { name: 'generations' },
      { name: 'jobs' },
      { name: 'exports' },
      { name: 'webhooks' },
      { name: 'credits' },
      { name: 'admin' },
      { name: 'operations' },
      { name: 'docs' },
    ],
  });
}
