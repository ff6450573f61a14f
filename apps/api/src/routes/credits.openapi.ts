import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { BEARER, errorResponses, json, rateLimitHeaders } from '../openapi/openapi-components';
import { ledgerEntryView, purchaseView } from '../openapi/view-schemas';
import { ledgerQuery, purchaseBody } from './credits.routes';

/** Balance, ledger and purchases (credits.routes.ts). */
export function registerCreditsOperations(registry: OpenAPIRegistry): void {
  const tags = ['credits'];
  registry.registerPath({
    method: 'get',
    path: '/api/credits',
    operationId: 'getCredits',
    tags,
    summary: 'The balance and the ledger, newest first',
    security: BEARER,
    request: { query: ledgerQuery },
    responses: {
      200: json(
        'Balance and a page of the ledger',
        z
          .object({ balance: z.number().int(), ledger: z.array(ledgerEntryView), next_cursor: z.string().nullable() })
          .meta({ id: 'Credits' }),
      ),
      ...errorResponses(400, 401),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/api/credits/purchase',
    operationId: 'purchaseCredits',
    tags,
    summary: 'Buy a credit pack (20 per hour per user)',
    security: BEARER,
    request: { body: { required: true, content: { 'application/json': { schema: purchaseBody } } } },
    responses: {
      201: json(
        'The purchase',
        z.object({ balance: z.number().int(), purchase: purchaseView }).meta({ id: 'PurchaseResult' }),
        rateLimitHeaders,
      ),
      ...errorResponses(400, 401, 413, 429),
    },
  });
}
