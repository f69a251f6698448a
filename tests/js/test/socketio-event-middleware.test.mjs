// Event middlewares (Node's `socket.use`), error handlers, `once` and `off`, seen
// by the official socket.io-client through the `/guarded` namespace of the
// `sio_fixture` example, over each transport setup.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { MODES, client } from "../support/sio.mjs";
import { exampleForSuite } from "../support/server.mjs";
import { next, within } from "../support/wait.mjs";

const server = exampleForSuite("sio_fixture");

/** A client of `/guarded` once the server has set the socket up. */
async function guarded(t, mode) {
  const socket = client(t, server.url, mode, { nsp: "/guarded" });
  await within(next(socket, "ready"), "ready");
  return socket;
}

for (const mode of MODES) {
  describe(`event middlewares (${mode.name})`, () => {
    test("a rejected event reaches the error handler, not its handler, and its ack says why", async (t) => {
      const socket = await guarded(t, mode);
      const rejected = next(socket, "rejected");
      const answer = await within(socket.emitWithAck("forbidden", 1), "ack");
      assert.deepEqual(answer, {
        error: "rejected",
        event: "forbidden",
        message: "forbidden event",
        data: { why: "asked" },
      });
      assert.deepEqual((await rejected)[0], { message: "forbidden event" });
    });

    test("a namespace middleware rate-limits, and the socket stays usable", async (t) => {
      const socket = await guarded(t, mode);
      const seen = [];
      socket.on("spam-seen", (n) => seen.push(n));
      for (let i = 0; i < 3; i++) {
        socket.emit("spam", i);
      }
      const answer = await within(socket.emitWithAck("spam", 4), "fourth spam");
      assert.deepEqual(answer, {
        error: "rejected",
        event: "spam",
        message: "rate limited",
        data: { limit: 3 },
      });
      assert.deepEqual(seen, [1, 1, 1]);
      const echoed = await within(socket.emitWithAck("echo-ack", "still here"), "echo");
      assert.equal(echoed, "still here");
    });

    test("a dropped event is neither handled nor answered; a renamed one reaches its new handlers", async (t) => {
      const socket = await guarded(t, mode);
      socket.emit("ignored", "x");
      const echo = next(socket, "echo");
      socket.emit("legacy-echo", "renamed");
      assert.deepEqual(await echo, ["renamed"]);
      // Events keep their order: had `ignored` reached a handler or an error
      // handler, its answer would have come before the echo.
      await assert.rejects(socket.timeout(300).emitWithAck("ignored", "y"));
    });

    test("a middleware that panics rejects the event and the server lives on", async (t) => {
      const socket = await guarded(t, mode);
      const answer = await within(socket.emitWithAck("boom"), "boom");
      assert.equal(answer.message, "internal error");
      const echoed = await within(socket.emitWithAck("echo-ack", "alive"), "echo");
      assert.equal(echoed, "alive");
    });

    test("once handles one event; off removes a handler", async (t) => {
      const socket = await guarded(t, mode);
      const firsts = [];
      socket.on("first-seen", (n) => firsts.push(n));
      socket.emit("first", 1, 2);
      socket.emit("first", 3);
      const pong = next(socket, "pong-you");
      socket.emit("ping-me");
      await within(pong, "pong");
      assert.deepEqual(firsts, [2]);

      assert.equal(await within(socket.emitWithAck("stop-pinging"), "stop"), true);
      let pongs = 0;
      socket.on("pong-you", () => pongs++);
      socket.emit("ping-me");
      const echoed = await within(socket.emitWithAck("echo-ack", "after"), "echo");
      assert.equal(echoed, "after");
      assert.equal(pongs, 0);
    });

    test("an outgoing hook sees emits and broadcasts, not acknowledgements", async (t) => {
      const socket = await guarded(t, mode);
      const other = await guarded(t, mode);
      const echo = next(socket, "echo");
      socket.emit("echo", "one");
      await within(echo, "echo");
      const sentinel = next(socket, "sentinel");
      await within(
        other.emitWithAck("broadcast", { via: "io", event: "news", data: "two", tag: "t1" }),
        "broadcast",
      );
      await within(sentinel, "sentinel");
      const log = await within(socket.emitWithAck("outgoing-log"), "log");
      assert.deepEqual(log, [
        ["ready", null],
        ["echo", "one"],
        ["news", "two"],
        ["sentinel", "t1"],
      ]);
    });
  });
}
