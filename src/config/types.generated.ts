// Generated from schemas/config.schema.json by scripts/gen-config-types.ts. Do not edit; run `npm run gen`.

/**
 * Where users and their certificates are read from on premises: Active Directory over LDAP (`url`), or an LDIF export (`ldif`) for offline review.
 */
export type DirectoryConfig = Directory;
/**
 * Naming context searched for users, e.g. `DC=corp,DC=example,DC=com`.
 */
export type DistinguishedName = string;
/**
 * A reference resolved at run time: `${env:NAME}` (environment variable) or `${file:PATH}` (file contents, trailing newline removed). Never a literal secret.
 */
export type SecretRef = string;
/**
 * PEM file with the CA certificate(s) that issued the domain controller's certificate. Without it the system trust store is used.
 */
export type FilePath = string;
/**
 * Offline backend: read the directory from this LDIF export instead of LDAP (`apply` rewrites the file).
 */
export type FilePath1 = string;
/**
 * The Office 365 side: Microsoft Graph (identities, sync state) and the Exchange Online admin endpoint (certificate attributes), or a JSON snapshot (`snapshot`) for offline review.
 */
export type TenantConfig = Tenant;
/**
 * Microsoft Graph base URL.
 */
export type HttpsUrl = string;
/**
 * Exchange Online base URL.
 */
export type HttpsUrl1 = string;
/**
 * Entra ID authority host.
 */
export type HttpsUrl2 = string;
/**
 * How smimesync gets tokens. `workload-identity` (GitHub Actions OIDC federation) stores no secret at all.
 */
export type TenantAuth = {
  method: "workload-identity" | "client-secret" | "certificate";
  /**
   * Application (client) id of the app registration.
   */
  clientId: string;
  clientSecret?: SecretRef;
  certificatePath?: SecretRef1;
  /**
   * Audience of the GitHub OIDC token for workload identity.
   */
  audience?: string;
};
/**
 * A reference resolved at run time: `${env:NAME}` (environment variable) or `${file:PATH}` (file contents, trailing newline removed). Never a literal secret.
 */
export type SecretRef1 = string;
/**
 * Offline backend: read the tenant from this JSON snapshot (schemas/snapshot.schema.json) instead of the cloud (`apply` rewrites the file).
 */
export type FilePath2 = string;
/**
 * An LDAP distinguished name (RFC 4514), e.g. `OU=Staff,DC=corp,DC=example,DC=com`.
 */
export type DistinguishedName1 = string;
/**
 * A path, relative to the directory holding smimesync.yaml.
 */
export type FilePath3 = string;
/**
 * An LDAP distinguished name (RFC 4514), e.g. `OU=Staff,DC=corp,DC=example,DC=com`.
 */
export type DistinguishedName2 = string;

/**
 * smimesync.yaml: the desired state of S/MIME certificate publication, kept in git.
 */
export interface SmimesyncConfig {
  /**
   * Format version of this file. Only 1 exists.
   */
  version: 1;
  directory?: DirectoryConfig;
  tenant: TenantConfig;
  scope: ScopeConfig;
  repository?: RepositoryConfig;
  policy: PolicyConfig;
  safety?: SafetyConfig;
  reconcile?: ReconcileConfig;
}
export interface Directory {
  /**
   * `ldaps://host[:636]` (recommended) or `ldap://host[:389]` with `tls.startTLS: true`.
   */
  url?: string;
  baseDN?: DistinguishedName;
  bind?: DirectoryBind;
  tls?: DirectoryTls;
  /**
   * Allow a simple bind over plain `ldap://` without TLS. Only for labs: the password crosses the network in clear text.
   */
  allowInsecure?: boolean;
  /**
   * The attribute Entra Connect uses as source anchor; its base64 is the cloud user's `onPremisesImmutableId`.
   */
  sourceAnchor?: "objectGUID" | "mS-DS-ConsistencyGuid";
  /**
   * Connect and operation timeout.
   */
  timeoutSeconds?: number;
  ldif?: FilePath1;
}
/**
 * The identity smimesync binds as. It needs read access to the user attributes and write access to `userCertificate` / `userSMIMECertificate` for `apply`.
 */
