// Exchange Online's admin InvokeCommand endpoint for the recipient cmdlets smimesync uses.
// Byte arrays travel as base64 strings (the assumption production makes in one function; the
// emulator encodes independently so a mismatch would show). Synced recipients refuse
// certificate writes with the service's write-scope message; the 15-value and 32,768-byte
// limits are enforced.
import { randomBytes, randomUUID } from "node:crypto";
import type { RecipientKind } from "../../src/tenant/types.js";
import { writeScopeMessage } from "../../src/tenant/value-edit.js";
import { type EmuRequest, type EmuResponse, header, json } from "./http-types.js";
import type { TokenAuthority } from "./identity.js";
import { exchangeError, exchangeUnauthorized } from "./service-errors.js";
import type { EmulatorState, EmuRecipient } from "./state.js";

export interface ExchangeOptions {
  /** Server-side page size cap (the service honours odata.maxpagesize up to 1000). */
  readonly maxPageSize: number;
  readonly nextLinkKey: "@odata.nextLink" | "odata.nextLink";
  /** Get-* -Identity answers with the object itself, no `value` around it. */
  readonly bareSingleObjects: boolean;
}

// App-only callers route through the organization's system mailbox by tenant id, as CIPP-API's
// New-ExoRequest and GreyCorbel's ExoHelper send it; `UPN:...@domain` is the delegated form.
const APP_ANCHOR = /^APP:SystemMailbox\{bb558c35-97f1-4cb9-8ff7-d53741dc928c\}@(.+)$/i;
const MAX_VALUES = 15;
const BATCH_LIMIT = 10;
const MAX_BYTES = 32_768;
const CERT_PARAMS = ["UserCertificate", "UserSMimeCertificate"] as const;
type CertParam = (typeof CERT_PARAMS)[number];

interface Pager {
  readonly cmdlet: string;
  readonly items: readonly Record<string, unknown>[];
  readonly offset: number;
  readonly pageSize: number;
  readonly select: string;
}

export class ExchangeEmulator {
  private readonly pagers = new Map<string, Pager>();

  constructor(
    private readonly state: EmulatorState,
    private readonly authority: TokenAuthority,
    private readonly options: ExchangeOptions,
    private readonly base: () => string,
    /** Told of each request answered inside a $batch, for the request log. */
    private readonly onBatchItem: (req: EmuRequest, status: number) => void = () => {},
    /** Runs before a cmdlet is served, batched or not (tests: a concurrent admin's edit). */
    private readonly beforeCommand: (cmdlet: string, parameters: Record<string, unknown>) => void = () => {},
  ) {}

