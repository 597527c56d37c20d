/**
 * A progress bar on stderr for long work. On a terminal it redraws one line; elsewhere
 * (CI logs, pipes) it prints one line per step so logs stay readable.
 */
export interface ProgressBar {
  /** Marks the start of step `label`; `fraction` of the whole work is done before it. */
  step(label: string, fraction: number): void;
  done(message?: string): void;
}

export function createProgressBar(stream: NodeJS.WriteStream = process.stderr, enabled = true): ProgressBar {
  const started = Date.now();
  const tty = Boolean(stream.isTTY);
  const width = 24;
  let last = '';
  let lastPrinted = { word: '', percent: -100 };
  const seconds = (): string => `${((Date.now() - started) / 1000).toFixed(1)}s`;
  return {
    step(label, fraction) {
      if (!enabled) return;
      const clamped = Math.min(1, Math.max(0, fraction));
      if (tty) {
        const filled = Math.round(clamped * width);
        const line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(clamped * 100)).padStart(3)}% ${label} ${seconds()}`;
        stream.write(`\r${line.padEnd(last.length)}`);
        last = line;
      } else {
        // Logs get a line per new kind of step, and at most one per 5% within a step (downloads).
        const percent = Math.round(clamped * 100);
        const word = label.split(' ')[0] ?? '';
        if (word === lastPrinted.word && percent - lastPrinted.percent < 5) return;
        lastPrinted = { word, percent };
        stream.write(`fslsd: ${String(percent).padStart(3)}% ${label}\n`);
      }
    },
    done(message) {
      if (!enabled) return;
      if (tty && last) stream.write(`\r${' '.repeat(last.length)}\r`);
      if (message) stream.write(`${message} (${seconds()})\n`);
    },
  };
}
