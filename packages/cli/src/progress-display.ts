import type { FileEvent, Job } from './job-events';

const BAR_WIDTH = 30;

/**
 * What `vectort generate` shows while a job runs: a progress bar redrawn in place on a terminal
 * (one line per change otherwise), and one line per file as the model writes it.
 */
export function createProgressDisplay(out: NodeJS.WriteStream) {
  const tty = Boolean(out.isTTY);
  const files = new Map<string, number>();
  let barShown = false;
  let lastLine = '';

  const bar = (job: Job) => {
    const pct = Math.max(0, Math.min(100, Math.round(job.progress)));
    const filled = Math.round((pct / 100) * BAR_WIDTH);
    return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${String(pct).padStart(3)}% ${job.status}`;
  };
  const clearBar = () => {
    if (tty && barShown) out.write('\r\x1b[2K');
    barShown = false;
  };

  return {
    status(job: Job): void {
      const line = bar(job);
      if (line === lastLine) return;
      lastLine = line;
      if (tty) {
        out.write(`\r\x1b[2K${line}`);
        barShown = true;
      } else {
        out.write(`${line}\n`);
      }
    },
    file(event: FileEvent): void {
      const seen = files.get(event.path);
      const size = (event.replace ? 0 : (seen ?? 0)) + event.text.length;
      files.set(event.path, size);
      if (seen === undefined || event.done) {
        clearBar();
        out.write(`${event.done ? '✓' : '…'} ${event.path}${event.done ? ` (${size} chars)` : ''}\n`);
        if (tty && lastLine) {
          out.write(lastLine);
          barShown = true;
        }
      }
    },
    /** Leaves the bar's last state on its own line. */
    end(): void {
      if (tty && barShown) out.write('\n');
      barShown = false;
    },
  };
}
