// @peculiar/x509 resolves its ASN.1 classes through reflect-metadata and needs a WebCrypto
// provider; importing this module once (entry points, test setup) does both.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import { cryptoProvider } from "@peculiar/x509";

cryptoProvider.set(webcrypto as unknown as Parameters<typeof cryptoProvider.set>[0]);
