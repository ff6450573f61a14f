// schemathesis (PyPI) in a virtual environment of the project, .data/venv: created with
// `python3 -m venv` and filled with pip the first time, reused after that. Nothing is installed
// globally. Used by scripts/test.mjs for test/e2e/schemathesis.test.ts. Node built-ins only.
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, runOk, which } from './proc.mjs';

/** Pinned: a new schemathesis may add checks or change its output; bump it on purpose. */
export const SCHEMATHESIS_VERSION = '4.32.5';
const VENV = path.join(REPO_ROOT, '.data', 'venv');

/** Path of the `schemathesis` command in .data/venv (installed there when missing). */
export async function schemathesisBinary(log) {
  const bin = path.join(VENV, 'bin', 'schemathesis');
  const marker = path.join(VENV, `.schemathesis-${SCHEMATHESIS_VERSION}`);
  if (fs.existsSync(bin) && fs.existsSync(marker)) return bin;
  const python = which('python3');
  if (!python) throw new Error('python3 is missing: it is needed for schemathesis');
  const stdio = ['ignore', 2, 2]; // keep our stdout clean
  log(`schemathesis ${SCHEMATHESIS_VERSION} missing: installing it into .data/venv with pip`);
  if (!fs.existsSync(path.join(VENV, 'bin', 'pip'))) await runOk(python, ['-m', 'venv', VENV], { stdio });
  // PIP_* from the environment could point pip elsewhere (a user config, --user): the venv's pip only.
  const env = { ...process.env, PIP_USER: '0', PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1' };
  await runOk(path.join(VENV, 'bin', 'pip'), ['install', '--quiet', `schemathesis==${SCHEMATHESIS_VERSION}`], {
    env,
    stdio,
  });
  fs.writeFileSync(marker, `${new Date().toISOString()}\n`);
  return bin;
}
