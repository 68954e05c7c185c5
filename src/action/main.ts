// Entry point of the GitHub Action (bundled by esbuild into dist-action/index.mjs): wires the
// smimesync CLI, run in-process, into the action's logic in src/gitops/action.
import "../certs/runtime.js";
import { main } from "../cli/main.js";
import { abandonedCacheRequests } from "../gitops/action/cache.js";
import { runAction } from "../gitops/action/run.js";

await runAction(async (argv, cwd, env) => {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, {
    cwd,
    // No colours in captured text; GITHUB_ACTIONS stays set, so diagnostics become annotations.
    env: { ...process.env, ...env, NO_COLOR: "1" },
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
});
// A cache request given up on may hold its socket open for as long as the server likes: the step
// is done, so end the process instead of waiting for it (exit code as core.setFailed left it).
if (abandonedCacheRequests() > 0) process.exit();
