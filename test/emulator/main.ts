// `npm run emulator`: start the tenant emulator by hand.
//   npm run emulator -- [--seed snapshot.json] [--dump out.json] [--graph-port N] [--exchange-port N] [--login-port N]
// Prints the endpoints, writes the test CA to a temp file for NODE_EXTRA_CA_CERTS, and dumps
// the state as a snapshot on Ctrl-C when --dump is given.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { parseSnapshot, serializeSnapshot } from "../../src/tenant/snapshot/snapshot-format.js";
import { startEmulator } from "./server.js";

const { values } = parseArgs({
  options: {
    seed: { type: "string" },
    dump: { type: "string" },
    "graph-port": { type: "string" },
    "exchange-port": { type: "string" },
    "login-port": { type: "string" },
  },
});

const seed = values.seed ? parseSnapshot(readFileSync(values.seed, "utf8"), values.seed) : undefined;
const emulator = await startEmulator({
  ...(seed ? { seed } : {}),
  ports: {
    graph: Number(values["graph-port"] ?? 0),
    exchange: Number(values["exchange-port"] ?? 0),
    login: Number(values["login-port"] ?? 0),
  },
});
const caFile = join(mkdtempSync(join(tmpdir(), "smimesync-emulator-")), "ca.pem");
writeFileSync(caFile, emulator.caPem);

process.stdout.write(
  [
    "smimesync tenant emulator",
    `  graph     ${emulator.urls.graph}`,
    `  exchange  ${emulator.urls.exchange}`,
    `  login     ${emulator.urls.login}`,
    `  tenant    ${emulator.tenantId} (${emulator.domain})`,
    `  app       clientId ${emulator.app.clientId}, secret ${emulator.app.clientSecret}`,
    `  test CA   ${caFile}  (run smimesync with NODE_EXTRA_CA_CERTS=${caFile})`,
    "",
    "tenant:",
    `  tenantId: ${emulator.tenantId}`,
    `  domain: ${emulator.domain}`,
    "  endpoints:",
    `    graph: ${emulator.urls.graph}`,
    `    exchange: ${emulator.urls.exchange}`,
    `    login: ${emulator.urls.login}`,
    "  auth:",
    "    method: client-secret",
    `    clientId: ${emulator.app.clientId}`,
    "    clientSecret: ${env:EMULATOR_CLIENT_SECRET}",
    "",
    "Ctrl-C to stop.",
    "",
  ].join("\n"),
);

const stop = async (): Promise<void> => {
  if (values.dump) {
    writeFileSync(values.dump, serializeSnapshot(emulator.dump()));
    process.stdout.write(`state written to ${values.dump}\n`);
  }
  await emulator.close();
  process.exit(0);
};
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
