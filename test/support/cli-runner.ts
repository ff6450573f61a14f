import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const CLI_BIN = resolve(__dirname, '../../packages/cli/bin/vectort.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A fresh `XDG_CONFIG_HOME` (and working directory) for one CLI user. */
export function cliHome(label: string): string {
  return mkdtempSync(join(tmpdir(), `vectort-cli-${label}-`));
}

/** Runs the built `vectort` bin with `args`, `stdin` piped in, against `apiUrl`. */
export function runCli(
  args: string[],
  options: { apiUrl: string; home: string; stdin?: string; timeoutMs?: number },
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], {
      cwd: options.home,
      env: { PATH: process.env.PATH ?? '', VECTORT_API_URL: options.apiUrl, XDG_CONFIG_HOME: options.home },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
    child.stdin.end(options.stdin ?? '');
  });
}
