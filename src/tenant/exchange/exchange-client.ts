// Exchange Online cmdlets over the admin REST endpoint the ExchangeOnlineManagement module
// uses: POST {exchange}/adminapi/beta/{tenantId}/InvokeCommand with
// {"CmdletInput":{"CmdletName":...,"Parameters":{...}}}. Later pages are fetched by POSTing the
// same body to @odata.nextLink. Errors of a cmdlet come back as {"error":{...}}; a write to a
// directory-synced object is refused with the "write scope" message, surfaced as
// TENANT_WRITE_SCOPE.
import { SmimesyncError } from "../../errors.js";
import { isJsonObject } from "../graph/user-mapping.js";
import { type OutgoingRequest, type SenderDeps, send } from "../http/sender.js";
import { TenantHttpError } from "../http/service-error.js";

/** The arbitration mailbox that routes tenant-wide admin calls (as the EXO module does). */
const ANCHOR_MAILBOX = "SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}";
const PAGE_SIZE = 1000;

export interface ExchangeClientOptions {
  /** Exchange host root, e.g. https://outlook.office365.com */
  readonly baseUrl: string;
  readonly tenantId: string;
  /** Initial domain (contoso.onmicrosoft.com) for X-AnchorMailbox. */
  readonly domain: string;
  readonly getToken: () => Promise<string>;
  readonly sender: SenderDeps;
}

export type CmdletParameters = Readonly<Record<string, unknown>>;

export class ExchangeClient {
  constructor(private readonly options: ExchangeClientOptions) {}

  /** Runs a Get-* cmdlet and streams every object of every page. */
  async *query(
    cmdlet: string,
    parameters: CmdletParameters,
    select: readonly string[],
  ): AsyncIterable<Record<string, unknown>> {
    let url: string | undefined = `${this.endpoint()}?$select=${select.join(",")}`;
    while (url !== undefined) {
      const page = await this.post(url, cmdlet, parameters, true);
      const value = page.value;
      if (!Array.isArray(value)) throw protocol(`${cmdlet} answered without a value array`);
      for (const item of value) if (isJsonObject(item)) yield item;
      const next = page["@odata.nextLink"];
      url = typeof next === "string" ? next : undefined;
    }
  }

  /** Runs a cmdlet once (Set-*, New-*) and returns the objects it output. */
  async run(cmdlet: string, parameters: CmdletParameters): Promise<Record<string, unknown>[]> {
    const page = await this.post(
      this.endpoint(),
      cmdlet,
      parameters,
      cmdlet.startsWith("Get-") || cmdlet.startsWith("Set-"),
    );
    const value = page.value;
    return Array.isArray(value) ? value.filter(isJsonObject) : [];
  }

  private endpoint(): string {
    return `${this.options.baseUrl}/adminapi/beta/${encodeURIComponent(this.options.tenantId)}/InvokeCommand`;
  }

  private async post(
    url: string,
    cmdlet: string,
    parameters: CmdletParameters,
    idempotent: boolean,
  ): Promise<Record<string, unknown>> {
    const token = await this.options.getToken();
    const req: OutgoingRequest = {
      service: "exchange",
      method: "POST",
      url,
      headers: {
        Authorization: `Bearer ${token}`,
        "Content-Type": "application/json; charset=utf-8",
        Accept: "application/json",
        "X-AnchorMailbox": `UPN:${ANCHOR_MAILBOX}@${this.options.domain}`,
        "X-prefer": `odata.maxpagesize=${PAGE_SIZE}`,
        Prefer: `odata.maxpagesize=${PAGE_SIZE}`,
        "X-ResponseFormat": "json",
        "X-CmdletName": cmdlet,
      },
      body: JSON.stringify({ CmdletInput: { CmdletName: cmdlet, Parameters: parameters } }),
      // Set-* writes the complete value list, so repeating it is harmless; New-* is not.
      idempotent,
      what: describe(cmdlet, parameters),
    };
    let response: Response;
    try {
      response = await send(this.options.sender, req);
    } catch (e) {
      throw classify(e, cmdlet, parameters);
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = text === "" ? {} : JSON.parse(text);
    } catch {
      throw protocol(`${cmdlet} answered with something other than JSON`);
    }
    if (!isJsonObject(body)) throw protocol(`${cmdlet} answered with a non-object`);
    return body;
  }
}

const WRITE_SCOPE =
  /out of the current user's write scope|being synchronized from your on-premises organization/i;
const NOT_FOUND = /ManagementObjectNotFoundException|couldn't be found/i;

/** A cmdlet's object was not found (Get-* with -Identity, Set-* on a deleted recipient). */
export class RecipientNotFoundError extends SmimesyncError {
  constructor(message: string) {
    super("TENANT_ERROR", message);
    this.name = "RecipientNotFoundError";
  }
}

function classify(e: unknown, cmdlet: string, parameters: CmdletParameters): unknown {
  if (!(e instanceof TenantHttpError) || e.code !== "TENANT_ERROR") return e;
  if (WRITE_SCOPE.test(e.serviceMessage)) {
    return new SmimesyncError(
      "TENANT_WRITE_SCOPE",
      `Exchange Online refused ${describe(cmdlet, parameters)}: ${e.serviceMessage}`,
      {
        hint: "The recipient is synchronised from on-premises AD: its certificates are written in AD and carried up by Entra Connect.",
      },
    );
  }
  if (e.status === 404 || NOT_FOUND.test(e.serviceMessage)) {
    return new RecipientNotFoundError(
      `Exchange Online: ${describe(cmdlet, parameters)}: ${e.serviceMessage}`,
    );
  }
  return e;
}

function describe(cmdlet: string, parameters: CmdletParameters): string {
  const identity = parameters.Identity ?? parameters.Name;
  return typeof identity === "string" ? `${cmdlet} ${identity}` : cmdlet;
}

function protocol(message: string): SmimesyncError {
  return new SmimesyncError("TENANT_ERROR", `Exchange Online answered unexpectedly: ${message}`);
}