export interface DirectoryBind {
  /**
   * Bind DN or `user@domain` (userPrincipalName).
   */
  dn: string;
  password: SecretRef;
}
export interface DirectoryTls {
  caFile?: FilePath;
  /**
   * Upgrade an `ldap://` connection with StartTLS before binding.
   */
  startTLS?: boolean;
  /**
   * Host name expected in the server certificate, when it differs from the URL's host.
   */
  serverName?: string;
}
export interface Tenant {
  /**
   * Directory (tenant) id, a GUID.
   */
  tenantId?: string;
  /**
   * The tenant's initial domain (`contoso.onmicrosoft.com`), used for Exchange's `X-AnchorMailbox` routing header.
   */
  domain?: string;
  /**
   * National cloud; selects the default endpoints.
   */
  cloud?: "global" | "usgov" | "usgov-dod" | "china";
  endpoints?: TenantEndpoints;
  auth?: TenantAuth;
  /**
   * Requests in flight at once against each service.
   */
  concurrency?: number;
  snapshot?: FilePath2;
  smimeConfig?: TenantSmimeConfig;
}
/**
 * Explicit endpoints, overriding those of `cloud`. All must be https.
 */
export interface TenantEndpoints {
  graph?: HttpsUrl;
  exchange?: HttpsUrl1;
  login?: HttpsUrl2;
}
/**
 * The tenant's S/MIME configuration (Get-SmimeConfig / Set-SmimeConfig).
 */
export interface TenantSmimeConfig {
  /**
   * The tenant's S/MIME trust collection (`SMIMECertificateIssuingCA`, an SST of root and intermediate CAs: the only store Exchange Online validates S/MIME against). `manage`: plan and apply make it hold exactly `policy.trustAnchors` and `policy.intermediates` (CAs not in the repository are removed); `report`: read it and warn about CAs missing, not in the repository or expiring within `policy.requirements.expiringSoonDays`, change nothing; `ignore`: not read. `report` is acted on by plan and report (warnings, and the tenant's CAs in the report's CA expiry list). With `manage` the plan shows the collection as its own resource, `exchange:trust-collection/SMIMECertificateIssuingCA`, one change per CA to add (`ca-in-repo`) or remove (`ca-not-in-repo`) with subject, thumbprint and expiry; apply writes it in one `Set-SmimeConfig` and refuses it (stale) when the collection changed since the plan. When the policy names no CA the collection is left alone (warning `trust-collection-no-ca`), never cleared.
   */
  issuingCA?: "ignore" | "report" | "manage";
}
/**
 * Which recipients are managed. An AD user is in scope when it is under one of `ous` or a member of one of `groups`; with `cloudOnly`, cloud-only mailboxes and mail users are managed too. In both cases it must match `include` (when given) and no `exclude`.
 */
export interface ScopeConfig {
  ous?: ScopeOu[];
  groups?: ScopeGroup[];
  /**
   * Also manage cloud-only mailboxes and mail users (their authority is Exchange Online). Needs no `directory`.
   */
  cloudOnly?: boolean;
  /**
   * When given, only users matching at least one of these patterns.
   */
  include?: ScopePattern[];
  /**
   * Users matching any of these patterns are out of scope.
   */
  exclude?: ScopePattern[];
  /**
   * Also manage disabled accounts (userAccountControl bit 2).
   */
  includeDisabled?: boolean;
}
export interface ScopeOu {
  dn: DistinguishedName1;
  /**
   * `subtree`: the OU and everything below; `one-level`: direct children only.
   */
  scope?: "subtree" | "one-level";
}
export interface ScopeGroup {
  dn: DistinguishedName1;
  /**
   * Include members of nested groups (LDAP_MATCHING_RULE_IN_CHAIN).
   */
  nested?: boolean;
}
/**
 * A case-insensitive wildcard (`*` any run, `?` one character) matched against one attribute (cloud-only recipients have no sAMAccountName).
 */
export interface ScopePattern {
  attribute: "userPrincipalName" | "sAMAccountName" | "mail";
  match: string;
}
/**
 * Certificates and partner contacts declared in this repository, next to the config.
 */
export interface RepositoryConfig {
  /**
   * Certificate files to publish for a user, in addition to those found at the user's authority.
   */
  certificates?: RepositoryCertificate[];
  /**
   * External partners whose certificates are published as mail contacts.
   */
  contacts?: PartnerContact[];
  contactsOU?: DistinguishedName2;
}
export interface RepositoryCertificate {
  mail: string;
  /**
   * @minItems 1
   */
  files: [FilePath3, ...FilePath3[]];
}
export interface PartnerContact {
  mail: string;
  name?: string;
  /**
   * @minItems 1
   */
  files: [FilePath3, ...FilePath3[]];
  /**
   * Where the contact lives: an Exchange Online mail contact, or an AD contact (hybrid) in `contactsOU`.
   */
  authority?: "exchange" | "ad";
}
/**
 * Which certificates are acceptable, and what to publish and prune.
 */
