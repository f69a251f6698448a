// Rooms and broadcasts through the `sio_fixture` example with the official
// socket.io-client: four clients in different rooms of a namespace of their own,
// and for each way of selecting recipients, every client receives exactly what it
// should before a sentinel sent to all; then volatile emits. Over each transport
// setup.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";

import { exampleForSuite } from "../support/server.mjs";
import { MODES, connect } from "../support/sio.mjs";
import { next, within } from "../support/wait.mjs";

/**
 * Records the `msg` events a socket receives; `until(tag)` resolves with those
 * that arrived before the sentinel `tag`, and starts afresh.
 */
function recorder(socket) {
  let received = [];
  const sentinels = new Map();
  const waiting = new Map();
  socket.on("msg", (value) => received.push(value));
  socket.on("sentinel", (tag) => {
    const before = received;
    received = [];
    sentinels.set(tag, before);
    waiting.get(tag)?.(before);
  });
  return {
    until(tag) {
      if (sentinels.has(tag)) {
        return Promise.resolve(sentinels.get(tag));
      }
      return within(new Promise((resolve) => waiting.set(tag, resolve)), `sentinel ${tag}`);
    },
  };
}

for (const mode of MODES) {
  describe(`socket.io-client in rooms (${mode.name})`, () => {
    const server = exampleForSuite("sio_fixture");

    /** Four clients a, b, c, d: a in red, b in red and blue, c in blue, d in none. */
    async function crowd(t) {
      const nsp = `/room-${randomUUID()}`;
      const sockets = [];
      for (const rooms of [["red"], ["red", "blue"], ["blue"], []]) {
        const { socket } = await connect(t, server.url, mode, { nsp });
        const joined = await socket.emitWithAck("join", rooms);
        assert.deepEqual(joined, [socket.id, ...rooms]);
        sockets.push(socket);
      }
      return { sockets, recorders: sockets.map(recorder) };
    }

    /** Has `from` order a broadcast of `data`; checks each client got `expected[i]`. */
    async function check(sockets, recorders, from, order, expected) {
      const tag = randomUUID();
      await from.emitWithAck("broadcast", { event: "msg", data: order.data, tag, ...order });
      const received = await Promise.all(recorders.map((recorder) => recorder.until(tag)));
      const wanted = expected.map((targets) => (targets ? [order.data] : []));
      assert.deepEqual(received, wanted, JSON.stringify(order));
    }

    test("each client receives exactly what its rooms select", async (t) => {
      const { sockets, recorders } = await crowd(t);
      const [a, b, c, d] = sockets;
      const cases = [
        [a, { via: "io", to: ["red"] }, [1, 1, 0, 0]],
        [d, { via: "io", to: ["red", "blue"] }, [1, 1, 1, 0]],
        [a, { via: "io", except: ["red"] }, [0, 0, 1, 1]],
        [a, { via: "io", to: ["blue"], except: ["red"] }, [0, 0, 1, 0]],
        [a, { via: "io", to: [d.id] }, [0, 0, 0, 1]],
        [a, { via: "io", except: [a.id, c.id] }, [0, 1, 0, 1]],
        [a, { via: "io" }, [1, 1, 1, 1]],
        [a, { via: "socket", to: ["red"] }, [0, 1, 0, 0]],
        [b, { via: "socket", to: ["red", "blue"] }, [1, 0, 1, 0]],
        [a, { via: "socket", to: ["blue"], except: ["red"] }, [0, 0, 1, 0]],
        [a, { via: "broadcast" }, [0, 1, 1, 1]],
        [a, { via: "broadcast", except: ["blue"] }, [0, 0, 0, 1]],
        [c, { via: "broadcast", to: ["red"] }, [1, 1, 0, 0]],
        [a, { via: "io", to: ["nobody"] }, [0, 0, 0, 0]],
      ];
      for (const [index, [from, order, expected]] of cases.entries()) {
        await check(sockets, recorders, from, { ...order, data: index }, expected);
      }
    });

    test("leaving a room stops its broadcasts; other namespaces are not reached", async (t) => {
      const { sockets, recorders } = await crowd(t);
      const [a, b] = sockets;
      assert.deepEqual(await b.emitWithAck("leave", "red"), [b.id, "blue"]);
      await check(sockets, recorders, a, { via: "io", to: ["red"], data: "after leave" }, [1, 0, 0, 0]);

      const { socket: elsewhere } = await connect(t, server.url, mode, { nsp: "/custom" });
      await elsewhere.emitWithAck("join", "red");
      elsewhere.on("msg", () => assert.fail("a broadcast crossed namespaces"));
      await check(sockets, recorders, a, { via: "io", to: ["red"], data: "same names" }, [1, 0, 0, 0]);
    });

    test("a leaving socket still reaches its rooms from a disconnecting handler", async (t) => {
      const { sockets } = await crowd(t);
      const [a, b, c, d] = sockets;
      assert.equal(await b.emitWithAck("announce-departure"), true);
      const heard = [a, c].map((socket) => next(socket, "departing"));
      d.on("departing", () => assert.fail("d shares no room with b"));
      const id = b.id;
      b.disconnect();
      for (const [notice] of await Promise.all(heard)) {
        assert.deepEqual(notice, { id, rooms: [id, "red", "blue"], reason: "client namespace disconnect" });
      }
      assert.deepEqual((await d.emitWithAck("whoami")).rooms, [d.id]);
    });

    test("volatile emits are delivered in order or dropped, never more", async (t) => {
      const { socket } = await connect(t, server.url, mode);
      const received = [];
      socket.on("v", (index) => received.push(index));
      const done = next(socket, "v-done");
      const queued = await socket.emitWithAck("volatile-burst", 50);
      const [reported] = await done;
      assert.equal(reported, queued);
      assert.equal(received.length, queued, "everything queued arrived, nothing else");
      assert.ok(queued <= 50);
      assert.deepEqual(received, [...received].sort((x, y) => x - y));
      assert.equal(new Set(received).size, received.length);
      if (mode.transports[0] === "websocket" || mode.upgraded) {
        assert.ok(queued >= 1, "an idle WebSocket takes the first volatile emit");
      }
    });
  });
}
