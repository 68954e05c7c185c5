// Where each national cloud lives. This table is the only place endpoint literals may appear:
// everything else reads a ResolvedEndpoints built from it and the config's overrides.
import { SmimesyncError } from "../errors.js";

export type CloudName = "global" | "usgov" | "usgov-dod" | "china";

export interface ResolvedEndpoints {
  /** Graph service root, without a trailing slash and without the version segment. */
  readonly graph: string;
  /** Exchange Online host root; `/adminapi/beta/{tenant}/InvokeCommand` is appended. */
  readonly exchange: string;
  /** Entra ID authority host (given to @azure/identity as `authorityHost`). */
  readonly login: string;
  /**
   * Token scopes name the resource, not the URL that is called: an endpoint override (a proxy,
   * the emulator) still asks Entra for the cloud's Graph or Exchange audience.
   */
  readonly graphScope: string;
  readonly exchangeScope: string;
}

interface CloudDefaults {
  readonly graph: string;
  readonly exchange: string;
  readonly login: string;
}

// Sources: "National cloud deployments" (Graph) and the -ExchangeEnvironmentName table of
// Connect-ExchangeOnline (O365USGovGCCHigh, O365USGovDoD, O365China).
const CLOUDS: Readonly<Record<CloudName, CloudDefaults>> = {
  global: {
    graph: "https://graph.microsoft.com",
    exchange: "https://outlook.office365.com",
    login: "https://login.microsoftonline.com",
  },
  usgov: {
    graph: "https://graph.microsoft.us",
    exchange: "https://outlook.office365.us",
    login: "https://login.microsoftonline.us",
  },
  "usgov-dod": {
    graph: "https://dod-graph.microsoft.us",
    exchange: "https://webmail.apps.mil",
    login: "https://login.microsoftonline.us",
  },
  china: {
    graph: "https://microsoftgraph.chinacloudapi.cn",
    exchange: "https://partner.outlook.cn",
    login: "https://login.chinacloudapi.cn",
  },
};

export interface EndpointOverrides {
  readonly graph?: string | undefined;
  readonly exchange?: string | undefined;
  readonly login?: string | undefined;
}

export function resolveEndpoints(
  cloud: CloudName,
  overrides: EndpointOverrides | undefined,
): ResolvedEndpoints {
  const defaults = CLOUDS[cloud];
  return {
    graph: httpsBase(overrides?.graph ?? defaults.graph, "tenant.endpoints.graph"),
    exchange: httpsBase(overrides?.exchange ?? defaults.exchange, "tenant.endpoints.exchange"),
    login: httpsBase(overrides?.login ?? defaults.login, "tenant.endpoints.login"),
    graphScope: `${defaults.graph}/.default`,
    exchangeScope: `${defaults.exchange}/.default`,
  };
}

/**
 * Bearer tokens must never cross the network in clear text, so every endpoint is https, with no
 * switch to turn that off (the emulator speaks TLS with a test CA instead).
 */
function httpsBase(value: string, field: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new SmimesyncError("CONFIG_INVALID", `${field}: "${value}" is not a URL`);
  }
  if (url.protocol !== "https:") {
    throw new SmimesyncError("CONFIG_INVALID", `${field}: "${value}" must be an https:// URL`, {
      hint: "Tokens are sent to every tenant endpoint; plain http is refused.",
    });
  }
  if (url.search !== "" || url.hash !== "") {
    throw new SmimesyncError("CONFIG_INVALID", `${field}: "${value}" must not carry a query or fragment`);
  }
  return url.href.replace(/\/+$/, "");
}
