import { z } from 'zod';
import { CREDIT_PACKS, FRAMEWORKS, JOB_ERROR_CODES, JOB_STATUSES, PLANS, PROJECT_TYPES } from '@vectort/shared';

// The objects the API answers with (API.md), as zod schemas so the OpenAPI document describes
// responses from the same kind of source as requests. The `to*View` functions in
// packages/shared build these shapes; the schemathesis run checks live responses against them.

const id = z.string().meta({ description: 'An opaque id.' });
const time = z.iso.datetime().meta({ description: 'ISO-8601 UTC.' });

export const userView = z
  .object({
    id,
    email: z.string(),
    full_name: z.string().nullable(),
    plan: z.enum(PLANS),
    credits: z.number().int(),
    is_admin: z.boolean(),
    created_at: time,
  })
  .meta({ id: 'User' });

export const tokenResponse = z.object({ token: z.string(), user: userView }).meta({ id: 'TokenResponse' });

export const projectView = z
  .object({
    id,
    name: z.string(),
    description: z.string().nullable(),
    created_at: time,
    updated_at: time,
    latest_generation_id: id.nullable(),
  })
  .meta({ id: 'Project' });

const generatedFile = z.object({ path: z.string(), content: z.string() }).meta({ id: 'GeneratedFile' });

const generationFields = {
  id,
  project_id: id,
  description: z.string(),
  framework: z.enum(FRAMEWORKS),
  type: z.enum(PROJECT_TYPES),
  cached: z.boolean(),
  entrypoint: z.string().nullable(),
  instructions: z.string().nullable(),
  model: z.string(),
  provider: z.string(),
  usage: z.object({ prompt_tokens: z.number().int(), completion_tokens: z.number().int() }),
  cost_usd: z.number(),
  duration_seconds: z.number(),
  created_at: time,
  version: z.number().int().min(1).meta({ description: '1 for a fresh generation, the parent’s + 1 for an edit.' }),
  parent_id: id.nullable(),
  instruction: z.string().nullable(),
  changes: z
    .object({ added: z.array(z.string()), modified: z.array(z.string()), deleted: z.array(z.string()) })
    .meta({ description: 'Paths changed against the parent (all `added` for version 1).' }),
};

export const generationView = z
  .object({ ...generationFields, files: z.array(generatedFile) })
  .meta({ id: 'Generation' });

export const generationSummary = z
  .object(generationFields)
  .meta({ id: 'GenerationSummary', description: 'A generation without its files (lists).' });

export const exportView = z
  .object({
    download_url: z.string().meta({ description: 'Presigned S3 GET URL.' }),
    expires_at: time,
    size_bytes: z.number().int(),
    file_count: z.number().int(),
    key: z.string(),
  })
  .meta({ id: 'Export' });

export const jobView = z
  .object({
    job_id: id,
    kind: z.enum(['generate', 'edit', 'export']),
    status: z.enum(JOB_STATUSES),
    progress: z.number().min(0).max(100),
    project_id: id,
    created_at: time,
    finished_at: time.nullable(),
    result: z
      .union([z.object({ generation: generationView }), exportView])
      .nullable()
      .meta({ description: '`{generation}` for a completed generation, the export object for an export.' }),
    error: z.object({ code: z.enum(JOB_ERROR_CODES), message: z.string() }).nullable(),
  })
  .meta({ id: 'Job', description: 'The job status object; also the data of every status event.' });

export const ledgerEntryView = z
  .object({
    id: z.string(),
    delta: z.number().int(),
    reason: z.enum(['signup', 'generation', 'generation_refund', 'purchase', 'admin_adjustment']),
    job_id: id.optional(),
    created_at: time,
  })
  .meta({ id: 'LedgerEntry' });

export const purchaseView = z
  .object({
    id,
    pack: z.enum(CREDIT_PACKS),
    credits: z.number().int(),
    amount_usd: z.number(),
    provider: z.string(),
    status: z.enum(['pending', 'completed', 'failed']),
    created_at: time,
  })
  .meta({ id: 'Purchase' });

export const webhookDeliveryView = z
  .object({
    id: z.string(),
    event_type: z.string(),
    url: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number().int(),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    next_attempt_at: time.nullable(),
    created_at: time,
  })
  .meta({ id: 'WebhookDelivery' });

/** A page of `item`: `{items, next_cursor}`. */
export const pageOf = (item: z.ZodType, name: string) =>
  z.object({ items: z.array(item), next_cursor: z.string().nullable() }).meta({ id: name });
