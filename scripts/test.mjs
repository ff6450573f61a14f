#!/usr/bin/env node
// What `npm test` runs: install deps when needed, start the local services, build with tsc -b
// (the e2e tests spawn apps/*/dist/main.js), run jest, stop what we started.
// Extra arguments go to jest: `npm test -- auth` runs only the matching test files.
// Node built-ins only: this runs before `npm install`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServices } from './services.mjs';
import { aptBinary } from './lib/apt.mjs';
import { prometheusBinary, promtoolBinary } from './lib/prometheus.mjs';
import { schemathesisBinary } from './lib/schemathesis.mjs';
import { REPO_ROOT, buildTs, ensureDeps, killActive, run, signalNumber, since } from './lib/proc.mjs';

const log = (msg) => process.stderr.write(`[test] ${msg}\n`);

let services = null; // set once startServices() resolves; stopped in the finally below
let interrupted = null; // the signal that asked us to stop, if any

class Interrupted extends Error {}
const checkInterrupted = () => {
  if (interrupted) throw new Interrupted(interrupted);
};

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (interrupted) return; // a second Ctrl-C must not skip stopping the services
    interrupted = sig;
    log(`${sig}: stopping`);
    // Whatever runs in the foreground (npm ci, go build, tsc, jest) ends now; main() then
    // unwinds to the finally block, which stops the services.
    killActive('SIGTERM');
  });
}

/** Runs jest and returns its exit code; prints one closing count line from its JSON report. */
async function runJest(env) {
  const jest = path.join(REPO_ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
  // --json with --outputFile only writes a copy of the results to that file; the usual
  // reporters still print everything to the terminal.
  const report = path.join(os.tmpdir(), `vectort-jest-${process.pid}.json`);
  const args = [jest, '--json', `--outputFile=${report}`, ...process.argv.slice(2)];
  const code = await run(process.execPath, args, { env });
  try {
    const r = JSON.parse(fs.readFileSync(report, 'utf8'));
    const skipped = r.numPendingTests + r.numTodoTests;
    // The plain "N passed, N failed" closing line lets CI see how many tests really ran.
    console.log(`jest: ${r.numPassedTests} passed, ${r.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`);
    if (r.numRuntimeErrorTestSuites) log(`${r.numRuntimeErrorTestSuites} test file(s) failed to run`);
  } catch {
    // jest died before writing its report; its exit code tells the story.
  } finally {
    fs.rmSync(report, { force: true });
  }
  return code;
}

async function main() {
  let t = performance.now();
  if (await ensureDeps(log)) log(`dependencies installed in ${since(t)}`);
  checkInterrupted();

  t = performance.now();
  services = await startServices();
  log(`services ready in ${since(t)} (started: ${services.started.join(', ') || 'none'})`);
  checkInterrupted();

  // Debian's prometheus package (server + promtool) for test/ops and test/e2e/prometheus-scrape;
  // installed with apt-get when missing. Without it those tests fail and say why; the rest run.
  t = performance.now();
  const toolEnv = {};
  try {
    toolEnv.PROMETHEUS_BIN = await prometheusBinary(log);
    toolEnv.PROMTOOL_BIN = await promtoolBinary(log);
    log(`prometheus: ${toolEnv.PROMETHEUS_BIN}, promtool: ${toolEnv.PROMTOOL_BIN} (${since(t)})`);
  } catch (err) {
    log(`prometheus: ${err.message}; the Prometheus tests will fail`);
  }
  // Debian's Chromium for the browser tests, Bull Board and /docs (apt-get when missing; the test says so
  // and skips without it).
  try {
    log(`chromium: ${await aptBinary('chromium', 'chromium', log)}`);
  } catch (err) {
    log(`chromium: ${err.message}; the browser tests will skip`);
  }
  // schemathesis (PyPI) in the project's venv (.data/venv) for test/e2e/schemathesis; without it
  // that test fails and says why.
  t = performance.now();
  try {
    toolEnv.SCHEMATHESIS_BIN = await schemathesisBinary(log);
    log(`schemathesis: ${toolEnv.SCHEMATHESIS_BIN} (${since(t)})`);
  } catch (err) {
    log(`schemathesis: ${err.message}; the schemathesis test will fail`);
  }
  // Debian's tmux for the CLI's real-terminal test (test/e2e/cli-terminal), the same way.
  try {
    log(`tmux: ${await aptBinary('tmux', 'tmux', log)}`);
  } catch (err) {
    log(`tmux: ${err.message}; the terminal test will skip`);
  }
  checkInterrupted();

  t = performance.now();
  await buildTs();
  log(`build (tsc -b) done in ${since(t)}`);
  checkInterrupted();

  t = performance.now();
  // PAYMENT_PROVIDER=test: purchases grant at once, and only because it is named (API.md, Credits).
  const env = { PAYMENT_PROVIDER: 'test', ...process.env, ...services.env, ...toolEnv, NODE_ENV: 'test' };
  const code = await runJest(env);
  checkInterrupted();
  log(`jest exited with ${code} after ${since(t)}`);
  return code;
}

const t0 = performance.now();
let exitCode = 1;
try {
  exitCode = await main();
} catch (err) {
  if (err instanceof Interrupted || interrupted) exitCode = 128 + signalNumber(interrupted);
  else log(`error: ${err.message}`);
} finally {
  if (services) {
    const t = performance.now();
    await services.stop();
    if (services.started.length) log(`services stopped in ${since(t)}`);
  }
}
log(`total ${since(t0)}, exit code ${exitCode}`);
process.exit(exitCode);
