import type { S3Client } from '@aws-sdk/client-s3';
import { ObjectId, type Db, type Filter } from 'mongodb';
import {
  Collections,
  NotFoundError,
  UnavailableError,
  deletePrefix,
  projectPrefix,
  type GenerationStore,
  type ProjectDocument,
} from '@vectort/shared';
import { page } from '../http/pagination';

export interface ProjectPage {
  rows: ProjectDocument[];
  nextCursor: string | null;
}

export interface ProjectsService {
  create(userId: ObjectId, input: { name: string; description?: string | null }): Promise<ProjectDocument>;
  list(userId: ObjectId, options: { limit: number; cursor?: ObjectId }): Promise<ProjectPage>;
  /** The user's own project, or 404: another user's project is never revealed. */
  get(userId: ObjectId, id: ObjectId): Promise<ProjectDocument>;
  update(
    userId: ObjectId,
    id: ObjectId,
    changes: { name?: string; description?: string | null },
  ): Promise<ProjectDocument>;
  /**
   * Removes the project, its generations and export records, every S3 object under its prefix,
   * and the shared cache entries its own model calls produced.
   */
  remove(userId: ObjectId, id: ObjectId): Promise<void>;
}

/** Where the project's S3 objects (export ZIPs) live, so deleting a project can remove them. */
export interface ProjectStorage {
  s3: S3Client;
  bucket: string;
}

export function createProjectsService(
  db: Db,
  storage: ProjectStorage,
  /** The shared cache, whose entries the project's own model calls produced go with it. */
  cache: Pick<GenerationStore, 'forgetProjectOutputs'>,
): ProjectsService {
  const purgeStorage = async (userId: ObjectId, id: ObjectId) => {
    try {
      await deletePrefix(storage.s3, storage.bucket, projectPrefix(userId.toHexString(), id.toHexString()));
    } catch {
      throw new UnavailableError('Storage (S3) is unavailable: the project was not deleted');
    }
  };
  const projects = db.collection<ProjectDocument>(Collections.projects);

  return {
    async create(userId, input) {
      const now = new Date();
      const doc: ProjectDocument = {
        _id: new ObjectId(),
        user_id: userId,
        name: input.name,
        description: input.description ?? null,
        latest_generation_id: null,
        created_at: now,
        updated_at: now,
      };
      await projects.insertOne(doc);
      return doc;
    },

    async list(userId, { limit, cursor }) {
      const filter: Filter<ProjectDocument> = cursor ? { user_id: userId, _id: { $lt: cursor } } : { user_id: userId };
      const rows = await projects
        .find(filter)
        .sort({ _id: -1 })
        .limit(limit + 1)
        .toArray();
      return page(rows, limit);
    },

    async get(userId, id) {
      const project = await projects.findOne({ _id: id, user_id: userId });
      if (!project) throw new NotFoundError('Project');
      return project;
    },

    async update(userId, id, changes) {
      const updated = await projects.findOneAndUpdate(
        { _id: id, user_id: userId },
        { $set: { ...changes, updated_at: new Date() } },
        { returnDocument: 'after' },
      );
      if (!updated) throw new NotFoundError('Project');
      return updated;
    },

    async remove(userId, id) {
      if (!(await projects.findOne({ _id: id, user_id: userId }, { projection: { _id: 1 } })))
        throw new NotFoundError('Project');
      // S3 first: when it is down the request fails (503) with nothing deleted, and can be repeated.
      await purgeStorage(userId, id);
      const { deletedCount } = await projects.deleteOne({ _id: id, user_id: userId });
      if (deletedCount === 0) throw new NotFoundError('Project');
      // Again now that the project is gone: an export that landed in between is removed here, and
      // one landing later finds the project gone and removes its own object (export.processor.ts).
      await purgeStorage(userId, id);
      await Promise.all([
        cache.forgetProjectOutputs(id, () => db.collection(Collections.generations).deleteMany({ project_id: id })),
        db.collection(Collections.exports).deleteMany({ project_id: id }),
      ]);
    },
  };
}