  handle(req: EmuRequest): EmuResponse {
    const check = this.authority.check(req.headers.authorization, "exchange");
    if (!check.ok) return exchangeUnauthorized(check.reason);
    const app = this.authority.apps.get(check.token.appId);
    if (!check.token.roles.includes("Exchange.ManageAsApp")) {
      return exchangeUnauthorized("The token does not contain the Exchange.ManageAsApp application role.");
    }
    if (!app?.exchangeAdminRole) {
      return exchangeError(
        403,
        "Microsoft.Exchange.Configuration.Tasks.CmdletAccessDeniedException",
        `The user "${check.token.appId}" isn't assigned to any management roles.`,
      );
    }
    const batch = /^\/adminapi\/beta\/([^/]+)\/\$batch$/.exec(req.url.pathname);
    if (req.method === "POST" && batch) return this.batch(req, decodeURIComponent(batch[1] ?? ""));
    const m = /^\/adminapi\/beta\/([^/]+)\/InvokeCommand$/.exec(req.url.pathname);
    if (req.method !== "POST" || !m)
      return exchangeError(404, "System.Web.HttpException", `No route for ${req.method} ${req.url.pathname}`);
    if (
      decodeURIComponent(m[1] ?? "") !== this.state.tenantId &&
      decodeURIComponent(m[1] ?? "") !== this.state.domain
    ) {
      return exchangeUnauthorized("The tenant in the URL does not match the token.");
    }
    const anchor = APP_ANCHOR.exec(header(req, "x-anchormailbox") ?? "");
    if (!anchor || anchor[1]?.toLowerCase() !== this.state.tenantId.toLowerCase()) {
      return exchangeError(
        400,
        "System.ArgumentException",
        "The X-AnchorMailbox header is missing or does not name this organization's system mailbox as APP:SystemMailbox{...}@<tenant id> (an app-only token has no user to anchor on).",
      );
    }
    let input: { CmdletInput?: { CmdletName?: unknown; Parameters?: unknown } };
    try {
      input = JSON.parse(req.bodyText) as typeof input;
    } catch {
      return exchangeError(400, "System.ArgumentException", "The request body is not valid JSON.");
    }
    const cmdlet = input.CmdletInput?.CmdletName;
    const params = (input.CmdletInput?.Parameters ?? {}) as Record<string, unknown>;
    if (typeof cmdlet !== "string")
      return exchangeError(400, "System.ArgumentException", "CmdletInput.CmdletName is required.");

    this.beforeCommand(cmdlet, params);
    const skip = req.url.searchParams.get("$skiptoken");
    if (skip !== null) return this.nextPage(skip, cmdlet);

    const get = /^Get-(Mailbox|MailUser|MailContact)$/.exec(cmdlet);
    if (get) return this.get(get[1] as RecipientKind, params, req);
    const set = /^Set-(Mailbox|MailUser|MailContact)$/.exec(cmdlet);
    if (set) return this.set(set[1] as RecipientKind, params);
    if (cmdlet === "New-MailContact") return this.newContact(params);
    if (cmdlet === "Get-SmimeConfig") return this.getSmimeConfig(req);
    if (cmdlet === "Set-SmimeConfig") return this.setSmimeConfig(params);
    return exchangeError(
      400,
      "System.Management.Automation.CommandNotFoundException",
      `The term '${cmdlet}' is not recognized as a name of a cmdlet, function, script file, or executable program.`,
    );
  }

  /**
   * POST adminapi/beta/{tenant}/$batch (CIPP-API's New-ExoBulkRequest): at most 10 InvokeCommand
   * requests, each with its own url, headers and body, answered one by one and independently
   * (one failing does not stop the others), as {"responses":[{id,status,body}]}.
   */
  private batch(req: EmuRequest, tenant: string): EmuResponse {
    if (tenant !== this.state.tenantId && tenant !== this.state.domain)
      return exchangeUnauthorized("The tenant in the URL does not match the token.");
    let body: { requests?: unknown };
    try {
      body = JSON.parse(req.bodyText) as { requests?: unknown };
    } catch {
      return exchangeError(400, "System.ArgumentException", "The request body is not valid JSON.");
    }
    const requests = body.requests;
    if (!Array.isArray(requests) || requests.length === 0)
      return exchangeError(400, "System.ArgumentException", "A batch needs a non-empty 'requests' array.");
    if (requests.length > BATCH_LIMIT) {
      return exchangeError(
        400,
        "System.ArgumentException",
        `A batch can hold at most ${BATCH_LIMIT} requests; ${requests.length} were sent.`,
      );
    }
    const responses = requests.map((raw: unknown) => {
      const r = (raw ?? {}) as {
        id?: unknown;
        method?: unknown;
        url?: unknown;
        headers?: unknown;
        body?: unknown;
      };
      const id = typeof r.id === "string" ? r.id : "";
      if (id === "" || r.method !== "POST" || typeof r.url !== "string") {
        return {
          id,
          status: 400,
          body: { error: { code: "BadRequest", message: "Invalid batch request." } },
        };
      }
      const headers: Record<string, string> = { authorization: header(req, "authorization") ?? "" };
      if (typeof r.headers === "object" && r.headers !== null) {
        for (const [k, v] of Object.entries(r.headers))
          if (typeof v === "string") headers[k.toLowerCase()] = v;
      }
      const item: EmuRequest = {
        service: "exchange",
        method: "POST",
        url: new URL(r.url, this.base()),
        headers,
        bodyText: JSON.stringify(r.body ?? {}),
      };
      const answer = this.handle(item);
      this.onBatchItem(item, answer.status);
      return { id, status: answer.status, headers: answer.headers ?? {}, body: answer.body };
    });
    return json(200, { responses });
  }

