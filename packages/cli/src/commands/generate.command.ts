import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ok } from '../api-client';
import { UsageError } from '../cli-errors';
import type { Command } from '../command';
import { saveGeneration, settleGeneration, type Generation } from '../generation-result';

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

    const generation = await settleGeneration(client, submitted.data, out, 'generation');
    await saveGeneration(client, generation, resolve(values.out), out);
  },
};