export interface PolicyConfig {
  /**
   * Root CA certificate files. Required unless `requirements.trustedChain` is false.
   */
  trustAnchors?: FilePath3[];
  /**
   * Intermediate CA certificate files used to build chains.
   */
  intermediates?: FilePath3[];
  /**
   * CRL files (DER or PEM) checked for revocation.
   */
  crls?: FilePath3[];
  requirements?: PolicyRequirements;
  publish?: PolicyPublish;
  /**
   * Most certificates kept per attribute and recipient, newest first. Exchange Online holds at most 15.
   */
  maxPerUser?: number;
  prune?: PolicyPrune;
}
export interface PolicyRequirements {
  /**
   * Refuse certificates that do not chain to a trust anchor (`untrusted-issuer`).
   */
  trustedChain?: boolean;
  /**
   * Refuse certificates whose extended key usage lacks emailProtection.
   */
  emailProtectionEku?: boolean;
  /**
   * Refuse certificates whose e-mail addresses do not include the recipient's mail or an smtp proxy address.
   */
  emailMatch?: boolean;
  minRsaBits?: number;
  /**
   * Elliptic curves accepted for EC and EdDSA keys.
   */
  allowedCurves?: ("P-256" | "P-384" | "P-521" | "Ed25519" | "Ed448" | "X25519" | "X448")[];
  /**
   * Signature hash algorithms refused as `weak-signature`.
   */
  weakSignatureHashes?: ("md2" | "md5" | "sha1")[];
  /**
   * Warn (`expiring-soon`) about certificates that expire within this many days; they are still published.
   */
  expiringSoonDays?: number;
}
/**
 * Which attributes smimesync manages.
 */
export interface PolicyPublish {
  /**
   * Manage `userCertificate` (DER certificates).
   */
  userCertificate?: boolean;
  /**
   * `keep`: manage the blobs found (Outlook's PKCS#7); `derive`: write a certs-only PKCS#7 of each selected certificate; `off`: leave the attribute alone.
   */
  userSMIMECertificate?: "keep" | "derive" | "off";
  /**
   * With `derive`, include the intermediate certificates in each PKCS#7.
   */
  includeChain?: boolean;
}
/**
 * Remove values for these reasons. A reason not switched on is only reported (`would remove`).
 */
export interface PolicyPrune {
  malformed?: boolean;
  expired?: boolean;
  "not-yet-valid"?: boolean;
  "no-email-protection-eku"?: boolean;
  "key-usage-unfit"?: boolean;
  "weak-key"?: boolean;
  "weak-signature"?: boolean;
  "untrusted-issuer"?: boolean;
  "chain-too-complex"?: boolean;
  revoked?: boolean;
  "email-mismatch"?: boolean;
  duplicate?: boolean;
  superseded?: boolean;
  "over-limit"?: boolean;
  "private-key"?: boolean;
}
/**
 * Guards checked at plan time and again before apply writes anything.
 */
export interface SafetyConfig {
  /**
   * Refuse a plan that removes more certificate values than this.
   */
  maxRemovals?: number;
  /**
   * Refuse a plan that removes values from more than this percentage of in-scope recipients.
   */
  maxRemovalPercent?: number;
  /**
   * Accept a scope that selects no user (normally a sign of a wrong OU or an LDAP problem).
   */
  allowEmptyScope?: boolean;
}
/**
 * What a scheduled run (`smimesync apply --unattended`, the action's `auto-apply`) may write without a reviewed pull request.
 */
export interface ReconcileConfig {
  /**
   * Change reasons an unattended apply writes, e.g. `[derived-pkcs7, expired]`; every other change waits for a pull request. Empty (the default): nothing is applied unattended.
   */
  autoApply?: (
    | "declared-in-repo"
    | "derived-pkcs7"
    | "from-other-attribute"
    | "normalized-der"
    | "malformed"
    | "expired"
    | "not-yet-valid"
    | "no-email-protection-eku"
    | "key-usage-unfit"
    | "weak-key"
    | "weak-signature"
    | "untrusted-issuer"
    | "chain-too-complex"
    | "revoked"
    | "email-mismatch"
    | "duplicate"
    | "superseded"
    | "over-limit"
    | "private-key"
  )[];
}
