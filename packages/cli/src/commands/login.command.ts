import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { ok } from '../api-client';
import { UsageError } from '../cli-errors';
import type { Command, CommandContext } from '../command';

async function readAll(stream: NodeJS.ReadStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text;
}

/** Asks on the terminal; `hidden` does not echo what is typed (a password). */
function prompt(ctx: CommandContext, question: string, hidden = false): Promise<string> {
  const rl = createInterface({ input: ctx.stdin, output: ctx.out, terminal: true });
  if (hidden) {
    const internal = rl as unknown as { _writeToOutput: (s: string) => void };
    internal._writeToOutput = (s) => {
      if (s.includes(question)) ctx.out.write(s);
      else if (s.includes('\n') || s.includes('\r')) ctx.out.write('\n');
    };
  }
  return new Promise((resolve) =>
    rl.question(question, (answer) => {
      rl.close();
      resolve(answer);
    }),
  );
}

export const loginCommand: Command = {
  name: 'login',
  usage: 'login [--email EMAIL] [--password-stdin] [--register]',
  summary: 'Log in (or create an account with --register) and keep the token',
  async run(args, ctx) {
    const { values } = parseArgs({
      args,
      options: {
        email: { type: 'string' },
        'password-stdin': { type: 'boolean' },
        register: { type: 'boolean' },
      },
    });
    const interactive = Boolean(ctx.stdin.isTTY);
    const email = values.email ?? (interactive ? (await prompt(ctx, 'Email: ')).trim() : undefined);
    if (!email) throw new UsageError('give --email (or run on a terminal to be asked)');
    let password: string;
    if (values['password-stdin']) password = (await readAll(ctx.stdin)).replace(/\r?\n$/, '');
    else if (interactive) password = await prompt(ctx, 'Password: ', true);
    else throw new UsageError('give the password on standard input with --password-stdin');

    const client = ctx.client({ authenticated: false });
    const body = { email, password };
    const { data } = values.register
      ? await ok(client.POST('/api/auth/register', { body }))
      : await ok(client.POST('/api/auth/login', { body }));
    ctx.store.write({ api_url: ctx.config.apiUrl, email: data.user.email, token: data.token });
    ctx.out.write(
      `${values.register ? 'Registered and logged in' : 'Logged in'} as ${data.user.email} ` +
        `(${data.user.plan} plan, ${data.user.credits} credits); token saved to ${ctx.store.file}\n`,
    );
  },
};
