// One `loadPaced` run in a process of its own (lib.mjs, loadPacedApart). argv[2] is
// `{ pid, options }` as JSON; stdout gets the result, `pid` charged for it, as JSON. One second
// at the same rate goes first, unmeasured and uncharged: it warms the generator's code.
import { charged, cpuSeconds, loadPaced } from './lib.mjs';

const { pid, options } = JSON.parse(process.argv[2]);
await loadPaced({ ...options, seconds: 1 });
const before = cpuSeconds(pid);
const result = await loadPaced(options);
process.stdout.write(JSON.stringify(charged(result, cpuSeconds(pid) - before)));
