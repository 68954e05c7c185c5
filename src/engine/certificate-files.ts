// Reading certificate files named by the config (repository certificates, partner contacts):
// each certificate found becomes one DER value. A file with a private key is refused outright.
import { parseCertificateFile } from "../certs/index.js";
import { SmimesyncError } from "../errors.js";
import { readBoundedFile } from "../files/bounded-read.js";

export async function readCertificateFileValues(path: string, display: string): Promise<Uint8Array[]> {
  let bytes: Buffer;
  try {
    bytes = await readBoundedFile(path, "certificate", display);
  } catch (e) {
    if (e instanceof SmimesyncError) throw e;
    throw new SmimesyncError(
      "FILE_UNREADABLE",
      `cannot read certificate file ${display}: ${(e as Error).message}`,
      {
        hint: "Run `smimesync validate` to check every file the config names.",
      },
    );
  }
  const parsed = parseCertificateFile(bytes);
  if (!parsed.ok) {
    throw new SmimesyncError(
      parsed.error.kind === "private-key" ? "PRIVATE_KEY_REFUSED" : "CERT_INVALID",
      `${display}: ${parsed.error.message}`,
    );
  }
  // Copy: the summary's DER is a view into the file's buffer.
  return parsed.certs.map((c) => Uint8Array.from(c.der));
}
