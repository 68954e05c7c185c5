// @peculiar/x509 needs reflect-metadata and a WebCrypto provider once per process.
import "../src/certs/runtime.js";

// CLIs the tests spawn with this environment keep their verdict cache out of the real home.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

process.env.SMIMESYNC_CACHE_DIR ??= mkdtempSync(join(tmpdir(), "smimesync-test-cache-"));
