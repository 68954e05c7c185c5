import { Chalk } from "chalk";
import { describe, expect, it } from "vitest";
import type { Output } from "../../src/cli/output.js";
import { progress } from "../../src/cli/progress.js";

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
    const p = progress(o, 0);
    p.update("Reading… AD 100 objects");
    p.update("Reading… AD 200 objects");
    p.done();
    expect(written()).toBe("\r\u001b[2KReading… AD 100 objects\r\u001b[2KReading… AD 200 objects\r\u001b[2K");
  });

  it("stays silent for quick runs and when stderr is not a terminal", () => {
    const quick = output(true);
    const p = progress(quick.o, 60_000);
    p.update("Reading…");
    p.done();
    expect(quick.written()).toBe("");
    const piped = output(false);
    const q = progress(piped.o, 0);
    q.update("Reading…");
    q.done();
    expect(piped.written()).toBe("");
  });
});
