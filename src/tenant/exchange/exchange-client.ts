// Exchange Online cmdlets over the admin REST endpoint the ExchangeOnlineManagement module
// uses: POST {exchange}/adminapi/beta/{tenantId}/InvokeCommand with
// {"CmdletInput":{"CmdletName":...,"Parameters":{...}}}. Later pages are fetched by POSTing the
// same body to the answer's next link. Each wire convention lives in one function below, with
// the public client it follows. Errors of a cmdlet come back as {"error":{...}}; a write to a
// directory-synced object is refused with the "write scope" message, surfaced as
// TENANT_WRITE_SCOPE.
import { SmimesyncError } from "../../errors.js";
import { isJsonObject } from "../graph/user-mapping.js";
import { followableLink, nextLinkOf } from "../http/paging.js";
import { type OutgoingRequest, type SenderDeps, send } from "../http/sender.js";
import { errorForStatus, parseServiceError, TenantHttpError } from "../http/service-error.js";

const PAGE_SIZE = 1000;
/** Requests in one $batch, as CIPP-API's New-ExoBulkRequest sends them. */
export const EXCHANGE_BATCH_LIMIT = 10;

interface Queued {
  readonly url: string;
  readonly cmdlet: string;
  readonly parameters: CmdletParameters;
  resolve(page: Record<string, unknown>): void;
  reject(e: unknown): void;
}

export interface ExchangeClientOptions {
  /** Exchange host root, e.g. https://outlook.office365.com */
  readonly baseUrl: string;
  readonly tenantId: string;
  readonly sender: SenderDeps;
}

export type CmdletParameters = Readonly<Record<string, unknown>>;

/** What a cmdlet output, and the warnings it gave (a Set-* that changed nothing says so there). */
export interface CmdletAnswer {
  readonly objects: Record<string, unknown>[];
  readonly warnings: readonly string[];
}

export class ExchangeClient {
  private readonly queue: Queued[] = [];
  private flushScheduled = false;

  constructor(private readonly options: ExchangeClientOptions) {}

  /**
   * Runs a Get-* cmdlet and streams every object of every page. `onFirstAnswer` is given the
   * headers of the first page's answer (its Date is the service's clock), when it was sent alone.
   */
  async *query(
    cmdlet: string,
    parameters: CmdletParameters,
    select: readonly string[],
    onFirstAnswer?: (headers: Headers) => void,
  ): AsyncIterable<Record<string, unknown>> {
    const start = `${this.endpoint()}?$select=${select.join(",")}`;
    let url: string | undefined = start;
    let first = true;
    while (url !== undefined) {
      const { body: page, headers } = await this.post(url, cmdlet, parameters, true);
      if (first && headers !== undefined) onFirstAnswer?.(headers);
      first = false;
      for (const item of objectsOf(page, cmdlet)) yield item;
      const next = nextLinkOf(page);
      url = next === undefined || next === null ? undefined : followableLink("exchange", next, start, cmdlet);
    }
  }

  /**
   * Runs a cmdlet once (Set-*, New-*). `idempotent`: whether repeating it after a lost answer is
   * harmless (value-level Set-* edits are; New-* is not).
   */
  async run(cmdlet: string, parameters: CmdletParameters, idempotent: boolean): Promise<CmdletAnswer> {
    const { body: page } = await this.post(this.endpoint(), cmdlet, parameters, idempotent);
    return { objects: objectsOf(page, cmdlet), warnings: warningsOf(page) };
  }

  private endpoint(): string {
    return `${this.options.baseUrl}/adminapi/beta/${encodeURIComponent(this.options.tenantId)}/InvokeCommand`;
  }

