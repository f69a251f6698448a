// The MessagePack parser: socket.io-client with socket.io-msgpack-parser 3.0.2
// against the `sio_fixture` example started with `PARSER=msgpack`, over each
// transport setup: events and acks both ways, nested binary, namespaces, connect
// errors, broadcasts; and what a client with the default parser gets.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import msgpackParser from "socket.io-msgpack-parser";

import { MODES, bytes, client, connect, refusal, uploadAndDownload } from "../support/sio.mjs";
import { exampleForSuite } from "../support/server.mjs";
import { collect, next, within } from "../support/wait.mjs";

const server = exampleForSuite("sio_fixture", { env: { PARSER: "msgpack" } });

const withParser = (options = {}) => ({ parser: msgpackParser, ...options });

for (const mode of MODES) {
  describe(`the msgpack parser (${mode.name})`, () => {
    test("connect with auth, events and acks both ways", async (t) => {
      const { socket, welcome } = await connect(t, server.url, mode, withParser({ auth: { user: "ada" } }));
      assert.deepEqual(welcome.auth, { user: "ada" });
      const echoed = next(socket, "echo");
      socket.emit("echo", "text", 42, -7, 1.5, true, null, { nested: [1, "two"] });
      assert.deepEqual(await echoed, ["text", 42, -7, 1.5, true, null, { nested: [1, "two"] }]);
      const acked = await within(socket.emitWithAck("echo-ack", { big: 2 ** 40 }), "ack");
      assert.deepEqual(acked, { big: 2 ** 40 });
      socket.on("question", (a, b, callback) => callback(a + b, Buffer.from([a, b]), { sum: a + b }));
      const answer = await socket.emitWithAck("ask", { event: "question", data: [2, 3], timeout: 5_000 });
      const [sum, binary, object] = answer.ok;
      assert.deepEqual([sum, bytes(binary), object], [5, [2, 3], { sum: 5 }]);
    });

    test("binary stays binary, nested and large", async (t) => {
      const { socket } = await connect(t, server.url, mode, withParser());
      await uploadAndDownload(socket);

      const echoed = next(socket, "echo");
      const big = Buffer.alloc(200_000, 7);
      socket.emit("echo", { deep: [big] }, Buffer.alloc(0));
      const [{ deep }, empty] = await echoed;
      assert.equal(bytes(deep[0]).length, big.length);
      assert.deepEqual(bytes(empty), []);
    });

    test("namespaces, middlewares' refusals and unknown namespaces", async (t) => {
      const refused = await refusal(t, server.url, mode, withParser({ nsp: "/admin", auth: { token: "nope" } }));
      assert.equal(refused.message, "unauthorized");
      assert.deepEqual(refused.data, { code: 4001 });
      const unknown = await refusal(t, server.url, mode, withParser({ nsp: "/nowhere" }));
      assert.equal(unknown.message, "Invalid namespace");
      const { welcome } = await connect(t, server.url, mode, withParser({ nsp: "/admin", auth: { token: "secret" } }));
      assert.equal(welcome.ns, "/admin");
    });

    test("broadcasts reach every msgpack client once", async (t) => {
      const clients = [];
      for (let i = 0; i < 3; i++) {
        clients.push((await connect(t, server.url, mode, withParser({ nsp: "/custom" }))).socket);
      }
      const received = clients.map((socket) => collect(socket, "news", 2));
      await within(
        clients[0].emitWithAck("broadcast", { via: "io", event: "news", data: { n: 1 }, tag: "a" }),
        "first",
      );
      await within(
        clients[1].emitWithAck("broadcast", { via: "io", event: "news", data: Buffer.from([8]), tag: "b" }),
        "second",
      );
      for (const news of await Promise.all(received)) {
        assert.deepEqual(news[0], { n: 1 });
        assert.deepEqual(bytes(news[1]), [8]);
      }
    });
  });
}

describe("the msgpack parser against a client without it", () => {
  test("a default-parser client cannot join, and the server lives on", async (t) => {
    const socket = client(t, server.url, MODES[0]);
    const outcome = await within(
      new Promise((resolve) => {
        socket.once("connect", () => resolve("connect"));
        socket.once("connect_error", () => resolve("connect_error"));
        socket.io.once("close", () => resolve("close"));
      }),
      "the mismatched client's fate",
    );
    assert.notEqual(outcome, "connect");
    const { welcome } = await connect(t, server.url, MODES[0], withParser());
    assert.equal(welcome.ns, "/");
  });
});
