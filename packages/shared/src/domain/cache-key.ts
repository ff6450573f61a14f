import { createHash } from 'node:crypto';
import type { Framework, ProjectType } from './generation';

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
  return createHash('sha256').update(canonical).digest('hex');
}
