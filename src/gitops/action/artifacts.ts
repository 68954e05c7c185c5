// Plan artifacts through @actions/artifact: the plan job uploads plan.json and plan.md; the apply
// job finds them in other runs (the pull requests' plan runs) through the REST API, which needs a
// token with `actions: read`, and checks the digest recorded at upload.
import { basename } from "node:path";
import { DefaultArtifactClient } from "@actions/artifact";
import { SmimesyncError } from "../../errors.js";
import type { ActionContext } from "./context.js";

export interface UploadedArtifact {
  readonly id: number;
  /** The artifact's page, for links in comments. */
  readonly url: string;
}

export async function uploadPlanArtifact(
  ctx: ActionContext,
  files: readonly string[],
  rootDir: string,
): Promise<UploadedArtifact> {
  const client = new DefaultArtifactClient();
  try {
    const res = await client.uploadArtifact(ctx.inputs.planArtifact, [...files], rootDir, {
      retentionDays: 90,
    });
    if (res.id === undefined) throw new Error("no artifact id returned");
    return { id: res.id, url: `${ctx.run.runUrl.replace(/\/attempts\/\d+$/, "")}/artifacts/${res.id}` };
  } catch (e) {
    throw new SmimesyncError(
      "GITHUB_ERROR",
      `Uploading the plan artifact '${ctx.inputs.planArtifact}' failed: ${e instanceof Error ? e.message : String(e)}`,
      {
        hint: "The artifact service is reached through ACTIONS_RUNTIME_TOKEN and ACTIONS_RESULTS_URL, set for JavaScript actions.",
        cause: e,
      },
    );
  }
}

export type DownloadResult =
  | { readonly kind: "downloaded"; readonly dir: string; readonly artifactId: number }
  | { readonly kind: "missing"; readonly why: string };

/** The plan artifact of another run (a pull request's plan run) into `dir`. */
export async function downloadPlanArtifact(
  ctx: ActionContext,
  runId: number,
  dir: string,
): Promise<DownloadResult> {
  const client = new DefaultArtifactClient();
  const findBy = {
    token: ctx.inputs.token,
    workflowRunId: runId,
    repositoryOwner: ctx.repo.owner,
    repositoryName: ctx.repo.repo,
  };
  let found: Awaited<ReturnType<DefaultArtifactClient["getArtifact"]>>;
  try {
    found = await client.getArtifact(ctx.inputs.planArtifact, { findBy });
  } catch (e) {
    return {
      kind: "missing",
      why: `run ${runId} has no artifact '${ctx.inputs.planArtifact}' (${firstLine(e)})`,
    };
  }
  const { artifact } = found;
  const res = await client.downloadArtifact(artifact.id, {
    path: dir,
    findBy,
    ...(artifact.digest ? { expectedHash: artifact.digest } : {}),
  });
  if (res.digestMismatch) {
    throw new SmimesyncError(
      "GITHUB_ERROR",
      `The artifact ${artifact.name} of run ${runId} does not match the digest recorded at upload.`,
      { hint: "It was altered after the upload: nothing is applied from it. Re-run the plan." },
    );
  }
  return { kind: "downloaded", dir: res.downloadPath ?? dir, artifactId: artifact.id };
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0] ?? "";
}

export const PLAN_JSON = "plan.json";
export const PLAN_MD = "plan.md";
export const isPlanFile = (p: string) => basename(p) === PLAN_JSON;
