// Writes the demo into a folder: generates the organisation, renders each file and writes it.
// Only public material is written (certificates, a CRL, directory and tenant data).
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { renderConfig } from "./config-file.js";
import { renderLdif } from "./ldif-file.js";
import { renderReadme } from "./readme-file.js";
import { buildOrganisation } from "./scenario.js";
import { renderSnapshot } from "./snapshot-file.js";

export const DEMO_CONFIG = "smimesync.yaml";

export interface WrittenDemo {
  /** Paths relative to the folder, in the order written. */
  readonly files: readonly string[];
}

export async function writeDemo(dir: string, now: Date): Promise<WrittenDemo> {
  const org = await buildOrganisation(now);
  const files: [string, string][] = [
    [DEMO_CONFIG, renderConfig(org)],
    ["directory.ldif", renderLdif(org)],
    ["tenant.json", renderSnapshot(org)],
    ...[
      ...org.pki.trustAnchors,
      ...org.pki.intermediates,
      ...org.pki.crls,
      ...org.declared,
      ...org.contacts,
    ].map((f): [string, string] => [f.path, f.text]),
    ["README.md", renderReadme(org)],
  ];
  for (const [path, text] of files) {
    const target = join(dir, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, text);
  }
  return { files: files.map(([path]) => path) };
}
