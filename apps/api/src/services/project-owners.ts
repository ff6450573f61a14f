import type { Redis } from 'ioredis';
import type { Db, ObjectId } from 'mongodb';
import { Collections, NotFoundError, type ProjectDocument } from '@vectort/shared';

/** A project's owner never changes; Redis remembers it this long. */
const OWNER_TTL_SECONDS = 24 * 3600;

export interface ProjectOwners {
  /** Resolves when `projectId` belongs to `userId`; 404 otherwise (another user's project is never revealed). */
  assertOwner(userId: ObjectId, projectId: ObjectId, cachedOwner?: string | null): Promise<void>;
  /** The Redis key holding the owner, for callers that batch it into their own read. */
  redisKey(projectId: ObjectId): string;
  /** Forgets the owner of a deleted project. */
  forget(projectId: ObjectId): Promise<void>;
}

/**
 * Project ownership for hot paths, from Redis when it can (one GET), MongoDB otherwise. The
 * entry is removed when the project is deleted, so a deleted project is a 404 at once.
 */
export function createProjectOwners(db: Db, redis: Redis, keyPrefix: string): ProjectOwners {
  const projects = db.collection<ProjectDocument>(Collections.projects);
  const key = (projectId: ObjectId) => `${keyPrefix}:project-owner:${projectId.toHexString()}`;
  return {
    redisKey: key,
    async assertOwner(userId, projectId, cachedOwner) {
      const cached = cachedOwner === undefined ? await redis.get(key(projectId)) : cachedOwner;
      if (cached) {
        if (cached !== userId.toHexString()) throw new NotFoundError('Project');
        return;
      }
      const project = await projects.findOne({ _id: projectId }, { projection: { user_id: 1 } });
      if (!project) throw new NotFoundError('Project');
      await redis.set(key(projectId), project.user_id.toHexString(), 'EX', OWNER_TTL_SECONDS);
      if (!project.user_id.equals(userId)) throw new NotFoundError('Project');
    },
    async forget(projectId) {
      await redis.del(key(projectId));
    },
  };
}
