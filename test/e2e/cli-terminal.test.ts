import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startFakeLlm, type FakeLlm } from '../support/fake-llm-server';
import { CLI_BIN, cliHome, runCli } from '../support/cli-runner';
import { startStack, type Stack } from '../support/stack';

const TMUX = ['/usr/bin/tmux', '/usr/local/bin/tmux'].find((p) => existsSync(p));
const exec = promisify(execFile);
const SOCKET = `vectort-cli-${process.pid}`;
const tmux = (...args: string[]) => exec(TMUX!, ['-L', SOCKET, ...args]);
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const BAR = /\[[#.]{30}\] +\d+% \w+/g;

let llm: FakeLlm;
let stack: Stack;

const suite = TMUX ? describe : describe.skip;
if (!TMUX) process.stderr.write('cli-terminal.test.ts: tmux is missing (apt-get install -y tmux); skipping\n');

suite('vectort generate in a real terminal (tmux)', () => {
  beforeAll(async () => {
    // A model that takes a while, so the terminal shows the job running.
    llm = await startFakeLlm({ behavior: { kind: 'ok', delayMs: 2500 } });
    stack = await startStack('cli-tty', {
      LLM_PROVIDER: 'openai',
      OPENAI_API_KEY: 'test-key',
      OPENAI_BASE_URL: llm.url,
      LLM_MODEL: 'gpt-5-mini',
      LLM_TIMEOUT_SECONDS: '20',
    });
  }, 60_000);
  afterAll(async () => {
    await tmux('kill-server').catch(() => undefined);
    await stack?.stop();
    await llm?.close();
  });

  it('redraws one progress bar in place while the job runs, then shows the files and the saved ZIP', async () => {
    const home = cliHome('tty');
    const login = await runCli(
      ['login', '--register', '--email', `tty-${process.pid}-${Date.now()}@example.com`, '--password-stdin'],
      { apiUrl: stack.apiUrl, home, stdin: 'correct horse battery\n' },
    );
    expect(login.code).toBe(0);

    const command =
      `cd ${quote(home)} && env VECTORT_API_URL=${quote(stack.apiUrl)} XDG_CONFIG_HOME=${quote(home)} ` +
      `${quote(process.execPath)} ${quote(CLI_BIN)} generate 'a recipe box with ratings' --out recipes.zip; ` +
      `echo "EXIT=$?"; sleep 60`;
    await tmux('new-session', '-d', '-s', 'cli', '-x', '120', '-y', '40', command);

    const frames: string[] = [];
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const { stdout } = await tmux('capture-pane', '-p', '-t', 'cli');
      if (frames[frames.length - 1] !== stdout) frames.push(stdout);
      if (stdout.includes('EXIT=')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const final = frames[frames.length - 1] ?? '';
    expect(final).toContain('EXIT=0');
    // While the model wrote, the screen held a bar of a running job...
    expect(frames.some((f) => /\[[#.]{30}\] +\d+% (queued|active)/.test(f))).toBe(true);
    // ...redrawn in place: never more than one bar on screen, and the last one is complete.
    expect(Math.max(...frames.map((f) => f.match(BAR)?.length ?? 0))).toBe(1);
    expect(final).toMatch(/\[#{30}\] 100% completed/);
    expect(final).toContain(`Saved ${join(home, 'recipes.zip')}`);
    expect(existsSync(join(home, 'recipes.zip'))).toBe(true);
  }, 60_000);
});
