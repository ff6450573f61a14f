#!/usr/bin/env node
// Applies the S3 lifecycle policy (ops/s3/lifecycle.json) to the export bucket, then reads it back.
//   npm run s3:lifecycle [-- --bucket NAME] [--file PATH] [--dry-run]
// Connection settings come from the environment (and .env), as for the app: S3_ENDPOINT,
// S3_REGION, S3_BUCKET, S3_FORCE_PATH_STYLE, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (or the
// SDK's usual credential chain when the keys are unset).
// Exit codes: 0 applied and verified; 1 failed; 2 the server does not implement lifecycle
// configuration (s3rver answers 501), so nothing was applied; 64 bad arguments or policy file.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  GetBucketLifecycleConfigurationCommand,
  PutBucketLifecycleConfigurationCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { readDotenv } from './lib/dotenv.mjs';
import { REPO_ROOT } from './lib/proc.mjs';

const log = (msg) => process.stderr.write(`[s3:lifecycle] ${msg}\n`);
const fail = (code, msg) => {
  log(msg);
  process.exit(code);
};

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      bucket: { type: 'string' },
      file: { type: 'string', default: path.join(REPO_ROOT, 'ops/s3/lifecycle.json') },
      'dry-run': { type: 'boolean', default: false },
    },
  }));
} catch (err) {
  fail(64, `${err.message}\nusage: npm run s3:lifecycle -- [--bucket NAME] [--file PATH] [--dry-run]`);
}

const env = { ...readDotenv(path.join(REPO_ROOT, '.env')), ...process.env };
const bucket = args.bucket || env.S3_BUCKET || 'vectort';
let policy;
try {
  policy = JSON.parse(fs.readFileSync(args.file, 'utf8'));
} catch (err) {
  fail(64, `cannot read the policy ${args.file}: ${err.message}`);
}
if (!Array.isArray(policy.Rules) || policy.Rules.length === 0) fail(64, `${args.file} has no "Rules"`);

const where = env.S3_ENDPOINT
  ? `${env.S3_ENDPOINT} (bucket ${bucket})`
  : `AWS S3 ${env.S3_REGION || 'us-east-1'} (bucket ${bucket})`;
const summary = policy.Rules.map((r) => `  - ${r.ID}: ${r.Status}, prefix "${r.Filter?.Prefix ?? ''}"`).join('\n');
if (args['dry-run']) {
  log(`dry run: would apply ${policy.Rules.length} rule(s) to ${where}:\n${summary}`);
  process.exit(0);
}

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const s3 = new S3Client({
  region: env.S3_REGION || 'us-east-1',
  endpoint: env.S3_ENDPOINT || undefined,
  forcePathStyle: ['true', '1', 'yes'].includes(String(env.S3_FORCE_PATH_STYLE).toLowerCase()),
  credentials:
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY }
      : undefined,
  maxAttempts: 3,
});

try {
  await s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: policy }));
  const applied = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
  const ids = new Set((applied.Rules ?? []).map((r) => r.ID));
  const missing = policy.Rules.filter((r) => !ids.has(r.ID)).map((r) => r.ID);
  if (missing.length) fail(1, `applied, but reading it back lacks rule(s) ${missing.join(', ')}`);
  log(`applied ${policy.Rules.length} rule(s) to ${where}:\n${summary}`);
} catch (err) {
  const status = err?.$metadata?.httpStatusCode;
  if (status === 501 || err?.name === 'NotImplemented') {
    fail(
      2,
      `${where} does not implement lifecycle configuration (HTTP 501 ${err.name}); nothing was applied. ` +
        's3rver (the local test server) never does: apply the policy to real S3 or MinIO.',
    );
  }
  fail(
    1,
    `could not apply the lifecycle policy to ${where}: ${err?.name ?? 'Error'}${status ? ` (HTTP ${status})` : ''}: ${err?.message ?? err}`,
  );
} finally {
  s3.destroy();
}
