import type { Db, ObjectId } from 'mongodb';
import { Collections, createWebhookSecrets, type WebhookDeliveryDocument } from '@vectort/shared';

export interface WebhooksService {
  /** The user's signing secret, created on first read. */
  secret(userId: ObjectId): Promise<string>;
  /** Replaces the user's secret and returns the new one. */
  rotateSecret(userId: ObjectId): Promise<string>;
  /** The user's own deliveries, newest first. */
  deliveries(userId: ObjectId, limit: number): Promise<WebhookDeliveryDocument[]>;
}

export function createWebhooksService(db: Db): WebhooksService {
  const secrets = createWebhookSecrets(db);
  const deliveries = db.collection<WebhookDeliveryDocument>(Collections.webhookDeliveries);
  return {
    secret: (userId) => secrets.get(userId),
    rotateSecret: (userId) => secrets.rotate(userId),
    deliveries: (userId, limit) =>
      deliveries
        .find({ user_id: userId }, { projection: { attempt_log: 0 } })
        .sort({ created_at: -1, _id: -1 })
        .limit(limit)
        .toArray(),
  };
}
