// What each local service is: how to start it, how to tell it is ready, where it logs.
// Used by scripts/services.mjs. Node built-ins only.
import path from 'node:path';
import { ferretdbBinary, redisServerBinary, s3rverScript } from './binaries.mjs';
import { REPO_ROOT } from './proc.mjs';
import { httpReady, httpStatus, mongoReady, redisCommand, redisReady } from './probe.mjs';

export const HOST = '127.0.0.1';
const flags = (opts) => Object.entries(opts).flatMap(([k, v]) => [`--${k}`, String(v)]);

export function config(env = process.env) {
  const dataDir = path.resolve(REPO_ROOT, env.VECTORT_DATA_DIR || '.data');
  const port = (name, dflt) => {
    const p = Number(env[name] || dflt);
    if (!Number.isInteger(p) || p <= 0 || p > 65535) throw new Error(`${name}=${env[name]} is not a port`);
    return p;
  };
  return {
    dataDir,
    runDir: path.join(dataDir, 'run'),
    bucket: env.S3_BUCKET || 'vectort',
    redisPort: port('VECTORT_REDIS_PORT', 6379),
    mongoPort: port('VECTORT_MONGO_PORT', 27017),
    s3Port: port('VECTORT_S3_PORT', 4568),
  };
}

// One entry per service. `match` is looked for in /proc/<pid>/cmdline before we signal a pid
// from a pid file, so a recycled pid never gets killed. `prepare` installs/builds what is missing.
export function definitions(cfg, log) {
  const dir = (name) => path.join(cfg.dataDir, name);
  return [
    {
      name: 'redis',
      urlVar: 'REDIS_URL',
      portVar: 'VECTORT_REDIS_PORT',
      port: cfg.redisPort,
      match: 'redis-server',
      timeoutMs: 15_000,
      ready: redisReady,
      log: path.join(dir('redis'), 'redis.log'),
      async prepare() {
        const bin = await redisServerBinary(log);
        // `--save ''`: no RDB snapshots; the append-only file (fsync every second) is enough.
        const args = flags({
          port: cfg.redisPort,
          bind: HOST,
          dir: dir('redis'),
          appendonly: 'yes',
          appendfsync: 'everysec',
          'maxmemory-policy': 'noeviction',
          save: '',
          daemonize: 'no',
          'protected-mode': 'no',
          logfile: this.log,
        });
        return { cmd: bin, args };
      },
      async after(how) {
        // BullMQ loses jobs under eviction; a Redis we did not start may be configured otherwise.
        const reply = how === 'reused' ? await redisCommand(cfg.redisPort, 'CONFIG GET maxmemory-policy', 5) : '';
        if (reply && !reply.includes('noeviction'))
          log(`warning: Redis on port ${cfg.redisPort} does not use maxmemory-policy noeviction (BullMQ needs it)`);
      },
    },
    {
      name: 'ferretdb',
      urlVar: 'MONGO_URL',
      portVar: 'VECTORT_MONGO_PORT',
      port: cfg.mongoPort,
      match: 'ferretdb',
      timeoutMs: 30_000,
      ready: mongoReady,
      log: path.join(dir('ferretdb'), 'ferretdb.log'),
      async prepare() {
        const bin = await ferretdbBinary(log);
        return { cmd: bin, args: flags({ 'listen-addr': `${HOST}:${cfg.mongoPort}`, 'data-dir': dir('ferretdb') }) };
      },
    },
    {
      name: 's3rver',
      urlVar: 'S3_ENDPOINT',
      portVar: 'VECTORT_S3_PORT',
      port: cfg.s3Port,
      match: 's3rver',
      timeoutMs: 30_000,
      ready: httpReady,
      log: path.join(dir('s3'), 's3rver.log'),
      async prepare() {
        const bin = s3rverScript();
        // --directory also holds the log file; s3rver ignores files that are not bucket dirs.
        const opts = { address: HOST, port: cfg.s3Port, directory: dir('s3'), 'configure-bucket': cfg.bucket };
        // s3rver signs ListObjectsV2 continuation tokens with DES, which OpenSSL 3 keeps in its
        // legacy provider: without it every truncated listing answers 500.
        return { cmd: process.execPath, args: ['--openssl-legacy-provider', bin, ...flags(opts), '--silent'] };
      },
      async after() {
        // --configure-bucket only acts at s3rver's start; a reused one may lack the bucket.
        // s3rver lets requests without credentials through, so a plain PUT creates it.
        const status = await httpStatus('PUT', cfg.s3Port, `/${encodeURIComponent(cfg.bucket)}`);
        if (status !== 200 && status !== 409)
          throw new Error(`creating bucket ${cfg.bucket} on s3rver answered ${status}`);
      },
    },
  ];
}
