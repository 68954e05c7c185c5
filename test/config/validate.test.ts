import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { DiagnosticsError } from "../../src/errors.js";
import { runCli } from "../helpers/cli.js";

const ROOT = new URL("../..", import.meta.url).pathname;

/** Writes a config (and optional extra files) into a fresh directory and returns its path. */
async function configDir(yaml: string, files: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "smimesync-config-"));
  await writeFile(join(dir, "smimesync.yaml"), yaml);
  for (const [name, content] of Object.entries(files)) {
    await mkdir(join(dir, name, ".."), { recursive: true });
    await writeFile(join(dir, name), content);
  }
  return dir;
}

async function problems(yaml: string, files: Record<string, string> = {}): Promise<string[]> {
  const dir = await configDir(yaml, files);
  try {
    await loadConfig("smimesync.yaml", dir);
  } catch (e) {
    if (e instanceof DiagnosticsError)
      return e.diagnostics
        .filter((d) => d.severity === "error")
        .map((d) => `${d.line}:${d.col}: ${d.message}`);
    throw e;
  }
  return [];
}

const VALID = `version: 1
directory:
  url: ldaps://dc01.corp.example.com
  baseDN: DC=corp,DC=example,DC=com
  bind:
    dn: svc@corp.example.com
    password: \${env:LDAP_PASSWORD}
tenant:
  snapshot: tenant.json
scope:
  ous:
    - dn: OU=Staff,DC=corp,DC=example,DC=com
policy:
  requirements:
    trustedChain: false
`;

