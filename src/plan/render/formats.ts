// The plan's output formats, in a module of their own: command definitions list them without
// loading the renderers.
export const PLAN_FORMATS = ["text", "markdown", "json"] as const;
export type PlanFormat = (typeof PLAN_FORMATS)[number];
