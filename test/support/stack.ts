import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { MongoClient } from 'mongodb';
import { Redis } from 'ioredis';
import { freePort } from './free-port';
import { mongoUrlWithDb, serviceEnv, uniqueName } from './services';

export { freePort };

const ROOT = resolve(__dirname, '../..');

/** A running `node apps/<app>/dist/main.js` with its JSON log lines collected. */
export class AppProcess {
  readonly lines: string[] = [];
  readonly stderr: string[] = [];
  private child: ChildProcess;
  readonly exited: Promise<number | null>;

  constructor(
    readonly app: 'api' | 'worker',
    readonly env: Record<string, string>,
  ) {
    this.child = spawn(process.execPath, [resolve(ROOT, `apps/${app}/dist/main.js`)], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buffer = '';
    this.child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      this.lines.push(...parts.filter(Boolean));
    });
    this.child.stderr!.on('data', (chunk: Buffer) => this.stderr.push(chunk.toString()));
    this.exited = new Promise((r) => this.child.once('exit', (code) => r(code)));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Parsed log entries (every stdout line must be JSON). */
  entries(): Record<string, unknown>[] {
    return this.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null) this.child.kill(signal);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}

async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  proc?: AppProcess,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `${what} not ready after ${timeoutMs} ms\n${proc?.stderr.join('') ?? ''}\n${proc?.lines.slice(-20).join('\n') ?? ''}`,
  );
}

export interface Stack {
  apiUrl: string;
  api: AppProcess;
  workers: AppProcess[];
  env: Record<string, string>;
  mongo: MongoClient;
  redis: Redis;
  /** Starts one more worker process with the stack's environment. */
  startWorker(extraEnv?: Record<string, string>): Promise<AppProcess>;
  stop(): Promise<void>;
}

/**
 * The real API and worker processes (built `dist/`), on free ports, against the local services,
 * with a database and Redis prefix of their own. Talk to them over HTTP only.
 */
export async function startStack(label: string, env: Record<string, string> = {}, workerCount = 1): Promise<Stack> {
  const name = uniqueName(label);
  const base = serviceEnv();
  const apiPort = await freePort();
  const stackEnv: Record<string, string> = {
    ...base,
    NODE_ENV: 'test',
    MONGO_URL: mongoUrlWithDb(base.MONGO_URL!, name),
    REDIS_KEY_PREFIX: name,
    JWT_SECRET: 'e2e-secret-e2e-secret-e2e-secret-012345',
    RATE_LIMIT_REGISTER_PER_HOUR: '10000',
    LOG_LEVEL: 'info',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    PORT: String(apiPort),
    // Offline generations at full speed; live output is tested with the fake model's slow streams.
    OFFLINE_STREAM_CHUNK_MS: '0',
    ...env,
  };
  const api = new AppProcess('api', stackEnv);
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const workers: AppProcess[] = [];
  const startWorker = async (extraEnv: Record<string, string> = {}) => {
    const metricsPort = await freePort();
    const worker = new AppProcess('worker', { ...stackEnv, WORKER_METRICS_PORT: String(metricsPort), ...extraEnv });
    workers.push(worker);
    await waitUntil('worker', async () => (await fetch(`http://127.0.0.1:${metricsPort}/healthz`)).ok, 20_000, worker);
    return worker;
  };
  await waitUntil('api', async () => (await fetch(`${apiUrl}/readyz`)).ok, 20_000, api);
  for (let i = 0; i < workerCount; i++) await startWorker();

  const mongo = await MongoClient.connect(stackEnv.MONGO_URL!);
  const redis = new Redis(stackEnv.REDIS_URL!);
  return {
    apiUrl,
    api,
    workers,
    env: stackEnv,
    mongo,
    redis,
    startWorker,
    async stop() {
      await Promise.all([api.stop(), ...workers.map((w) => w.stop())]);
      await mongo
        .db()
        .dropDatabase()
        .catch(() => undefined);
      const keys = [...(await redis.keys(`${name}:*`)), ...(await redis.keys(`{${name}}:*`))];
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
      await mongo.close();
    },
  };
}
