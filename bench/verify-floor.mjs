// The CPU part of the cold floor: a minimal script verifying the signature of every distinct
// certificate the organisation holds against its issuer, spread over the machine's cores with
// worker threads. No correct tool can skip this on a cold run. Run as a child (measured by GNU
// time): `node bench/verify-floor.mjs ISSUER.pem CERTS.bin` where CERTS.bin holds DERs as
// [u32 length][bytes]...
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";

function split(buf) {
  const out = [];
  for (let pos = 0; pos < buf.length; ) {
    const n = buf.readUInt32BE(pos);
    out.push(buf.subarray(pos + 4, pos + 4 + n));
    pos += 4 + n;
  }
  return out;
}

if (isMainThread) {
  const [issuerFile, certsFile] = process.argv.slice(2);
  if (!issuerFile || !certsFile) throw new Error("usage: verify-floor ISSUER.pem CERTS.bin");
  const certs = split(readFileSync(certsFile));
  const n = Math.min(availableParallelism(), 2);
  const per = Math.ceil(certs.length / n);
  const results = await Promise.all(
    Array.from({ length: n }, (_, i) => {
      const w = new Worker(new URL(import.meta.url), {
        workerData: { issuer: readFileSync(issuerFile, "utf8"), certs: certs.slice(i * per, (i + 1) * per) },
      });
      return new Promise((resolve, reject) => {
        w.once("message", resolve);
        w.once("error", reject);
      });
    }),
  );
  const ok = results.reduce((a, b) => a + b, 0);
  if (ok !== certs.length)
    throw new Error(`${certs.length - ok} of ${certs.length} signatures did not verify`);
} else {
  const { issuer, certs } = workerData;
  const key = new X509Certificate(issuer).publicKey;
  let ok = 0;
  for (const der of certs) if (new X509Certificate(der).verify(key)) ok++;
  parentPort?.postMessage(ok);
}
