import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ok } from '../api-client';
import { CliError, EXIT, UsageError } from '../cli-errors';
import type { Command } from '../command';
import type { components } from '../generated/api-types';
import { followJob } from '../job-follow';
import { createProgressDisplay } from '../progress-display';
import { downloadZip } from '../zip-download';

type Body = NonNullable<components['schemas']['Job']['result']>;
type Generation = components['schemas']['Generation'];

export const generateCommand: Command = {
  name: 'generate',
  usage: 'generate "<description>" [--framework F] [--type T] [--out app.zip] [--project ID] [--force]',
  summary: 'Generate an app, show it being written, then download its ZIP',
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        framework: { type: 'string' },
        type: { type: 'string' },
        out: { type: 'string', default: 'app.zip' },
        project: { type: 'string' },
        force: { type: 'boolean', default: false },
      },
    });
    const description = positionals.join(' ').trim();
    if (!description) throw new UsageError('give a description: vectort generate "a todo app with tags"');
    const client = ctx.client();
    const out = ctx.out;

    const projectId =
      values.project ?? (await ok(client.POST('/api/projects', { body: { name: description.slice(0, 200) } }))).data.id;
    const submitted = await ok(
      client.POST('/api/projects/{id}/generate', {
        params: { path: { id: projectId } },
        body: {
          description,
          framework: values.framework as Generation['framework'] | undefined,
          type: values.type as Generation['type'] | undefined,
          force_regenerate: values.force,
        },
      }),
    ).catch(async (err: unknown) => {
      // A refused submit (bad --framework, limits, credits) leaves no empty project behind.
      if (!values.project)
        await client.DELETE('/api/projects/{id}', { params: { path: { id: projectId } } }).catch(() => undefined);
      throw err;
    });

    let generation: Generation;
    if ('generation' in submitted.data) {
      generation = submitted.data.generation;
      out.write(`Cache hit: generation ${generation.id} (no credits used)\n`);
    } else {
      out.write(`Queued job ${submitted.data.job_id}\n`);
      const display = createProgressDisplay(out);
      const job = await followJob(client, submitted.data.job_id, display).finally(() => display.end());
      if (job.status !== 'completed') {
        const reason = job.error ? `${job.error.message} [${job.error.code}]` : job.status;
        throw new CliError(`generation ${job.status}: ${reason}`, EXIT.failed);
      }
      generation = (job.result as Extract<Body, { generation: unknown }>).generation;
    }
    out.write(`${generation.files.length} files (${generation.provider} ${generation.model}):\n`);
    for (const file of generation.files) out.write(`  ${file.path}\n`);

    const outPath = resolve(values.out);
    const exported = await downloadZip(client, projectId, generation.id, outPath);
    out.write(`Saved ${outPath} (${exported.size_bytes} bytes, ${exported.file_count} files)\n`);
    if (generation.instructions) out.write(`Run it: ${generation.instructions}\n`);
  },
};