  private get(kind: RecipientKind, params: Record<string, unknown>, req: EmuRequest): EmuResponse {
    const select = req.url.searchParams.get("$select") ?? "";
    let items: EmuRecipient[];
    if (params.Identity !== undefined) {
      const found = this.find(kind, String(params.Identity));
      if (!found) return notFound(String(params.Identity));
      if (this.options.bareSingleObjects) {
        return json(200, { "@adminapi.warnings": [], ...project(found, select) });
      }
      items = [found];
    } else {
      items = [...this.state.recipients.values()].filter((r) => r.kind === kind);
      if (params.Filter !== undefined) {
        const filter = parseWhenChangedFilter(params.Filter);
        if ("error" in filter) return filter.error;
        // Stamps are whole seconds in Exchange; -gt compares them with the literal's instant.
        items = items.filter((r) => Math.floor((r.whenChanged ?? 0) / 1000) * 1000 > filter.afterMs);
      }
      const size = resultSize(params.ResultSize);
      if (typeof size !== "number") return size.error;
      items = items.slice(0, size);
    }
    const preferred = /odata\.maxpagesize\s*=\s*(\d+)/.exec(
      header(req, "x-prefer") ?? header(req, "prefer") ?? "",
    );
    const pageSize = Math.min(preferred ? Number(preferred[1]) : 1000, this.options.maxPageSize);
    const pager: Pager = {
      cmdlet: `Get-${kind}`,
      items: items.map((r) => project(r, select)),
      offset: 0,
      pageSize,
      select,
    };
    return this.page(pager);
  }

  private nextPage(token: string, cmdlet: string): EmuResponse {
    const pager = this.pagers.get(token);
    if (!pager || pager.cmdlet !== cmdlet)
      return exchangeError(400, "System.ArgumentException", "The skip token is invalid or expired.");
    return this.page(pager);
  }

  private page(pager: Pager): EmuResponse {
    const value = pager.items.slice(pager.offset, pager.offset + pager.pageSize);
    // Each page's token names an immutable position, so asking for a page again (a client
    // retrying after a cut connection) gets the same page, as with the services' skip tokens.
    const offset = pager.offset + value.length;
    const body: Record<string, unknown> = {
      "@odata.context": `${this.base()}/adminapi/beta/${this.state.tenantId}/$metadata#Collection(Exchange.GenericHashTable)`,
      "@adminapi.warnings": [],
      value,
    };
    if (offset < pager.items.length) {
      const token = randomBytes(12).toString("base64url");
      this.pagers.set(token, { ...pager, offset });
      const select = pager.select ? `$select=${pager.select}&` : "";
      body[this.options.nextLinkKey] =
        `${this.base()}/adminapi/beta/${this.state.tenantId}/InvokeCommand?${select}$skiptoken=${token}`;
    }
    return json(200, body);
  }

