// The one tracking issue of the scheduled reconcile, per config: opened when the plan has changes
// or drift (or fails), edited in place on every run, closed with a note when all is clean again,
// as drift detection does in Terraform Cloud or Spacelift. Found by its label and a hidden marker
// in its body, so people's issues with the same label are left alone.
import { call } from "../comments.js";
import type { GitHubClient, RepoRef } from "../github-client.js";

export function trackingMarker(configPath: string): string {
  return `<!-- smimesync-reconcile:${configPath.replace(/-(?=-)/g, "%2D").replace(/>/g, "%3E")} -->`;
}

export type TrackingResult =
  | {
      readonly action: "opened" | "updated" | "unchanged" | "closed";
      readonly number: number;
      readonly url: string;
    }
  | { readonly action: "none" };

export interface TrackingInput {
  readonly configPath: string;
  readonly label: string;
  /** The body while something needs attention; null when all is clean. */
  readonly body: string | null;
  readonly title: string;
  readonly cleanNote: string;
}

export async function syncTrackingIssue(
  gh: GitHubClient,
  repo: RepoRef,
  input: TrackingInput,
): Promise<TrackingResult> {
  const marker = trackingMarker(input.configPath);
  const open = await call(`listing the open issues labelled ${input.label}`, () =>
    gh.paginate(gh.rest.issues.listForRepo, { ...repo, labels: input.label, state: "open", per_page: 100 }),
  );
  const existing = open
    .filter((i) => !("pull_request" in i && i.pull_request) && (i.body ?? "").startsWith(marker))
    .sort((a, b) => a.number - b.number)[0];
  if (input.body === null) {
    if (!existing) return { action: "none" };
    await call(`commenting on #${existing.number}`, () =>
      gh.rest.issues.createComment({ ...repo, issue_number: existing.number, body: input.cleanNote }),
    );
    await call(`closing #${existing.number}`, () =>
      gh.rest.issues.update({
        ...repo,
        issue_number: existing.number,
        state: "closed",
        state_reason: "completed",
      }),
    );
    return { action: "closed", number: existing.number, url: existing.html_url };
  }
  const body = `${marker}\n${input.body}`;
  if (existing) {
    if (existing.body === body && existing.title === input.title)
      return { action: "unchanged", number: existing.number, url: existing.html_url };
    const res = await call(`editing #${existing.number}`, () =>
      gh.rest.issues.update({ ...repo, issue_number: existing.number, title: input.title, body }),
    );
    return { action: "updated", number: res.data.number, url: res.data.html_url };
  }
  const res = await call("opening the tracking issue", () =>
    gh.rest.issues.create({ ...repo, title: input.title, body, labels: [input.label] }),
  );
  return { action: "opened", number: res.data.number, url: res.data.html_url };
}
