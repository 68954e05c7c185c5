// @peculiar/x509 needs reflect-metadata and a WebCrypto provider once per process.
import "../src/certs/runtime.js";
