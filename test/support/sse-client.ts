/** One server-sent event as received. */
export interface SseEvent {
  id: string | null;
  event: string;
  data: any;
  at: number;
}

export interface SseStream {
  readonly status: number;
  readonly events: SseEvent[];
  /** Resolves with the events so far once `check` holds for them (rejects after `timeoutMs`). */
  until(check: (events: SseEvent[]) => boolean, timeoutMs?: number): Promise<SseEvent[]>;
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
  close(): void;
}

/** Opens `GET {url}` as an event stream with `fetch`, parsing events as they arrive. */
export async function openEventStream(url: string, token: string, lastEventId?: string): Promise<SseStream> {
  const ctl = new AbortController();
  const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' };
  if (lastEventId) headers['Last-Event-ID'] = lastEventId;
  const res = await fetch(url, { headers, signal: ctl.signal });
  const events: SseEvent[] = [];
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of waiters) w();
  };
  const ended = (async () => {
    if (!res.body || res.status !== 200) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let at: number;
        while ((at = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, at);
          buffer = buffer.slice(at + 2);
          let id: string | null = null;
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            const [field, ...rest] = line.split(':');
            const value = rest.join(':').replace(/^ /, '');
            if (field === 'id') id = value;
            else if (field === 'event') event = value;
            else if (field === 'data') data.push(value);
          }
          if (data.length === 0) continue;
          events.push({ id, event, data: JSON.parse(data.join('\n')), at: Date.now() });
          notify();
        }
      }
    } catch {
      // closed by us
    } finally {
      notify();
    }
  })();
  let done = false;
  void ended.then(() => {
    done = true;
    notify();
  });
  return {
    status: res.status,
    events,
    ended,
    until(check, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const test = () => {
          if (check(events)) {
            cleanup();
            resolve(events);
          } else if (done) {
            cleanup();
            reject(new Error(`stream ended without the expected events: ${JSON.stringify(events).slice(0, 2000)}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for events: ${JSON.stringify(events).slice(0, 2000)}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(test);
        };
        waiters.add(test);
        test();
      });
    },
    close: () => ctl.abort(),
  };
}

/** Each path's text as the `file` events build it (`replace` starts a path over). */
export function filesFromEvents(events: SseEvent[]): Map<string, { text: string; done: boolean }> {
  const files = new Map<string, { text: string; done: boolean }>();
  for (const e of events) {
    if (e.event !== 'file') continue;
    const prev = files.get(e.data.path);
    const text = e.data.replace || !prev ? e.data.text : prev.text + e.data.text;
    files.set(e.data.path, { text, done: e.data.done });
  }
  return files;
}
