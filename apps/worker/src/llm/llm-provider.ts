import type { Framework, ProjectType } from '@vectort/shared';
import type { FileDeltaHandler } from './stream-files';

export interface GenerationRequest {
  description: string;
  framework: Framework;
  type: ProjectType;
}

export interface GeneratedFile {
  path: string;
  content: string;
}

/** Token counts as the provider reported them (zeros when it did not). */
export interface LlmUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

/** A generated project whose paths and sizes have been checked (see path-safety.ts). */
export interface LlmResult {
  files: GeneratedFile[];
  /** One of `files`' paths, or null. */
  entrypoint: string | null;
  instructions: string | null;
  model: string;
  provider: 'openai' | 'offline';
  usage: LlmUsage;
  cost_usd: number;
  /**
   * False when the model is missing from the price table, so `cost_usd` is 0 without being
   * free; for logs and metrics, not part of the `generation` object.
   */
  cost_known: boolean;
}

/** An edit: change the parent generation's files as the instruction says. */
export interface EditRequest extends GenerationRequest {
  /** The parent's whole file set, as stored (paths already checked). */
  files: GeneratedFile[];
  instruction: string;
}

/**
 * What a provider answers an edit with: only the files it writes (in full) and the paths it
 * deletes, as the model named them. Nothing here is checked yet: the worker merges it into the
 * parent's files and applies the path rules and bounds to the result (see edit-merge.ts).
 */
export interface EditAnswer extends Omit<LlmResult, 'files' | 'entrypoint'> {
  files: GeneratedFile[];
  deleted: string[];
}

export interface GenerateOptions {
  /** Aborting it abandons the call (the promise rejects with an `LlmError`). */
  signal?: AbortSignal;
  /** Progress of this call, 0..100. */
  onProgress?: (pct: number) => void;
  /**
   * Told each file's text as the answer arrives (live output, best effort): the result's files,
   * checked and repaired, are what counts.
   */
  onFile?: FileDeltaHandler;
}

export interface LlmProvider {
  readonly name: 'openai' | 'offline';
  /** Rejects only with an `LlmError`. */
  generate(req: GenerationRequest, opts?: GenerateOptions): Promise<LlmResult>;
  /** The changes an edit makes; the same call path, options and errors as `generate`. */
  edit(req: EditRequest, opts?: GenerateOptions): Promise<EditAnswer>;
}
