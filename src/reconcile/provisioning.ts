// Provisioning errors Entra ID shows on a user, as one drift line each kind: Entra Connect's
// conflicts (onPremisesProvisioningErrors) and those Exchange Online published
// (serviceProvisioningErrors with serviceInstance "exchange/..."), which keep AD's values out.
import type { CloudUser, ServiceProvisioningError } from "../tenant/types.js";

/** Unresolved errors Exchange Online published for the user; other services' do not hold mail back. */
export function exchangeProvisioningErrors(user: CloudUser): ServiceProvisioningError[] {
  return user.serviceProvisioningErrors.filter(
    (e) => !e.isResolved && /^exchange\b/i.test(e.serviceInstance ?? ""),
  );
}

/** The service's own words, from the first <ErrorDescription> of its XML (bounded: it is data). */
export function serviceErrorMessage(e: ServiceProvisioningError): string {
  const where = [e.serviceInstance, e.createdDateTime ? `since ${e.createdDateTime}` : undefined]
    .filter((x) => x !== undefined)
    .join(", ");
  const described = /<ErrorDescription>([^<]{1,400})/i.exec(e.errorDetail ?? "")?.[1]?.trim();
  return `Exchange Online reports a provisioning error for this user${where ? ` (${where})` : ""}${described ? `: ${described}` : ""}`;
}
