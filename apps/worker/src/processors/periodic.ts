/**
 * Runs `work` now and every `intervalMs`, never two at once (a tick while one runs is skipped).
 * `work` reports its own outcome and must not throw. Returns a stop function that waits for a
 * run in progress.
 */
export function startPeriodic(work: () => Promise<void>, intervalMs: number): () => Promise<void> {
  let running: Promise<void> | null = null;
  const tick = () => {
    running ??= work().finally(() => {
      running = null;
    });
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
