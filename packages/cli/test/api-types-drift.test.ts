import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const ROOT = resolve(__dirname, '../../..');
const SCRIPT = join(ROOT, 'scripts/openapi-types.mjs');
const GENERATED = join(ROOT, 'packages/cli/src/generated/api-types.ts');
const run = promisify(execFile);

/** Runs the generator in check mode; resolves to its exit code (it needs apps/api built). */
async function check(file: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await run(process.execPath, [SCRIPT, '--check', '--out', file], { cwd: ROOT });
    return { code: 0, output: stdout };
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, output: e.stderr };
  }
}

describe('the CLI types generated from the OpenAPI document', () => {
  it('match the document the API builds (run `npm run openapi:types` after changing a route)', async () => {
    const result = await check(GENERATED);
    expect(result).toEqual({ code: 0, output: expect.stringContaining('matches the OpenAPI document') });
  }, 60_000);

  it('fail the check once they drift from it', async () => {
    const drifted = join(mkdtempSync(join(tmpdir(), 'vectort-types-')), 'api-types.ts');
    copyFileSync(GENERATED, drifted);
    writeFileSync(drifted, readFileSync(drifted, 'utf8').replace("'/api/credits': {", "'/api/credit': {"));
    const result = await check(drifted);
    expect(result.code).toBe(1);
    expect(result.output).toContain('differs from the OpenAPI document');
  }, 60_000);
});
