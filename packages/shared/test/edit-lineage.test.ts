import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { cacheKey, editCacheKey } from '../src/domain/cache-key';
import { fileChanges, fileSetBytes, isUnchanged } from '../src/domain/file-changes';
import { lineageOf, toGenerationView, type GeneratedFile, type GenerationDocument } from '../src/domain/generation';
import { unifiedDiff } from '../src/domain/unified-diff';
import { ObjectId } from 'mongodb';

const files: GeneratedFile[] = [
  { path: 'src/App.jsx', content: 'export default 1;\n' },
  { path: 'README.md', content: '# App\n' },
];

describe('edit cache key', () => {
  const base = { files, instruction: 'Add a dark mode toggle', framework: 'react', type: 'web_app' } as const;

  it('names the code and the normalised instruction, not the order the files come in', () => {
    const a = editCacheKey(base, 'v1');
    expect(editCacheKey({ ...base, files: [...files].reverse() }, 'v1')).toBe(a);
    expect(editCacheKey({ ...base, instruction: '  ADD a dark   mode toggle ' }, 'v1')).toBe(a);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes with any file content or path, instruction, framework, type and generator version', () => {
    const a = editCacheKey(base, 'v1');
    const others = [
      editCacheKey({ ...base, files: [{ ...files[0]!, content: 'export default 2;\n' }, files[1]!] }, 'v1'),
      editCacheKey({ ...base, files: [{ ...files[0]!, path: 'src/app.jsx' }, files[1]!] }, 'v1'),
      editCacheKey({ ...base, instruction: 'add a light mode toggle' }, 'v1'),
      editCacheKey({ ...base, framework: 'vue' }, 'v1'),
      editCacheKey({ ...base, type: 'api' }, 'v1'),
      editCacheKey(base, 'v2'),
      cacheKey({ description: base.instruction, framework: 'react', type: 'web_app' }, 'v1'),
    ];
    expect(new Set([a, ...others]).size).toBe(others.length + 1);
  });
});

describe('file changes', () => {
  it('lists added, modified and deleted paths, sorted, and ignores files rewritten as they were', () => {
    const after = [
      { path: 'src/App.jsx', content: 'export default 2;\n' },
      { path: 'z.css', content: 'a{}' },
      { path: 'b.css', content: 'b{}' },
    ];
    expect(fileChanges(files, after)).toEqual({
      added: ['b.css', 'z.css'],
      modified: ['src/App.jsx'],
      deleted: ['README.md'],
    });
    expect(isUnchanged(fileChanges(files, [...files]))).toBe(true);
    expect(fileSetBytes([{ path: 'é', content: 'ab' }])).toBe(4);
  });

  it('reads a generation stored before edits as version 1 with every file added', () => {
    const doc = {
      _id: new ObjectId(),
      project_id: new ObjectId(),
      files,
      created_at: new Date(),
    } as GenerationDocument;
    expect(lineageOf(doc)).toEqual({
      version: 1,
      parent_id: null,
      instruction: null,
      changes: { added: ['src/App.jsx', 'README.md'], modified: [], deleted: [] },
    });
    expect(toGenerationView(doc, { withFiles: false })).toMatchObject({ version: 1, parent_id: null });
  });
});

function writeTree(root: string, set: GeneratedFile[]): void {
  for (const f of set) {
    mkdirSync(dirname(join(root, f.path)), { recursive: true });
    writeFileSync(join(root, f.path), f.content);
  }
}

function readTree(root: string, dir = root): GeneratedFile[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (name === '.git') return [];
    if (statSync(full).isDirectory()) return readTree(root, full);
    return [{ path: relative(root, full), content: readFileSync(full, 'utf8') }];
  });
}

const byPath = (set: GeneratedFile[]) => [...set].sort((a, b) => (a.path < b.path ? -1 : 1));

describe('unified diff', () => {
  it('is a patch real `git apply` turns the older files into the newer ones', () => {
    const before: GeneratedFile[] = [
      { path: 'a.txt', content: 'one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\n' },
      { path: 'gone/old.md', content: 'bye\n' },
      { path: 'no-newline.txt', content: 'x' },
      { path: 'with space/f.js', content: '1\n' },
      { path: 'empty-gone.txt', content: '' },
      { path: 'same.txt', content: 'same\n' },
    ];
    const after: GeneratedFile[] = [
      { path: 'a.txt', content: 'one\n2\nthree\nfour\nfive\nsix\nseven\n8\nnine' },
      { path: 'new/b.txt', content: 'new\n' },
      { path: 'no-newline.txt', content: 'y\n' },
      { path: 'with space/f.js', content: '2\r\n' },
      { path: 'empty-new.txt', content: '' },
      { path: 'ünïcode.txt', content: 'u\n' },
      { path: 'same.txt', content: 'same\n' },
    ];
    const patch = unifiedDiff(before, after);
    expect(patch).toContain('diff --git a/new/b.txt b/new/b.txt\nnew file mode 100644\n');
    expect(patch).toContain('diff --git a/gone/old.md b/gone/old.md\ndeleted file mode 100644\n');
    expect(patch).not.toContain('same.txt');
    const scratch = mkdtempSync(join(tmpdir(), 'vectort-diff-'));
    const dir = join(scratch, 'tree');
    try {
      writeTree(dir, before);
      writeFileSync(join(scratch, 'edit.patch'), patch);
      execFileSync('git', ['init', '-q', '.'], { cwd: dir });
      execFileSync('git', ['apply', '--whitespace=nowarn', join(scratch, 'edit.patch')], { cwd: dir });
      expect(byPath(readTree(dir))).toEqual(byPath(after));
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('is empty between equal sets', () => {
    expect(unifiedDiff(files, [...files].reverse())).toBe('');
  });
});
