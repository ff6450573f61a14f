/**
 * Runs a write until it succeeds, for up to `timeoutMs` (backing off from 200 ms to 2 s): for
 * the writes that settle money or a job's end, which a store away for a few seconds must not
 * leave undone. The write must be idempotent (a ledger key, a job id): a retry may follow an
 * attempt whose outcome is unknown.
 */
export async function persistently<T>(write: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 200; ; delay = Math.min(delay * 2, 2000)) {
    try {
      return await write();
    } catch (err) {
      if (Date.now() + delay > deadline) throw err;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
