import type { ObjectId } from 'mongodb';

/** A project as stored in the `projects` collection. */
export interface ProjectDocument {
  _id: ObjectId;
  user_id: ObjectId;
  name: string;
  description: string | null;
  latest_generation_id: ObjectId | null;
  created_at: Date;
  updated_at: Date;
}

/** The `project` object of API.md. */
export interface ProjectView {
  id: string;
  name: string;
  description: string | null;
  created_at: string;
  updated_at: string;
  latest_generation_id: string | null;
}

export function toProjectView(project: ProjectDocument): ProjectView {
  return {
    id: project._id.toHexString(),
    name: project.name,
    description: project.description,
    created_at: project.created_at.toISOString(),
    updated_at: project.updated_at.toISOString(),
    latest_generation_id: project.latest_generation_id?.toHexString() ?? null,
  };
}
