// smimesync.yaml for the demo: the offline backends (directory.ldif, tenant.json) and a policy a
// real organisation could start from. Its comments are the tour of the config; the paths it names
// are those the demo writes.
import type { DemoOrganisation } from "./organisation.js";
import { OU, PILOT_GROUP } from "./organisation.js";

const list = (paths: readonly string[], indent: string): string =>
  paths.map((p) => `${indent}- ${p}`).join("\n");

export function renderConfig(org: DemoOrganisation): string {
  const declared = org.declared
    .map((d) => `    - mail: ${d.mail} # ${d.story}\n      files: [${d.path}]`)
    .join("\n");
  const contacts = org.contacts
    .map((c) => `    - mail: ${c.mail}\n      name: ${c.name}\n      files: [${c.path}]`)
    .join("\n");
  return `# smimesync.yaml of the demo made by \`smimesync demo\`: Example Corp, a hybrid organisation.
# Its users live in Active Directory and Entra Connect synchronises them to Office 365; here both
# sides are files, so everything runs offline and without credentials:
#   smimesync validate                    check this file and every file it names
#   smimesync plan --out plan.json        what would change, and why (writes nothing)
#   smimesync apply plan.json             make exactly those changes (rewrites the two files)
# For your own organisation, start from \`smimesync init\` instead.
version: 1

# Active Directory. Here an LDIF export; in production \`url: ldaps://dc01...\`, \`baseDN\` and
# \`bind\`. Synchronised users get their certificates written here: Entra Connect carries them to
# Office 365, where writes to synced objects are refused.
directory:
  ldif: directory.ldif
  sourceAnchor: objectGUID # Entra Connect's source anchor: base64 of it = onPremisesImmutableId

# Office 365 (Entra ID users, Exchange Online recipients). Here a snapshot file; in production
# \`tenantId\`, \`domain\` and \`auth\` (GitHub Actions OIDC: no secret stored anywhere).
tenant:
  snapshot: tenant.json

# Who is managed.
scope:
  ous:
    - dn: ${OU.staff} # Sales and Engineering below it
  groups:
    - dn: ${PILOT_GROUP} # a contractor outside OU=Staff
      nested: true
  cloudOnly: true # also mailboxes that exist only in Exchange Online (written there)
  exclude:
    - attribute: sAMAccountName
      match: "svc-*" # service accounts have no mailbox worth encrypting to
  # Disabled accounts are left alone (includeDisabled: false).

# Certificates declared in this repository: added in a pull request, published on merge.
repository:
  certificates:
${declared}
  contacts: # external partners, published as Exchange Online mail contacts
${contacts}

policy:
  # Certificates must chain to one of these roots (through the intermediates).
  trustAnchors:
${list(
  org.pki.trustAnchors.map((f) => f.path),
  "    ",
)}
  intermediates:
${list(
  org.pki.intermediates.map((f) => f.path),
  "    ",
)}
  crls: # revoked certificates are refused
${list(
  org.pki.crls.map((f) => f.path),
  "    ",
)}
  requirements:
    expiringSoonDays: 30 # warn, but keep publishing
    # SHA-1 and MD5 signatures, RSA under 2048 bits, a missing emailProtection EKU, an e-mail
    # that is not the user's: all refused by default.
  publish:
    userCertificate: true
    # \`derive\`: write a certs-only PKCS#7 of each published certificate to userSMIMECertificate,
    # which Outlook looks at first. \`keep\` manages Outlook's own blobs; \`off\` leaves it alone.
    userSMIMECertificate: derive
  maxPerUser: 3 # newest first; Exchange Online holds at most 15
  # Removing is opt-in per reason. Reasons left out (here weak-signature and email-mismatch,
  # until the users concerned have new certificates) are only reported as "would remove".
  prune:
    expired: true
    revoked: true
    superseded: true
    over-limit: true
    private-key: true

# Guards checked at plan time and again before apply writes anything.
safety:
  maxRemovals: 50
  # A percentage of recipients in scope; this demo organisation is tiny, so 3 of 12 is a lot.
  maxRemovalPercent: 40
`;
}
