// The read as `plan` itself does it, and nothing else: `node bench/read-in-node.mjs CONFIG` loads
// the config, opens both backends and reads them whole (ldapts over LDAP, Graph and Exchange over
// HTTP, every value decoded), with the compiled modules `plan` runs (dist/, `npm run build`). The
// bench measures it beside the floor: the part of a plan's time that is the client stack's own
// read, before any decision. Prints the counts it read.
import "../dist/certs/runtime.js";
import { basename, dirname } from "node:path";
import { loadConfig } from "../dist/config/load.js";
import { openBackends } from "../dist/engine/backends.js";
import { readObserved, readWhole } from "../dist/engine/read.js";
import { directoryScope } from "../dist/engine/settings.js";

const [config] = process.argv.slice(2);
if (!config) throw new Error("usage: node bench/read-in-node.mjs CONFIG");
const loaded = await loadConfig(basename(config), dirname(config));
const backends = await openBackends(loaded, { env: process.env });
try {
  const o = await readWhole(readObserved(backends.directory, directoryScope(loaded), backends.tenant));
  console.log(
    `read ${o.directory?.length ?? 0} AD objects, ${o.cloudUsers.length} users, ${o.exchange.length} recipients`,
  );
} finally {
  await backends.close();
}
