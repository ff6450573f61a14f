import { pathFromLabelLine } from './markdown-fences';
import { MAX_FILE_BYTES, MAX_FILES, MAX_TOTAL_BYTES, normalizeGeneratedPath } from './path-safety';
import { createJsonFileStream } from './stream-json-files';

/** Receives file deltas as the answer is read: `text` is appended to `path`; `done` closes it. */
export type FileDeltaHandler = (path: string, text: string, done: boolean) => void;

/** What the form readers write to: paths are checked and sizes bounded here, once for all forms. */
export interface FileSink {
  /** The safe path for a file the answer starts, or null when it is refused (then its text is dropped). */
  open(rawPath: string): string | null;
  write(path: string, text: string, done: boolean): void;
}

/** Lines outside a file longer than this are not looked at: no label or tag line is that long. */
const MAX_LINE = 1024;
const CLOSE_TAG = '</file';
/** Spaces allowed between `</file` and `>`: more is content (and keeps the hold bounded). */
const CLOSE_SPACES = 64;

type CloseSearch = { kind: 'closed'; at: number; end: number } | { kind: 'partial'; at: number } | { kind: 'none' };

/** The first `</file\s*>` in `s` starting at `from..maxAt-1`, or one cut off by the end of `s`. */
function findClose(s: string, from: number, maxAt: number): CloseSearch {
  for (let search = from; ;) {
    const at = s.indexOf(CLOSE_TAG, search);
    if (at === -1 || at >= maxAt) return { kind: 'none' };
    const after = s.slice(at + CLOSE_TAG.length, at + CLOSE_TAG.length + CLOSE_SPACES + 1);
    const close = /^\s*>/.exec(after);
    if (close) return { kind: 'closed', at, end: at + CLOSE_TAG.length + close[0].length };
    if (after.length <= CLOSE_SPACES && /^\s*$/.test(after) && at + CLOSE_TAG.length + after.length === s.length)
      return { kind: 'partial', at };
    search = at + 1;
  }
}

/**
 * Recognises files in a model's answer while it streams, in the forms the final parser accepts
 * (JSON, `<file>` blocks, labelled fences), and reports their text as it grows. Best effort: the
 * complete answer is parsed again by `parseLlmOutput`, which decides what the generation holds.
 * Linear in the answer's size, whatever it holds: each character is scanned a bounded number of
 * times, held text is bounded, and regular expressions only ever see lines of bounded length.
 */
export function createStreamFileExtractor(onDelta: FileDeltaHandler): {
  push(text: string): void;
  end(): Promise<void>;
} {
  const sink = boundedSink(onDelta);
  let json: ReturnType<typeof createJsonFileStream> | null = null;
  let decided = false;
  // A fenced block whose body starts with `{`: the JSON form inside one fence.
  const text = createTextForms(sink, (rest) => {
    json ??= createJsonFileStream(sink);
    json.push(rest);
  });
  return {
    push(chunk) {
      if (json) return json.push(chunk);
      if (!decided) {
        const start = chunk.search(/\S/);
        if (start === -1) return;
        decided = true;
        if (chunk[start] === '{') {
          json = createJsonFileStream(sink);
          return json.push(chunk.slice(start));
        }
      }
      text.push(chunk);
    },
    end: () => (json ? (json as ReturnType<typeof createJsonFileStream>).end() : Promise.resolve()),
  };
}

function boundedSink(onDelta: FileDeltaHandler): FileSink {
  const sizes = new Map<string, number>();
  let total = 0;
  return {
    open(rawPath) {
      if (sizes.size >= MAX_FILES) return null;
      try {
        const path = normalizeGeneratedPath(rawPath);
        if (sizes.has(path)) return null;
        sizes.set(path, 0);
        return path;
      } catch {
        return null;
      }
    },
    write(path, text, done) {
      const size = sizes.get(path);
      if (size === undefined) return;
      // Characters, not bytes: cheaper, and a char is at most one UTF-16 unit of the byte bound.
      const room = Math.max(0, Math.min(MAX_FILE_BYTES - size, MAX_TOTAL_BYTES - total));
      const kept = text.length > room ? text.slice(0, room) : text;
      sizes.set(path, size + kept.length);
      total += kept.length;
      if (kept !== '' || done) onDelta(path, kept, done);
    },
  };
}

type Mode =
  | { kind: 'outside'; label: string | null; blanks: number }
  | { kind: 'tag'; path: string | null; hold: string }
  | { kind: 'fence'; path: string | null; fence: string; live: boolean }
  | { kind: 'skip'; fence: string; peek: boolean };

