import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { FRAMEWORKS, PROJECT_TYPES, type Framework, type ProjectType } from '@vectort/shared';
import type { LlmResult } from '../../src/llm/llm-provider';
import { createOfflineProvider, OFFLINE_MODEL } from '../../src/llm/offline-provider';
import { htmlText } from '../../src/llm/offline-templates/template-escaping';
import { normalizeGeneratedPath } from '../../src/llm/path-safety';
import { freePort } from '../../../../test/support/free-port';

const run = promisify(execFile);
const provider = createOfflineProvider();
const REPO_NODE_MODULES = resolve(__dirname, '../../../../node_modules');

const PLAIN = 'A todo app with tags and due dates';
const HOSTILE = [
  `Evil </script><script>alert(1)</script> "double" 'single' \`back\${x}tick\` {{ constructor.constructor('x')() }}`,
  `"""triple""" ''' \\ backslash \\u0041 {curly} <!-- --> ]]> \u2028 😀 é`,
].join('\n');

const combos = FRAMEWORKS.flatMap((framework) =>
  PROJECT_TYPES.map((type) => [framework, type] as [Framework, ProjectType]),
);
const tmpRoot = mkdtempSync(join(tmpdir(), 'vectort-offline-'));
afterAll(() => rmSync(tmpRoot, { recursive: true, force: true }));

function writeProject(result: LlmResult, name: string): string {
  const dir = join(tmpRoot, name);
  for (const file of result.files) {
    mkdirSync(dirname(join(dir, file.path)), { recursive: true });
    writeFileSync(join(dir, file.path), file.content);
  }
  return dir;
}

/** The value of `DESCRIPTION = <JS literal>;` (or `description`), evaluated: it must round-trip. */
function jsConstant(source: string, name: 'DESCRIPTION' | 'description'): unknown {
  const match = new RegExp(`const ${name} = (.*);$`, 'm').exec(source);
  if (!match) return undefined;
  return new Function(`return ${match[1]};`)();
}

