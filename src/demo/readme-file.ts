// README.md of the demo folder: who is who, and what the plan shows for each.
import { type DemoOrganisation, mailOf } from "./organisation.js";

export function renderReadme(org: DemoOrganisation): string {
  const rows = [
    ...org.users.map((u) => `| ${mailOf(u.sam)} | Active Directory | ${u.story} |`),
    ...org.cloudMailboxes.map((m) => `| ${mailOf(m.alias)} | Exchange Online | ${m.story} |`),
    ...org.contacts.map((c) => `| ${c.mail} | Exchange Online (contact) | ${c.story} |`),
  ];
  return `# smimesync demo: Example Corp

Made by \`smimesync demo\` on ${org.now.toISOString().slice(0, 10)}. Everything here is made up and
offline: Active Directory is \`directory.ldif\`, Office 365 is \`tenant.json\`. The certificates
were issued on the spot by CAs whose private keys existed only in memory; no key was written.

| Recipient | Authority | What the plan shows |
| --- | --- | --- |
${rows.join("\n")}

Try:

    smimesync validate
    smimesync plan --out plan.json
    smimesync apply plan.json
    smimesync plan                  # no changes; the drift stays (no Entra Connect runs here)
    smimesync show plan.json --format markdown

(From a clone of smimesync, without a global install, run these from the clone as
\`npx smimesync plan -c THIS_FOLDER/smimesync.yaml ...\`.)

Files: \`smimesync.yaml\` (the desired state), \`pki/\` (trust anchors, intermediate, CRL),
\`certs/\` (certificates declared in the repository).
`;
}
