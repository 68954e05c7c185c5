// smimesync's comments on a pull request: one set per kind (the plan, the apply result) and config,
// updated in place on every run instead of piling up. Each comment starts with a hidden marker,
// `<!-- smimesync-plan:<config path> part N -->`, by which the next run finds it again.
//
// When a new body needs fewer comments than the last one, the surplus comments are edited into a
// short "superseded" note rather than deleted: they keep their marker, so a later, longer plan
// reuses them in place (no new notifications, no reordering), a reviewer's link to one still
// resolves, and the conversation keeps a trace that the plan once was longer.
import { SmimesyncError } from "../errors.js";
import { type GitHubClient, githubError, type RepoRef } from "./github-client.js";

/** GitHub refuses a comment body longer than this. */
export const MAX_COMMENT_CHARS = 65_536;

/** Room kept in the last posted part for the "the rest is in the summary and artifact" note. */
export const CAP_NOTE_RESERVE = 800;

export type CommentKind = "plan" | "apply" | "status";

export function commentMarker(kind: CommentKind, configPath: string, part: number): string {
  return `<!-- smimesync-${kind}:${escapeMarker(configPath)} part ${part} -->`;
}

export function planCommentMarker(configPath: string, part: number): string {
  return commentMarker("plan", configPath, part);
}

/**
 * Characters left for one part's markdown once the marker (and the capping note) is added: the
 * limit the splitter in src/plan must be given so that every part fits in a comment.
 */
export function commentPartBudget(configPath: string): number {
  return MAX_COMMENT_CHARS - commentMarker("apply", configPath, 999).length - 1 - CAP_NOTE_RESERVE;
}

// The path sits inside an HTML comment: `--` and `>` would end it early.
function escapeMarker(path: string): string {
  return path
    .replace(/%/g, "%25")
    .replace(/-(?=-)/g, "%2D")
    .replace(/>/g, "%3E");
}

const MARKER = /^<!-- smimesync-(plan|apply):(.*) part (\d+) -->/;

export type CommentAction = "created" | "updated" | "unchanged" | "superseded";

export interface PostedComment {
  readonly part: number;
  readonly id: number;
  readonly url: string;
  readonly action: CommentAction;
}

export interface CommentSetInput {
  readonly issueNumber: number;
  readonly kind: CommentKind;
  /** Repository-relative config path: one set of comments per config (monorepos have several). */
  readonly configPath: string;
  /** The markdown, already split under `commentPartBudget(configPath)` and capped. */
  readonly parts: readonly string[];
}

/** Where the whole text is when the comments show only the first parts. */
export interface CapLinks {
  readonly summaryUrl: string;
  readonly artifactUrl: string | null;
}

/**
 * At most `max` parts; when there are more, the last one shown says how many are left out and
 * links the job summary and the artifact that hold them all.
 */
export function capParts(parts: readonly string[], max: number, links: CapLinks): string[] {
  if (parts.length <= max) return [...parts];
  const shown = parts.slice(0, Math.max(max, 1));
  const where = links.artifactUrl
    ? `the [job summary](${links.summaryUrl}) and the [plan artifact](${links.artifactUrl}) (plan.md, plan.json)`
    : `the [job summary](${links.summaryUrl})`;
  const note =
    `\n\n---\n_Showing ${shown.length} of ${parts.length} parts (the \`max-comments\` input). ` +
    `The whole plan is in ${where}._\n`;
  const last = shown.length - 1;
  shown[last] = `${shown[last]}${note.slice(0, CAP_NOTE_RESERVE)}`;
  return shown;
}

interface ListedComment {
  readonly id: number;
  readonly body?: string | null | undefined;
  readonly html_url: string;
}

/** Creates or updates one set of comments on a pull request; returns what happened to each. */
export async function publishComments(
  gh: GitHubClient,
  repo: RepoRef,
  input: CommentSetInput,
): Promise<PostedComment[]> {
  if (input.parts.length === 0) throw new Error("publishComments: no markdown parts");
  const bodies = input.parts.map((md, i) => `${commentMarker(input.kind, input.configPath, i + 1)}\n${md}`);
  bodies.forEach((b, i) => {
    if (b.length > MAX_COMMENT_CHARS) {
      throw new SmimesyncError(
        "GITHUB_ERROR",
        `Part ${i + 1} of the ${input.kind} comment is ${b.length} characters with its marker; GitHub accepts ${MAX_COMMENT_CHARS}.`,
        { hint: `Split the markdown under ${commentPartBudget(input.configPath)} characters per part.` },
      );
    }
  });

  const listed = await call(`listing the comments of #${input.issueNumber}`, () =>
    gh.paginate(gh.rest.issues.listComments, { ...repo, issue_number: input.issueNumber, per_page: 100 }),
  );
  // Ours, by part; the oldest comment wins when a race left two for one part.
  const existing = new Map<number, ListedComment[]>();
  const wanted = escapeMarker(input.configPath);
  for (const c of [...(listed as ListedComment[])].sort((a, b) => a.id - b.id)) {
    const m = MARKER.exec(c.body ?? "");
    if (!m || m[1] !== input.kind || m[2] !== wanted) continue;
    const part = Number(m[3]);
    existing.set(part, [...(existing.get(part) ?? []), c]);
  }

  const result: PostedComment[] = [];
  for (const [i, body] of bodies.entries()) {
    const part = i + 1;
    const [current, ...duplicates] = existing.get(part) ?? [];
    existing.delete(part);
    if (current) {
      result.push(await update(gh, repo, current, body, part, "updated"));
    } else {
      const created = await call(`commenting on #${input.issueNumber}`, () =>
        gh.rest.issues.createComment({ ...repo, issue_number: input.issueNumber, body }),
      );
      result.push({ part, id: created.data.id, url: created.data.html_url, action: "created" });
    }
    for (const d of duplicates)
      result.push(await update(gh, repo, d, supersededBody(input, part), part, "superseded"));
  }
  for (const [part, comments] of [...existing.entries()].sort((a, b) => a[0] - b[0])) {
    for (const c of comments)
      result.push(await update(gh, repo, c, supersededBody(input, part), part, "superseded"));
  }
  return result;
}

function supersededBody(input: CommentSetInput, part: number): string {
  const n = input.parts.length;
  return (
    `${commentMarker(input.kind, input.configPath, part)}\n` +
    `_smimesync: this part of an earlier ${input.kind} comment for \`${input.configPath}\` is superseded; ` +
    `the current one has ${n} part${n === 1 ? "" : "s"}._\n`
  );
}

async function update(
  gh: GitHubClient,
  repo: RepoRef,
  c: ListedComment,
  body: string,
  part: number,
  action: "updated" | "superseded",
): Promise<PostedComment> {
  // An unchanged body is not re-sent: no "edited" mark, no notification.
  if (c.body === body) return { part, id: c.id, url: c.html_url, action: "unchanged" };
  const res = await call(`editing comment ${c.id}`, () =>
    gh.rest.issues.updateComment({ ...repo, comment_id: c.id, body }),
  );
  return { part, id: c.id, url: res.data.html_url ?? c.html_url, action };
}

/** Runs one GitHub call, turning its failure into a located SmimesyncError. */
export async function call<T>(what: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof SmimesyncError) throw e;
    throw githubError(what, e);
  }
}