  /**
   * Single-object calls that are safe to repeat (Get-* of one -Identity, value-level Set-*) made
   * at about the same time — apply's workers re-reading and writing recipients — travel together
   * in one $batch of up to 10 instead of one request each. A lone call is sent as it is.
   */
  private batched(
    url: string,
    cmdlet: string,
    parameters: CmdletParameters,
  ): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      this.queue.push({ url, cmdlet, parameters, resolve, reject });
      if (this.queue.length >= EXCHANGE_BATCH_LIMIT) void this.flush();
      else if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => {
          this.flushScheduled = false;
          void this.flush();
        });
      }
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const items = this.queue.splice(0, EXCHANGE_BATCH_LIMIT);
      if (items.length === 1) {
        const [only] = items as [Queued];
        this.single(only.url, only.cmdlet, only.parameters, true).then(
          (a) => only.resolve(a.body),
          only.reject,
        );
        continue;
      }
      void this.sendBatch(items);
    }
  }

  /**
   * POST adminapi/beta/{tenantId}/$batch with `Prefer: odata.continue-on-error` (CIPP-API
   * New-ExoBulkRequest): each item carries its own url, headers and body and is answered on its
   * own. An item the service throttled or could not serve is sent again alone, with the
   * sender's full retry rules.
   */
  private async sendBatch(items: readonly Queued[]): Promise<void> {
    const base = this.options.baseUrl;
    const requests = items.map((q, i) => ({
      id: String(i),
      method: "POST",
      url: q.url,
      headers: invokeHeaders(this.options.tenantId, q.cmdlet),
      body: { CmdletInput: { CmdletName: q.cmdlet, Parameters: q.parameters } },
    }));
    let answer: unknown;
    try {
      answer = (
        await send(this.options.sender, {
          service: "exchange",
          method: "POST",
          url: `${base}/adminapi/beta/${encodeURIComponent(this.options.tenantId)}/$batch`,
          headers: {
            ...invokeHeaders(this.options.tenantId, items[0]?.cmdlet ?? ""),
            Prefer: "odata.continue-on-error",
          },
          body: JSON.stringify({ requests }),
          // Only Get-* and value-level Set-* are batched: repeating the batch is harmless.
          idempotent: true,
          what: `${items.length} cmdlets ($batch)`,
        })
      ).body;
    } catch (e) {
      for (const q of items) q.reject(e);
      return;
    }
    const responses = isJsonObject(answer) && Array.isArray(answer.responses) ? answer.responses : [];
    const byId = new Map<string, Record<string, unknown>>();
    for (const r of responses) if (isJsonObject(r) && typeof r.id === "string") byId.set(r.id, r);
    for (const [i, q] of items.entries()) {
      const r = byId.get(String(i));
      const status = typeof r?.status === "number" ? r.status : 0;
      const body = r?.body;
      if (status >= 200 && status < 300 && isJsonObject(body)) {
        q.resolve(body);
        continue;
      }
      const retriable =
        status === 0 ||
        status === 401 ||
        status === 429 ||
        status >= 500 ||
        /maximum number of concurrent requests/i.test(JSON.stringify(body ?? ""));
      if (retriable) {
        // Unanswered, throttled, or failed on the service's side: alone, with the retry rules.
        this.single(q.url, q.cmdlet, q.parameters, true).then((a) => q.resolve(a.body), q.reject);
        continue;
      }
      const parsed = parseServiceError(JSON.stringify(body ?? {}), new Headers());
      q.reject(
        classify(
          errorForStatus("exchange", status, parsed, describe(q.cmdlet, q.parameters)),
          q.cmdlet,
          q.parameters,
        ),
      );
    }
  }

  private post(
    url: string,
    cmdlet: string,
    parameters: CmdletParameters,
    idempotent: boolean,
  ): Promise<Answer> {
    const firstPage = !new URL(url).searchParams.has("$skiptoken");
    const oneObject =
      (cmdlet.startsWith("Get-") && parameters.Identity !== undefined) || cmdlet.startsWith("Set-");
    if (idempotent && firstPage && oneObject)
      return this.batched(url, cmdlet, parameters).then((body) => ({ body, headers: undefined }));
    return this.single(url, cmdlet, parameters, idempotent);
  }

  private async single(
    url: string,
    cmdlet: string,
    parameters: CmdletParameters,
    idempotent: boolean,
  ): Promise<Answer> {
    const req: OutgoingRequest = {
      service: "exchange",
      method: "POST",
      url,
      headers: invokeHeaders(this.options.tenantId, cmdlet),
      body: JSON.stringify({ CmdletInput: { CmdletName: cmdlet, Parameters: parameters } }),
      idempotent,
      what: describe(cmdlet, parameters),
    };
    let answer: { body: unknown; headers: Headers };
    try {
      answer = await send(this.options.sender, req);
    } catch (e) {
      throw classify(e, cmdlet, parameters);
    }
    const { body, headers } = answer;
    if (!isJsonObject(body)) throw protocol(`${cmdlet} answered with a non-object`);
    return { body, headers };
  }
}

/** One answer's body, and its headers when it came alone (an item of a $batch has none here). */
interface Answer {
  readonly body: Record<string, unknown>;
  readonly headers: Headers | undefined;
}

/**
 * The headers of every InvokeCommand call, as app-only public clients send them:
 * `X-AnchorMailbox: APP:SystemMailbox{bb558c35-...}@{tenant id}` routes a tenant-wide call
 * without a user (CIPP-API New-ExoRequest; delegated clients use `UPN:...@{domain}` instead);
 * `Prefer: odata.maxpagesize=1000` (CIPP-API, GreyCorbel ExoHelper), also as `X-prefer` (the
 * EXO module); `X-ResponseFormat: json` and `X-CmdletName` (M365Permissions new-ExOQuery).
 */
export function invokeHeaders(tenantId: string, cmdlet: string): Record<string, string> {
  return {
    "Content-Type": "application/json; charset=utf-8",
    Accept: "application/json",
    "X-AnchorMailbox": `APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@${tenantId}`,
    Prefer: `odata.maxpagesize=${PAGE_SIZE}`,
    "X-prefer": `odata.maxpagesize=${PAGE_SIZE}`,
    "X-ResponseFormat": "json",
    "X-CmdletName": cmdlet,
  };
}

/**
 * The objects of an answer: its `value` array; without one, the answer itself when it holds
 * more than annotations (a single object, as M365Permissions' new-ExOQuery reads it), else none.
 */
export function objectsOf(
  page: Readonly<Record<string, unknown>>,
  cmdlet: string,
): Record<string, unknown>[] {
  if ("value" in page) {
    const value = page.value;
    if (value === null) return [];
    if (!Array.isArray(value)) throw protocol(`${cmdlet} answered with a value that is not a list`);
    return value.filter(isJsonObject);
  }
  const own = Object.keys(page).filter((k) => !k.startsWith("@") && !k.startsWith("odata."));
  return own.length === 0 ? [] : [page as Record<string, unknown>];
}

/** `@adminapi.warnings` of an answer (CIPP-API New-ExoRequest and ExoHelper read it). */
export function warningsOf(page: Readonly<Record<string, unknown>>): string[] {
  const raw = page["@adminapi.warnings"];
  if (!Array.isArray(raw)) return typeof raw === "string" && raw !== "" ? [raw] : [];
  return raw.filter((w): w is string => typeof w === "string" && w.trim() !== "");
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
