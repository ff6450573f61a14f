import type { FileChanges, GeneratedFile } from './generation';

/**
 * What changed from `before` to `after`, by exact path: each list sorted, so the same two file
 * sets always give the same object (an edit's cache hit in another project reads the same).
 */
export function fileChanges(before: GeneratedFile[], after: GeneratedFile[]): FileChanges {
  const old = new Map(before.map((f) => [f.path, f.content]));
  const now = new Set(after.map((f) => f.path));
  const added: string[] = [];
  const modified: string[] = [];
  for (const f of after) {
    if (!old.has(f.path)) added.push(f.path);
    else if (old.get(f.path) !== f.content) modified.push(f.path);
  }
  const deleted = before.filter((f) => !now.has(f.path)).map((f) => f.path);
  return { added: added.sort(), modified: modified.sort(), deleted: deleted.sort() };
}

/** True when the changes hold nothing: an edit that did this refused as `invalid_llm_output`. */
export function isUnchanged(c: FileChanges): boolean {
  return c.added.length === 0 && c.modified.length === 0 && c.deleted.length === 0;
}

/** The UTF-8 size of a file set as an edit's prompt carries it: paths and contents. */
export function fileSetBytes(files: GeneratedFile[]): number {
  return files.reduce((n, f) => n + Buffer.byteLength(f.path, 'utf8') + Buffer.byteLength(f.content, 'utf8'), 0);
}
