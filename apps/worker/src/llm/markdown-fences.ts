/** A fenced code block found in a model's Markdown answer. */
export interface FencedBlock {
  /** The lines between the fences, without the fences' indentation. */
  body: string;
  /** The last non-blank line before the opening fence (at most one blank line away), outside any block. */
  labelLine: string | null;
  startLine: number;
  endLine: number;
}

const OPENING = /^(\s*)(`{3,}|~{3,})(.*)$/;

/**
 * Finds fenced blocks roughly as CommonMark does (a block closes on a fence of the same
 * character at least as long, so a README holding ``` inside ```` works), but accepts any
 * indentation, since models indent fences inside list items. `unclosed` reports a last block
 * that never closed, which usually means the answer was cut off. Stops after `maxBlocks` blocks.
 */
export function findFencedBlocks(text: string, maxBlocks = Infinity): { blocks: FencedBlock[]; unclosed: boolean } {
  const lines = text.split(/\r?\n/);
  const blocks: FencedBlock[] = [];
  let label: string | null = null;
  let blanksSinceLabel = 0;
  for (let i = 0; i < lines.length && blocks.length < maxBlocks; i++) {
    const line = lines[i] ?? '';
    const open = OPENING.exec(line);
    const fence = open?.[2];
    if (!open || !fence || (fence.startsWith('`') && (open[3] ?? '').includes('`'))) {
      if (line.trim() === '') {
        blanksSinceLabel++;
      } else {
        label = line;
        blanksSinceLabel = 0;
      }
      continue;
    }
    const indent = (open[1] ?? '').length;
    // Scan forward from the opening fence only: the blocks' scans never overlap, so the whole
    // answer is read once (searching from the top each time was quadratic in the block count).
    let end = i + 1;
    while (end < lines.length && !closesFence(lines[end] ?? '', fence)) end++;
    if (end === lines.length) return { blocks, unclosed: true };
    const body = lines
      .slice(i + 1, end)
      .map((l) => dedent(l, indent))
      .join('\n');
    blocks.push({
      body,
      labelLine: label !== null && blanksSinceLabel <= 1 ? label : null,
      startLine: i,
      endLine: end,
    });
    label = null;
    blanksSinceLabel = 0;
    i = end;
  }
  return { blocks, unclosed: false };
}

/** `line` without up to `indent` leading spaces (a `^ {0,n}` regex costs time in n to build). */
function dedent(line: string, indent: number): string {
  let n = 0;
  while (n < indent && line.charCodeAt(n) === 32) n++;
  return n === 0 ? line : line.slice(n);
}

/**
 * Whether `line` closes `fence`: the same character, at least as many times, alone on the line
 * but for spaces (`^\s*`{n,}\s*$`, written out: a regex would be built per fence length).
 */
function closesFence(line: string, fence: string): boolean {
  const char = fence[0];
  let i = 0;
  while (i < line.length && SPACE.test(line[i]!)) i++;
  const runStart = i;
  while (i < line.length && line[i] === char) i++;
  if (i - runStart < fence.length) return false;
  while (i < line.length && SPACE.test(line[i]!)) i++;
  return i === line.length;
}

/** The body of `text` when the whole of it is one fenced block, else null. */
export function unwrapSingleFence(text: string): string | null {
  const trimmed = text.trim();
  const { blocks, unclosed } = findFencedBlocks(trimmed, 2);
  const only = blocks[0];
  if (unclosed || blocks.length !== 1 || !only) return null;
  return only.startLine === 0 && only.endLine === trimmed.split(/\r?\n/).length - 1 ? only.body : null;
}

const EXTENSIONLESS_FILES = new Set([
  'Dockerfile',
  'Makefile',
  'Procfile',
  'LICENSE',
  'Gemfile',
  'Rakefile',
  'Caddyfile',
]);

/**
 * The path a label line names, or null when it is not a label. Accepts `src/App.jsx`,
 * `**src/App.jsx**`, `` `src/App.jsx` ``, `### src/App.jsx`, `File: src/App.jsx`, `- src/App.jsx:`
 * and their combinations. The path is returned unchecked (path-safety.ts judges it).
 */
export function pathFromLabelLine(line: string): string | null {
  const s = stripLabelDecoration(line.trim().replace(/\*\*/g, ''));
  if (s === '' || /[\s`*]/.test(s) || s.includes('://')) return null;
  if (!/[A-Za-z0-9]/.test(s)) return null;
  const name = s.split(/[/\\]/).pop() ?? '';
  return s.includes('.') || s.includes('/') || s.includes('\\') || EXTENSIONLESS_FILES.has(name) ? s : null;
}

const LIST_MARKER = /(?:[-*+]|\d+[.)])\s+/y;
const HEADING = /#{1,6}\s+/y;
const NAME_PREFIX = /(?:file\s*name|file|path)\s*:\s*/iy;
const QUOTES = new Set(['`', "'", '"', '*', '_']);
const LINE_TERMINATOR = /[\n\r\u2028\u2029]/;
const SPACE = /\s/;

/**
 * Strips list markers, headings, `File:` prefixes, one pair of quotes and a trailing colon, in
 * that order, until nothing changes: what replacing each of
 * `^(?:[-*+]|\d+[.)])\s+`, `^#{1,6}\s+`, `^(?:file\s*name|file|path)\s*:\s*` (case-insensitive),
 * `^([`'"*_])(.+)\1$` → `$2` and `:$`, then trimming, in a loop would give. That loop is
 * quadratic (`- - - - … a.js` takes one pass per marker, each copying the line), so this one
 * moves two indices over the line instead; a prefix pattern that failed at a start index is
 * not tried there again (the text after it only gets shorter, so it would fail again).
 */
function stripLabelDecoration(line: string): string {
  // Quotes may only be stripped around text without line terminators (`.+`): count them once.
  let terminatorsBefore: Int32Array | null = null;
  if (LINE_TERMINATOR.test(line)) {
    terminatorsBefore = new Int32Array(line.length + 1);
    for (let i = 0; i < line.length; i++) {
      terminatorsBefore[i + 1] = terminatorsBefore[i]! + (LINE_TERMINATOR.test(line[i]!) ? 1 : 0);
    }
  }
  const failedAt = new Map<RegExp, number>();
  let start = 0;
  let end = line.length;
  const stripPrefix = (pattern: RegExp) => {
    if (failedAt.get(pattern) === start) return;
    pattern.lastIndex = start;
    // A slice shares the line's characters (no copy), so this costs only what the match reads.
    const m = pattern.exec(line.slice(0, end));
    if (m) start += m[0].length;
    else failedAt.set(pattern, start);
  };
  let previous: [number, number];
  do {
    previous = [start, end];
    stripPrefix(LIST_MARKER);
    stripPrefix(HEADING);
    stripPrefix(NAME_PREFIX);
    const first = line[start];
    if (
      end - start >= 3 &&
      first !== undefined &&
      QUOTES.has(first) &&
      line[end - 1] === first &&
      (!terminatorsBefore || terminatorsBefore[end - 1] === terminatorsBefore[start + 1])
    ) {
      start++;
      end--;
    }
    if (end > start && line[end - 1] === ':') end--;
    while (start < end && SPACE.test(line[start]!)) start++;
    while (end > start && SPACE.test(line[end - 1]!)) end--;
  } while (start !== previous[0] || end !== previous[1]);
  return line.slice(start, end);
}
