import { LlmError } from '../../src/llm/llm-errors';
import { parseLlmOutput } from '../../src/llm/output-parser';
import { pathFromLabelLine } from '../../src/llm/markdown-fences';

const project = {
  files: [
    { path: 'src/App.jsx', content: 'export default function App() {}\n' },
    { path: 'package.json', content: '{"name":"x"}\n' },
  ],
  entrypoint: 'src/App.jsx',
  instructions: 'npm install && npm run dev',
};

function expectInvalid(content: string, message?: RegExp): void {
  let caught: unknown;
  try {
    parseLlmOutput(content);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(LlmError);
  expect((caught as LlmError).code).toBe('invalid_llm_output');
  expect((caught as LlmError).retryable).toBe(false);
  if (message) expect((caught as LlmError).message).toMatch(message);
}

describe('parseLlmOutput, JSON form', () => {
  it('reads bare JSON', () => {
    expect(parseLlmOutput(JSON.stringify(project))).toEqual(project);
  });

  it('reads JSON inside one fenced block, with prose around it', () => {
    const content = `Here is your project:\n\n\`\`\`json\n${JSON.stringify(project, null, 2)}\n\`\`\`\n\nEnjoy!`;
    expect(parseLlmOutput(content)).toEqual(project);
  });

  it('reads a bare JSON object with prose before and after it', () => {
    expect(parseLlmOutput(`Sure! ${JSON.stringify(project)} Let me know.`)).toEqual(project);
  });

  it('treats missing or non-string entrypoint and instructions as null', () => {
    const parsed = parseLlmOutput(JSON.stringify({ files: project.files, entrypoint: 3 }));
    expect(parsed.entrypoint).toBeNull();
    expect(parsed.instructions).toBeNull();
  });

  it('rejects a files list whose entries are not {path, content} strings', () => {
    expectInvalid(JSON.stringify({ files: [{ path: 'a.js', content: 42 }] }), /#1/);
    expectInvalid(JSON.stringify({ files: 'a.js' }), /not a list/);
  });

  it('rejects an empty files list', () => {
    expectInvalid(JSON.stringify({ files: [] }), /no files/);
  });

  it('keeps paths as written (checking them is path-safety.ts)', () => {
    const parsed = parseLlmOutput(JSON.stringify({ files: [{ path: '../x', content: '' }] }));
    expect(parsed.files[0]?.path).toBe('../x');
  });
});

describe('parseLlmOutput, <file> form', () => {
  it('reads file blocks with prose around them', () => {
    const content = [
      'Here you go.',
      '<file path="src/App.jsx">',
      'export default function App() {',
      '  return <div>"hi"</div>;',
      '}',
      '</file>',
      "<file path='README.md'>",
      '# Hello',
      '</file>',
    ].join('\n');
    expect(parseLlmOutput(content)).toEqual({
      files: [
        { path: 'src/App.jsx', content: 'export default function App() {\n  return <div>"hi"</div>;\n}\n' },
        { path: 'README.md', content: '# Hello\n' },
      ],
      entrypoint: null,
      instructions: null,
    });
  });

  it('unwraps a code fence inside a file block', () => {
    const content = '<file path="main.py">\n```python\nprint("hi")\n```\n</file>';
    expect(parseLlmOutput(content).files).toEqual([{ path: 'main.py', content: 'print("hi")\n' }]);
  });
});

describe('parseLlmOutput, labelled fences form', () => {
  it('reads fenced blocks each preceded by its path, in the usual label styles', () => {
    const content = [
      'Project layout:',
      '',
      'src/App.jsx',
      '```jsx',
      'export default function App() {}',
      '```',
      '',
      '**src/main.jsx**',
      '```jsx',
      "import App from './App.jsx';",
      '```',
      '`index.html`',
      '',
      '```html',
      '<div id="root"></div>',
      '```',
      '### styles/app.css',
      '```css',
      'body {}',
      '```',
      'File: server/index.js',
      '```js',
      'console.log(1);',
      '```',
      '**File:** `package.json`',
      '```json',
      '{"name": "x"}',
      '```',
      'Run it with:',
      '```sh',
      'npm install',
      '```',
    ].join('\n');
    const parsed = parseLlmOutput(content);
    expect(parsed.files.map((f) => f.path)).toEqual([
      'src/App.jsx',
      'src/main.jsx',
      'index.html',
      'styles/app.css',
      'server/index.js',
      'package.json',
    ]);
    expect(parsed.files[0]?.content).toBe('export default function App() {}\n');
    expect(parsed.files[5]?.content).toBe('{"name": "x"}\n');
  });

  it('keeps an inner ``` fence inside a longer outer fence', () => {
    const content = 'README.md\n````markdown\n# Title\n```sh\nnpm start\n```\n````\n';
    expect(parseLlmOutput(content).files).toEqual([{ path: 'README.md', content: '# Title\n```sh\nnpm start\n```\n' }]);
  });

  it('strips the indentation of fences inside a list', () => {
    const content = '1. `server.js`\n   ```js\n   const x = 1;\n     nested();\n   ```\n';
    expect(parseLlmOutput(content).files).toEqual([{ path: 'server.js', content: 'const x = 1;\n  nested();\n' }]);
  });

  it('reads a single labelled package.json block as a file, not as the JSON form', () => {
    const content = 'package.json\n```json\n{"name": "x", "private": true}\n```';
    expect(parseLlmOutput(content).files).toEqual([
      { path: 'package.json', content: '{"name": "x", "private": true}\n' },
    ]);
  });

  it('rejects an answer whose last block never closes (cut off)', () => {
    expectInvalid('a.js\n```js\nconst a = 1;\n```\nb.js\n```js\nconst b =', /not closed/);
  });
});

describe('parseLlmOutput, anything else', () => {
  it.each([
    ['prose', 'Sure! Here is your app, I hope you like it.'],
    ['empty', ''],
    ['whitespace', '  \n '],
    ['unlabelled fences only', 'Run:\n\n\n```sh\nnpm start\n```'],
    ['truncated JSON', JSON.stringify(project).slice(0, 40)],
    ['JSON without files', '{"answer": 42}'],
    ['a JSON array', '[{"path": "a", "content": "b"}]'],
  ])('rejects %s as invalid_llm_output', (_label, content) => {
    expectInvalid(content);
  });
});

describe('pathFromLabelLine', () => {
  it.each([
    ['src/App.jsx', 'src/App.jsx'],
    ['**src/App.jsx**', 'src/App.jsx'],
    ['`src/App.jsx`', 'src/App.jsx'],
    ['### src/App.jsx', 'src/App.jsx'],
    ['#### `src/App.jsx`:', 'src/App.jsx'],
    ['File: src/App.jsx', 'src/App.jsx'],
    ['filename: app/[id]/page.jsx', 'app/[id]/page.jsx'],
    ['- `Dockerfile`', 'Dockerfile'],
    ['2) __init__.py', '__init__.py'],
    ['src\\App.jsx', 'src\\App.jsx'],
  ])('reads %j as %j', (line, path) => {
    expect(pathFromLabelLine(line)).toBe(path);
  });

  it.each(['Here is the code:', 'Run it with:', '```', '', '**Note**', 'http://localhost:3000', 'App'])(
    'ignores %j',
    (line) => {
      expect(pathFromLabelLine(line)).toBeNull();
    },
  );
});
