// Pieces the plan and apply commands share: the read progress line and how tripped guards read.
import type { GuardTrip } from "../../apply/guards.js";
import type { ReadProgress } from "../../engine/read.js";
import type { Output } from "../output.js";
import { progress } from "../progress.js";

export function readProgress(o: Output): { onRead: ReadProgress; done: () => void } {
  const p = progress(o);
  return {
    onRead: (c) =>
      p.update(
        `Reading… AD ${c.directory} objects, Entra ID ${c.cloudUsers} users, Exchange ${c.exchange} recipients`,
      ),
    done: () => p.done(),
  };
}

export function printGuardTrips(o: Output, trips: readonly GuardTrip[]): void {
  for (const t of trips) {
    o.err(o.color.red(`Error: safety guard ${t.guard}: ${t.message}.`));
    o.err(`  ${t.hint}`);
  }
  o.err("Nothing was written. apply refuses this plan while the guard trips.");
}
