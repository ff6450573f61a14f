// Loaded with `node --import ./bench/heap-sampler.mjs` into a process under test: SIGUSR2 starts
// V8's sampling heap profiler, the next SIGUSR2 stops it and writes the profile to
// $HEAP_SAMPLE_OUT. Objects already collected are kept in the profile, so it counts every byte
// allocated between the two signals, not only what is still alive (hit-allocation.bench.mjs).
import fs from 'node:fs';
import { Session } from 'node:inspector';

const session = new Session();
session.connect();
let sampling = false;
process.on('SIGUSR2', () => {
  if (!sampling) {
    sampling = true;
    session.post('HeapProfiler.startSampling', {
      samplingInterval: 2048,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    return;
  }
  sampling = false;
  session.post('HeapProfiler.stopSampling', (err, result) => {
    if (err) throw err;
    fs.writeFileSync(process.env.HEAP_SAMPLE_OUT, JSON.stringify(result.profile));
  });
});
