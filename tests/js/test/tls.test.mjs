// tether serving HTTPS and WSS itself (`tether::http::bind_tls`): the
// `sio_fixture` example with a certificate the test signs with a CA of its own
// (openssl), and socket.io-client trusting that CA over each transport setup; a
// client that does not trust it is refused.

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { makeCertificates } from "../support/certificates.mjs";
import { MODES, client, connected, upgraded } from "../support/sio.mjs";
import { startExample } from "../support/server.mjs";
import { within } from "../support/wait.mjs";

let dir;
let ca;
let server;

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
