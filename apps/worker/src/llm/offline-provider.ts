import type { Framework } from '@vectort/shared';
import type {
  EditAnswer,
  EditRequest,
  GenerateOptions,
  GenerationRequest,
  LlmProvider,
  LlmResult,
} from './llm-provider';
import { expressTemplate } from './offline-templates/express-template';
import { fastapiTemplate } from './offline-templates/fastapi-template';
import { htmlTemplate } from './offline-templates/html-template';
import { nextjsTemplate } from './offline-templates/nextjs-template';
import { offlineEdit } from './offline-templates/offline-edit';
import { reactTemplate } from './offline-templates/react-template';
import { svelteTemplate } from './offline-templates/svelte-template';
import { templateInput, type Template } from './offline-templates/template-input';
import { vueTemplate } from './offline-templates/vue-template';
import { LlmError } from './llm-errors';
import { checkGeneratedProject } from './path-safety';

/** Reported as the generation's `model`, so an offline result is never mistaken for a model's. */
export const OFFLINE_MODEL = 'offline-template-v1';

const TEMPLATES: Record<Framework, Template> = {
  react: reactTemplate,
  vue: vueTemplate,
  svelte: svelteTemplate,
  nextjs: nextjsTemplate,
  express: expressTemplate,
  fastapi: fastapiTemplate,
  html: htmlTemplate,
};

/**
 * Writes a small runnable project from built-in templates: no network, no cost, and the same
 * request always gives byte-identical files.
 */
export function createOfflineProvider(options: { chunkMs?: number } = {}): LlmProvider {
  const chunkMs = options.chunkMs ?? 0;
  async function generate(req: GenerationRequest, opts: GenerateOptions = {}): Promise<LlmResult> {
    opts.onProgress?.(0);
    const template = TEMPLATES[req.framework](templateInput(req));
    // The same checks as model output: a template bug must fail here, not in a user's unzip.
    const project = checkGeneratedProject(template);
    if (opts.onFile) await streamFiles(project.files, opts, chunkMs);
    opts.onProgress?.(100);
    return {
      ...project,
      model: OFFLINE_MODEL,
      provider: 'offline',
      usage: { prompt_tokens: 0, completion_tokens: 0 },
      cost_usd: 0,
      cost_known: true,
    };
  }

  /** Records the instruction in README.md and on the main page (see offline-edit.ts). */
  async function edit(req: EditRequest, opts: GenerateOptions = {}): Promise<EditAnswer> {
    opts.onProgress?.(0);
    const files = offlineEdit(req.files, req.instruction, req.framework);
    if (opts.onFile) await streamFiles(files, opts, chunkMs);
    opts.onProgress?.(100);
    return {
      files,
      deleted: [],
      instructions: null,
      model: OFFLINE_MODEL,
      provider: 'offline',
      usage: { prompt_tokens: 0, completion_tokens: 0 },
      cost_usd: 0,
      cost_known: true,
    };
  }

  return { name: 'offline', generate, edit };
}

/** Chunks per file: a few, as a model's answer arrives. */
const CHUNKS_PER_FILE = 3;

/** Writes the files to `onFile` in a few chunks each, as a model would, stopping on abort. */
async function streamFiles(
  files: { path: string; content: string }[],
  opts: GenerateOptions,
  pauseMs: number,
): Promise<void> {
  for (const [i, file] of files.entries()) {
    const size = Math.ceil(file.content.length / CHUNKS_PER_FILE);
    for (let at = 0; at < file.content.length || at === 0; at += Math.max(1, size)) {
      if (opts.signal?.aborted) throw new LlmError('llm_error', 'The generation was cancelled', true);
      const end = at + Math.max(1, size);
      opts.onFile!(file.path, file.content.slice(at, end), end >= file.content.length);
      if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
    }
    opts.onProgress?.(((i + 1) / files.length) * 100);
  }
}
