// `npm run bench [-- ARGS]`: every section in turn. ARGS go to the generation section (the one
// with --pairs/--seconds/--backlog/--only/--trace); the live and seeded-store sections run with
// their defaults here and take their own flags through `npm run bench:live` / `bench:store`.
// Exits non-zero when any section did (a missed count budget, a failed run).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = (name) => fileURLToPath(new URL(name, import.meta.url));
const sections = [
  ['generation.bench.mjs', process.argv.slice(2)],
  ['live.bench.mjs', []],
  ['seeded-store.bench.mjs', []],
];
let failed = 0;
for (const [file, args] of sections) {
  const run = spawnSync(process.execPath, [here(file), ...args], { stdio: 'inherit' });
  if (run.status !== 0) {
    failed += 1;
    process.stderr.write(`[bench] ${file} exited with ${run.status ?? run.signal}\n`);
  }
}
process.exit(failed === 0 ? 0 : 1);
