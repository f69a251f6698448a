// Test certificates made with `openssl`: a CA, and a certificate for 127.0.0.1
// and localhost that it signed.

import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";

/**
 * Writes into the directory `dir` a CA (`ca.pem`, `ca.key`) named `caName` and a
 * server certificate it signed (`server.pem`, `server.key`).
 */
export function makeCertificates(dir, caName = "tether test CA") {
  const run = (...args) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
    "-keyout", "ca.key", "-out", "ca.pem", "-subj", `/CN=${caName}`);
  run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key",
    "-out", "server.csr", "-subj", "/CN=127.0.0.1");
  writeFileSync(path.join(dir, "ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
    "-CAcreateserial", "-days", "2", "-out", "server.pem", "-extfile", "ext.cnf");
}
