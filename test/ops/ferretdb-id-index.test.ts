import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

// tools/ferretdb keeps an index that FerretDB's own `_id` pushdown can use (id_index.go). Its Go
// test builds a database file shaped as FerretDB writes it and checks SQLite's plan for the query
// FerretDB sends: a scan before, a search of the new index after. (FerretDB's explain command
// cannot show it: a pooled connection explains with the schema it cached before the index.)
const TOOL = path.resolve(__dirname, '../../tools/ferretdb');
const GO = ['/usr/local/go/bin/go', '/usr/lib/go/bin/go', '/usr/bin/go'].find((p) => fs.existsSync(p));

test('the id index tool passes its Go tests', async () => {
  if (!GO) {
    console.log('Go is missing here (the FerretDB build needs it too): nothing to run');
    return;
  }
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(GO, ['test', '-count=1', './...'], {
      cwd: TOOL,
      env: { ...process.env, CGO_ENABLED: '0' },
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (c) => resolve({ code: c, output }));
  });
  expect({ code, output }).toMatchObject({ code: 0 });
}, 600_000);
