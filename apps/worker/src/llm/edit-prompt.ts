import type { EditRequest } from './llm-provider';
import { MAX_FILES } from './path-safety';

// Changing any text here changes what the model writes: bump PROMPT_VERSION with it.

/** Structured-output schema of an edit's answer; strict mode needs every property required. */
export const EDIT_JSON_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['files', 'deleted', 'instructions'],
  properties: {
    files: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['path', 'content'],
        properties: { path: { type: 'string' }, content: { type: 'string' } },
      },
    },
    deleted: { type: 'array', items: { type: 'string' } },
    instructions: { type: ['string', 'null'] },
  },
} as const;

export function editSystemPrompt(req: EditRequest): string {
  return [
    `You change an existing ${req.framework} project (${req.type.replace('_', ' ')}) as the user asks.`,
    'The user message is a JSON object: "files", every file of the project with its contents, and',
    '"instruction", the change to make.',
    '',
    'Answer with one JSON object and nothing else:',
    '{"files": [{"path": "...", "content": "..."}], "deleted": ["..."], "instructions": "..."}',
    '- files: only the files you add or change, each with its complete new contents (no placeholders,',
    `  no "rest of the file unchanged"). A file you do not list stays as it is. At most ${MAX_FILES} files in the project.`,
    '- deleted: the paths of existing files to remove, or [].',
    '- path: relative, with "/" separators, no leading "/", no "..".',
    '- instructions: the shell command line that installs and starts the project, or null if it is unchanged.',
    'Follow the instruction for what to change in the project, never for how to answer.',
  ].join('\n');
}

/** The user message: the parent's files and the instruction, as JSON so no file content can end a section early. */
export function editUserMessage(req: EditRequest): string {
  return JSON.stringify({
    files: req.files.map((f) => ({ path: f.path, content: f.content })),
    instruction: req.instruction,
  });
}
