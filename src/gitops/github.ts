// The plan on the pull request: markdown in the job summary, and one set of comments per config
// that is updated in place on every push instead of piling up. Each comment starts with a hidden
// marker, `<!-- smimesync-plan:<config path> part N -->`, by which the next run finds it again.
//
// When a new plan needs fewer comments than the last one, the surplus comments are edited into a
// short "superseded" note rather than deleted: they keep their marker, so a later, longer plan
// reuses them in place (no new notifications, no reordering), a reviewer's link to one still
// resolves, and the conversation keeps a trace that the plan once was longer.
import { appendFile, stat } from "node:fs/promises";
import { SmimesyncError } from "../errors.js";
import type { GitHubApi } from "./github-api.js";

/** GitHub refuses a comment body longer than this. */
export const MAX_COMMENT_CHARS = 65_536;

/** GitHub shows at most 1 MiB of a step's summary. */
export const MAX_STEP_SUMMARY_BYTES = 1024 * 1024;

export function planCommentMarker(configPath: string, part: number): string {
  return `<!-- smimesync-plan:${escapeMarker(configPath)} part ${part} -->`;
}

/**
 * Characters left for one part's markdown once the marker is added: the limit the splitter in
 * src/plan must be given so that every part fits in a comment.
 */
export function commentPartBudget(configPath: string): number {
  return MAX_COMMENT_CHARS - planCommentMarker(configPath, 999).length - 1;
}

// The path sits inside an HTML comment: `--` and `>` would end it early.
function escapeMarker(path: string): string {
  return path
    .replace(/%/g, "%25")
    .replace(/-(?=-)/g, "%2D")
    .replace(/>/g, "%3E");
}

const MARKER = /^<!-- smimesync-plan:(.*) part (\d+) -->/;

interface IssueComment {
  readonly id: number;
  readonly body?: string | null;
  readonly html_url: string;
}

export type CommentAction = "created" | "updated" | "unchanged" | "superseded";

export interface PlanComment {
  readonly part: number;
  readonly id: number;
  readonly url: string;
  readonly action: CommentAction;
}

export interface PlanCommentsInput {
  readonly issueNumber: number;
  /** Repository-relative config path: one set of comments per config (monorepos have several). */
  readonly configPath: string;
  /** The plan's markdown, already split under `commentPartBudget(configPath)`. */
  readonly parts: readonly string[];
}

/** Creates or updates the plan's comments on a pull request; returns what happened to each. */
export async function publishPlanComments(api: GitHubApi, input: PlanCommentsInput): Promise<PlanComment[]> {
  if (input.parts.length === 0) throw new Error("publishPlanComments: no markdown parts");
  const bodies = input.parts.map((md, i) => `${planCommentMarker(input.configPath, i + 1)}\n${md}`);
  bodies.forEach((b, i) => {
    if (b.length > MAX_COMMENT_CHARS) {
      throw new SmimesyncError(
        "GITHUB_ERROR",
        `Part ${i + 1} of the plan is ${b.length} characters with its marker; GitHub accepts ${MAX_COMMENT_CHARS}.`,
        { hint: `Split the markdown under ${commentPartBudget(input.configPath)} characters per part.` },
      );
    }
  });

  const base = `repos/${api.repository}/issues`;
  const listed = await api.paginate<IssueComment>(`${base}/${input.issueNumber}/comments?per_page=100`);
  // Ours, by part; the oldest comment wins when a race left two for one part.
  const existing = new Map<number, IssueComment[]>();
  const wanted = escapeMarker(input.configPath);
  for (const c of [...listed].sort((a, b) => a.id - b.id)) {
    const m = MARKER.exec(c.body ?? "");
    if (!m || m[1] !== wanted) continue;
    const part = Number(m[2]);
    existing.set(part, [...(existing.get(part) ?? []), c]);
  }

  const result: PlanComment[] = [];
  for (const [i, body] of bodies.entries()) {
    const part = i + 1;
    const [current, ...duplicates] = existing.get(part) ?? [];
    existing.delete(part);
    if (current) {
      result.push(await update(api, base, current, body, part, "updated"));
    } else {
      const created = await api.request<IssueComment>("POST", `${base}/${input.issueNumber}/comments`, {
        body,
      });
      result.push({ part, id: created.data.id, url: created.data.html_url, action: "created" });
    }
    for (const d of duplicates)
      result.push(await update(api, base, d, supersededBody(input, part), part, "superseded"));
  }
  for (const [part, comments] of [...existing.entries()].sort((a, b) => a[0] - b[0])) {
    for (const c of comments)
      result.push(await update(api, base, c, supersededBody(input, part), part, "superseded"));
  }
  return result;
}

function supersededBody(input: PlanCommentsInput, part: number): string {
  const n = input.parts.length;
  return (
    `${planCommentMarker(input.configPath, part)}\n` +
    `_smimesync: this part of an earlier plan for \`${input.configPath}\` is superseded; ` +
    `the current plan has ${n} part${n === 1 ? "" : "s"}._\n`
  );
}

async function update(
  api: GitHubApi,
  base: string,
  c: IssueComment,
  body: string,
  part: number,
  action: "updated" | "superseded",
): Promise<PlanComment> {
  // An unchanged body is not re-sent: no "edited" mark, no notification.
  if (c.body === body) return { part, id: c.id, url: c.html_url, action: "unchanged" };
  const res = await api.request<IssueComment>("PATCH", `${base}/comments/${c.id}`, { body });
  return { part, id: c.id, url: res.data.html_url ?? c.html_url, action };
}

/**
 * Appends markdown to the job summary (GITHUB_STEP_SUMMARY). Returns false outside Actions. A
 * summary over GitHub's 1 MiB is cut with a note, since GitHub would drop it entirely.
 */
export async function appendStepSummary(env: NodeJS.ProcessEnv, markdown: string): Promise<boolean> {
  const file = env.GITHUB_STEP_SUMMARY;
  if (!file) return false;
  const used = await stat(file).then(
    (s) => s.size,
    () => 0,
  );
  const note =
    "\n\n_… cut here: the job summary is limited to 1 MiB. The full plan is in the pull request comments and the plan artifact._\n";
  const room = MAX_STEP_SUMMARY_BYTES - used - Buffer.byteLength(note);
  let text = markdown.endsWith("\n") ? markdown : `${markdown}\n`;
  if (Buffer.byteLength(text) > room) {
    text = `${Buffer.from(text)
      .subarray(0, Math.max(room, 0))
      .toString("utf8")
      .replace(/\uFFFD$/, "")}${note}`;
  }
  await appendFile(file, text, "utf8");
  return true;
}
