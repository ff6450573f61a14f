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
 * that never closed, which usually means the answer was cut off.
 */
export function findFencedBlocks(text: string): { blocks: FencedBlock[]; unclosed: boolean } {
  const lines = text.split(/\r?\n/);
  const blocks: FencedBlock[] = [];
  let label: string | null = null;
  let blanksSinceLabel = 0;
  for (let i = 0; i < lines.length; i++) {
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
    const close = new RegExp(`^\\s*${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`);
    const end = lines.findIndex((l, j) => j > i && close.test(l));
    if (end === -1) return { blocks, unclosed: true };
    const body = lines
      .slice(i + 1, end)
      .map((l) => l.replace(new RegExp(`^ {0,${indent}}`), ''))
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

/** The body of `text` when the whole of it is one fenced block, else null. */
export function unwrapSingleFence(text: string): string | null {
  const trimmed = text.trim();
  const { blocks, unclosed } = findFencedBlocks(trimmed);
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
  let s = line.trim().replace(/\*\*/g, '');
  let previous: string;
  do {
    previous = s;
    s = s
      .replace(/^(?:[-*+]|\d+[.)])\s+/, '')
      .replace(/^#{1,6}\s+/, '')
      .replace(/^(?:file\s*name|file|path)\s*:\s*/i, '')
      .replace(/^([`'"*_])(.+)\1$/, '$2')
      .replace(/:$/, '')
      .trim();
  } while (s !== previous);
  if (s === '' || /[\s`*]/.test(s) || s.includes('://')) return null;
  if (!/[A-Za-z0-9]/.test(s)) return null;
  const name = s.split(/[/\\]/).pop() ?? '';
  return s.includes('.') || s.includes('/') || s.includes('\\') || EXTENSIONLESS_FILES.has(name) ? s : null;
}
