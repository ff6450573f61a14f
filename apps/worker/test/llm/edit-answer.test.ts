import { mergeEdit } from '../../src/llm/edit-merge';
import { parseEditOutput } from '../../src/llm/edit-output-parser';
import { LlmError } from '../../src/llm/llm-errors';

const parent = {
  files: [
    { path: 'index.html', content: '<main></main>\n' },
    { path: 'app.js', content: 'console.log(1);\n' },
    { path: 'README.md', content: '# App\n' },
  ],
  entrypoint: 'index.html',
  instructions: 'open index.html',
};

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(LlmError);
    expect((err as LlmError).code).toBe('invalid_llm_output');
    return (err as LlmError).message;
  }
  throw new Error('expected invalid_llm_output');
}

describe('parseEditOutput', () => {
  it('reads the JSON form bare, fenced or inside prose, with its deletions', () => {
    const json = JSON.stringify({
      files: [{ path: 'a.js', content: 'x' }],
      deleted: ['b.js'],
      instructions: 'npm start',
    });
    const expected = { files: [{ path: 'a.js', content: 'x' }], deleted: ['b.js'], instructions: 'npm start' };
    expect(parseEditOutput(json)).toEqual(expected);
    expect(parseEditOutput('```json\n' + json + '\n```')).toEqual(expected);
    expect(parseEditOutput(`Here you go: ${json} Enjoy.`)).toEqual(expected);
  });

  it('reads an answer that only deletes, and the fallback forms for files', () => {
    expect(parseEditOutput('{"files": [], "deleted": ["app.js"]}')).toEqual({
      files: [],
      deleted: ['app.js'],
      instructions: null,
    });
    expect(parseEditOutput('{"deleted": ["app.js"]}').deleted).toEqual(['app.js']);
    expect(parseEditOutput('<file path="app.js">console.log(2);\n</file>')).toEqual({
      files: [{ path: 'app.js', content: 'console.log(2);\n' }],
      deleted: [],
      instructions: null,
    });
    expect(parseEditOutput('app.js\n```js\nconsole.log(3);\n```\n').files).toEqual([
      { path: 'app.js', content: 'console.log(3);\n' },
    ]);
  });

  it('refuses prose, an empty answer and a malformed deleted list', () => {
    expect(refusal(() => parseEditOutput('I changed the colours for you.'))).toMatch(/none of the accepted forms/);
    expect(refusal(() => parseEditOutput('{"files": [], "deleted": []}'))).toMatch(/changes nothing/);
    expect(refusal(() => parseEditOutput('{"files": [], "deleted": "app.js"}'))).toMatch(/"deleted"/);
  });
});

describe('mergeEdit', () => {
  it('replaces, adds and deletes files and keeps the rest, with the changes against the parent', () => {
    const merged = mergeEdit(parent, {
      files: [
        { path: 'app.js', content: 'console.log(2);\n' },
        { path: 'src/new.js', content: 'export {};\n' },
      ],
      deleted: ['README.md'],
      instructions: null,
    });
    expect(merged.files).toEqual([
      { path: 'index.html', content: '<main></main>\n' },
      { path: 'app.js', content: 'console.log(2);\n' },
      { path: 'src/new.js', content: 'export {};\n' },
    ]);
    expect(merged.changes).toEqual({ added: ['src/new.js'], modified: ['app.js'], deleted: ['README.md'] });
    expect(merged.entrypoint).toBe('index.html');
    expect(merged.instructions).toBe('open index.html');
  });

  it('repairs harmless path slips as for generations, and drops an entrypoint the edit deleted', () => {
    const merged = mergeEdit(parent, {
      files: [{ path: ' ./src\\x.js ', content: 'x' }],
      deleted: ['/index.html'],
      instructions: 'npx serve',
    });
    expect(merged.files.map((f) => f.path)).toEqual(['app.js', 'README.md', 'src/x.js']);
    expect(merged.entrypoint).toBeNull();
    expect(merged.instructions).toBe('npx serve');
  });

  it.each([
    ['an escaping path', { files: [{ path: '../x.js', content: 'x' }], deleted: [] }, /unsafe file path/],
    ['an absolute Windows path', { files: [{ path: 'C:\\x.js', content: 'x' }], deleted: [] }, /drive letter/],
    ['a NUL in a path', { files: [{ path: 'a\u0000.js', content: 'x' }], deleted: [] }, /control character/],
    ['an unsafe deletion', { files: [], deleted: ['../../etc/passwd'] }, /unsafe file path/],
    ['deleting a missing file', { files: [], deleted: ['gone.js'] }, /does not have/],
    ['writing and deleting one path', { files: [{ path: 'app.js', content: 'y' }], deleted: ['app.js'] }, /both/],
    [
      'one path twice',
      {
        files: [
          { path: 'a', content: '1' },
          { path: './a', content: '2' },
        ],
        deleted: [],
      },
      /twice|more than once/,
    ],
    ['a case collision', { files: [{ path: 'readme.md', content: 'x' }], deleted: [] }, /more than once/],
    ['no change at all', { files: [{ path: 'app.js', content: 'console.log(1);\n' }], deleted: [] }, /changes nothing/],
    [
      'a file over the size bound',
      { files: [{ path: 'big', content: 'x'.repeat(1024 * 1024 + 1) }], deleted: [] },
      /larger than/,
    ],
  ])('refuses %s', (_name, answer, why) => {
    expect(refusal(() => mergeEdit(parent, { instructions: null, ...answer }))).toMatch(why);
  });
});
