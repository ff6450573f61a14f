/** One `<file path="...">...</file>` block of a model's answer. */
export interface FileTag {
  path: string;
  /** Everything between the opening tag's `>` and the closing tag, as written. */
  body: string;
}

/**
 * Finds `<file path="...">...</file>` blocks in one pass, with exactly the matches of
 * `/<file\s+path\s*=\s*(["'])(.*?)\1\s*>([\s\S]*?)<\/file\s*>/g`: the path is the shortest run
 * on the opening tag's line that its quote and `>` close, the body ends at the first
 * `</file>`. That regex is cubic on hostile input (thousands of unclosed `<file path='a'>`
 * tags: every start rescans the rest of the answer for each path length), so each search here
 * remembers its last answer: positions only move forward, so no character is scanned twice.
 */
export function findFileTags(content: string): FileTag[] {
  const tags: FileTag[] = [];
  const open = /<file\s+path\s*=\s*(["'])/g;
  const lineBreak = forwardSearch(content, /[\n\r\u2028\u2029]/g);
  const pathEnd = { '"': forwardSearch(content, /"\s*>/g), "'": forwardSearch(content, /'\s*>/g) };
  const close = forwardSearch(content, /<\/file\s*>/g);
  for (let m = open.exec(content); m; m = open.exec(content)) {
    const pathStart = open.lastIndex;
    const end = pathEnd[m[1] as '"' | "'"](pathStart);
    // `.` stops at a line break: a tag whose quote does not close on its line is not a tag.
    const lineEnd = lineBreak(pathStart);
    if (!end || (lineEnd && lineEnd.index < end.index)) continue;
    const bodyStart = end.index + end.length;
    const closing = close(bodyStart);
    // No `</file>` after this point: no later tag can close either.
    if (!closing) break;
    tags.push({ path: content.slice(pathStart, end.index), body: content.slice(bodyStart, closing.index) });
    open.lastIndex = closing.index + closing.length;
  }
  return tags;
}

interface Found {
  index: number;
  length: number;
}

/**
 * `pattern`'s first match at or after a position, for positions that never decrease: an
 * answer stays right for every later position up to it, so the text is scanned once in all.
 * Returns null when nothing matches.
 */
function forwardSearch(text: string, pattern: RegExp): (from: number) => Found | null {
  let askedFrom = -1;
  let answer: Found | null = null;
  return (from) => {
    const stillValid = askedFrom !== -1 && from >= askedFrom && (answer === null || from <= answer.index);
    if (!stillValid) {
      pattern.lastIndex = from;
      const m = pattern.exec(text);
      answer = m ? { index: m.index, length: m[0].length } : null;
      askedFrom = from;
    }
    return answer;
  };
}
