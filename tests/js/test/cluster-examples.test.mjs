// The examples joined into one cluster through Redis (REDIS_URL, set by
// scripts/test-all.sh; REDIS_PREFIX unique per test): two nodes of the same
// example, official socket.io-clients on each, and events that cross between them.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";

import { io } from "socket.io-client";

import { useExample } from "../support/server.mjs";
import { connected as socketConnected } from "../support/sio.mjs";
import { next, within } from "../support/wait.mjs";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** Two nodes of `example` on one Redis, with a channel prefix of their own. */
async function twoNodes(t, example) {
  const env = { REDIS_URL, REDIS_PREFIX: `tether-js-${randomBytes(6).toString("hex")}` };
  return Promise.all([useExample(t, example, { env }), useExample(t, example, { env })]);
}

/** A connected client of `url`, disconnected after the test. */
async function connected(t, url, options = {}) {
  const socket = io(url, { transports: ["websocket"], forceNew: true, reconnection: false, ...options });
  t.after(() => socket.disconnect());
  await socketConnected(socket, "connect");
  return socket;
}

/**
 * Emits until `receiver` sees `event`: a node's subscription to Redis may still
 * be on its way when its first client connects.
 */
async function untilReceived(receiver, event, send) {
  const received = next(receiver, event);
  let settled = false;
  received.finally(() => (settled = true)).catch(() => {});
  while (!settled) {
    send();
    await Promise.race([received.catch(() => {}), new Promise((r) => setTimeout(r, 100))]);
  }
  return received;
}

describe("examples in a Redis cluster", () => {
  test("bench_server: broadcasts and room broadcasts reach the other node", async (t) => {
    const [a, b] = await twoNodes(t, "bench_server");
    const onA = await connected(t, a.url);
    const onB = await connected(t, b.url);
    assert.equal(await within(onA.emitWithAck("join", "lobby"), "join"), true);

    const [roomPayload] = await untilReceived(onA, "bcast", () =>
      onB.emit("room_broadcast", "lobby", { n: 1 }),
    );
    assert.deepEqual(roomPayload, { n: 1 });
    const [everyone] = await untilReceived(onB, "bcast", () => onA.emit("broadcast", { n: 2 }));
    assert.deepEqual(everyone, { n: 2 });
  });

  test("bench_server: fetch on one node counts the sockets of both", async (t) => {
    const [a, b] = await twoNodes(t, "bench_server");
    const onA = await connected(t, a.url);
    await connected(t, b.url);
    await connected(t, b.url);
    // Node b counts once its request channel subscription is in place.
    let count;
    const deadline = Date.now() + 5000;
    do {
      count = await within(onA.emitWithAck("fetch"), "fetch");
      if (count !== 3) await new Promise((r) => setTimeout(r, 100));
    } while (count !== 3 && Date.now() < deadline);
    assert.equal(count, 3);
  });

  test("chat: a message said on one node reaches the room's members on the other", async (t) => {
    const [a, b] = await twoNodes(t, "chat");
    const ada = await connected(t, a.url, { auth: { name: "ada" } });
    const bob = await connected(t, b.url, { auth: { name: "bob" } });
    await within(ada.emitWithAck("join", "general"), "ada joins");
    await within(bob.emitWithAck("join", "general"), "bob joins");

    const [message] = await untilReceived(bob, "message", () =>
      ada.emit("say", "general", "hello from node a"),
    );
    assert.equal(message.text, "hello from node a");
    assert.equal(message.from, "ada");
  });
});
