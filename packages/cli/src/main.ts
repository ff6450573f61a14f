import { createApiClient } from './api-client';
import { loadCliConfig } from './cli-config';
import { CliError, EXIT } from './cli-errors';
import type { Command, CommandContext } from './command';
import { creditsCommand } from './commands/credits.command';
import { editCommand } from './commands/edit.command';
import { generateCommand } from './commands/generate.command';
import { jobsCommand } from './commands/jobs.command';
import { loginCommand } from './commands/login.command';
import { credentialsStore } from './credentials-store';

/** Every command, by name; a new one is a `commands/*.command.ts` file and one entry here. */
const COMMANDS: readonly Command[] = [loginCommand, generateCommand, editCommand, jobsCommand, creditsCommand];

function usage(): string {
  const lines = COMMANDS.map((c) => `  vectort ${c.usage}\n      ${c.summary}`);
  return (
    `Usage:\n${lines.join('\n')}\n\n` +
    'Environment: VECTORT_API_URL (default http://127.0.0.1:8001); the token is kept in\n' +
    '$XDG_CONFIG_HOME/vectort/credentials.json (default ~/.config/vectort).\n' +
    'Exit codes: 0 ok, 1 failed job, 2 usage error, 3 auth, 4 rate limited or out of credits.\n'
  );
}

/** Runs `vectort <argv>` and returns the exit code; errors print one line, never a stack. */
export async function main(argv: string[]): Promise<number> {
  const config = loadCliConfig();
  const store = credentialsStore(config.configDir);
  const ctx: CommandContext = {
    config,
    store,
    stdin: process.stdin,
    out: process.stdout,
    client({ authenticated = true } = {}) {
      const saved = store.read();
      if (authenticated && !saved?.token) throw new CliError('not logged in', EXIT.auth);
      return createApiClient(config.apiUrl, authenticated ? saved?.token : undefined);
    },
  };
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(usage());
    return name ? EXIT.ok : EXIT.usage;
  }
  const command = COMMANDS.find((c) => c.name === name);
  try {
    if (!command) throw new CliError(`unknown command "${name}"\n\n${usage()}`, EXIT.usage);
    if (rest.includes('--help')) {
      process.stdout.write(`Usage: vectort ${command.usage}\n`);
      return EXIT.ok;
    }
    await command.run(rest, ctx);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CliError) {
      const hint = err.exitCode === EXIT.auth && name !== 'login' ? ' (run `vectort login`)' : '';
      process.stderr.write(`vectort: ${err.message}${hint}\n`);
      return err.exitCode;
    }
    // parseArgs' own errors (unknown option, missing value) are usage errors.
    if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`vectort: ${err.message}\nUsage: vectort ${command?.usage ?? ''}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`vectort: unexpected error: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.failed;
  }
}