  private set(kind: RecipientKind, params: Record<string, unknown>): EmuResponse {
    if (typeof params.Identity !== "string")
      return exchangeError(
        400,
        "System.Management.Automation.ParameterBindingException",
        "Cannot bind argument to parameter 'Identity' because it is null.",
      );
    const target = this.find(kind, params.Identity);
    if (!target) return notFound(params.Identity);
    const updates: [CertParam, Uint8Array[]][] = [];
    let modified = false;
    for (const p of CERT_PARAMS) {
      if (!(p in params)) continue;
      if (target.isDirSynced) {
        return exchangeError(
          400,
          "System.InvalidOperationException",
          writeScopeMessage(kind, target.name, p),
        );
      }
      const current = p === "UserCertificate" ? target.userCertificate : target.userSMIMECertificate;
      const edited = applyParameter(current, params[p], p);
      if ("error" in edited) return edited.error;
      modified ||= edited.modified;
      updates.push([p, edited.values]);
    }
    for (const [p, values] of updates) {
      if (p === "UserCertificate") target.userCertificate = values;
      else target.userSMIMECertificate = values;
    }
    if (modified) this.state.touchRecipient(target);
    // Exchange's answer to a Set-* that changed nothing: success, with a warning.
    const warnings = modified
      ? []
      : [`The command completed successfully but no settings of '${target.name}' have been modified.`];
    return json(200, {
      "@odata.context": `${this.base()}/adminapi/beta/${this.state.tenantId}/$metadata#Collection(Exchange.GenericHashTable)`,
      "@adminapi.warnings": warnings,
      value: [],
    });
  }

  /**
   * The organisation has exactly one SmimeConfig; Get-SmimeConfig returns it as a one-object
   * collection, its SMIMECertificateIssuingCA a byte[] (base64 here, as every byte[]) or null.
   */
  private getSmimeConfig(req: EmuRequest): EmuResponse {
    const ca = this.state.smimeIssuingCA;
    const full: Record<string, unknown> = {
      Identity: "",
      Name: "SmimeConfig",
      SMIMECertificateIssuingCA: ca === null ? null : Buffer.from(ca).toString("base64"),
      OWAAllowUserChoiceOfSigningCertificate: false,
      OWAAlwaysEncrypt: false,
      OWAAlwaysSign: false,
    };
    const select = req.url.searchParams.get("$select") ?? "";
    const value = select
      ? Object.fromEntries(select.split(",").flatMap((p) => (p in full ? [[p, full[p]]] : [])))
      : full;
    return json(200, {
      "@odata.context": `${this.base()}/adminapi/beta/${this.state.tenantId}/$metadata#Collection(Exchange.GenericHashTable)`,
      "@adminapi.warnings": [],
      value: [value],
    });
  }

  /**
   * Set-SmimeConfig -SMIMECertificateIssuingCA: a single byte[] (not multi-valued, so no
   * GenericHashTable), replacing the collection; $null clears it. Exchange takes only an SST: bytes
   * without the store header are refused. Setting the bytes it holds changes nothing and warns.
   */
  private setSmimeConfig(params: Record<string, unknown>): EmuResponse {
    const unknown = Object.keys(params).find((k) => k !== "SMIMECertificateIssuingCA");
    if (unknown !== undefined) {
      return exchangeError(
        400,
        "System.Management.Automation.ParameterBindingException",
        `A parameter cannot be found that matches parameter name '${unknown}'.`,
      );
    }
    if (!("SMIMECertificateIssuingCA" in params)) {
      return json(200, {
        "@adminapi.warnings": [
          "The command completed successfully but no settings of 'SmimeConfig' have been modified.",
        ],
        value: [],
      });
    }
    const raw = params.SMIMECertificateIssuingCA;
    let next: Uint8Array | null;
    if (raw === null) next = null;
    else if (typeof raw === "string" && /^[A-Za-z0-9+/]*={0,2}$/.test(raw) && raw.length % 4 === 0) {
      next = new Uint8Array(Buffer.from(raw, "base64"));
    } else {
      return exchangeError(
        400,
        "System.Management.Automation.ParameterBindingException",
        `Cannot process argument transformation on parameter 'SMIMECertificateIssuingCA'. Cannot convert value to type "System.Byte[]".`,
      );
    }
    // The serialized-store header, checked here on its own (not with production's reader):
    // version 0, then "CERT".
    if (
      next !== null &&
      (next.length < 8 || Buffer.from(next.subarray(0, 8)).toString("hex") !== "0000000043455254")
    ) {
      return exchangeError(
        400,
        "Microsoft.Exchange.Data.DataValidationException",
        "The value of SMIMECertificateIssuingCA isn't a valid serialized certificate store (SST).",
      );
    }
    const before = this.state.smimeIssuingCA;
    const same = before === null || next === null ? before === next : Buffer.compare(before, next) === 0;
    this.state.smimeIssuingCA = next;
    return json(200, {
      "@odata.context": `${this.base()}/adminapi/beta/${this.state.tenantId}/$metadata#Collection(Exchange.GenericHashTable)`,
      "@adminapi.warnings": same
        ? ["The command completed successfully but no settings of 'SmimeConfig' have been modified."]
        : [],
      value: [],
    });
  }

