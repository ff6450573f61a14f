import { fileChanges, isUnchanged, type FileChanges } from '@vectort/shared';
import type { UncheckedEdit } from './edit-output-parser';
import { invalidOutput, quoteForMessage } from './llm-errors';
import type { GeneratedFile } from './llm-provider';
import { checkGeneratedProject, normalizeGeneratedPath } from './path-safety';

/** The parent an edit starts from, as stored. */
export interface EditBase {
  files: GeneratedFile[];
  entrypoint: string | null;
  instructions: string | null;
}

export interface MergedEdit {
  files: GeneratedFile[];
  entrypoint: string | null;
  instructions: string | null;
  changes: FileChanges;
}

/**
 * Applies an edit's answer to the parent's files: each written file replaces the parent's file
 * at its path or is added, each deleted path is removed, every other file stays as it was. The
 * model's paths go through the same rules as a generation's (harmless slips repaired, unsafe
 * paths rejected) and the result through the same bounds. Refused with `invalid_llm_output`:
 * an answer that changes nothing, deletes a file the parent does not have, or both writes and
 * deletes one path.
 */
export function mergeEdit(parent: EditBase, answer: UncheckedEdit): MergedEdit {
  const merged = new Map(parent.files.map((f) => [f.path, f.content]));
  const deleted = new Set<string>();
  for (const raw of answer.deleted) {
    const path = normalizeGeneratedPath(raw);
    if (!merged.has(path)) {
      throw invalidOutput(`The model deleted ${quoteForMessage(path)}, a file the project does not have`);
    }
    deleted.add(path);
  }
  const written = new Map<string, string>();
  for (const file of answer.files) {
    const path = normalizeGeneratedPath(file.path);
    if (deleted.has(path)) throw invalidOutput(`The model both wrote and deleted ${quoteForMessage(path)}`);
    if (written.has(path)) throw invalidOutput(`The model wrote ${quoteForMessage(path)} more than once`);
    written.set(path, file.content);
  }
  for (const path of deleted) merged.delete(path);
  // The parent's order, then new files in the model's order; bounds and case collisions are checked below.
  const files = [...merged].map(([path, content]) => ({ path, content: written.get(path) ?? content }));
  for (const [path, content] of written) if (!merged.has(path)) files.push({ path, content });
  const project = checkGeneratedProject({
    files,
    entrypoint: parent.entrypoint,
    instructions: answer.instructions ?? parent.instructions,
  });
  const changes = fileChanges(parent.files, project.files);
  if (isUnchanged(changes)) throw invalidOutput("The model's answer changes nothing");
  return { ...project, changes };
}
