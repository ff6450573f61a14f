import Parser, { type JsonToken } from 'stream-json/Parser';
import type { FileSink } from './stream-files';

interface Level {
  kind: 'object' | 'array';
  /** The key this container sits under in its parent object. */
  key: string | null;
  /** The last key read in this object. */
  lastKey: string | null;
}

/** Content a file object gives before its path: held until the path comes (bounded by the sink). */
interface OpenFile {
  path: string | null;
  held: string[];
}

/**
 * Reads `{"files": [{"path", "content"}, ...]}` as it arrives, with stream-json's tokenizer
 * (string values come as chunks, so every character is looked at a bounded number of times),
 * and hands each file's content to `sink` as it grows. Anything else in the document is skipped.
 * Errors stop the extraction only: the complete answer is parsed again, and that parse decides.
 */
export function createJsonFileStream(sink: FileSink): { push(text: string): void; end(): Promise<void> } {
  const parser = new Parser({
    packKeys: true,
    streamKeys: false,
    packStrings: false,
    streamStrings: true,
    packNumbers: true,
    streamNumbers: false,
  });
  const stack: Level[] = [];
  let file: OpenFile | null = null;
  let reading: 'path' | 'content' | null = null;
  let pathText = '';
  let stopped = false;

  const inFileObject = () =>
    stack.length === 3 && stack[1]?.kind === 'array' && stack[1].key === 'files' && stack[0]?.kind === 'object';

  const onToken = (token: JsonToken) => {
    const top = stack[stack.length - 1];
    switch (token.name) {
      case 'startObject':
      case 'startArray':
        stack.push({
          kind: token.name === 'startObject' ? 'object' : 'array',
          key: top?.kind === 'object' ? top.lastKey : null,
          lastKey: null,
        });
        if (inFileObject()) file = { path: null, held: [] };
        return;
      case 'endObject':
      case 'endArray':
        if (inFileObject() && file) {
          if (file.path !== null) sink.write(file.path, '', true);
          file = null;
        }
        stack.pop();
        if (stack.length === 0) stopped = true;
        return;
      case 'keyValue':
        if (top?.kind === 'object') top.lastKey = token.value ?? null;
        return;
      case 'startString':
        if (inFileObject() && file && (top?.lastKey === 'path' || top?.lastKey === 'content')) {
          reading = top.lastKey;
          pathText = '';
        }
        return;
      case 'stringChunk':
        if (!file || reading === null) return;
        if (reading === 'path') {
          if (pathText.length <= 1024) pathText += token.value ?? '';
        } else if (file.path !== null) sink.write(file.path, token.value ?? '', false);
        else file.held.push(token.value ?? '');
        return;
      case 'endString':
        if (file && reading === 'path') {
          file.path = sink.open(pathText);
          if (file.path !== null) for (const text of file.held) sink.write(file.path, text, false);
          file.held = [];
        }
        reading = null;
        return;
    }
  };

  parser.on('data', onToken);
  parser.on('error', () => {
    stopped = true;
  });
  return {
    push(text) {
      if (!stopped) parser.write(text);
    },
    end() {
      if (stopped) return Promise.resolve();
      const ended = new Promise<void>((resolve) => {
        parser.once('end', resolve);
        parser.once('error', () => resolve());
      });
      parser.end();
      return ended;
    },
  };
}
