import { describe, expect, it } from "vitest";
import { CERT_ATTRIBUTES } from "../../src/model/attributes.js";
import { serializePlan } from "../../src/plan/plan-file.js";
import { isPlanDocument, PLAN_SCHEMA, planSchemaProblems } from "../../src/plan/schema.js";
import {
  CHANGE_ACTIONS,
  DRIFT_KINDS,
  OBJECT_REF_TYPES,
  PUBLISH_REASONS,
  REMOVE_REASONS,
  TRUST_REASONS,
} from "../../src/plan/types.js";
import { PlanBuilder } from "../fixtures/plan-builder.js";
import { fixturePlan } from "./fixture-plan.js";

type Json = Record<string, unknown>;
const defs = (PLAN_SCHEMA.$defs ?? {}) as Record<string, Json>;
const props = (name: string) => defs[name]?.properties as Record<string, Json>;

function document(): Json & { changes: Json[]; objects: Json[] } {
  return JSON.parse(serializePlan(fixturePlan()));
}

describe("schemas/plan.schema.json", () => {
  it("accepts a plan built by the code, and an empty one", () => {
    expect(planSchemaProblems(document())).toEqual([]);
    expect(isPlanDocument(JSON.parse(serializePlan(new PlanBuilder().build())))).toBe(true);
  });

  it("lists exactly the enumerations of types.ts (add to both, or a plan is refused on load)", () => {
    expect(props("change").action?.enum).toEqual([...CHANGE_ACTIONS]);
    expect(props("change").reason?.enum).toEqual([...PUBLISH_REASONS, ...REMOVE_REASONS, ...TRUST_REASONS]);
    expect(props("drift").kind?.enum).toEqual([...DRIFT_KINDS]);
    expect(defs.attribute?.enum).toEqual([...CERT_ATTRIBUTES]);
    const refs = (props("object").ref?.oneOf ?? []) as { properties: { type: { const: string } } }[];
    expect(refs.map((r) => r.properties.type.const)).toEqual([...OBJECT_REF_TYPES]);
  });

  it("accepts an AD contact apply creates, and refuses one without its parent OU", () => {
    const d = document();
    d.objects[0]!.ref = {
      type: "ad-new-contact",
      parentDn: "OU=Partners,DC=corp,DC=example",
      name: "Pat Partner",
      mail: "pat@partner.example",
    };
    expect(planSchemaProblems(d)).toEqual([]);
    delete (d.objects[0]!.ref as Json).parentDn;
    expect(planSchemaProblems(d)).toEqual(['objects[0].ref is missing "parentDn"']);
  });

  it("rejects a changed type", () => {
    const d = document();
    d.changes[0]!.valueBytes = "1200";
    expect(planSchemaProblems(d)).toEqual(["changes[0].valueBytes must be integer"]);
  });

  it("rejects unknown keys at the top and inside", () => {
    const d = document();
    d.comment = "looks fine";
    (d.objects[0]!.ref as Json).extra = true;
    expect(planSchemaProblems(d)).toEqual([
      "comment is not part of the plan format",
      "objects[0].ref.extra is not part of the plan format",
    ]);
  });

  it("ties values and reasons to actions", () => {
    const d = document();
    const publish = d.changes.find((c) => c.action === "publish")!;
    const remove = d.changes.find((c) => c.action === "remove")!;
    const pi = d.changes.indexOf(publish);
    const ri = d.changes.indexOf(remove);
    delete publish.value;
    remove.value = "AAAA";
    remove.reason = "declared-in-repo";
    expect(planSchemaProblems(d).sort()).toEqual(
      [
        `changes[${pi}] is missing "value"`,
        `changes[${ri}] is a removal and must not carry a value`,
        `changes[${ri}].reason must be one of: ${[...REMOVE_REASONS, "ca-not-in-repo"].map((r) => JSON.stringify(r)).join(", ")}`,
      ].sort(),
    );
  });

  it("accepts only removals among would-remove notes", () => {
    const d = document() as unknown as Json & { wouldRemove: Json[] };
    d.wouldRemove[0]!.action = "publish";
    expect(planSchemaProblems(d)).toContain('wouldRemove[0].action must be "remove"');
  });

  it("rejects an unknown object reference type and a malformed hash", () => {
    const d = document();
    d.objects[0]!.ref = { type: "ldap", dn: "CN=x" };
    d.changes[0]!.valueSha256 = "ABC";
    expect(planSchemaProblems(d)).toEqual([
      'objects[0].ref.type must be one of: "ad", "exchange", "exchange-new-contact", "exchange-smime-config", "ad-new-contact"',
      "changes[0].valueSha256 is malformed (expected ^[0-9a-f]{64}$)",
    ]);
  });
});