  private newContact(params: Record<string, unknown>): EmuResponse {
    const name = params.Name;
    const address = params.ExternalEmailAddress;
    if (typeof name !== "string" || typeof address !== "string") {
      return exchangeError(
        400,
        "System.Management.Automation.ParameterBindingException",
        "Missing an argument for parameter 'Name' or 'ExternalEmailAddress'.",
      );
    }
    const plainAddress = address.replace(/^smtp:/i, "");
    if ([...this.state.recipients.values()].some((r) => r.name.toLowerCase() === name.toLowerCase())) {
      return exchangeError(
        400,
        "Microsoft.Exchange.Data.Directory.ADObjectAlreadyExistsException",
        `The name "${name}" is already being used. Please try another name.`,
      );
    }
    const contact: EmuRecipient = {
      kind: "MailContact",
      guid: randomUUID(),
      name,
      externalDirectoryObjectId: randomUUID(),
      primarySmtpAddress: plainAddress,
      emailAddresses: [`SMTP:${plainAddress}`],
      isDirSynced: false,
      userCertificate: [],
      userSMIMECertificate: [],
    };
    this.state.putRecipient(contact);
    return json(200, { "@adminapi.warnings": [], value: [project(contact, "")] });
  }

  private find(kind: RecipientKind, identity: string): EmuRecipient | undefined {
    const id = identity.toLowerCase();
    for (const r of this.state.recipients.values()) {
      if (r.kind !== kind) continue;
      if (
        r.guid.toLowerCase() === id ||
        r.name.toLowerCase() === id ||
        r.primarySmtpAddress.toLowerCase() === id ||
        r.externalDirectoryObjectId?.toLowerCase() === id ||
        r.emailAddresses.some((a) => a.toLowerCase() === `smtp:${id}`)
      ) {
        return r;
      }
    }
    return undefined;
  }
}

function notFound(identity: string): EmuResponse {
  return exchangeError(
    404,
    "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
    `The operation couldn't be performed because object '${identity}' couldn't be found on 'EMULATOR01.PROD.OUTLOOK.COM'.`,
  );
}

type Edited = { values: Uint8Array[]; modified: boolean } | { error: EmuResponse };

/**
 * One multi-valued parameter of a Set-*: a list (or null) replaces the values; a
 * `#Exchange.GenericHashTable` with `add` / `remove` edits them value by value, leaving the
 * others alone; an empty one clears them. A value both added and removed is refused. Adding a
 * value already there or removing one that is not changes nothing (the command then warns).
 */
function applyParameter(current: readonly Uint8Array[], raw: unknown, param: CertParam): Edited {
  if (raw === null || Array.isArray(raw)) {
    const decoded = decodeValues(raw, param);
    if ("error" in decoded) return decoded;
    return checked(decoded.values, !sameSet(current, decoded.values), param);
  }
  const table = raw as Record<string, unknown>;
  if (typeof raw !== "object" || table["@odata.type"] !== "#Exchange.GenericHashTable") {
    return { error: conversionError(param) };
  }
  const keys = Object.keys(table).filter((k) => k !== "@odata.type");
  if (keys.length === 0) return checked([], current.length > 0, param);
  const unknown = keys.find((k) => !/^(add|remove)$/i.test(k));
  if (unknown) {
    return {
      error: exchangeError(
        400,
        "System.ArgumentException",
        `The hash table for parameter '${param}' has the key '${unknown}'; only 'Add' and 'Remove' are valid.`,
      ),
    };
  }
  const list = (name: string) => {
    const key = keys.find((k) => k.toLowerCase() === name);
    const v = key === undefined ? [] : table[key];
    return decodeValues(typeof v === "string" ? [v] : v, param);
  };
  const add = list("add");
  if ("error" in add) return add;
  const remove = list("remove");
  if ("error" in remove) return remove;
  const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;
  const both = add.values.find((a) => remove.values.some((r) => same(a, r)));
  if (both) {
    return {
      error: exchangeError(
        400,
        "System.ArgumentException",
        `The same value can't be added to and removed from the property ${param} in one command.`,
      ),
    };
  }
  const kept = current.filter((v) => !remove.values.some((r) => same(v, r)));
  const added = add.values.filter((a) => !kept.some((v) => same(v, a)));
  const values = [...kept, ...added];
  return checked(values, kept.length !== current.length || added.length > 0, param);
}

