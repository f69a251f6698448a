// A client whose pong is late but which shows it is alive keeps its connection, as
// on the Node.js server: a packet that arrives while a pong is awaited gives the
// pong a whole ping timeout from then (once per ping). Checked with the official
// socket.io-client against tether's sio_fixture and, as the reference, against a
// Node.js socket.io 4.8 server with the same heartbeat, over WebSocket and polling.
// A client whose pong is just as late but which sends nothing meanwhile is dropped
// by both, which shows the timings discriminate.

import assert from "node:assert/strict";
import { createServer } from "node:http";
import { describe, test } from "node:test";

import { Server } from "socket.io";

import { useExample } from "../support/server.mjs";
import { client, connected, MODES } from "../support/sio.mjs";
import { next, sleep } from "../support/wait.mjs";

const PING_INTERVAL_MS = 300;
const PING_TIMEOUT_MS = 4_000;
/** When, after the ping, the client sends an event. */
const SIGN_OF_LIFE_MS = PING_TIMEOUT_MS / 2;
/** When, after the ping, the client's pong leaves: past the server's timeout,
 * within a timeout of the event. */
const PONG_HELD_MS = PING_TIMEOUT_MS * 1.25;

/** A Node.js socket.io server with the same heartbeat, stopped after the test. */
async function nodeServer(t) {
  const http = createServer();
  const io = new Server(http, { pingInterval: PING_INTERVAL_MS, pingTimeout: PING_TIMEOUT_MS });
  await new Promise((resolve) => http.listen(0, "127.0.0.1", resolve));
  t.after(() => io.close());
  return { url: `http://127.0.0.1:${http.address().port}` };
}

async function tetherServer(t) {
  return useExample(t, "sio_fixture", {
    env: { PING_INTERVAL_MS: String(PING_INTERVAL_MS), PING_TIMEOUT_MS: String(PING_TIMEOUT_MS) },
  });
}

/**
 * Connects a client that holds its first pong back for PONG_HELD_MS; with
 * `signOfLife`, it emits an event SIGN_OF_LIFE_MS after that ping. Its own patience
 * for the server's next ping is stretched by the time it holds the pong.
 */
async function latePongClient(t, url, mode, { signOfLife }) {
  const socket = client(t, url, mode);
  await connected(socket);
  const engine = socket.io.engine;
  engine._pingTimeout += PONG_HELD_MS;
  const send = engine._sendPacket.bind(engine);
  let held = false;
  engine._sendPacket = (type, ...rest) => {
    if (type !== "pong" || held) {
      return send(type, ...rest);
    }
    held = true;
    if (signOfLife) {
      setTimeout(() => socket.emit("still here"), SIGN_OF_LIFE_MS);
    }
    setTimeout(() => send(type, ...rest), PONG_HELD_MS);
  };
  const disconnected = [];
  socket.on("disconnect", (reason) => disconnected.push(reason));
  return { socket, engine, disconnected };
}

for (const [serverName, start] of [
  ["tether", tetherServer],
  ["Node.js socket.io", nodeServer],
]) {
  describe(`a late pong on ${serverName}`, () => {
    for (const mode of MODES.filter((m) => !m.upgraded)) {
      test(`keeps a client that sent something meanwhile, ${mode.name}`, async (t) => {
        const server = await start(t);
        const alive = await latePongClient(t, server.url, mode, { signOfLife: true });
        const silent = await latePongClient(t, server.url, mode, { signOfLife: false });

        // The first ping, held; then the next one, which only comes after the
        // server took the late pong.
        await next(alive.engine, "ping");
        await next(alive.engine, "ping");
        assert.deepEqual(alive.disconnected, [], "the client that sent an event is kept");
        assert.ok(alive.socket.connected);

        // The silent client was dropped at the ping timeout, its pong still held.
        const deadline = Date.now() + PONG_HELD_MS;
        while (silent.disconnected.length === 0 && Date.now() < deadline) {
          await sleep(50);
        }
        assert.equal(silent.disconnected.length, 1, "the silent client is dropped");
      });
    }
  });
}
