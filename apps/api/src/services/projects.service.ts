import { ObjectId, type Db, type Filter } from 'mongodb';
import { Collections, NotFoundError, type ProjectDocument } from '@vectort/shared';
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
  update(userId: ObjectId, id: ObjectId, changes: { name?: string; description?: string | null }): Promise<ProjectDocument>;
  /** Removes the project and its generations and export records. */
  remove(userId: ObjectId, id: ObjectId): Promise<void>;
}

export function createProjectsService(db: Db): ProjectsService {
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
      const rows = await projects.find(filter).sort({ _id: -1 }).limit(limit + 1).toArray();
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
      const { deletedCount } = await projects.deleteOne({ _id: id, user_id: userId });
      if (deletedCount === 0) throw new NotFoundError('Project');
      await Promise.all([
        db.collection(Collections.generations).deleteMany({ project_id: id }),
        db.collection(Collections.exports).deleteMany({ project_id: id }),
      ]);
    },
  };
}
