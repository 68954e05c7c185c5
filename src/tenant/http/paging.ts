// Following OData paging links safely. A paging link comes from an answer, which is hostile
// input: it is followed only to the origin (scheme, host, port) and the path of the request
// that started the read, so the bearer token never goes anywhere else and a read never ends
// early on a page served by someone else. Anything else stops the read: a read that did not
// complete must never yield a plan.
import { SmimesyncError } from "../../errors.js";
import { serviceName } from "./sender.js";
import type { TenantService } from "./service-error.js";

/**
 * The next page's link of an answer, if any. Exchange's InvokeCommand has been seen answering
 * with `@odata.nextLink` and `odata.nextLink` (M365Permissions' new-ExOQuery accepts both);
 * missing either would silently read the first page only.
 */
export function nextLinkOf(page: Readonly<Record<string, unknown>>): unknown {
  return page["@odata.nextLink"] ?? page["odata.nextLink"];
}

/** `link` as a URL to follow, or a TENANT_ERROR when it leads anywhere but `start`'s service path. */
export function followableLink(service: TenantService, link: unknown, start: string, what: string): string {
  const origin = new URL(start);
  let url: URL | undefined;
  if (typeof link === "string") {
    try {
      url = new URL(link, origin);
    } catch {
      url = undefined;
    }
  }
  if (
    url !== undefined &&
    url.origin === origin.origin &&
    url.username === "" &&
    url.password === "" &&
    url.pathname.toLowerCase() === origin.pathname.toLowerCase()
  ) {
    return url.href;
  }
  const shown = typeof link === "string" ? link.slice(0, 200) : JSON.stringify(link)?.slice(0, 200);
  throw new SmimesyncError(
    "TENANT_ERROR",
    `${serviceName(service)} answered ${what} with a paging link to ${shown}, which is not the service that was called (${origin.origin}${origin.pathname}): the read is stopped, nothing was sent there`,
    {
      hint: "A proxy between smimesync and the service, or the service itself, rewrote the link. No plan is made from a partial read; check the network path and the tenant endpoints, then run again.",
    },
  );
}