describe("config validation", () => {
  it("accepts the shipped examples", async () => {
    for (const example of ["hybrid", "cloud-only"]) {
      const loaded = await loadConfig(join(ROOT, "examples", example, "smimesync.yaml"));
      expect(loaded.config.version).toBe(1);
      expect(loaded.hash).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it("fills in defaults from the schema", async () => {
    const dir = await configDir(VALID, { "tenant.json": "{}" });
    const { config } = await loadConfig("smimesync.yaml", dir);
    expect(config.policy.maxPerUser).toBe(3);
    expect(config.scope.includeDisabled).toBe(false);
    expect(config.scope.ous?.[0]?.scope).toBe("subtree");
    expect(config.directory?.sourceAnchor).toBe("objectGUID");
    expect(config.policy.prune?.["private-key"]).toBe(true);
  });

  it("reports every mistake of the issue's list in one run, each with line and column", async () => {
    const yaml = `version: 1
directory:
  url: ldaps://dc01.corp.example.com
  baseDN: DC=corp,DC=example,DC=com
  bind:
    dn: svc@corp.example.com
    password: hunter2
  tls:
    caFile: pki/missing.pem
  timeoutSecs: 30
tenant:
  snapshot: tenant.json
  concurrency: four
scope:
  ous:
    - dn: OU=Staff,DC=corp,DC=example,DC=com
policy:
  requirements:
    trustedChain: false
  maxPerUser: 20
`;
    const found = await problems(yaml, { "tenant.json": "{}" });
    expect(found).toEqual([
      expect.stringMatching(/^7:15: directory\.bind\.password holds a literal secret.*\$\{env:NAME\}/),
      expect.stringMatching(/^9:13: CA file pki\/missing\.pem does not exist/),
      expect.stringMatching(
        /^10:3: unknown key "timeoutSecs" in directory \(did you mean "timeoutSeconds"\?\)/,
      ),
      "13:16: tenant.concurrency must be an integer",
      expect.stringMatching(/^20:15: policy\.maxPerUser must be at most 15/),
    ]);
  });

  it("reports YAML syntax errors with their position", async () => {
    const found = await problems("version: 1\ndirectory:\n  url: [unclosed\n");
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^\d+:\d+: YAML: /);
  });

  it("refuses a key that is a list, a mapping or an alias, with its position, instead of stringifying it", async () => {
    const found = await problems(
      "version: 1\n? [a, b]\n: x\nscope:\n  ? {k: v}\n  : y\n  base: &b z\n  *b : w\n",
    );
    expect(found).toEqual([
      "2:3: YAML: a key must be plain text, not a list, mapping or alias",
      "5:5: YAML: a key must be plain text, not a list, mapping or alias",
      "8:3: YAML: a key must be plain text, not a list, mapping or alias",
    ]);
  });

  it("reports a duplicate key", async () => {
    const found = await problems(`${VALID}version: 1\n`, { "tenant.json": "{}" });
    expect(found[0]).toMatch(/^16:1: YAML: .*unique/i);
  });

  it("names missing required sections and wrong enum values", async () => {
    const found = await problems("version: 2\nscope:\n  ous:\n    - dn: OU=X,DC=a\n      scope: deep\n");
    expect(found).toContain("1:10: version must be 1");
    expect(found).toContain('5:14: scope.ous[0].scope must be one of: "subtree", "one-level"');
    expect(found.some((p) => p.includes('missing the required key "tenant"'))).toBe(true);
    expect(found.some((p) => p.includes('missing the required key "policy"'))).toBe(true);
  });

  it("refuses unparsable DNs, non-https endpoints and plain ldap without TLS", async () => {
    const yaml = `version: 1
directory:
  url: ldap://dc01.corp.example.com
  baseDN: DC=corp,DC=example,DC=com
  bind:
    dn: svc@corp.example.com
    password: \${env:P}
tenant:
  tenantId: 7f3c9a52-1d4e-4b8a-9c61-2e5f0a7b3d19
  domain: corp.onmicrosoft.com
  endpoints:
    graph: http://graph.example.test
  auth:
    method: workload-identity
    clientId: x
scope:
  ous:
    - dn: Staff
policy:
  requirements:
    trustedChain: false
`;
    const found = await problems(yaml);
    expect(found).toEqual([
      expect.stringMatching(/^3:8: plain ldap:\/\/ would send the bind password in clear text/),
      "12:12: tenant.endpoints.graph must be an https:// URL (TLS is verified; plain http is never used)",
      expect.stringMatching(/^18:11: "Staff" is not a valid distinguished name/),
    ]);
  });

  it("accepts plain ldap with StartTLS", async () => {
    const yaml = VALID.replace("ldaps://", "ldap://").replace(
      "  bind:",
      "  tls:\n    startTLS: true\n  bind:",
    );
    expect(await problems(yaml, { "tenant.json": "{}" })).toEqual([]);
  });

  it("refuses a referenced file that holds a private key or no certificate", async () => {
    const yaml = VALID.replace(
      "  requirements:\n    trustedChain: false\n",
      "  trustAnchors: [key.pem, junk.pem]\n",
    );
    const found = await problems(yaml, {
      "tenant.json": "{}",
      "key.pem": "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n",
      "junk.pem": "hello",
    });
    expect(found).toEqual([
      expect.stringMatching(/^14:18: key\.pem: .*holds a private key/),
      expect.stringMatching(/^14:27: junk\.pem: neither DER .*, PEM, nor an Outlook/),
    ]);
  });

  it("refuses an empty scope and a chain requirement without trust anchors", async () => {
    const yaml = VALID.replace(
      "  ous:\n    - dn: OU=Staff,DC=corp,DC=example,DC=com\n",
      "  includeDisabled: false\n",
    ).replace("  requirements:\n    trustedChain: false\n", "  maxPerUser: 2\n");
    const found = await problems(yaml, { "tenant.json": "{}" });
    expect(found).toEqual([
      expect.stringMatching(/^11:3: the scope selects nobody/),
      expect.stringMatching(/^13:3: policy\.trustAnchors is empty/),
    ]);
  });

  it("refuses a snapshot together with auth (two backends at once)", async () => {
    const yaml = VALID.replace(
      "  snapshot: tenant.json\n",
      "  snapshot: tenant.json\n  auth:\n    method: workload-identity\n    clientId: x\n",
    );
    const found = await problems(yaml, { "tenant.json": "{}" });
    expect(found).toEqual([expect.stringMatching(/^10:3: tenant\.auth is not allowed here/)]);
  });
});

describe("smimesync validate", () => {
  it("exits 0 on the hybrid example", async () => {
    const r = await runCli(["validate", "-c", "examples/hybrid/smimesync.yaml"], { cwd: ROOT });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("examples/hybrid/smimesync.yaml is valid");
  });

  it("exits 1 and prints FILE:LINE:COL for each problem, without a stack trace", async () => {
    const dir = await configDir(VALID.replace("${env:LDAP_PASSWORD}", "hunter2"), { "tenant.json": "{}" });
    const r = await runCli(["validate"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^smimesync\.yaml:7:15: directory\.bind\.password holds a literal secret/m);
    expect(r.stderr).toContain("Error: 1 problem found");
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe("");
  });

  it("prints GitHub annotations under GitHub Actions", async () => {
    const dir = await configDir(
      VALID.replace("maxPerUser", "x").replace("trustedChain: false", "trustedChain: false\n  maxPerUser: 0"),
      {
        "tenant.json": "{}",
      },
    );
    const r = await runCli(["validate", "-c", "smimesync.yaml"], {
      cwd: dir,
      env: { GITHUB_ACTIONS: "true" },
    });
    expect(r.code).toBe(1);
    expect(r.stdout.trim()).toBe(
      "::error file=smimesync.yaml,line=16,col=15::policy.maxPerUser must be at least 1 (Exchange Online keeps at most 15 certificates per attribute)",
    );
  });

  it("says how to fix a missing config file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "smimesync-empty-"));
    const r = await runCli(["validate"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Error: config file smimesync.yaml does not exist");
    expect(r.stderr).toContain("smimesync init");
  });
});
