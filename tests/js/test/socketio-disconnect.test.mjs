// Disconnections between the official socket.io-client and the `sio_fixture`
// example, each reason as the client sees it and as the server reports it (to an
// observer socket, or on stdout after a shutdown): the client leaving, the server
// kicking one socket or closing the connection, the client dropping its transport,
// a ping timeout, and a graceful shutdown. Over each transport setup.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { startExample, useExample } from "../support/server.mjs";
import { MODES, connect, connected, observer } from "../support/sio.mjs";
import { next, within } from "../support/wait.mjs";

/**
 * Stops the socket's connection from reading, so it receives no more pings (nor
 * anything else); the paused WebSocket is torn down when the test `t` ends.
 */
function stopReading(t, socket) {
  const transport = socket.io.engine.transport;
  if (transport.name === "websocket") {
    const ws = transport.ws;
    ws.pause();
    t.after(() => ws.terminate());
  } else {
    transport.pause(() => {});
  }
}

/**
 * Makes the socket's connection stop answering pings while it keeps reading.
 * engine.io-client has no public switch for this: its `_sendPacket` (engine.io-client
 * 6.6, pinned) is wrapped to drop pongs.
 */
/**
 * A client in `mode` of a fixture server pinging every 200 ms with a 200 ms
 * timeout, watched by an observer: the server's disconnect `reasons`, the
 * `socket`, its `id`, and the client's coming `disconnect` (`left`).
 */
async function onQuickHeartbeat(t, mode) {
  const fast = await useExample(t, "sio_fixture", { env: { PING_INTERVAL_MS: "200", PING_TIMEOUT_MS: "200" } });
  const reasons = await observer(t, fast.url);
  const { socket } = await connect(t, fast.url, mode);
  return { reasons, socket, id: socket.id, left: next(socket, "disconnect") };
}

function stopPonging(socket) {
  const engine = socket.io.engine;
  const send = engine._sendPacket.bind(engine);
  engine._sendPacket = (type, ...rest) => (type === "pong" ? undefined : send(type, ...rest));
}

/** A second socket on the same connection as `socket`, joined to `nsp`. */
async function alongside(t, socket, nsp) {
  const other = socket.io.socket(nsp);
  t.after(() => other.disconnect());
  if (!other.connected) {
    await connected(other);
  }
  return other;
}

for (const mode of MODES) {
  describe(`socket.io-client disconnect reasons (${mode.name})`, () => {
    let server;
    let watcher;
    const cleanups = [];
    before(async () => {
      server = await startExample("sio_fixture");
      watcher = await observer({ after: (cleanup) => cleanups.push(cleanup) }, server.url);
    });
    after(async () => {
      cleanups.forEach((cleanup) => cleanup());
      await server.stop();
    });

    test("the client leaves: io client disconnect / client namespace disconnect", async (t) => {
      const { socket } = await connect(t, server.url, mode);
      const id = socket.id;
      const left = next(socket, "disconnect");
      socket.disconnect();
      assert.deepEqual((await left)[0], "io client disconnect");
      assert.equal(await watcher.disconnect(id), "client namespace disconnect");
    });

    test("the server kicks the socket: io server disconnect / server namespace disconnect", async (t) => {
      const { socket } = await connect(t, server.url, mode);
      const custom = await alongside(t, socket, "/custom");
      const id = socket.id;
      const left = next(socket, "disconnect");
      socket.emit("kick");
      assert.equal((await left)[0], "io server disconnect");
      assert.equal(await watcher.disconnect(id), "server namespace disconnect");
      assert.equal(await custom.emitWithAck("echo-ack", "still connected"), "still connected");
      assert.ok(!socket.active, "no automatic reconnection after a server disconnect");
    });

    test("the server closes the connection: every namespace is told", async (t) => {
      const { socket } = await connect(t, server.url, mode);
      const custom = await alongside(t, socket, "/custom");
      const ids = [socket.id, custom.id];
      const reasons = Promise.all([next(socket, "disconnect"), next(custom, "disconnect")]);
      custom.emit("kick-close");
      assert.deepEqual((await reasons).map(([reason]) => reason), ["io server disconnect", "io server disconnect"]);
      for (const id of ids) {
        assert.equal(await watcher.disconnect(id), "server namespace disconnect");
      }
    });

    test("the client drops its transport: transport close on the server", async (t) => {
      const { socket } = await connect(t, server.url, mode);
      const id = socket.id;
      const left = next(socket, "disconnect");
      socket.io.engine.close();
      assert.equal((await left)[0], "forced close");
      assert.equal(await watcher.disconnect(id), "transport close");
    });

    test("a client that stops answering pings: ping timeout on the server", async (t) => {
      const { reasons, socket, id, left } = await onQuickHeartbeat(t, mode);
      stopPonging(socket);
      assert.equal(await reasons.disconnect(id), "ping timeout");
      assert.equal((await left)[0], "transport close", "the server closed the connection");
    });

    test("a client that hears no ping: ping timeout on the client", async (t) => {
      const { reasons, socket, id, left } = await onQuickHeartbeat(t, mode);
      stopReading(t, socket);
      assert.equal((await left)[0], "ping timeout");
      // Both sides give up after pingInterval + pingTimeout: the server reports its
      // own ping timeout, or the close the client sent when it gave up first.
      assert.match(await reasons.disconnect(id), /^(ping timeout|transport close)$/);
    });
  });

  test(`a graceful shutdown closes every client (${mode.name})`, async (t) => {
    const doomed = await startExample("sio_fixture");
    t.after(() => doomed.stop());
    const { socket } = await connect(t, doomed.url, mode);
    const custom = await alongside(t, socket, "/custom");
    const ids = [socket.id, custom.id];
    const reasons = Promise.all([next(socket, "disconnect"), next(custom, "disconnect")]);
    const exited = doomed.stop();
    assert.deepEqual((await reasons).map(([reason]) => reason), ["transport close", "transport close"]);
    const { code } = await within(exited, "the server exits");
    assert.equal(code, 0, doomed.output());
    for (const [index, id] of ids.entries()) {
      const ns = index === 0 ? "/" : "/custom";
      assert.ok(
        doomed.stdout().includes(`disconnected ${ns} ${id} server shutting down\n`),
        `${ns} ${id} in:\n${doomed.stdout()}`,
      );
    }
  });
}
