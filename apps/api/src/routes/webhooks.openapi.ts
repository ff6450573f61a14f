import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { BEARER, errorResponses, json } from '../openapi/openapi-components';
import { webhookDeliveryView } from '../openapi/view-schemas';
import { deliveriesQuery } from './webhooks.routes';

const secret = z.object({ secret: z.string().meta({ example: 'whsec_...' }) }).meta({ id: 'WebhookSecret' });

/** The webhook secret and delivery log (webhooks.routes.ts). */
export function registerWebhooksOperations(registry: OpenAPIRegistry): void {
  const tags = ['webhooks'];
  registry.registerPath({
    method: 'get',
    path: '/api/webhooks/secret',
    operationId: 'getWebhookSecret',
    tags,
    summary: 'The signing secret of your webhooks (Standard Webhooks)',
    security: BEARER,
    responses: { 200: json('The secret', secret), ...errorResponses(401) },
  });
  registry.registerPath({
    method: 'post',
    path: '/api/webhooks/secret/rotate',
    operationId: 'rotateWebhookSecret',
    tags,
    security: BEARER,
    responses: { 200: json('The new secret', secret), ...errorResponses(401) },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/webhooks/deliveries',
    operationId: 'listWebhookDeliveries',
    tags,
    security: BEARER,
    request: { query: deliveriesQuery },
    responses: {
      200: json('Recent deliveries', z.object({ items: z.array(webhookDeliveryView) }).meta({ id: 'DeliveryList' })),
      ...errorResponses(400, 401),
    },
  });
}
