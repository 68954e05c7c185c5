// What the schema cannot say: the parts of a plan that must agree with each other. A plan written
// by assemblePlan always passes; a failure means a bug in the writer or an edit by hand.
import { changeId, planId } from "./ids.js";
import { computeSummary } from "./summary.js";
import { type Plan, type PlannedChange, type PlanObject, refAuthority } from "./types.js";
import { valueProblem } from "./value.js";

export function planConsistencyProblems(plan: Plan): string[] {
  const problems: string[] = [];
  const objects = new Map<string, PlanObject>();
  plan.objects.forEach((o, i) => {
    if (objects.has(o.address)) problems.push(`objects[${i}]: the address ${o.address} appears twice`);
    objects.set(o.address, o);
    if (refAuthority(o.ref) !== o.authority) {
      problems.push(`objects[${i}]: authority "${o.authority}" but a reference of type "${o.ref.type}"`);
    }
  });

  const ids = new Set<string>();
  const checkChange = (c: PlannedChange, path: string) => {
    if (ids.has(c.id)) problems.push(`${path}: the id ${c.id} appears twice`);
    ids.add(c.id);
    const expected = changeId(c);
    if (c.id !== expected)
      problems.push(`${path}: id ${c.id} does not match its content (expected ${expected})`);
    const object = objects.get(c.address);
    if (object === undefined) problems.push(`${path}: no object with the address ${c.address}`);
    else if (object.authority !== c.authority) {
      problems.push(`${path}: authority "${c.authority}" differs from its object's ("${object.authority}")`);
    }
    const valueIssue = valueProblem(c);
    if (valueIssue !== undefined) problems.push(`${path}: ${valueIssue}`);
  };
  for (const [i, c] of plan.changes.entries()) checkChange(c, `changes[${i}]`);
  for (const [i, c] of plan.wouldRemove.entries()) checkChange(c, `wouldRemove[${i}]`);

  const summary = computeSummary({ ...plan, inScope: plan.summary.inScope });
  for (const key of Object.keys(summary) as (keyof typeof summary)[]) {
    if (summary[key] !== plan.summary[key]) {
      problems.push(`summary.${key} is ${plan.summary[key]} but the plan's lists give ${summary[key]}`);
    }
  }
  const expectedId = planId(plan);
  if (plan.id !== expectedId)
    problems.push(`id ${plan.id} does not match the plan's content (expected ${expectedId})`);
  return problems;
}
