import { MongoServerError, type Db, type ObjectId } from 'mongodb';
import { Collections } from '../domain/collections';
import { generateWebhookSecret } from './webhook-signing';

/**
 * A user's webhook signing secret, in its own collection keyed by the user id: kept off the user
 * document so it is not loaded on every authenticated request.
 */
export interface WebhookSecretDocument {
  _id: ObjectId;
  secret: string;
  created_at: Date;
  updated_at: Date;
}

export interface WebhookSecrets {
  /** The user's secret, created on first use. */
  get(userId: ObjectId): Promise<string>;
  /** Replaces the secret; deliveries signed from now on use the new one. */
  rotate(userId: ObjectId): Promise<string>;
}

export function createWebhookSecrets(db: Db): WebhookSecrets {
  const secrets = db.collection<WebhookSecretDocument>(Collections.webhookSecrets);
  return {
    async get(userId) {
      const existing = await secrets.findOne({ _id: userId });
      if (existing) return existing.secret;
      const now = new Date();
      const doc: WebhookSecretDocument = {
        _id: userId,
        secret: generateWebhookSecret(),
        created_at: now,
        updated_at: now,
      };
      try {
        await secrets.insertOne(doc);
        return doc.secret;
      } catch (err) {
        // Two first uses at once: the other insert won, and its secret is the one.
        if (!(err instanceof MongoServerError && err.code === 11000)) throw err;
        const winner = await secrets.findOne({ _id: userId });
        if (!winner) throw err;
        return winner.secret;
      }
    },

    async rotate(userId) {
      const secret = generateWebhookSecret();
      const now = new Date();
      await secrets.updateOne(
        { _id: userId },
        { $set: { secret, updated_at: now }, $setOnInsert: { created_at: now } },
        { upsert: true },
      );
      return secret;
    },
  };
}
