import type { ObjectId } from 'mongodb';

export const FRAMEWORKS = ['react', 'vue', 'svelte', 'nextjs', 'express', 'fastapi', 'html'] as const;
export type Framework = (typeof FRAMEWORKS)[number];

export const PROJECT_TYPES = ['web_app', 'api', 'landing_page', 'fullstack'] as const;
export type ProjectType = (typeof PROJECT_TYPES)[number];

/**
 * Version of the prompts and offline templates. It is part of the cache key: bump it whenever
 * a change should stop old cached generations from being served.
 */
export const PROMPT_VERSION = '2026-11-24.1';

/**
 * The generator's version as the cache key sees it: the prompt version plus which provider and
 * model write the code, so switching from the offline templates to a model (or between
 * models) never serves the other one's output.
 */
export function generatorVersion(llm: { provider: string; model: string }): string {
  return llm.provider === 'offline' ? `${PROMPT_VERSION}:offline` : `${PROMPT_VERSION}:${llm.provider}:${llm.model}`;
}

export interface GeneratedFile {
  path: string;
  content: string;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
}

/** What the cache holds for a key: the output, never who asked for it. */
export interface CachedOutput {
  files: GeneratedFile[];
  entrypoint: string | null;
  instructions: string | null;
  model: string;
  provider: string;
  usage: Usage;
  framework: Framework;
  type: ProjectType;
  /** The generation that first produced this output (the LLM call it cost). Internal only. */
  source_generation_id: string;
}

/** What an edit changed against its parent (for a version 1, every file is `added`). */
export interface FileChanges {
  added: string[];
  modified: string[];
  deleted: string[];
}

/**
 * Where a generation sits in its project's history. Generations stored before edits existed
 * have none of these fields: they read as version 1 with no parent (see `lineageOf`).
 */
export interface GenerationLineage {
  version: number;
  parent_id: ObjectId | null;
  instruction: string | null;
  changes: FileChanges;
}

/** A generation as stored in the `generations` collection. */
export interface GenerationDocument extends CachedOutput, Partial<GenerationLineage> {
  /** For a generation a job wrote, the job's id: a retried job rewrites the same document. */
  _id: ObjectId;
  user_id: ObjectId;
  project_id: ObjectId;
  job_id: ObjectId | null;
  cache_key: string;
  description: string;
  cached: boolean;
  cost_usd: number;
  duration_seconds: number;
  created_at: Date;
}

/** The `generation` object of API.md. */
export interface GenerationView {
  id: string;
  project_id: string;
  description: string;
  framework: Framework;
  type: ProjectType;
  cached: boolean;
  files?: GeneratedFile[];
  entrypoint: string | null;
  instructions: string | null;
  model: string;
  provider: string;
  usage: Usage;
  cost_usd: number;
  duration_seconds: number;
  created_at: string;
  version: number;
  parent_id: string | null;
  instruction: string | null;
  changes: FileChanges;
}

/** Every path of `files` as added: the changes of a generation without a parent. */
export function allAdded(files: Pick<GeneratedFile, 'path'>[]): FileChanges {
  return { added: files.map((f) => f.path), modified: [], deleted: [] };
}

/** The stored lineage, or version 1 without a parent for a generation stored before edits. */
export function lineageOf(g: GenerationDocument): GenerationLineage {
  return {
    version: g.version ?? 1,
    parent_id: g.parent_id ?? null,
    instruction: g.instruction ?? null,
    changes: g.changes ?? allAdded(g.files ?? []),
  };
}

export function toGenerationView(g: GenerationDocument, options: { withFiles: boolean }): GenerationView {
  return {
    id: g._id.toHexString(),
    project_id: g.project_id.toHexString(),
    description: g.description,
    framework: g.framework,
    type: g.type,
    cached: g.cached,
    ...(options.withFiles ? { files: g.files } : {}),
    entrypoint: g.entrypoint,
    instructions: g.instructions,
    model: g.model,
    provider: g.provider,
    usage: g.usage,
    cost_usd: g.cost_usd,
    duration_seconds: g.duration_seconds,
    created_at: g.created_at.toISOString(),
    ...lineageView(lineageOf(g)),
  };
}

function lineageView(l: GenerationLineage): Pick<GenerationView, 'version' | 'parent_id' | 'instruction' | 'changes'> {
  return {
    version: l.version,
    parent_id: l.parent_id?.toHexString() ?? null,
    instruction: l.instruction,
    changes: l.changes,
  };
}
