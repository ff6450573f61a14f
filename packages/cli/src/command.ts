import type { ApiClient } from './api-client';
import type { CliConfig } from './cli-config';
import type { credentialsStore } from './credentials-store';

/** What every command gets: configuration, the token store, a client factory and the terminal. */
export interface CommandContext {
  config: CliConfig;
  store: ReturnType<typeof credentialsStore>;
  /** A client with the stored token (`authenticated`: fails with exit 3 when there is none). */
  client(options?: { authenticated?: boolean }): ApiClient;
  stdin: NodeJS.ReadStream;
  out: NodeJS.WriteStream;
}

/** One `vectort <name>` command; each lives in its own `commands/*.command.ts`. */
export interface Command {
  name: string;
  /** One usage line (after `vectort `) and a short description. */
  usage: string;
  summary: string;
  run(args: string[], ctx: CommandContext): Promise<void>;
}
