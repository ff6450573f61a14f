import { createHash } from 'node:crypto';
import { PROMPT_VERSION, type Framework, type ProjectType } from './generation';

/** NFKC, lower-cased, inner whitespace collapsed, trimmed: `"  Todo   App "` → `"todo app"`. */
export function normalizeDescription(description: string): string {
  return description.normalize('NFKC').toLowerCase().replace(/\s+/gu, ' ').trim();
}

/** The generation cache key of API.md: SHA-256 over the normalised request and the prompt version. */
export function cacheKey(input: { description: string; framework: Framework; type: ProjectType }, promptVersion = PROMPT_VERSION): string {
  const canonical = JSON.stringify([normalizeDescription(input.description), input.framework, input.type, promptVersion]);
  return createHash('sha256').update(canonical).digest('hex');
}
