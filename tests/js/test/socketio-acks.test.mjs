// Acknowledgements between the official socket.io-client and the `sio_fixture`
// example: the server answering the client (callbacks, emitWithAck, timeouts, late
// answers, a null answer), the client answering the server (with binary, or not at all), and a
// broadcast collecting one answer per client; over each transport setup.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";

import { exampleForSuite } from "../support/server.mjs";
import { MODES, bytes, connect } from "../support/sio.mjs";
import { within } from "../support/wait.mjs";

for (const mode of MODES) {
  describe(`socket.io-client and acknowledgements (${mode.name})`, () => {
    const server = exampleForSuite("sio_fixture");

    test("the server acknowledges with several arguments, binary included", async (t) => {
      const { socket } = await connect(t, server.url, mode);
      const args = await within(
        new Promise((resolve) => socket.emit("echo-ack", 1, "two", Buffer.from([3]), { four: [4] }, (...args) => resolve(args))),
        "echo-ack",
      );
      assert.deepEqual([args[0], args[1], bytes(args[2]), args[3]], [1, "two", [3], { four: [4] }]);
      assert.deepEqual(await socket.emitWithAck("echo-ack", { only: "the first" }, "ignored"), { only: "the first" });
      assert.deepEqual(await socket.timeout(5_000).emitWithAck("echo-ack", "in time"), "in time");
    });

    test("a null acknowledgement is one null argument, so retries do not resend", async (t) => {
      const { socket } = await connect(t, server.url, mode, { retries: 2 });
      const answer = await within(
        new Promise((resolve) => socket.emit("null-ack", (err, ...rest) => resolve([err, rest]))),
        "null-ack",
      );
      assert.deepEqual(answer, [null, []]);
      const count = await within(
        new Promise((resolve) => socket.emit("null-ack-count", (err, received) => resolve([err, received]))),
        "null-ack-count",
      );
      assert.deepEqual(count, [null, 1], "the event went out once");
      const plain = await connect(t, server.url, mode);
      const args = await within(
        new Promise((resolve) => plain.socket.emit("null-ack", (...args) => resolve(args))),
        "null-ack without retries",
      );
      assert.deepEqual(args, [null]);
    });

    test("a client timeout fires when the server answers too late, and the late answer is dropped", async (t) => {
      const { socket } = await connect(t, server.url, mode);
      const error = await within(
        new Promise((resolve) => socket.timeout(100).emit("slow-ack", 1_000, (err) => resolve(err))),
        "timeout callback",
      );
      assert.equal(error.message, "operation has timed out");
      await assert.rejects(socket.timeout(100).emitWithAck("slow-ack", 500), /operation has timed out/);
      assert.equal(await socket.emitWithAck("slow-ack", 1_200), "late");
      assert.ok(socket.connected);
    });

    test("the client acknowledges the server with binary", async (t) => {
      const { socket } = await connect(t, server.url, mode);
      socket.on("question", (a, b, callback) => callback(a + b, Buffer.from([a, b]), { sum: a + b }));
      const answer = await socket.emitWithAck("ask", { event: "question", data: [2, 3], timeout: 5_000 });
      const [sum, binary, object] = answer.ok;
      assert.deepEqual([sum, bytes(binary), object], [5, [2, 3], { sum: 5 }]);
    });

    test("a server emit times out when the client does not answer", async (t) => {
      const { socket } = await connect(t, server.url, mode);
      let asked = false;
      socket.on("silent", () => {
        asked = true;
      });
      const answer = await socket.emitWithAck("ask", { event: "silent", data: ["hello?"], timeout: 200 });
      assert.deepEqual(answer, { err: "acknowledgement timed out" });
      assert.ok(asked, "the client got the event");
    });

    test("a broadcast collects one answer per client, and timeouts for the silent", async (t) => {
      const nsp = `/room-${randomUUID()}`;
      const room = "voters";
      const clients = [];
      for (let index = 0; index < 4; index++) {
        const { socket } = await connect(t, server.url, mode, { nsp });
        clients.push(socket);
      }
      const [asker, yes, no, silent] = clients;
      for (const voter of [yes, no, silent]) {
        await voter.emitWithAck("join", room);
      }
      yes.on("poll", (question, callback) => callback(`yes to ${question}`));
      no.on("poll", (question, callback) => callback({ no: question }));
      silent.on("poll", () => {});
      asker.on("poll", () => assert.fail("the asker is not in the room"));
      const results = await asker.emitWithAck("ask-room", { room, event: "poll", data: ["tea"], timeout: 500 });
      const expected = [
        { id: yes.id, ok: "yes to tea" },
        { id: no.id, ok: { no: "tea" } },
        { id: silent.id, err: "acknowledgement timed out" },
      ].sort((a, b) => (a.id < b.id ? -1 : 1));
      assert.deepEqual(results, expected);
    });
  });
}
