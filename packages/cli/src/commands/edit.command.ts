import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ok } from '../api-client';
import { UsageError } from '../cli-errors';
import type { Command } from '../command';
import { saveGeneration, settleGeneration } from '../generation-result';

export const editCommand: Command = {
  name: 'edit',
  usage: 'edit <generation_id> "<instruction>" [--out app.zip]',
  summary: 'Change a generation with an instruction: a new version, shown being written, then its ZIP',
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { out: { type: 'string', default: 'app.zip' } },
    });
    const [generationId, ...words] = positionals;
    const instruction = words.join(' ').trim();
    if (!generationId || !instruction)
      throw new UsageError('give a generation id and an instruction: vectort edit <generation_id> "add a dark mode"');
    const client = ctx.client();
    const submitted = await ok(
      client.POST('/api/generations/{id}/edits', { params: { path: { id: generationId } }, body: { instruction } }),
    );
    const generation = await settleGeneration(client, submitted.data, ctx.out, 'edit');
    const { added, modified, deleted } = generation.changes;
    ctx.out.write(
      `Edited ${generation.parent_id} into version ${generation.version}: ` +
        `${added.length} added, ${modified.length} modified, ${deleted.length} deleted\n`,
    );
    await saveGeneration(client, generation, resolve(values.out), ctx.out);
  },
};
