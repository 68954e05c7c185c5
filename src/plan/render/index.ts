// One interface for every rendering, chosen once from `--format` (after Terraform's views.Plan):
// commands call `planRenderer(format, { color })` and then only `render(plan)`.
import type { ChalkInstance } from "chalk";
import type { Plan } from "../types.js";
import { PLAN_FORMATS, type PlanFormat } from "./formats.js";
import { renderJson } from "./json.js";
import { renderMarkdown } from "./markdown.js";
import { renderText } from "./text.js";

export { PLAN_FORMATS, type PlanFormat };

export interface PlanRenderer {
  readonly format: PlanFormat;
  /** The whole rendering, ending with a newline. Pure: the same plan gives the same string. */
  render(plan: Plan): string;
}

export interface RenderOptions {
  /** Used by the text rendering only; the caller decides whether colour is on (level 0: off). */
  readonly color: ChalkInstance;
  /** Markdown only: the coverage before and after the plan (src/report), when `plan` computed it. */
  readonly coverage?: string;
  /** Markdown only: the CI run that made the plan, linked in the plan's provenance line. */
  readonly runUrl?: string;
}

export function planRenderer(format: PlanFormat, options: RenderOptions): PlanRenderer {
  switch (format) {
    case "text":
      return { format, render: (plan) => renderText(plan, options.color) };
    case "markdown":
      return {
        format,
        render: (plan) =>
          renderMarkdown(plan, {
            ...(options.coverage === undefined ? {} : { coverage: options.coverage }),
            ...(options.runUrl === undefined ? {} : { runUrl: options.runUrl }),
          }),
      };
    case "json":
      return { format, render: renderJson };
    default:
      return format satisfies never;
  }
}

export function isPlanFormat(value: string): value is PlanFormat {
  return (PLAN_FORMATS as readonly string[]).includes(value);
}

export { renderJson } from "./json.js";
export { escapeMarkdown, renderMarkdown } from "./markdown.js";
export { GITHUB_COMMENT_LIMIT, MARKDOWN_PART_BUDGET, splitMarkdown } from "./markdown-split.js";
export { renderText } from "./text.js";