function jsxSyntaxErrors(path: string, source: string): string[] {
  const out = ts.transpileModule(source, {
    fileName: path,
    reportDiagnostics: true,
    compilerOptions: {
      jsx: ts.JsxEmit.Preserve,
      allowJs: true,
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
    },
  });
  return (out.diagnostics ?? []).map((d) => `${path}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

describe.each(combos)('offline %s %s', (framework, type) => {
  it('writes a non-empty, safe, deterministic project about the description', async () => {
    const req = { description: PLAIN, framework, type };
    const first = await provider.generate(req);
    const second = await provider.generate(req);
    expect(JSON.stringify(second)).toBe(JSON.stringify(first));

    expect(first).toMatchObject({
      provider: 'offline',
      model: OFFLINE_MODEL,
      cost_usd: 0,
      usage: { prompt_tokens: 0, completion_tokens: 0 },
    });
    expect(first.files.length).toBeGreaterThan(1);
    for (const file of first.files) {
      expect(normalizeGeneratedPath(file.path)).toBe(file.path);
      expect(file.content.length).toBeGreaterThan(0);
    }
    expect(first.files.map((f) => f.path)).toContain(first.entrypoint);
    expect(first.instructions).toEqual(expect.any(String));
    expect(first.files.find((f) => f.path === 'README.md')?.content).toContain(PLAIN);
    expect(first.files.filter((f) => f.path !== 'README.md').some((f) => f.content.includes(PLAIN))).toBe(true);
  });

  it('keeps a hostile description inert in every language it lands in', async () => {
    const result = await provider.generate({ description: HOSTILE, framework, type });
    const dir = writeProject(result, `${framework}-${type}`);
    const jsChecks: string[] = [];
    const errors: string[] = [];
    for (const { path, content } of result.files) {
      if (path.endsWith('.json')) expect(JSON.parse(content).description ?? HOSTILE).toBe(HOSTILE);
      if (/\.(js|mjs|cjs)$/.test(path)) jsChecks.push(join(dir, path));
      if (path.endsWith('.jsx')) errors.push(...jsxSyntaxErrors(path, content));
      if (/\.(jsx?|vue|svelte)$/.test(path)) {
        const value = jsConstant(content, 'DESCRIPTION') ?? jsConstant(content, 'description');
        if (value !== undefined) expect(value).toBe(HOSTILE);
      }
      if (/\.(html|vue|svelte)$/.test(path)) {
        expect(content).not.toContain('<script>alert(1)');
        expect(content.match(/<\/script>/g)?.length ?? 0).toBeLessThanOrEqual(1);
      }
      if (path.endsWith('.html') && !content.includes('<div id=')) {
        expect(content).toContain(htmlText(HOSTILE.split('\n')[0]!));
      }
      if (/\.(vue|svelte)$/.test(path)) {
        const script = /<script[^>]*>([\s\S]*?)<\/script>/.exec(content)?.[1] ?? '';
        const scriptPath = join(dir, `${path}.script.mjs`);
        writeFileSync(scriptPath, script);
        jsChecks.push(scriptPath);
      }
    }
    expect(result.files.find((f) => f.path === 'README.md')?.content).toContain(HOSTILE);
    await Promise.all(
      jsChecks.map((file) =>
        run(process.execPath, ['--check', file]).catch((err: { stderr?: string }) =>
          errors.push(`${file}: ${err.stderr}`),
        ),
      ),
    );
    if (framework === 'fastapi') errors.push(...(await pythonErrors(join(dir, 'main.py'))));
    expect(errors).toEqual([]);
  });
});

/** Compiles main.py and reads its DESCRIPTION back through Python's own parser. */
async function pythonErrors(mainPy: string): Promise<string[]> {
  const script = [
    'import ast, json, py_compile, sys',
    'py_compile.compile(sys.argv[1], doraise=True)',
    'tree = ast.parse(open(sys.argv[1], encoding="utf-8").read())',
    'values = [n.value.value for n in tree.body if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "DESCRIPTION"]',
    'print(json.dumps(values[0]))',
  ].join('\n');
  try {
    const { stdout } = await run('python3', ['-c', script, mainPy]);
    return JSON.parse(stdout) === HOSTILE ? [] : [`main.py: DESCRIPTION is ${stdout}`];
  } catch (err) {
    return [`main.py: ${(err as { stderr?: string }).stderr}`];
  }
}

/** Starts the generated server.js with the repository's express and waits for /health. */
async function startExpress(dir: string): Promise<{ base: string; stop: () => void }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['server.js'], {
    cwd: dir,
    env: { ...process.env, PORT: String(port), NODE_PATH: REPO_NODE_MODULES },
    stdio: 'ignore',
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      if ((await fetch(`${base}/health`)).ok) break;
    } catch {
      if (Date.now() > deadline) {
        child.kill();
        throw new Error('server.js did not start');
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { base, stop: () => child.kill() };
}

describe('offline express projects run', () => {
  it('serves /health and the items resource for an api', async () => {
    const result = await provider.generate({ description: HOSTILE, framework: 'express', type: 'api' });
    const server = await startExpress(writeProject(result, 'run-express-api'));
    try {
      expect(await (await fetch(`${server.base}/health`)).json()).toEqual({ status: 'ok' });
      expect(((await (await fetch(`${server.base}/`)).json()) as { description: string }).description).toBe(HOSTILE);
      const created = await fetch(`${server.base}/api/items`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ text: 'first' }),
      });
      expect(created.status).toBe(201);
      const item = (await created.json()) as { id: number };
      expect(await (await fetch(`${server.base}/api/items`)).json()).toEqual([{ id: item.id, text: 'first' }]);
      expect((await fetch(`${server.base}/api/items/${item.id}`, { method: 'DELETE' })).status).toBe(204);
      expect((await fetch(`${server.base}/api/items/${item.id}`)).status).toBe(404);
    } finally {
      server.stop();
    }
  });

  it('serves the page with the description escaped for a landing page', async () => {
    const result = await provider.generate({ description: HOSTILE, framework: 'express', type: 'landing_page' });
    const server = await startExpress(writeProject(result, 'run-express-landing'));
    try {
      const page = await (await fetch(`${server.base}/`)).text();
      expect(page).toContain('class="hero"');
      expect(page).not.toContain('<script>alert(1)');
      expect((await fetch(`${server.base}/api/items`)).status).toBe(404);
    } finally {
      server.stop();
    }
  });
});

describe('offline live output', () => {
  it('streams each file in a few chunks, paced, whose concatenation is the file', async () => {
    const paced = createOfflineProvider({ chunkMs: 2 });
    const deltas = new Map<string, string[]>();
    const done = new Set<string>();
    const t0 = performance.now();
    const result = await paced.generate(
      { description: 'A streamed offline todo app', framework: 'react', type: 'web_app' },
      {
        onFile: (path, text, finished) => {
          deltas.set(path, [...(deltas.get(path) ?? []), text]);
          if (finished) done.add(path);
        },
      },
    );
    expect(performance.now() - t0).toBeGreaterThan(result.files.length * 2);
    for (const file of result.files) {
      expect(deltas.get(file.path)?.join('')).toBe(file.content);
      expect(done.has(file.path)).toBe(true);
    }
    expect(Math.max(...[...deltas.values()].map((d) => d.length))).toBeGreaterThan(1);
  });
});
