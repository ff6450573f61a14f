import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import request from 'supertest';
import { createUserDocumentLock, createUserPlanMirror } from '@vectort/shared';
import { createUsersService } from '../../apps/api/src/services/users.service';
import type { TestApp } from './test-app';
import type { TestUser } from './users';

const ROOT = resolve(__dirname, '../..');

/** Sets the stored admin flag directly, as `npm run admin -- grant` does, for in-process test apps. */
export async function grantAdmin(app: Pick<TestApp, 'db' | 'redis' | 'config'>, email: string): Promise<void> {
  const lock = createUserDocumentLock(app.redis, app.config.redisKeyPrefix);
  if (
    !(await createUsersService(app.db, lock, createUserPlanMirror(app.redis, app.config.redisKeyPrefix)).setAdmin(
      email,
      true,
    ))
  )
    throw new Error(`no user ${email}`);
}

/** Registers an account and makes it an admin through the stored flag. */
export async function registerAdmin(
  baseUrl: string,
  app: Pick<TestApp, 'db' | 'redis' | 'config'>,
  email: string,
): Promise<TestUser> {
  const password = 'admin-password';
  const res = await request(baseUrl).post('/api/auth/register').send({ email, password });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  await grantAdmin(app, email);
  return { token: res.body.token, id: res.body.user.id, email, password };
}

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command of the repository (e.g. `scripts/admin.mjs grant x@y`, or the built CLI) with
 * `env` alone plus PATH, as an operator's shell would.
 */
export function runNode(args: string[], env: Record<string, string>, timeoutMs = 120_000): Promise<CommandResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** The built admin CLI (what `npm run admin` runs once dependencies, services and build are in place). */
export const ADMIN_CLI = 'apps/api/dist/admin/admin-cli.js';
