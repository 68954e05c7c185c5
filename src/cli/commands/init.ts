// `smimesync init [DIR]`: a starter config and the two GitHub workflows, copied from the templates
// shipped in examples/github/ (the same files the workflow lint test checks), so what init writes
// is what the project tests.
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { Command } from "commander";
import { SmimesyncError } from "../../errors.js";
import type { CommandFactory } from "../context.js";
import { EXIT_OK } from "../exit-codes.js";

/** examples/github/ of the installed package: ../../../ from src/cli/commands and dist/cli/commands. */
const TEMPLATES = new URL("../../../examples/github/", import.meta.url);

/** Template file -> where init writes it, relative to DIR. */
export const INIT_FILES: readonly { readonly template: string; readonly target: string }[] = [
  { template: "smimesync.yaml", target: "smimesync.yaml" },
  { template: "plan.yml", target: ".github/workflows/smimesync-plan.yml" },
  { template: "apply.yml", target: ".github/workflows/smimesync-apply.yml" },
  { template: "reconcile.yml", target: ".github/workflows/smimesync-reconcile.yml" },
];

export const initCommand: CommandFactory = (ctx) =>
  new Command("init")
    .description(
      "write a starter smimesync.yaml and the GitHub workflows (plan on pull requests, apply on merge, scheduled reconcile)",
    )
    .argument("[dir]", "the repository to set up", ".")
    .option("--force", "overwrite files that already exist")
    .action(async (dirArg: string, opts: { force?: boolean }) => {
      const o = ctx.output();
      const dir = resolve(ctx.cwd, dirArg);
      const targets = INIT_FILES.map((f) => ({ ...f, path: join(dir, f.target) }));
      const existing = targets.filter((t) => existsSync(t.path));
      if (existing.length > 0 && !opts.force) {
        // All or nothing: a half-initialised repository is harder to reason about than none.
        throw new SmimesyncError(
          "USAGE",
          `not overwriting existing file${existing.length === 1 ? "" : "s"}: ${existing.map((t) => rel(ctx.cwd, t.path)).join(", ")}`,
          { hint: "Move them away, or run `smimesync init --force` to replace them." },
        );
      }
      for (const t of targets) {
        const text = await readFile(new URL(t.template, TEMPLATES), "utf8");
        await mkdir(dirname(t.path), { recursive: true });
        await writeFile(t.path, text);
        o.out(`${o.color.green("wrote")} ${rel(ctx.cwd, t.path)}`);
      }
      o.out(
        [
          "",
          "Next:",
          "  1. Edit smimesync.yaml (directory, tenant ids, scope, trust anchors), put your CA certificates under pki/,",
          "     and run `smimesync validate`: it names each placeholder still to fill, with its line.",
          '  2. Register an Entra app with federated credentials for this repository (README: "Workflow in GitHub").',
          "  3. Create two environments: `smimesync-plan` (read-only bind account and Entra app) and `production`",
          "     (required reviewers; the write bind account and Entra app), each with its SMIMESYNC_LDAP_PASSWORD.",
          "  4. Commit, open a pull request: the plan appears as a comment; merging applies it.",
        ].join("\n"),
      );
      ctx.setExitCode(EXIT_OK);
    });

function rel(cwd: string, p: string): string {
  const r = relative(cwd, p);
  return r.startsWith("..") ? p : r;
}
