// One renderer per `--format`, chosen once (as plan/render/index.ts does for plans).
import type { ChalkInstance } from "chalk";
import type { ReportFormat } from "../options.js";
import type { Report } from "../types.js";
import { renderCsv } from "./csv.js";
import { renderHtml } from "./html.js";
import { renderMarkdown } from "./markdown.js";
import { renderText } from "./text.js";

/** The whole rendering, ending with a newline. Pure: the same report gives the same string. */
export function renderReport(report: Report, format: ReportFormat, color: ChalkInstance): string {
  switch (format) {
    case "text":
      return renderText(report, color);
    case "markdown":
      return renderMarkdown(report);
    case "json":
      return `${JSON.stringify(report, null, 2)}\n`;
    case "csv":
      return renderCsv(report);
    case "html":
      return renderHtml(report);
    default:
      return format satisfies never;
  }
}
