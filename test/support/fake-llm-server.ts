import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** The part of a chat completions request body the fake reads. */
export interface ChatRequestBody {
  model?: string;
  messages?: { role: string; content: unknown }[];
  [key: string]: unknown;
}

/**
 * How a streamed answer (a request with `stream: true`) is paced: the content goes out in
 * `chunks` pieces (or pieces of `chunkChars`), `chunkDelayMs` apart.
 */
export interface StreamPace {
  /** @defaultValue 3 */
  chunks?: number;
  chunkChars?: number;
  /** @defaultValue 0 */
  chunkDelayMs?: number;
}

/** How the fake answers one `POST /v1/chat/completions`. */
export type FakeLlmBehavior =
  /** A chat.completion; `content` defaults to a valid JSON project derived from the user message. */
  | ({
      kind: 'ok';
      content?: string | ((req: ChatRequestBody) => string);
      delayMs?: number;
      finishReason?: string;
    } & StreamPace)
  /** A chat.completion whose message content is exactly `content`, e.g. prose or a bad path. */
  | ({ kind: 'raw'; content: string; delayMs?: number; finishReason?: string } & StreamPace)
  /** A streamed answer that sends `afterChunks` pieces of the default project, then drops the connection. */
  | ({ kind: 'stream-break'; afterChunks: number } & StreamPace)
  /** A streamed answer whose piece number `afterChunks + 1` is not JSON. */
  | ({ kind: 'stream-malformed'; afterChunks: number } & StreamPace)
  /** An error status with an OpenAI-style error body unless `body` is given. */
  | { kind: 'status'; status: number; retryAfter?: number | string; body?: unknown; delayMs?: number }
  /** A 200 whose HTTP body is `body` verbatim (not a chat.completion), e.g. broken JSON. */
  | { kind: 'body'; body: string; contentType?: string }
  /** Never answers; the request stays open until the client gives up or `close()`. */
  | { kind: 'hang' };

/** What the fake server as a whole supports, like servers that lag behind OpenAI's API. */
export interface FakeLlmServerMode {
  /** `reject`: 400 to `stream: true`; `ignore`: answer it with one JSON body. @defaultValue "yes" */
  streaming?: 'yes' | 'ignore' | 'reject';
  /** 400 to any request carrying `max_completion_tokens`, as older servers answer. @defaultValue false */
  rejectMaxCompletionTokens?: boolean;
}

export interface FakeLlm {
  /** Base URL ending in `/v1`, for `OPENAI_BASE_URL`. */
  readonly url: string;
  /** Chat completion requests received so far, counted on arrival (before any delay). */
  readonly calls: number;
  /** Requests whose client went away (aborted) before the answer was complete. */
  readonly aborted: number;
  /** Changes what the server supports (see {@link FakeLlmServerMode}); `reset()` restores the defaults. */
  setMode(mode: FakeLlmServerMode): void;
  /** Parsed bodies of the requests received, in order of arrival. */
  readonly requests: ChatRequestBody[];
  /** The behaviour for every request that finds the one-shot queue empty. */
  setBehavior(behavior: FakeLlmBehavior): void;
  /** One-shot behaviours, used in order by the next requests before falling back to `setBehavior`'s. */
  enqueue(...behaviors: FakeLlmBehavior[]): void;
  /** Clears the queue, the counters and the recorded requests, and goes back to `{ kind: 'ok' }`. */
  reset(): void;
  /** Ends every open (and hung) request and stops listening. */
  close(): Promise<void>;
}

export interface FakeLlmOptions {
  /** @defaultValue `{ kind: 'ok' }` */
  behavior?: FakeLlmBehavior;
  /** @defaultValue 0 (any free port) */
  port?: number;
}

/** The user message's text: what the default answer is derived from. */
export function userMessageText(req: ChatRequestBody): string {
  const user = [...(req.messages ?? [])].reverse().find((m) => m.role === 'user');
  if (!user) return '';
  if (typeof user.content === 'string') return user.content;
  if (Array.isArray(user.content)) {
    return user.content.map((part: { text?: unknown }) => (typeof part?.text === 'string' ? part.text : '')).join('');
  }
  return '';
}

