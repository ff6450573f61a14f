import { unsafeEntryNameReason } from '../../src/export/zip-entry-name';

it('accepts relative, slash-separated names', () => {
  for (const name of [
    'index.html',
    'src/App.jsx',
    'a/b/c/d.e.f',
    '.env.example',
    'src/.gitkeep',
    'dir/..hidden',
    'ünïcödé/ファイル.txt',
  ]) {
    expect(unsafeEntryNameReason(name)).toBeNull();
  }
});

it('refuses names that could unpack outside the folder or confuse an unzip tool', () => {
  const cases: Record<string, string> = {
    '': 'it is empty',
    '/etc/passwd': 'it is absolute',
    '../evil.sh': 'it contains a ".." segment',
    'src/../../evil.sh': 'it contains a ".." segment',
    'C:/Windows/win.ini': 'it starts with a drive letter',
    'src\\..\\evil.sh': 'it contains a backslash or a control character',
    'nul\u0000byte': 'it contains a backslash or a control character',
    'line\nbreak': 'it contains a backslash or a control character',
    'src//double': 'it contains an empty or "." segment',
    './src/a.js': 'it contains an empty or "." segment',
    'src/': 'it contains an empty or "." segment',
    ['x'.repeat(1025)]: 'it is longer than 1024 characters',
  };
  for (const [name, reason] of Object.entries(cases))
    expect([name, unsafeEntryNameReason(name)]).toEqual([name, reason]);
});