function sameSet(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  const key = (l: readonly Uint8Array[]) =>
    l
      .map((v) => Buffer.from(v).toString("base64"))
      .sort()
      .join(",");
  return key(a) === key(b);
}

function checked(values: Uint8Array[], modified: boolean, param: CertParam): Edited {
  if (values.length > MAX_VALUES) {
    return {
      error: exchangeError(
        400,
        "Microsoft.Exchange.Data.DataValidationException",
        `The property ${param} can contain at most ${MAX_VALUES} values; ${values.length} were given.`,
      ),
    };
  }
  return { values, modified };
}

function conversionError(param: CertParam): EmuResponse {
  return exchangeError(
    400,
    "System.Management.Automation.ParameterBindingException",
    `Cannot process argument transformation on parameter '${param}'. Cannot convert value to type "System.Byte[]".`,
  );
}

function decodeValues(raw: unknown, param: CertParam): { values: Uint8Array[] } | { error: EmuResponse } {
  const list = raw === null ? [] : raw;
  if (!Array.isArray(list) || !list.every((v) => typeof v === "string" && /^[A-Za-z0-9+/]*={0,2}$/.test(v))) {
    return {
      error: exchangeError(
        400,
        "System.Management.Automation.ParameterBindingException",
        `Cannot process argument transformation on parameter '${param}'. Cannot convert value to type "System.Byte[]".`,
      ),
    };
  }
  const values = (list as string[]).map((v) => new Uint8Array(Buffer.from(v, "base64")));
  if (values.length > MAX_VALUES) {
    return {
      error: exchangeError(
        400,
        "Microsoft.Exchange.Data.DataValidationException",
        `The property ${param} can contain at most ${MAX_VALUES} values; ${values.length} were given.`,
      ),
    };
  }
  const big = values.find((v) => v.byteLength > MAX_BYTES);
  if (big) {
    return {
      error: exchangeError(
        400,
        "Microsoft.Exchange.Data.DataValidationException",
        `The length of the property is too long. The maximum length is ${MAX_BYTES} and the length of the value provided is ${big.byteLength}.`,
      ),
    };
  }
  return { values };
}

const TYPE_DETAILS: Readonly<Record<RecipientKind, string>> = {
  Mailbox: "UserMailbox",
  MailUser: "MailUser",
  MailContact: "MailContact",
};

function project(r: EmuRecipient, select: string): Record<string, unknown> {
  const full: Record<string, unknown> = {
    Guid: r.guid,
    Identity: r.name,
    Name: r.name,
    DisplayName: r.name,
    Alias: r.name,
    ExternalDirectoryObjectId: r.externalDirectoryObjectId ?? "",
    PrimarySmtpAddress: r.primarySmtpAddress,
    EmailAddresses: r.emailAddresses,
    IsDirSynced: r.isDirSynced,
    RecipientTypeDetails: TYPE_DETAILS[r.kind],
    UserCertificate: r.userCertificate.map((v) => Buffer.from(v).toString("base64")),
    UserSMimeCertificate: r.userSMIMECertificate.map((v) => Buffer.from(v).toString("base64")),
    // The emulated service runs in UTC, so both views of the stamp are the same instant.
    WhenChanged: stamp(r.whenChanged),
    WhenChangedUTC: stamp(r.whenChanged),
  };
  if (!select) return full;
  const out: Record<string, unknown> = {};
  for (const p of select.split(",")) if (p in full) out[p] = full[p];
  return out;
}

