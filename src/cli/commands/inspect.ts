// `smimesync inspect FILE...`: what the engine sees in certificate files or attribute values, and
// with -c, the verdict of the configured policy for a recipient: "why was this not published?".
// What it prints lives in inspect-view.ts, loaded with the engine: not for every other command.
import { Command, Option } from "commander";
import { DEFAULT_CONFIG_FILE } from "../../config/default-file.js";
import { SmimesyncError } from "../../errors.js";
import { CERT_ATTRIBUTES, type CertAttribute } from "../../model/attributes.js";
import type { AttributeDecision, CandidateSource } from "../../policy/index.js";
import type { CommandFactory } from "../context.js";
import { EXIT_ERROR, EXIT_OK } from "../exit-codes.js";
import { printDiagnostics } from "../report-error.js";
import { collect } from "./shared.js";

interface InspectOptions {
  config?: string;
  mail?: string;
  proxy: string[];
  attribute: CertAttribute;
  source: CandidateSource;
  at?: string;
  json?: boolean;
}

export const inspectCommand: CommandFactory = (ctx) =>
  new Command("inspect")
    .description(
      "show what smimesync sees in certificate files or attribute values, and with -c the policy's verdict",
    )
    .argument(
      "[file...]",
      "DER / PEM certificates, PKCS#7 (.p7b/.p7c), Outlook blobs, CRLs; none: the recipient's current values (--mail)",
    )
    .option("-c, --config <file>", "judge the files under this configuration's policy")
    .option("--mail <address>", "the recipient's mail address (with -c)")
    .option(
      "--proxy <address>",
      "a proxy address such as smtp:alias@example.com (repeatable, with -c)",
      collect,
      [],
    )
    .addOption(
      new Option("--attribute <name>", "the attribute the files are values of (with -c)")
        .choices(CERT_ATTRIBUTES)
        .default("userCertificate"),
    )
    .addOption(
      new Option(
        "--source <source>",
        "treat the files as values found at the authority, or as repository files (with -c)",
      )
        .choices(["authority", "repository"])
        .default("repository"),
    )
    .option("--at <date>", "judge at this instant (ISO 8601) instead of now (with -c)")
    .option("--json", "print JSON instead of text")
    .addHelpText(
      "after",
      "\nAll files are judged together as the candidates of one recipient, so duplicates, superseded\n" +
        "and over-limit certificates show as they would in a plan. Nothing is written anywhere.\n\n" +
        "Examples:\n  smimesync inspect alice.cer\n" +
        "  smimesync inspect -c smimesync.yaml --mail alice@corp.example.com alice.cer alice-old.cer\n" +
        "  smimesync inspect --mail alice@corp.example.com   (no files: reads the recipient's values from the\n" +
        "      configured directory and tenant, as plan does, and shows each value's verdict and the plan for it)\n\n" +
        "Exit codes: 0 every file was read, 1 a file could not be read or parsed.",
    )
    .action(async (files: string[], opts: InspectOptions) => {
      const [{ CertCache }, { loadConfig }, { loadPolicy }, { evaluate, shouldPrune }, view] =
        await Promise.all([
          import("../../certs/index.js"),
          import("../../config/load.js"),
          import("../../engine/policy-material.js"),
          import("../../policy/index.js"),
          import("./inspect-view.js"),
        ]);
      const o = ctx.output();
      const now = opts.at !== undefined ? view.parseInstant(opts.at) : new Date();
      if (files.length === 0) {
        if (opts.mail === undefined)
          throw new SmimesyncError(
            "USAGE",
            "inspect needs certificate files, or --mail to read a recipient's values",
            {
              hint: "smimesync inspect alice.cer, or smimesync inspect --mail alice@corp.example.com [-c smimesync.yaml]",
            },
          );
        const { inspectRecipient } = await import("./inspect-recipient.js");
        const r = await inspectRecipient(ctx, o, {
          config: opts.config ?? DEFAULT_CONFIG_FILE,
          mail: opts.mail,
          now,
        });
        if (opts.json) o.out(JSON.stringify(r.json, null, 2));
        else {
          for (const a of r.attributes) {
            o.out(
              o.color.bold(`${a.attribute} at ${r.authority}:`) + (a.values.length === 0 ? " (empty)" : ""),
            );
            for (const [i, v] of a.values.entries())
              o.out(view.renderFile(o.color, v.name, v.result, a.decision.verdicts[i], now));
            o.out(
              view.renderDecision(
                o.color,
                a.decision,
                a.values.map((v) => v.name),
              ),
            );
            o.out(a.mirror);
            o.out("");
          }
          o.out(r.planLines.join("\n"));
        }
        ctx.setExitCode(EXIT_OK);
        return;
      }
      const cache = new CertCache();
      const inputs = await Promise.all(
        files.map(async (name) => ({ name, bytes: await view.readInput(ctx.cwd, name) })),
      );
      const parsed = inputs.map((i) => ({ ...i, result: cache.value(i.bytes) }));

      let decision: AttributeDecision | undefined;
      let policyNotes: string[] = [];
      if (opts.config !== undefined) {
        const loaded = await loadConfig(opts.config, ctx.cwd);
        printDiagnostics(o, loaded.warnings, ctx.env);
        const { policy, warnings } = await loadPolicy(loaded, cache, now);
        policyNotes = [...warnings];
        const recipient = {
          mail: opts.mail,
          proxyAddresses: opts.proxy.map((p) => (p.includes(":") ? p : `smtp:${p}`)),
        };
        if (!opts.mail && opts.proxy.length === 0)
          policyNotes.push("no --mail given: every certificate fails the e-mail match");
        decision = evaluate(
          policy,
          recipient,
          opts.attribute,
          inputs.map((i) => ({ bytes: i.bytes, source: opts.source, label: i.name })),
          now,
          cache,
        );
        if (decision.mode !== "off") {
          const prunes = decision.verdicts
            .filter((v) => shouldPrune(policy, v))
            .map((v) => inputs[v.index]!.name);
          if (prunes.length > 0 && opts.source === "authority")
            policyNotes.push(`prune is on for: ${prunes.join(", ")}`);
        }
      }

      if (opts.json) {
        o.out(JSON.stringify(view.toJson(parsed, decision, now), null, 2));
      } else {
        for (const [i, p] of parsed.entries()) {
          o.out(view.renderFile(o.color, p.name, p.result, decision?.verdicts[i], now));
        }
        if (decision)
          o.out(
            view.renderDecision(
              o.color,
              decision,
              inputs.map((i) => i.name),
            ),
          );
        for (const n of policyNotes) o.err(`${o.color.yellow("!")} ${n}`);
      }
      ctx.setExitCode(parsed.some((p) => !p.result.ok) ? EXIT_ERROR : EXIT_OK);
    });
