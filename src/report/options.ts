// What the `report` command's options need to know of the report, without loading it: the
// formats and the forecast's bounds (so `--help` and every other command start fast).
export const REPORT_FORMATS = ["text", "markdown", "json", "csv", "html"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export const DEFAULT_WEEKS = 26;
export const MAX_WEEKS = 520;
