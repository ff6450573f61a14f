// The event-stream clients of bench/live.bench.mjs, in a process of their own, so that reading
// 200 streams does not slow the load generator's fixed rate of hits in the benchmark's process.
// Driven over IPC: {open: {urls, token}} -> {opened}; {count} -> {bytes, reads}; {close} -> {closed}.
const streams = [];

async function open(url, token) {
  const ctl = new AbortController();
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: ctl.signal });
  if (res.status !== 200) throw new Error(`event stream answered ${res.status}`);
  const stream = { bytes: 0, reads: 0, close: () => ctl.abort() };
  stream.ended = (async () => {
    try {
      for await (const c of res.body) {
        stream.bytes += c.length;
        stream.reads++;
      }
    } catch {
      // aborted
    }
  })();
  streams.push(stream);
}

process.on('message', async (msg) => {
  try {
    if (msg.open) {
      for (const url of msg.open.urls) await open(url, msg.open.token);
      process.send({ opened: streams.length });
    } else if (msg.count) {
      process.send({
        bytes: streams.reduce((n, s) => n + s.bytes, 0),
        reads: streams.reduce((n, s) => n + s.reads, 0),
      });
    } else if (msg.close) {
      for (const s of streams.splice(0)) s.close();
      process.send({ closed: true });
    }
  } catch (err) {
    process.send({ error: err.message });
  }
});
