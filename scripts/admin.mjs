#!/usr/bin/env node
// `npm run admin -- grant|revoke <email>`: sets the stored is_admin flag of an account.
// It uses what `npm start` uses: the same env precedence (process env > .env > local services
// > defaults), so the same MongoDB; a running `npm start` keeps running and sees the change on
// the next request. Services that are not running are started for the command and stopped after.
// Node built-ins only, like start.mjs.
import path from 'node:path';
import { startServices } from './services.mjs';
import { readDotenv } from './lib/dotenv.mjs';
import { REPO_ROOT, buildTs, ensureDeps, run } from './lib/proc.mjs';

const log = (msg) => process.stderr.write(`[admin] ${msg}\n`);
const args = process.argv.slice(2);
if (args.length !== 2 || !['grant', 'revoke'].includes(args[0])) {
  process.stderr.write('usage: npm run admin -- grant|revoke <email>\n');
  process.exit(64);
}

let services = null;
let code = 1;
try {
  await ensureDeps(log);
  const dotenv = readDotenv(path.join(REPO_ROOT, '.env'));
  const userEnv = { ...dotenv, ...process.env };
  // Quiet unless something is started: the output is the command's answer.
  services = await startServices({ env: userEnv, log: (m) => (/: started/.test(m) ? log(m) : undefined) });
  await buildTs();
  const env = { NODE_ENV: 'development', ...services.env, ...dotenv, ...process.env };
  code = await run(process.execPath, [path.join(REPO_ROOT, 'apps/api/dist/admin/admin-cli.js'), ...args], { env });
} catch (err) {
  log(`error: ${err.message}`);
} finally {
  await services?.stop();
}
process.exit(code);
