/**
 * The real `promtool` (Debian's prometheus package) on a text: `check metrics` lints a
 * `/metrics` exposition read from stdin. A clean exposition exits 0 and prints nothing.
 */
import { execFile } from 'node:child_process';

export const PROMTOOL_BINARY = 'promtool';

export interface PromtoolRun {
  readonly code: number;
  /** stdout and stderr together: every complaint promtool printed. */
  readonly output: string;
}

/** `promtool check metrics < exposition`. */
export function promtoolCheckMetrics(exposition: string): Promise<PromtoolRun> {
  return new Promise((resolve, reject) => {
    const child = execFile(PROMTOOL_BINARY, ['check', 'metrics'], (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') {
        reject(err);
        return;
      }
      resolve({ code: typeof err?.code === 'number' ? err.code : 0, output: `${stdout}${stderr}` });
    });
    child.stdin?.end(exposition);
  });
}
