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
export function createOfflineProvider(): LlmProvider {
  async function generate(req: GenerationRequest, opts: GenerateOptions = {}): Promise<LlmResult> {
    opts.onProgress?.(0);
    const template = TEMPLATES[req.framework](templateInput(req));
    // The same checks as model output: a template bug must fail here, not in a user's unzip.
    const project = checkGeneratedProject(template);
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
