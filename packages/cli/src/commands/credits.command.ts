import { parseArgs } from 'node:util';
import { ok } from '../api-client';
import type { Command } from '../command';

export const creditsCommand: Command = {
  name: 'credits',
  usage: 'credits [--limit N]',
  summary: 'Show your credit balance and the latest ledger entries',
  async run(args, ctx) {
    const { values } = parseArgs({ args, options: { limit: { type: 'string', default: '10' } } });
    const client = ctx.client();
    const { data } = await ok(client.GET('/api/credits', { params: { query: { limit: Number(values.limit) } } }));
    ctx.out.write(`Balance: ${data.balance} credits\n`);
    for (const entry of data.ledger) {
      const delta = entry.delta > 0 ? `+${entry.delta}` : String(entry.delta);
      ctx.out.write(
        `  ${entry.created_at}  ${delta.padStart(6)}  ${entry.reason}${entry.job_id ? `  job ${entry.job_id}` : ''}\n`,
      );
    }
  },
};