/** `<file path="...">` blocks and fenced blocks after a path line, as they arrive. */
function createTextForms(sink: FileSink, toJson: (rest: string) => void) {
  let mode: Mode = { kind: 'outside', label: null, blanks: 0 };
  let line = '';
  let lineTooLong = false;
  let handedToJson = false;

  const closingFence = (l: string, fence: string) => {
    const t = l.trim();
    return t.length >= fence.length && t.split('').every((c) => c === fence[0]);
  };

  /** Returns text to read again when the line opened a `<file>` block with content on it. */
  const outsideLine = (l: string): string | null => {
    if (mode.kind !== 'outside') return null;
    const tag = /^\s*<file\s+path\s*=\s*(["'])([^"'\n]{1,400})\1\s*>(.*)$/.exec(l);
    if (tag) {
      mode = { kind: 'tag', path: sink.open(tag[2]!), hold: '' };
      return tag[3] ? `${tag[3]}\n` : null;
    }
    const open = /^\s*(`{3,}|~{3,})([^`]*)$/.exec(l);
    if (open) {
      const label = mode.blanks <= 1 && mode.label !== null ? pathFromLabelLine(mode.label) : null;
      mode = label
        ? { kind: 'fence', path: sink.open(label), fence: open[1]!, live: false }
        : { kind: 'skip', fence: open[1]!, peek: true };
      return null;
    }
    if (l.trim() === '') mode.blanks++;
    else mode = { kind: 'outside', label: l, blanks: 0 };
    return null;
  };

  const tagWrite = (text: string, done: boolean) => {
    if (mode.kind === 'tag' && mode.path) sink.write(mode.path, text, done);
  };

  /**
   * Text inside a `<file>` block from `chunk[from]` on: passes on all but what could be the start
   * of `</file>`. Returns where the text after the closing tag starts, or -1 while the block is
   * open. Works on indices into `chunk` (no copies), so many small blocks cost linear time.
   */
  const tagText = (chunk: string, from: number): number => {
    if (mode.kind !== 'tag') return from;
    if (mode.hold !== '') {
      const hold = mode.hold;
      mode.hold = '';
      if (chunk.length - from <= CLOSE_TAG.length + CLOSE_SPACES) {
        // Short: read the two together (a bounded copy). A close cannot end inside the hold.
        const next = tagText(hold + chunk.slice(from), 0);
        return next === -1 ? -1 : from + next - hold.length;
      }
      const head = hold + chunk.slice(from, from + CLOSE_TAG.length + CLOSE_SPACES);
      const found = findClose(head, 0, hold.length);
      if (found.kind === 'closed') {
        tagWrite(head.slice(0, found.at), true);
        mode = { kind: 'outside', label: null, blanks: 0 };
        return from + found.end - hold.length;
      }
      if (found.kind === 'partial' && head.length === hold.length + chunk.length - from) {
        mode.hold = head;
        return -1;
      }
      tagWrite(hold, false);
    }
    const found = findClose(chunk, from, chunk.length);
    if (found.kind === 'closed') {
      tagWrite(chunk.slice(from, found.at), true);
      mode = { kind: 'outside', label: null, blanks: 0 };
      return found.end;
    }
    let keep = found.kind === 'partial' ? chunk.length - found.at : 0;
    for (let k = Math.min(CLOSE_TAG.length - 1, chunk.length - from); k > 0 && keep === 0; k--)
      if (CLOSE_TAG.startsWith(chunk.slice(chunk.length - k))) keep = k;
    tagWrite(chunk.slice(from, chunk.length - keep), false);
    if (mode.kind === 'tag') mode.hold = chunk.slice(chunk.length - keep);
    return -1;
  };

  const fenceLine = (l: string, complete: boolean) => {
    if (mode.kind === 'fence') {
      if (!mode.live && complete && closingFence(l, mode.fence)) {
        if (mode.path) sink.write(mode.path, '', true);
        mode = { kind: 'outside', label: null, blanks: 0 };
        return;
      }
      if (mode.path) sink.write(mode.path, complete ? `${l}\n` : l, false);
      mode.live = !complete;
    } else if (mode.kind === 'skip' && complete) {
      if (mode.peek && /^\s*\{/.test(l)) {
        handedToJson = true;
        toJson(`${l}\n`);
        return;
      }
      mode.peek = false;
      if (closingFence(l, mode.fence)) mode = { kind: 'outside', label: null, blanks: 0 };
    }
  };

  /** One complete line read outside a file; `<file>` blocks opened and closed on it are handled here. */
  function withinLine(complete: string): void {
    // Bounded by MAX_LINE, like the line itself.
    let rest = outsideLine(complete);
    while (rest !== null) {
      if (mode.kind !== 'tag') {
        rest = rest.endsWith('\n') ? outsideLine(rest.slice(0, -1)) : null;
        continue;
      }
      const next = tagText(rest, 0);
      rest = next === -1 ? null : rest.slice(next);
    }
  }

  function feed(chunk: string): void {
    let from = 0;
    while (from < chunk.length && !handedToJson) {
      if (mode.kind === 'tag') {
        from = tagText(chunk, from);
        if (from === -1) return;
        continue;
      }
      const nl = chunk.indexOf('\n', from);
      const piece = chunk.slice(from, nl === -1 ? chunk.length : nl);
      from = nl === -1 ? chunk.length : nl + 1;
      if (mode.kind === 'fence') {
        // Text of a line that cannot be the closing fence goes on at once, the rest at its end.
        const whole = line + piece;
        const mayClose = whole.length <= MAX_LINE && (/^\s*$/.test(whole) || whole.trimStart()[0] === mode.fence[0]);
        line = '';
        if (nl === -1 && (mode.live || !mayClose)) fenceLine(whole, false);
        else if (nl === -1) line = whole;
        else fenceLine(mode.live ? piece : whole.replace(/\r$/, ''), true);
        continue;
      }
      if (!lineTooLong) line += piece;
      if (line.length > MAX_LINE) {
        line = '';
        lineTooLong = true;
      }
      if (nl === -1) continue;
      const complete = lineTooLong ? '' : line.replace(/\r$/, '');
      line = '';
      lineTooLong = false;
      if (mode.kind === 'outside') withinLine(complete);
      else fenceLine(complete, true);
    }
    if (handedToJson && from < chunk.length) toJson(chunk.slice(from));
  }

  return {
    push(chunk: string) {
      if (handedToJson) toJson(chunk);
      else feed(chunk);
    },
  };
}
