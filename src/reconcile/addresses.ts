// Plan addresses: stable, readable keys for recipients, like Terraform's resource addresses.
import type { DirectoryRecipient } from "../directory/types.js";
import type { ExchangeRecipient, RecipientKind } from "../tenant/types.js";

const KIND_SLUG: Readonly<Record<RecipientKind, string>> = {
  Mailbox: "mailbox",
  MailUser: "mail-user",
  MailContact: "mail-contact",
};

export function directoryAddress(r: DirectoryRecipient): string {
  return `ad:${r.kind}/${(r.userPrincipalName ?? r.mail ?? r.sAMAccountName ?? r.dn).toLowerCase()}`;
}

export function exchangeAddress(r: Pick<ExchangeRecipient, "kind" | "primarySmtpAddress">): string {
  return `exchange:${KIND_SLUG[r.kind]}/${r.primarySmtpAddress.toLowerCase()}`;
}

/** Addresses in `SMTP:`/`smtp:` form reduced to lower-cased bare addresses. */
export function smtpAddresses(proxyAddresses: readonly string[]): string[] {
  return proxyAddresses.filter((p) => /^smtp:/i.test(p)).map((p) => p.slice(5).toLowerCase());
}
