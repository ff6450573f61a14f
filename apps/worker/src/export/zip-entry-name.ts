// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f\\]/;

/**
 * Checks that `name` can be written into a ZIP as is: relative, `/`-separated, without `..`,
 * empty or `.` segments, drive letters or control characters. Generations are checked when
 * they are written; this is the last line against a ZIP that would unpack outside its folder
 * (zip-slip), so it refuses rather than repairs. Returns the reason, or null when safe.
 */
export function unsafeEntryNameReason(name: string): string | null {
  if (name.length === 0) return 'it is empty';
  if (name.length > 1024) return 'it is longer than 1024 characters';
  if (UNSAFE.test(name)) return 'it contains a backslash or a control character';
  if (name.startsWith('/')) return 'it is absolute';
  if (/^[A-Za-z]:/.test(name)) return 'it starts with a drive letter';
  const segments = name.split('/');
  if (segments.some((s) => s === '..')) return 'it contains a ".." segment';
  if (segments.some((s) => s === '' || s === '.')) return 'it contains an empty or "." segment';
  return null;
}
