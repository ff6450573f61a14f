import { invalidOutput } from './llm-errors';
import type { GeneratedFile } from './llm-provider';
import { findFencedBlocks } from './markdown-fences';
import { parseLlmOutput } from './output-parser';

/** An edit's answer as the model wrote it: paths unchecked (see edit-merge.ts). */
export interface UncheckedEdit {
  files: GeneratedFile[];
  deleted: string[];
  instructions: string | null;
}

/**
 * Reads a model's answer to an edit: JSON `{"files": [...], "deleted": [...], "instructions"?}`
 * (bare, in one fenced block, or with prose around it), or, for files only, any form
 * `parseLlmOutput` accepts. An answer that only deletes has no files, which `parseLlmOutput`
 * refuses: that one case is read here; files are always read by `parseLlmOutput`.
 */
export function parseEditOutput(content: string): UncheckedEdit {
  const json = editJson(content);
  const deleted = json ? readDeleted(json.deleted) : [];
  const onlyDeletes = json !== null && deleted.length > 0 && (json.files === undefined || isEmptyList(json.files));
  if (json !== null && deleted.length === 0 && isEmptyList(json.files)) {
    throw invalidOutput("The model's answer changes nothing");
  }
  if (onlyDeletes) return { files: [], deleted, instructions: stringOrNull(json.instructions) };
  const project = parseLlmOutput(content);
  return { files: project.files, deleted, instructions: project.instructions };
}

function editJson(content: string): Record<string, unknown> | null {
  const trimmed = content.trim();
  const candidates = [trimmed];
  const { blocks } = findFencedBlocks(content);
  if (blocks.length === 1 && blocks[0]) candidates.push(blocks[0].body);
  const first = trimmed.indexOf('{');
  const last = trimmed.lastIndexOf('}');
  if (first >= 0 && last > first) candidates.push(trimmed.slice(first, last + 1));
  for (const candidate of candidates) {
    try {
      const value: unknown = JSON.parse(candidate);
      if (isRecord(value) && ('files' in value || 'deleted' in value)) return value;
    } catch {
      // Not this candidate.
    }
  }
  return null;
}

function readDeleted(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw invalidOutput('The model\'s JSON has a "deleted" value that is not a list of paths');
  }
  return value as string[];
}

const isEmptyList = (value: unknown) => Array.isArray(value) && value.length === 0;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}
