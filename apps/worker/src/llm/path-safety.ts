import { invalidOutput, quoteForMessage } from './llm-errors';
import type { GeneratedFile } from './llm-provider';

/** Most files one generation may hold. */
export const MAX_FILES = 200;
/** Largest file, in UTF-8 bytes (1 MiB). */
export const MAX_FILE_BYTES = 1024 * 1024;
/** Largest project, all files' UTF-8 bytes added up (8 MiB). */
export const MAX_TOTAL_BYTES = 8 * 1024 * 1024;
/** Longest path, in characters, after normalising. */
export const MAX_PATH_LENGTH = 300;

/** A project as the model described it, before any check. */
export interface UncheckedProject {
  files: GeneratedFile[];
  entrypoint: string | null;
  instructions: string | null;
}

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
const DRIVE_LETTER = /^[A-Za-z]:/;

/**
 * Returns the safe form of a model-supplied path, or throws `invalid_llm_output` naming it.
 * Harmless slips are repaired (surrounding spaces, `\` separators, a leading `/`, `./` and `//`);
 * anything that could point outside the project (`..`, a drive letter, NUL and other control
 * characters) is rejected, because guessing what such a path meant is riskier than failing.
 */
export function normalizeGeneratedPath(raw: string): string {
  const reject = (why: string) =>
    invalidOutput(`The model produced an unsafe file path ${quoteForMessage(raw)}: ${why}`);
  const trimmed = raw.trim();
  if (trimmed === '') throw reject('it is empty');
  if (CONTROL_CHARS.test(trimmed)) throw reject('it contains a control character');
  const slashed = trimmed.replace(/\\/g, '/');
  if (DRIVE_LETTER.test(slashed)) throw reject('it starts with a drive letter');
  if (slashed.endsWith('/')) throw reject('it names a folder, not a file');
  const segments = slashed.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw reject('it contains a ".." segment');
  // A colon is a drive or an alternate data stream on Windows, where these ZIPs also get unpacked.
  if (segments.some((s) => s.includes(':'))) throw reject('it contains ":"');
  const path = segments.join('/');
  if (path === '') throw reject('it has no file name');
  if (path.length > MAX_PATH_LENGTH) throw reject(`it is longer than ${MAX_PATH_LENGTH} characters`);
  return path;
}

/**
 * Normalises every path and enforces the bounds: count, per-file and total size, no two files
 * at the same path (compared case-insensitively, as they would collide on macOS and Windows).
 * `entrypoint` becomes null unless it names one of the files.
 */
export function checkGeneratedProject(project: UncheckedProject): UncheckedProject {
  if (project.files.length === 0) throw invalidOutput('The model produced no files');
  if (project.files.length > MAX_FILES) {
    throw invalidOutput(`The model produced ${project.files.length} files; at most ${MAX_FILES} are allowed`);
  }
  const seen = new Set<string>();
  let total = 0;
  const files = project.files.map((file) => {
    const path = normalizeGeneratedPath(file.path);
    const key = path.toLowerCase();
    if (seen.has(key)) throw invalidOutput(`The model produced the file ${quoteForMessage(path)} more than once`);
    seen.add(key);
    const bytes = Buffer.byteLength(file.content, 'utf8');
    if (bytes > MAX_FILE_BYTES) {
      throw invalidOutput(`The file ${quoteForMessage(path)} is larger than ${MAX_FILE_BYTES} bytes`);
    }
    total += bytes;
    if (total > MAX_TOTAL_BYTES) throw invalidOutput(`The project is larger than ${MAX_TOTAL_BYTES} bytes`);
    return { path, content: file.content };
  });
  return { files, entrypoint: matchEntrypoint(project.entrypoint, files), instructions: project.instructions };
}

function matchEntrypoint(entrypoint: string | null, files: GeneratedFile[]): string | null {
  if (entrypoint === null) return null;
  let path: string;
  try {
    path = normalizeGeneratedPath(entrypoint);
  } catch {
    return null;
  }
  return files.some((f) => f.path === path) ? path : null;
}
