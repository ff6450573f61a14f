import type { ObjectId } from 'mongodb';

/**
 * Every S3 object of a project lives under this prefix, so deleting the project can remove them
 * all with one listing. The trailing slash keeps one project's prefix from matching another's.
 */
export function projectPrefix(userId: string, projectId: string): string {
  return `users/${userId}/projects/${projectId}/`;
}

/**
 * Where a project's ZIP lives: one key per project, overwritten by each export. S3 makes a
 * multipart upload visible only when it completes, so readers never see a half-written ZIP.
 */
export function exportKey(userId: string, projectId: string): string {
  return `${projectPrefix(userId, projectId)}code.zip`;
}

/** A finished export as stored in the `exports` collection. Its id is the export job's id. */
export interface ExportDocument {
  _id: ObjectId;
  user_id: ObjectId;
  project_id: ObjectId;
  generation_id: ObjectId;
  job_id: ObjectId;
  key: string;
  size_bytes: number;
  file_count: number;
  created_at: Date;
}

/** The export object of API.md. */
export interface ExportView {
  download_url: string;
  expires_at: string;
  size_bytes: number;
  file_count: number;
  key: string;
}

export function toExportView(
  doc: Pick<ExportDocument, 'key' | 'size_bytes' | 'file_count'>,
  link: { url: string; expiresAt: Date },
): ExportView {
  return {
    download_url: link.url,
    expires_at: link.expiresAt.toISOString(),
    size_bytes: doc.size_bytes,
    file_count: doc.file_count,
    key: doc.key,
  };
}
