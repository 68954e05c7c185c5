// A one-line progress display on stderr, for reads and writes that take more than a moment. Only
// on a terminal, and only after a short delay, so quick runs and pipes stay silent.
import type { Output } from "./output.js";

export interface Progress {
  update(text: string): void;
  done(): void;
}

const SILENT: Progress = { update() {}, done() {} };

export function progress(o: Output, delayMs = 800): Progress {
  if (!o.interactive) return SILENT;
  const started = Date.now();
  let shown = false;
  return {
    update(text) {
      if (Date.now() - started < delayMs) return;
      shown = true;
      o.errRaw(`\r\u001b[2K${o.color.dim(text)}`);
    },
    done() {
      if (shown) o.errRaw("\r\u001b[2K");
    },
  };
}
