import { findFileTags } from './file-tags';
import { invalidOutput } from './llm-errors';
import type { GeneratedFile } from './llm-provider';
import type { UncheckedProject } from './path-safety';
import { findFencedBlocks, pathFromLabelLine, unwrapSingleFence } from './markdown-fences';

/**
 * Reads a model's message content in the forms API.md accepts, tried in this order:
 * 1. JSON `{"files": [{path, content}], "entrypoint"?, "instructions"?}`, bare, inside one
 *    fenced block, or with prose around it;
 * 2. `<file path="...">...</file>` blocks;
 * 3. fenced code blocks, each preceded by a line holding only its path (fenced blocks without
 *    such a line, like a shell snippet, are skipped).
 * Throws `invalid_llm_output` for anything else or an empty file list. Paths come back as the
 * model wrote them: pass the result through `checkGeneratedProject`. Every step is linear in the
 * content's length: the content is untrusted, and a worker parsing it serves nothing else.
 */
export function parseLlmOutput(content: string): UncheckedProject {
  const project = parseJsonForm(content) ?? parseFileTagForm(content) ?? parsePathFenceForm(content);
  if (!project) {
    throw invalidOutput(
      'The model answered in none of the accepted forms (JSON, <file> blocks or labelled code blocks)',
    );
  }
  if (project.files.length === 0) throw invalidOutput('The model produced no files');
  return project;
}

/** Null when the content holds no JSON object with a `files` key; throws when it does but the shape is wrong. */
function parseJsonForm(content: string): UncheckedProject | null {
  for (const candidate of jsonCandidates(content)) {
    let value: unknown;
    try {
      value = JSON.parse(candidate);
    } catch {
      continue;
    }
    if (isRecord(value) && 'files' in value) return readProjectJson(value);
  }
  return null;
}

function jsonCandidates(content: string): string[] {
  const trimmed = content.trim();
  const candidates = [trimmed];
  // Two blocks are enough to know there is not exactly one.
  const { blocks } = findFencedBlocks(content, 2);
  if (blocks.length === 1 && blocks[0]) candidates.push(blocks[0].body);
  // Prose before or after a bare object: "Here is your project: {...} Enjoy!"
  const first = trimmed.indexOf('{');
  const last = trimmed.lastIndexOf('}');
  if (first > 0 || (first === 0 && last < trimmed.length - 1)) candidates.push(trimmed.slice(first, last + 1));
  return candidates;
}

function readProjectJson(value: Record<string, unknown>): UncheckedProject {
  const { files } = value;
  if (!Array.isArray(files)) throw invalidOutput('The model\'s JSON has a "files" value that is not a list');
  const checked = files.map((file: unknown, i): GeneratedFile => {
    if (!isRecord(file) || typeof file.path !== 'string' || typeof file.content !== 'string') {
      throw invalidOutput(`The model's JSON file #${i + 1} is not {"path": string, "content": string}`);
    }
    return { path: file.path, content: file.content };
  });
  return { files: checked, entrypoint: stringOrNull(value.entrypoint), instructions: stringOrNull(value.instructions) };
}

function parseFileTagForm(content: string): UncheckedProject | null {
  const files: GeneratedFile[] = [];
  for (const tag of findFileTags(content)) {
    const body = tag.body.replace(/^\r?\n/, '');
    // Models often wrap a tag's body in a code fence as well.
    const unwrapped = unwrapSingleFence(body);
    files.push({ path: tag.path, content: unwrapped === null ? body : withFinalNewline(unwrapped) });
  }
  return files.length > 0 ? { files, entrypoint: null, instructions: null } : null;
}

function parsePathFenceForm(content: string): UncheckedProject | null {
  const { blocks, unclosed } = findFencedBlocks(content);
  const files: GeneratedFile[] = [];
  for (const block of blocks) {
    const path = block.labelLine === null ? null : pathFromLabelLine(block.labelLine);
    if (path !== null) files.push({ path, content: withFinalNewline(block.body) });
  }
  if (files.length === 0) return null;
  if (unclosed) throw invalidOutput("The model's last code block is not closed; the answer was probably cut off");
  return { files, entrypoint: null, instructions: null };
}

function withFinalNewline(body: string): string {
  return body === '' || body.endsWith('\n') ? body : `${body}\n`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}
