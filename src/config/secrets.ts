// Secrets are references, never literals: `${env:NAME}` or `${file:PATH}`. They are resolved only
// when a backend needs them, so `validate` and offline runs work without any secret present.
import { resolve } from "node:path";
import { SmimesyncError } from "../errors.js";
import { readBoundedFileSync } from "../files/bounded-read.js";

const REF = /^\$\{(env|file):([^}]+)\}$/;

export type SecretRefParts = { readonly kind: "env" | "file"; readonly name: string };

export function parseSecretRef(value: string): SecretRefParts | undefined {
  const m = REF.exec(value);
  return m ? { kind: m[1] as "env" | "file", name: m[2] as string } : undefined;
}

export function resolveSecret(ref: string, env: NodeJS.ProcessEnv, baseDir: string, field: string): string {
  const parts = parseSecretRef(ref);
  if (!parts) {
    throw new SmimesyncError("SECRET_UNRESOLVED", `${field} is not a secret reference`, {
      hint: "Write it as ${env:NAME} or ${file:PATH}.",
    });
  }
  if (parts.kind === "env") {
    const v = env[parts.name];
    if (v === undefined || v === "") {
      throw new SmimesyncError(
        "SECRET_UNRESOLVED",
        `${field}: environment variable ${parts.name} is not set`,
        {
          hint: `Export ${parts.name} before running smimesync (in GitHub Actions: from a secret or environment).`,
        },
      );
    }
    return v;
  }
  const path = resolve(baseDir, parts.name);
  try {
    return readBoundedFileSync(path, "small", `${field} (${ref})`)
      .toString("utf8")
      .replace(/\r?\n$/, "");
  } catch (e) {
    if (e instanceof SmimesyncError) throw e;
    throw new SmimesyncError("SECRET_UNRESOLVED", `${field}: cannot read ${path}`, { cause: e });
  }
}
