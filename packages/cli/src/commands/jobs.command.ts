import { parseArgs } from 'node:util';
import { ok } from '../api-client';
import { UsageError } from '../cli-errors';
import type { Command } from '../command';

export const jobsCommand: Command = {
  name: 'jobs',
  usage: 'jobs cancel <job_id>',
  summary: 'Cancel a queued or running job (its reserved credits are refunded)',
  async run(args, ctx) {
    const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
    const [action, jobId, ...extra] = positionals;
    if (action !== 'cancel' || !jobId || extra.length) throw new UsageError('usage: vectort jobs cancel <job_id>');
    const { data } = await ok(ctx.client().POST('/api/jobs/{id}/cancel', { params: { path: { id: jobId } } }));
    ctx.out.write(`Job ${data.job_id} (${data.kind}): ${data.status}\n`);
  },
};
