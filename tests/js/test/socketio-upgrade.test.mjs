// A thousand messages and more each way through the `sio_fixture` example while the
// official socket.io-client upgrades from polling to WebSocket: every message
// arrives once and in order, some before the switch and some after. The same
// streams over websocket-only and polling-only for comparison.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import { NodeWebSocket, NodeXHR } from "engine.io-client";

import { exampleForSuite } from "../support/server.mjs";
import { MODES, client, connected } from "../support/sio.mjs";
import { next, within } from "../support/wait.mjs";

const COUNT = 1000;

/**
 * The WebSocket transport, opened 300 ms late: the client then joins and starts
 * sending over polling before the upgrade, however fast the server is.
 */
class LateWebSocket extends NodeWebSocket {
  doOpen() {
    setTimeout(() => super.doOpen(), 300);
  }
}

for (const mode of MODES) {
  describe(`1,000 messages in order (${mode.name})`, () => {
    const server = exampleForSuite("sio_fixture");

    test("from the client to the server", async (t) => {
      const transports = mode.upgraded ? [NodeXHR, LateWebSocket] : mode.transports;
      const socket = client(t, server.url, mode, { transports });
      await connected(socket);
      const engine = socket.io.engine;
      const sentOn = { polling: 0, websocket: 0 };
      let sent = 0;
      // In the upgrade setup the stream starts on polling and goes on until one
      // was sent after the upgrade, so it straddles the switch.
      while (sent < COUNT || (mode.upgraded && sentOn.websocket === 0)) {
        socket.emit("seq", sent);
        sentOn[engine.transport.name] += 1;
        sent += 1;
        if (sent % 5 === 0) {
          await sleep(1);
        }
      }
      const report = await socket.emitWithAck("seq-end");
      assert.equal(report.received, sent);
      assert.equal(report.inOrder, true);
      if (mode.upgraded) {
        assert.ok(sentOn.polling > 0 && sentOn.websocket > 0, JSON.stringify(sentOn));
        assert.ok(report.polling > 0 && report.websocket > 0, JSON.stringify(report));
      } else {
        assert.equal(report[mode.transports[0]], sent);
      }
    });

    test("from the server to the client", async (t) => {
      const query = mode.upgraded ? { min: String(COUNT), until: "upgrade" } : { min: String(COUNT) };
      const socket = client(t, server.url, mode, { nsp: "/stream", query });
      const received = [];
      const transports = new Set();
      socket.on("seq", (index, transport) => {
        received.push(index);
        transports.add(transport);
      });
      const done = next(socket, "seq-done", 60_000);
      await connected(socket);
      const [count] = await within(done, "the stream", 60_000);
      assert.ok(count >= COUNT);
      assert.equal(received.length, count);
      assert.ok(received.every((value, index) => value === index), "in order, none lost");
      if (mode.upgraded) {
        assert.deepEqual([...transports].sort(), ["polling", "websocket"]);
        assert.equal(socket.io.engine.transport.name, "websocket");
      } else {
        assert.deepEqual([...transports], [mode.transports[0]]);
      }
    });
  });
}
