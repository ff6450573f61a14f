import { parseLlmOutput } from '../../src/llm/output-parser';
import { createStreamFileExtractor } from '../../src/llm/stream-files';

/** Feeds `text` in chunks of `size` and returns each path's concatenated text and done flag. */
async function extract(text: string, size: number) {
  const files = new Map<string, { text: string; done: boolean }>();
  const x = createStreamFileExtractor((path, t, done) => {
    const prev = files.get(path) ?? { text: '', done: false };
    files.set(path, { text: prev.text + t, done: prev.done || done });
  });
  for (let at = 0; at < text.length; at += size) x.push(text.slice(at, at + size));
  await x.end();
  return files;
}

const project = {
  files: [
    { path: 'src/App.jsx', content: 'export default function App() {\n  return <h1>"hi" \\ there</h1>;\n}\n' },
    { path: 'README.md', content: '# Title\n\n```sh\nnpm i\n```\n' },
  ],
};

describe('incremental file recognition', () => {
  const answers: [string, string][] = [
    ['JSON', JSON.stringify(project)],
    ['JSON in a fence', `\`\`\`json\n${JSON.stringify(project, null, 2)}\n\`\`\`\n`],
    ['<file> blocks', project.files.map((f) => `<file path="${f.path}">\n${f.content}</file>`).join('\n')],
    ['labelled fences', '**src/App.jsx**\n```jsx\n' + project.files[0]!.content + '```\n\nsrc/b.js\n~~~\nx()\n~~~\n'],
  ];
  it.each(answers)('gives the files the final parser reads, for %s, in any chunking', async (_form, answer) => {
    const final = parseLlmOutput(answer).files;
    for (const size of [1, 3, 17, 1000]) {
      const got = await extract(answer, size);
      expect([...got.keys()]).toEqual(final.map((f) => f.path));
      for (const f of final) expect(got.get(f.path)).toEqual({ text: f.content, done: true });
    }
  });

  it('streams no unsafe path', async () => {
    const answer = JSON.stringify({
      files: [
        { path: '../../etc/passwd', content: 'x' },
        { path: '/ok.js', content: 'y' },
      ],
    });
    const got = await extract(answer, 5);
    expect([...got.keys()]).toEqual(['ok.js']);
  });

  it('stays linear on hostile answers: four times the size costs about four times the time, not sixteen', async () => {
    const hostile = [
      (n: number) => "<file path='a'>".repeat(Math.ceil(n / 15)),
      (n: number) => '<file path="a.js">\n' + '</fil'.repeat(Math.ceil(n / 5)),
      (n: number) => '<file path="a.js"></file>\n'.repeat(Math.ceil(n / 26)),
      (n: number) => 'a.js\n```\n' + '`'.repeat(n),
      (n: number) => '{"files": [{"path": "a", "content": "' + '\\"'.repeat(n / 2),
      (n: number) => ' '.repeat(n),
    ];
    for (const make of hostile) {
      const once = async (n: number) => {
        const text = make(n);
        const t0 = performance.now();
        await extract(text, 64);
        return performance.now() - t0;
      };
      // Best of three: a shared machine's pauses only ever add time, so the minimum is the cost.
      const best = async (n: number) => Math.min(await once(n), await once(n), await once(n));
      await once(1 << 20);
      const quarter = await best(1 << 18);
      const big = await best(1 << 20);
      // A complexity check, not a speed goal: linear gives about 4, quadratic about 16; 9 leaves
      // room for a loaded machine. The floor keeps a tiny quarter from inflating the ratio.
      // (The tokenizer pays per token and `\"` escapes are one token each: still linear, and
      // model output is capped far below 1 MiB by LLM_MAX_OUTPUT_TOKENS.)
      expect(big / Math.max(quarter, 10)).toBeLessThan(9);
    }
  }, 60_000);
});
