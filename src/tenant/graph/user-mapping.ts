// Graph user JSON -> CloudUser. Graph omits nothing it was asked for ($select), but returns
// null for unset properties; anything of the wrong type is a protocol error worth naming.
import { SmimesyncError } from "../../errors.js";
import type { CloudUser } from "../types.js";

export const USER_SELECT = [
  "id",
  "userPrincipalName",
  "mail",
  "proxyAddresses",
  "accountEnabled",
  "onPremisesImmutableId",
  "onPremisesSyncEnabled",
  "onPremisesDistinguishedName",
  "onPremisesLastSyncDateTime",
  "onPremisesProvisioningErrors",
  "serviceProvisioningErrors",
] as const;

type Json = Record<string, unknown>;

export function isJsonObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function toCloudUser(raw: unknown): CloudUser {
  if (!isJsonObject(raw)) throw protocol("a user is not an object");
  const id = raw.id;
  if (typeof id !== "string") throw protocol("a user has no id");
  return {
    id,
    userPrincipalName: str(raw, "userPrincipalName", id) ?? "",
    mail: str(raw, "mail", id),
    proxyAddresses: strings(raw.proxyAddresses),
    accountEnabled: raw.accountEnabled === true,
    onPremisesImmutableId: str(raw, "onPremisesImmutableId", id),
    onPremisesSyncEnabled: typeof raw.onPremisesSyncEnabled === "boolean" ? raw.onPremisesSyncEnabled : null,
    onPremisesDistinguishedName: str(raw, "onPremisesDistinguishedName", id),
    onPremisesLastSyncDateTime: str(raw, "onPremisesLastSyncDateTime", id),
    onPremisesProvisioningErrors: Array.isArray(raw.onPremisesProvisioningErrors)
      ? raw.onPremisesProvisioningErrors.filter(isJsonObject).map((e) => ({
          ...(typeof e.category === "string" ? { category: e.category } : {}),
          ...(typeof e.occurredDateTime === "string" ? { occurredDateTime: e.occurredDateTime } : {}),
          ...(typeof e.propertyCausingError === "string"
            ? { propertyCausingError: e.propertyCausingError }
            : {}),
          ...(typeof e.value === "string" ? { value: e.value } : {}),
        }))
      : [],
    serviceProvisioningErrors: Array.isArray(raw.serviceProvisioningErrors)
      ? raw.serviceProvisioningErrors.filter(isJsonObject).map((e) => ({
          isResolved: e.isResolved === true,
          ...(typeof e.createdDateTime === "string" ? { createdDateTime: e.createdDateTime } : {}),
          ...(typeof e.serviceInstance === "string" ? { serviceInstance: e.serviceInstance } : {}),
          ...(typeof e.errorDetail === "string" ? { errorDetail: e.errorDetail } : {}),
        }))
      : [],
  };
}

function str(raw: Json, name: string, id: string): string | null {
  const v = raw[name];
  if (v === undefined || v === null) return null;
  if (typeof v !== "string") throw protocol(`user ${id}: ${name} is not a string`);
  return v;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

function protocol(message: string): SmimesyncError {
  return new SmimesyncError("TENANT_ERROR", `Microsoft Graph answered unexpectedly: ${message}`);
}
