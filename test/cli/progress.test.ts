import { Chalk } from "chalk";
import { describe, expect, it } from "vitest";
import type { Output } from "../../src/cli/output.js";
import { progress, progressInterval } from "../../src/cli/progress.js";

function output(interactive: boolean): { o: Output; written: () => string } {
  let err = "";
  const o: Output = {
    out: () => {},
    err: (t) => {
      err += `${t}\n`;
    },
    errRaw: (t) => {
      err += t;
    },
    color: new Chalk({ level: 0 }),
    interactive,
    debug: false,
  };
  return { o, written: () => err };
}

describe("progress display", () => {
  it("redraws one line on a terminal once the delay has passed, and clears it when done", () => {
    const { o, written } = output(true);
    const p = progress(o, { delayMs: 0 });
    p.update("Reading… AD 100 objects");
    p.update("Reading… AD 200 objects");
    p.done();
    expect(written()).toBe("\r\u001b[2KReading… AD 100 objects\r\u001b[2KReading… AD 200 objects\r\u001b[2K");
  });

  it("stays silent for quick runs and when stderr is not a terminal", () => {
    const quick = output(true);
    const p = progress(quick.o, { delayMs: 60_000 });
    p.update("Reading…");
    p.done();
    expect(quick.written()).toBe("");
  });

  it("without a terminal, prints a plain line at most once per interval, so CI logs show a long run moving", () => {
    let t = 1_000_000;
    const now = () => t;
    const piped = output(false);
    const p = progress(piped.o, { env: { SMIMESYNC_PROGRESS_INTERVAL: "10" }, now });
    p.update("Reading… AD 10 objects"); // at 0 s: a run shorter than one interval prints nothing
    t += 9_000;
    p.update("Reading… AD 90 objects");
    t += 1_000;
    p.update("Reading… AD 100 objects"); // 10 s
    t += 5_000;
    p.update("Reading… AD 150 objects"); // 5 s after the last line: held back
    t += 6_000;
    p.update("Reading… AD 210 objects"); // 21 s
    p.done();
    expect(piped.written()).toBe("Reading… AD 100 objects (10 s)\nReading… AD 210 objects (21 s)\n");
  });

  it("SMIMESYNC_PROGRESS_INTERVAL=0 silences the lines; unreadable values fall back to 30 s, huge ones are capped", () => {
    let t = 0;
    const piped = output(false);
    const p = progress(piped.o, { env: { SMIMESYNC_PROGRESS_INTERVAL: "0" }, now: () => t });
    t += 10 ** 9;
    p.update("Reading…");
    expect(piped.written()).toBe("");
    expect(progressInterval({})).toBe(30);
    expect(progressInterval({ SMIMESYNC_PROGRESS_INTERVAL: "soon" })).toBe(30);
    expect(progressInterval({ SMIMESYNC_PROGRESS_INTERVAL: "-5" })).toBe(30);
    expect(progressInterval({ SMIMESYNC_PROGRESS_INTERVAL: "1e12" })).toBe(86_400);
    expect(progressInterval({ SMIMESYNC_PROGRESS_INTERVAL: "5" })).toBe(5);
  });
});
