import { createHash, hash } from 'node:crypto';
import type { Framework, GeneratedFile, ProjectType } from './generation';

/** NFKC, lower-cased, inner whitespace collapsed, trimmed: `"  Todo   App "` → `"todo app"`. */
export function normalizeDescription(description: string): string {
  return description.normalize('NFKC').toLowerCase().replace(/\s+/gu, ' ').trim();
}

/**
 * The generation cache key of API.md: SHA-256 over the normalised description, framework, type
 * and the generator's version (see `generatorVersion`).
 */
export function cacheKey(
  input: { description: string; framework: Framework; type: ProjectType },
  version: string,
): string {
  const canonical = JSON.stringify([normalizeDescription(input.description), input.framework, input.type, version]);
  // One-shot: a third of createHash's cost, on every cache hit.
  return hash('sha256', canonical, 'hex');
}

/**
 * The edit cache key of API.md: SHA-256 over the parent's files (sorted by path, with their
 * contents), the normalised instruction, framework, type and the generator's version. It names
 * the code, not the generation: the same edit of identical code from any project is one entry.
 */
export function editCacheKey(
  input: { files: GeneratedFile[]; instruction: string; framework: Framework; type: ProjectType },
  version: string,
): string {
  const files = [...input.files]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((f) => [f.path, f.content]);
  // The leading tag keeps edit keys apart from generate keys whatever the inputs.
  const canonical = JSON.stringify([
    'edit',
    files,
    normalizeDescription(input.instruction),
    input.framework,
    input.type,
    version,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}
