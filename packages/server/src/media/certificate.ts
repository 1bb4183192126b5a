// One DTLS certificate shared by every connection of the media workers (ECDSA P-256, made
// with the openssl CLI when it is there). Without it libdatachannel makes a key pair per
// connection on its small thread pool, and a class joining at once queues those behind the
// DTLS handshakes, stalling the worker for seconds.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface DtlsCertificate {
  certificatePemFile: string;
  keyPemFile: string;
  remove(): void;
}

export function makeDtlsCertificate(): DtlsCertificate | null {
  let dir: string | null = null;
  try {
    dir = mkdtempSync(join(tmpdir(), "edgeclass-media-"));
    const keyPemFile = join(dir, "key.pem");
    const certificatePemFile = join(dir, "cert.pem");
    const args = [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      keyPemFile,
      "-out",
      certificatePemFile,
      "-days",
      "30",
      "-subj",
      "/CN=edgeclass-media",
    ];
    const r = spawnSync("openssl", args, { stdio: "ignore" });
    if (r.status !== 0) throw new Error("openssl failed");
    const d = dir;
    return { certificatePemFile, keyPemFile, remove: () => rmSync(d, { recursive: true, force: true }) };
  } catch {
    if (dir) rmSync(dir, { recursive: true, force: true });
    return null;
  }
}
