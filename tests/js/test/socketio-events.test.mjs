// The official socket.io-client exchanging events with the `sio_fixture` example:
// several arguments of every JSON type, nested binary both ways, ordering, and
// handlers that fail or panic without dropping the connection; over each
// transport setup.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { exampleForSuite } from "../support/server.mjs";
import { MODES, bytes, connect, uploadAndDownload } from "../support/sio.mjs";
import { collect, next } from "../support/wait.mjs";

for (const mode of MODES) {
  describe(`socket.io-client exchanges events (${mode.name})`, () => {
    const server = exampleForSuite("sio_fixture");

    test("an event with several arguments comes back unchanged", async (t) => {
      const { socket } = await connect(t, server.url, mode);
      const args = [1, "two", { three: [3, { four: null }] }, null, true, -2.5, [], "h\u00e9llo \u20ac \u{1f600} \"q\"\n"];
      const echoed = next(socket, "echo");
      socket.emit("echo", ...args);
      assert.deepEqual(await echoed, args);
      const none = next(socket, "echo");
      socket.emit("echo");
      assert.deepEqual(await none, []);
    });

    test("nested binary travels to the server and back", async (t) => {
      const { socket } = await connect(t, server.url, mode);
      await uploadAndDownload(socket);
    });

    test("binary forwarded by the server keeps its place and content", async (t) => {
      const { socket } = await connect(t, server.url, mode);
      const echoed = next(socket, "echo");
      const big = Buffer.alloc(100_000, 7);
      socket.emit("echo", "before", { a: Buffer.from([0, 255]), list: [Buffer.alloc(0), { deep: big }] }, 9);
      const [before, middle, last] = await echoed;
      assert.equal(before, "before");
      assert.deepEqual(bytes(middle.a), [0, 255]);
      assert.deepEqual(bytes(middle.list[0]), []);
      assert.equal(bytes(middle.list[1].deep).length, big.length);
      assert.ok(bytes(middle.list[1].deep).every((byte) => byte === 7));
      assert.equal(last, 9);
    });

    test("events arrive in the order they were sent", async (t) => {
      const { socket } = await connect(t, server.url, mode);
      const echoes = collect(socket, "echo", 300);
      for (let index = 0; index < 300; index++) {
        socket.emit("echo", index);
      }
      assert.deepEqual(await echoes, [...Array(300).keys()]);
    });

    test("a failing or panicking handler leaves the connection up", async (t) => {
      const { socket } = await connect(t, server.url, mode);
      socket.emit("fail");
      socket.emit("panic");
      socket.emit("nobody-handles-this", 1);
      assert.deepEqual(await socket.emitWithAck("echo-ack", "still", "here"), "still");
      assert.ok(socket.connected);
    });
  });
}
