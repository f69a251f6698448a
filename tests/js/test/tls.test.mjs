// tether serving HTTPS and WSS itself (`tether::http::bind_tls`): the
// `sio_fixture` example with a certificate the test signs with a CA of its own
// (openssl), and socket.io-client trusting that CA over each transport setup; a
// client that does not trust it is refused.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { MODES, client, connected, upgraded } from "../support/sio.mjs";
import { startExample } from "../support/server.mjs";
import { within } from "../support/wait.mjs";

let dir;
let ca;
let server;

/** A CA and a certificate for 127.0.0.1 and localhost that it signed. */
function makeCertificates(into) {
  const run = (...args) => execFileSync("openssl", args, { cwd: into, stdio: "pipe" });
  run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
    "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=tether test CA");
  run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key",
    "-out", "server.csr", "-subj", "/CN=127.0.0.1");
  writeFileSync(path.join(into, "ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
    "-CAcreateserial", "-days", "2", "-out", "server.pem", "-extfile", "ext.cnf");
}

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "tether-tls-"));
  makeCertificates(dir);
  ca = readFileSync(path.join(dir, "ca.pem"));
  server = await startExample("sio_fixture", {
    env: { TLS_CERT: path.join(dir, "server.pem"), TLS_KEY: path.join(dir, "server.key") },
  });
  assert.match(server.url, /^https:\/\//);
});

after(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

for (const mode of MODES) {
  describe(`HTTPS and WSS (${mode.name})`, () => {
    test("a client trusting the CA connects, and the handshake reads as secure", async (t) => {
      const socket = client(t, server.url, mode, { ca });
      await connected(socket);
      if (mode.upgraded) {
        await upgraded(socket);
      }
      const handshake = await within(socket.emitWithAck("handshake"), "handshake");
      assert.equal(handshake.secure, true);
      const big = "x".repeat(100_000);
      assert.equal(await within(socket.emitWithAck("echo-ack", big), "echo"), big);
    });

    test("a client that does not trust the certificate is refused", async (t) => {
      const socket = client(t, server.url, mode);
      const outcome = await within(
        new Promise((resolve) => {
          socket.once("connect", () => resolve("connected"));
          socket.once("connect_error", (error) => resolve(error));
        }),
        "refusal",
      );
      assert.notEqual(outcome, "connected");
    });
  });
}