/** A small valid project that differs with the description, as a model's JSON answer. */
export function defaultProjectJson(req: ChatRequestBody): string {
  const description = userMessageText(req);
  const escaped = description.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return JSON.stringify({
    files: [
      {
        path: 'index.html',
        content: `<!doctype html>\n<title>${escaped}</title>\n<h1>${escaped}</h1>\n<script src="app.js"></script>\n`,
      },
      { path: 'app.js', content: `console.log(${JSON.stringify(description)});\n` },
      { path: 'README.md', content: `# ${description}\n\nOpen index.html.\n` },
    ],
    entrypoint: 'index.html',
    instructions: 'open index.html',
  });
}

/**
 * An OpenAI-compatible chat completions server on 127.0.0.1 for tests: counts calls, can delay,
 * fail or hang; streams (slowly, if asked) when a request says `stream: true`, can break a stream
 * off or send a malformed chunk, and counts the requests its clients abort.
 */
export async function startFakeLlm(options: FakeLlmOptions = {}): Promise<FakeLlm> {
  let fallback: FakeLlmBehavior = options.behavior ?? { kind: 'ok' };
  let queue: FakeLlmBehavior[] = [];
  let calls = 0;
  let aborted = 0;
  let mode: FakeLlmServerMode = {};
  let requests: ChatRequestBody[] = [];
  let sequence = 0;
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };

  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'POST' && path === '/v1/chat/completions') {
      calls++;
      const behavior = queue.shift() ?? fallback;
      res.on('close', () => {
        if (!res.writableEnded) aborted++;
      });
      readJson(req).then(
        (body) => {
          requests.push(body);
          try {
            answer(behavior, body, res);
          } catch (err) {
            sendJson(res, 500, { error: { message: `fake failed: ${String(err)}`, type: 'server_error', code: null } });
          }
        },
        () =>
          sendJson(res, 400, { error: { message: 'invalid JSON body', type: 'invalid_request_error', code: null } }),
      );
      return;
    }
    if (req.method === 'GET' && path === '/v1/models') {
      sendJson(res, 200, {
        object: 'list',
        data: [{ id: 'fake-model', object: 'model', created: 0, owned_by: 'fake' }],
      });
      return;
    }
    sendJson(res, 404, { error: { message: 'not found', type: 'invalid_request_error', code: null } });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  function answer(behavior: FakeLlmBehavior, body: ChatRequestBody, res: ServerResponse): void {
    if (mode.rejectMaxCompletionTokens && body.max_completion_tokens !== undefined) {
      sendJson(res, 400, {
        error: {
          message: "Unsupported parameter: 'max_completion_tokens'. Use 'max_tokens' instead.",
          type: 'invalid_request_error',
          param: 'max_completion_tokens',
          code: 'unsupported_parameter',
        },
      });
      return;
    }
    const streamed = body.stream === true && mode.streaming !== 'ignore';
    if (body.stream === true && mode.streaming === 'reject') {
      sendJson(res, 400, {
        error: { message: 'stream is not supported', type: 'invalid_request_error', param: 'stream', code: null },
      });
      return;
    }
    switch (behavior.kind) {
      case 'stream-break':
      case 'stream-malformed':
        streamAnswer(res, body, defaultProjectJson(body), 'stop', ++sequence, behavior, behavior);
        return;
      case 'hang':
        return;
      case 'body':
        res.writeHead(200, { 'Content-Type': behavior.contentType ?? 'application/json' }).end(behavior.body);
        return;
      case 'status': {
        const headers: Record<string, string> = {};
        if (behavior.retryAfter !== undefined) headers['Retry-After'] = String(behavior.retryAfter);
        const errorBody = behavior.body ?? {
          error: {
            message: `fake error ${behavior.status}`,
            type:
              behavior.status === 429
                ? 'rate_limit_error'
                : behavior.status >= 500
                  ? 'server_error'
                  : 'invalid_request_error',
            code: null,
          },
        };
        later(behavior.delayMs ?? 0, () => sendJson(res, behavior.status, errorBody, headers));
        return;
      }
      case 'ok':
      case 'raw': {
        const content =
          behavior.kind === 'raw'
            ? behavior.content
            : typeof behavior.content === 'function'
              ? behavior.content(body)
              : (behavior.content ?? defaultProjectJson(body));
        const finishReason = behavior.finishReason ?? 'stop';
        if (streamed) {
          later(behavior.delayMs ?? 0, () => streamAnswer(res, body, content, finishReason, ++sequence, behavior));
          return;
        }
        later(behavior.delayMs ?? 0, () => sendJson(res, 200, completion(body, content, finishReason, ++sequence)));
        return;
      }
    }
  }

  /** Server-sent chat.completion.chunk events, as OpenAI streams them, paced by `pace`. */
  function streamAnswer(
    res: ServerResponse,
    body: ChatRequestBody,
    content: string,
    finishReason: string,
    seq: number,
    pace: StreamPace,
    fault?: { kind: 'stream-break' | 'stream-malformed'; afterChunks: number },
  ): void {
    if (res.destroyed) return;
    const size = pace.chunkChars ?? Math.max(1, Math.ceil(content.length / (pace.chunks ?? 3)));
    const pieces: string[] = [];
    for (let at = 0; at < content.length; at += size) pieces.push(content.slice(at, at + size));
    const model = typeof body.model === 'string' ? body.model : 'fake-model';
    const chunk = (delta: Record<string, unknown>, finish: string | null, usage?: unknown) =>
      `data: ${JSON.stringify({
        id: `chatcmpl-fake-${seq}`,
        object: 'chat.completion.chunk',
        created: 1_700_000_000 + seq,
        model,
        choices: usage ? [] : [{ index: 0, delta, logprobs: null, finish_reason: finish }],
        ...(usage ? { usage } : {}),
      })}\n\n`;
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    let i = 0;
    const next = () => {
      if (res.destroyed) return;
      if (fault && i === fault.afterChunks) {
        if (fault.kind === 'stream-break') {
          res.socket?.destroy();
          return;
        }
        res.end('data: {"id": "chatcmpl-broken", "choices": [\n\n');
        return;
      }
      if (i < pieces.length) {
        res.write(chunk(i === 0 ? { role: 'assistant', content: pieces[i] } : { content: pieces[i] }, null));
        i++;
        later(pace.chunkDelayMs ?? 0, next);
        return;
      }
      res.write(chunk({}, finishReason));
      const wantsUsage = (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
      if (wantsUsage) res.write(chunk({}, null, completion(body, content, finishReason, seq).usage));
      res.end('data: [DONE]\n\n');
    };
    next();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    get calls() {
      return calls;
    },
    get aborted() {
      return aborted;
    },
    setMode(next) {
      mode = next;
    },
    get requests() {
      return requests;
    },
    setBehavior(behavior) {
      fallback = behavior;
    },
    enqueue(...behaviors) {
      queue.push(...behaviors);
    },
    reset() {
      fallback = { kind: 'ok' };
      queue = [];
      calls = 0;
      aborted = 0;
      mode = {};
      requests = [];
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

function completion(req: ChatRequestBody, content: string, finishReason: string, sequence: number) {
  const promptChars = JSON.stringify(req.messages ?? []).length;
  return {
    id: `chatcmpl-fake-${sequence}`,
    object: 'chat.completion',
    created: 1_700_000_000 + sequence,
    model: typeof req.model === 'string' ? req.model : 'fake-model',
    choices: [
      { index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: finishReason },
    ],
    // Roughly four characters a token, like OpenAI's English text; deterministic for assertions on cost.
    usage: {
      prompt_tokens: Math.ceil(promptChars / 4),
      completion_tokens: Math.ceil(content.length / 4),
      total_tokens: Math.ceil(promptChars / 4) + Math.ceil(content.length / 4),
    },
  };
}

async function readJson(req: IncomingMessage): Promise<ChatRequestBody> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
  return parsed as ChatRequestBody;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(body));
}
