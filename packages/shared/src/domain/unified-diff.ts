import { formatPatch, structuredPatch } from 'diff';
import type { GeneratedFile } from './generation';

/** Lines of context around each change, as `git diff` shows by default. */
const CONTEXT_LINES = 3;

/**
 * A Git-style unified diff from `before` to `after` (two whole file sets): one `diff --git
 * a/PATH b/PATH` section per path that differs, sorted by path, with `new file mode` and
 * `deleted file mode` for added and removed files, so `git apply` of it onto `before`'s files
 * gives `after`'s. Empty when the sets are equal. The `diff` library computes and formats it.
 */
export function unifiedDiff(before: GeneratedFile[], after: GeneratedFile[]): string {
  const old = new Map(before.map((f) => [f.path, f.content]));
  const now = new Map(after.map((f) => [f.path, f.content]));
  const paths = [...new Set([...old.keys(), ...now.keys()])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const sections: string[] = [];
  for (const path of paths) {
    const from = old.get(path);
    const to = now.get(path);
    if (from === to) continue;
    const patch = structuredPatch(
      from === undefined ? '/dev/null' : `a/${path}`,
      to === undefined ? '/dev/null' : `b/${path}`,
      from ?? '',
      to ?? '',
      undefined,
      undefined,
      { context: CONTEXT_LINES },
    );
    sections.push(
      formatPatch({
        ...patch,
        isGit: true,
        isCreate: from === undefined,
        isDelete: to === undefined,
      }),
    );
  }
  return sections.join('');
}
