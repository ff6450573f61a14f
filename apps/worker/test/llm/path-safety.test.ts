import { LlmError } from '../../src/llm/llm-errors';
import {
  checkGeneratedProject,
  MAX_FILE_BYTES,
  MAX_FILES,
  MAX_PATH_LENGTH,
  MAX_TOTAL_BYTES,
  normalizeGeneratedPath,
  type UncheckedProject,
} from '../../src/llm/path-safety';

function rejection(fn: () => unknown): LlmError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(LlmError);
    expect((err as LlmError).code).toBe('invalid_llm_output');
    expect((err as LlmError).retryable).toBe(false);
    return err as LlmError;
  }
  throw new Error('expected a rejection');
}

const project = (files: { path: string; content: string }[], entrypoint: string | null = null): UncheckedProject => ({
  files,
  entrypoint,
  instructions: null,
});

describe('normalizeGeneratedPath', () => {
  it.each([
    ['src/App.jsx', 'src/App.jsx'],
    ['/abs', 'abs'],
    ['//srv/share/x', 'srv/share/x'],
    ['./src/./App.jsx', 'src/App.jsx'],
    ['a\\b', 'a/b'],
    ['src//components///Button.jsx', 'src/components/Button.jsx'],
    ['  README.md ', 'README.md'],
    ['app/[id]/page.jsx', 'app/[id]/page.jsx'],
    ['...hidden', '...hidden'],
  ])('repairs %j to %j', (raw, safe) => {
    expect(normalizeGeneratedPath(raw)).toBe(safe);
  });

  it.each([
    ['../etc/passwd', /"\.\.\/etc\/passwd".*"\.\." segment/],
    ['a/../../b', /"\.\." segment/],
    ['src/..', /"\.\." segment/],
    ['..\\..\\windows\\win.ini', /"\.\." segment/],
    ['C:\\x', /drive letter/],
    ['c:/x', /drive letter/],
    ['a/C:b', /":"/],
    ['file.txt:stream', /":"/],
    ['a\u0000b', /control character/],
    ['a\nb', /control character/],
    ['', /empty/],
    ['/', /folder/],
    ['src/', /folder/],
    ['./.', /no file name/],
    [`a/${'x'.repeat(MAX_PATH_LENGTH)}`, /longer than 300/],
  ])('rejects %j', (raw, message) => {
    expect(rejection(() => normalizeGeneratedPath(raw)).message).toMatch(message);
  });

  it('accepts a path of exactly the maximum length', () => {
    const path = 'x'.repeat(MAX_PATH_LENGTH);
    expect(normalizeGeneratedPath(path)).toBe(path);
  });

  it('keeps control characters out of its message', () => {
    const message = rejection(() => normalizeGeneratedPath('evil\u0000\u001b[31m')).message;
    expect([...message].filter((c) => c.charCodeAt(0) < 0x20)).toEqual([]);
  });
});

describe('checkGeneratedProject', () => {
  it('returns normalised paths and keeps a matching entrypoint', () => {
    const checked = checkGeneratedProject(project([{ path: './src\\main.jsx', content: 'x' }], '/src/main.jsx'));
    expect(checked.files).toEqual([{ path: 'src/main.jsx', content: 'x' }]);
    expect(checked.entrypoint).toBe('src/main.jsx');
  });

  it('drops an entrypoint that names no file, or an unsafe one', () => {
    expect(checkGeneratedProject(project([{ path: 'a.js', content: '' }], 'b.js')).entrypoint).toBeNull();
    expect(checkGeneratedProject(project([{ path: 'a.js', content: '' }], '../a.js')).entrypoint).toBeNull();
  });

  it('fails the whole project for one bad path', () => {
    const err = rejection(() =>
      checkGeneratedProject(
        project([
          { path: 'ok.js', content: '' },
          { path: '../../etc/cron.d/evil', content: 'x' },
        ]),
      ),
    );
    expect(err.message).toContain('../../etc/cron.d/evil');
  });

  it('rejects duplicate paths, also after normalising and ignoring case', () => {
    rejection(() =>
      checkGeneratedProject(
        project([
          { path: 'a.js', content: '' },
          { path: 'a.js', content: '' },
        ]),
      ),
    );
    rejection(() =>
      checkGeneratedProject(
        project([
          { path: 'src/a.js', content: '' },
          { path: './src//a.js', content: '' },
        ]),
      ),
    );
    expect(
      rejection(() =>
        checkGeneratedProject(
          project([
            { path: 'App.jsx', content: '' },
            { path: 'app.jsx', content: '' },
          ]),
        ),
      ).message,
    ).toMatch(/more than once/);
  });

  it('rejects no files and more than the maximum number of files', () => {
    rejection(() => checkGeneratedProject(project([])));
    const many = Array.from({ length: MAX_FILES + 1 }, (_, i) => ({ path: `f${i}.txt`, content: '' }));
    expect(rejection(() => checkGeneratedProject(project(many))).message).toMatch(/201 files/);
    expect(checkGeneratedProject(project(many.slice(0, MAX_FILES))).files).toHaveLength(MAX_FILES);
  });

  it('bounds each file in UTF-8 bytes, not characters', () => {
    expect(checkGeneratedProject(project([{ path: 'a', content: 'x'.repeat(MAX_FILE_BYTES) }])).files).toHaveLength(1);
    rejection(() => checkGeneratedProject(project([{ path: 'a', content: 'x'.repeat(MAX_FILE_BYTES + 1) }])));
    // 'é' is two bytes in UTF-8.
    rejection(() => checkGeneratedProject(project([{ path: 'a', content: 'é'.repeat(MAX_FILE_BYTES / 2 + 1) }])));
  });

  it('bounds the total size', () => {
    const chunk = 'x'.repeat(MAX_FILE_BYTES);
    const count = MAX_TOTAL_BYTES / MAX_FILE_BYTES;
    const atLimit = Array.from({ length: count }, (_, i) => ({ path: `f${i}`, content: chunk }));
    expect(checkGeneratedProject(project(atLimit)).files).toHaveLength(count);
    expect(
      rejection(() => checkGeneratedProject(project([...atLimit, { path: 'one-more', content: 'x' }]))).message,
    ).toMatch(/larger than 8388608 bytes/);
  });
});