function stamp(ms: number | undefined): string {
  return new Date(Math.floor((ms ?? 0) / 1000) * 1000).toISOString().replace(/\.000Z$/, "Z");
}

/**
 * -ResultSize: `Unlimited` or a positive count. (Without it Exchange stops at 1000 with a warning;
 * the emulator returns everything, as production always sends it.)
 */
function resultSize(raw: unknown): number | { error: EmuResponse } {
  if (raw === undefined || (typeof raw === "string" && raw.toLowerCase() === "unlimited"))
    return Number.POSITIVE_INFINITY;
  const n =
    typeof raw === "number" ? raw : typeof raw === "string" && /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (Number.isInteger(n) && n >= 1) return n;
  return {
    error: exchangeError(
      400,
      "System.Management.Automation.ParameterBindingException",
      `Cannot process argument transformation on parameter 'ResultSize'. Cannot convert value "${String(raw)}" to type "Microsoft.Exchange.Data.Unlimited\`1[System.UInt32]".`,
    ),
  };
}

/**
 * The only -Filter the emulator evaluates, parsed strictly so production cannot drift from what
 * Exchange takes: `WhenChanged -gt '<date>'` or `WhenChangedUTC -gt '<date>'` (names and operator
 * case-insensitive, as in OPATH), the date in the en-US form the service parses: `MM/dd/yyyy
 * HH:mm:ss` (PowerShell's invariant-culture rendering of a [DateTime]) or `M/d/yyyy h:mm:ss AM`
 * (Microsoft's documented example). ISO 8601, day-first dates, other properties, operators or
 * clauses are refused with the parameter-binding error Exchange gives for a filter it cannot
 * use. The emulated service runs in UTC, so the literal is a UTC time for both properties.
 */
export function parseWhenChangedFilter(raw: unknown): { afterMs: number } | { error: EmuResponse } {
  const text = typeof raw === "string" ? raw : JSON.stringify(raw);
  const m = /^\s*(WhenChanged|WhenChangedUTC)\s+-gt\s+'([^']*)'\s*$/i.exec(text);
  if (!m) {
    return {
      error: exchangeError(
        400,
        "System.Management.Automation.ParameterBindingException",
        `Cannot bind parameter 'Filter' to the target. Exception setting "Filter": "Invalid filter syntax. For a description of the filter parameter syntax see the command help.\n"${text}" at position 1."`,
      ),
    };
  }
  const literal = m[2] ?? "";
  const afterMs = parseEnUsDate(literal);
  if (afterMs === undefined) {
    return {
      error: exchangeError(
        400,
        "System.Management.Automation.ParameterBindingException",
        `Cannot bind parameter 'Filter' to the target. Exception setting "Filter": "The value "${literal}" could not be converted to type System.DateTime."`,
      ),
    };
  }
  return { afterMs };
}

function parseEnUsDate(literal: string): number | undefined {
  const invariant = /^(\d{2})\/(\d{2})\/(\d{4}) (\d{2}):(\d{2}):(\d{2})$/.exec(literal);
  const usual = /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2}):(\d{2}) (AM|PM)$/.exec(literal);
  const parts = invariant ?? usual;
  if (!parts) return undefined;
  const [month, day, year, hour12, minute, second] = parts.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  let hour = hour12;
  if (usual) {
    if (hour12 < 1 || hour12 > 12) return undefined;
    hour = (hour12 % 12) + (usual[7] === "PM" ? 12 : 0);
  }
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls 02/30 over into March: a date that does not exist is refused instead.
  if (new Date(ms).getUTCDate() !== day) return undefined;
  return ms;
}
