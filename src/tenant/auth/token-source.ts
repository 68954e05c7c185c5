// The access token of one service for one run. @azure/identity (MSAL) caches tokens until
// shortly before they expire, so a token the service refuses early (revoked, or expired by the
// service's clock) would come back from that cache: a refresh asks a new credential instead.
import type { TokenCredential } from "@azure/identity";
import { accessToken } from "./credential.js";

export interface TokenSource {
  token(): Promise<string>;
  /** A token other than `refused` (one the service just answered 401 to). */
  refresh(refused: string): Promise<string>;
}

export function tokenSource(
  newCredential: () => TokenCredential,
  scope: string,
  authorityHost: string,
): TokenSource {
  let credential = newCredential();
  const token = () => accessToken(credential, scope, authorityHost);
  return {
    token,
    async refresh(refused) {
      // Another request may have refreshed already.
      const latest = await token();
      if (latest !== refused) return latest;
      credential = newCredential();
      return token();
    },
  };
}
