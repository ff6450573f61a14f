import { homedir } from 'node:os';
import { join } from 'node:path';

/** What the CLI reads from its environment; the only place it does. */
export interface CliConfig {
  /** `VECTORT_API_URL` @defaultValue `http://127.0.0.1:8001` */
  apiUrl: string;
  /** `$XDG_CONFIG_HOME/vectort` (or `~/.config/vectort`): where the token is kept. */
  configDir: string;
}

export function loadCliConfig(env: NodeJS.ProcessEnv = process.env): CliConfig {
  const base = env.XDG_CONFIG_HOME?.startsWith('/') ? env.XDG_CONFIG_HOME : join(env.HOME || homedir(), '.config');
  return {
    apiUrl: (env.VECTORT_API_URL || 'http://127.0.0.1:8001').replace(/\/+$/, ''),
    configDir: join(base, 'vectort'),
  };
}
