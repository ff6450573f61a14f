import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Credentials {
  api_url: string;
  email: string;
  token: string;
}

/** The token file, readable by its owner only (0600, in a 0700 directory). */
export function credentialsStore(configDir: string) {
  const file = join(configDir, 'credentials.json');
  return {
    file,
    read(): Credentials | null {
      try {
        return JSON.parse(readFileSync(file, 'utf8')) as Credentials;
      } catch {
        return null;
      }
    },
    write(credentials: Credentials): void {
      mkdirSync(configDir, { recursive: true, mode: 0o700 });
      // Remove first: a file that exists keeps its mode on writeFileSync.
      rmSync(file, { force: true });
      writeFileSync(file, JSON.stringify(credentials, null, 2) + '\n', { mode: 0o600 });
      chmodSync(file, 0o600);
    },
  };
}
