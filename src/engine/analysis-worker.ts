// The analysis pool's worker (analysis-pool.ts): built once per thread from the policy material
// in workerData, it answers batches of values with their facts. Bundled as its own file.
import { workerData } from "node:worker_threads";
import { type AnalysisMaterial, ValueAnalyser } from "../certs/analyse.js";
import type { AnalysisBatch } from "./analysis-pool.js";

const analyser = new ValueAnalyser(workerData as AnalysisMaterial);

/** A JSON array, one entry per value: its ValueFacts, or null (no facts, or the analysis threw). */
export default function analyseBatch(batch: AnalysisBatch): string {
  const all = new Uint8Array(batch.buffer);
  const out: string[] = [];
  let start = 0;
  for (const end of batch.ends) {
    let json = "null";
    try {
      const facts = analyser.analyse(all.subarray(start, end));
      if (facts !== undefined) json = JSON.stringify(facts);
    } catch {
      // Left to the main thread, which analyses it as if there were no pool.
    }
    out.push(json);
    start = end;
  }
  return `[${out.join(",")}]`;
}
