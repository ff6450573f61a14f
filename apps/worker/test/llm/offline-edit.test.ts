import ts from 'typescript';
import { FRAMEWORKS, PROJECT_TYPES, type Framework, type ProjectType } from '@vectort/shared';
import { mergeEdit } from '../../src/llm/edit-merge';
import type { GeneratedFile } from '../../src/llm/llm-provider';
import { createOfflineProvider } from '../../src/llm/offline-provider';

const provider = createOfflineProvider();
const combos = FRAMEWORKS.flatMap((framework) =>
  PROJECT_TYPES.map((type) => [framework, type] as [Framework, ProjectType]),
);
const HOSTILE = 'Add {{ constructor.constructor("x")() }} </main><script>alert(1)</script> {curly} "q" \'s\'';

/** Parse errors of a JSX file (TypeScript's parser): an edit must leave the page compiling. */
function jsxErrors(source: string): string[] {
  const out = ts.transpileModule(source, {
    reportDiagnostics: true,
    fileName: 'page.jsx',
    compilerOptions: { jsx: ts.JsxEmit.Preserve, allowJs: true },
  });
  return (out.diagnostics ?? []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

async function edited(files: GeneratedFile[], instruction: string, framework: Framework, type: ProjectType) {
  const parent = { files, entrypoint: null, instructions: null };
  const answer = await provider.edit({ description: 'An app', framework, type, files, instruction });
  expect(answer).toMatchObject({ provider: 'offline', deleted: [], cost_usd: 0 });
  return mergeEdit(parent, answer);
}

describe('offline edits', () => {
  it.each(combos)(
    '%s %s: records the instruction under README "Changes" and on the main page, deterministically',
    async (framework, type) => {
      const v1 = await provider.generate({ description: 'A todo app', framework, type });
      const v2 = await edited(v1.files, 'Add a dark mode toggle', framework, type);
      const again = await edited(v1.files, 'Add a dark mode toggle', framework, type);
      expect(again.files).toEqual(v2.files);
      const readme = v2.files.find((f) => f.path === 'README.md')!.content;
      expect(readme).toMatch(/\n## Changes\n\n- Add a dark mode toggle\n$/);
      expect(v2.changes.modified).toContain('README.md');
      const pages = v2.changes.modified.filter((p) => p !== 'README.md');
      const hasPage = v1.files.some((f) => f.content.includes('</main>'));
      expect(pages).toHaveLength(hasPage ? 1 : 0);

      const v3 = await edited(v2.files, HOSTILE, framework, type);
      const readme3 = v3.files.find((f) => f.path === 'README.md')!.content;
      expect(readme3).toContain('## Changes\n\n- Add a dark mode toggle\n- Add {{');
      expect(readme3.match(/## Changes/g)).toHaveLength(1);
      for (const path of pages) {
        const page = v3.files.find((f) => f.path === path)!.content;
        expect(page).toContain('Changes');
        expect(page.match(/data-vectort="changes"/g)).toHaveLength(1);
        expect(page).toContain('Add a dark mode toggle');
        // The hostile text is inert: no raw markup, and no `{` that Vue, Svelte or JSX would evaluate.
        expect(page).not.toContain('<script>alert(1)</script>');
        if (path.endsWith('.jsx')) {
          // In JSX it is a JS string literal inside `{}`, and the page still parses.
          expect(page).toContain('<li>{"Add {{ constructor');
          expect(jsxErrors(page)).toEqual([]);
        } else {
          expect(page).not.toContain('{{ constructor');
        }
      }
    },
  );

  it('makes a README with a Changes section when the parent has none', async () => {
    const v2 = await edited([{ path: 'main.py', content: 'print(1)\n' }], 'Say hello', 'fastapi', 'api');
    expect(v2.changes).toEqual({ added: ['README.md'], modified: [], deleted: [] });
    expect(v2.files.find((f) => f.path === 'README.md')!.content).toBe('# Project\n\n## Changes\n\n- Say hello\n');
  });
});
