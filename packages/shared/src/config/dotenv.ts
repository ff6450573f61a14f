import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { config as readDotenv } from 'dotenv';

/**
 * Reads `.env` from the working directory into `process.env` when it exists; values already
 * in the environment win. Called by each `main.ts` before {@link loadConfig}.
 */
export function loadDotenv(path = resolve(process.cwd(), '.env')): void {
  if (existsSync(path)) readDotenv({ path, quiet: true, override: false });
}
