// Three chat nodes in one Redis cluster behind HAProxy (round robin, cookie
// stickiness, health checks), driven through the balancer by official
// socket.io-clients over WebSocket, polling and polling with upgrade: the
// deployment docs/deployment.md describes, run for real.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";

import { io } from "socket.io-client";

import { useHaproxy } from "../support/haproxy.mjs";
import { useExample } from "../support/server.mjs";
import { PATIENCE_MS, until, within } from "../support/wait.mjs";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const ROOM = "general";

/** `count` chat nodes on one Redis with a channel prefix of their own, behind HAProxy. */
async function balancedChat(t, count = 3, env = {}) {
  const clusterEnv = { REDIS_URL, REDIS_PREFIX: `tether-lb-${randomBytes(6).toString("hex")}`, ...env };
  const nodes = await Promise.all(
    Array.from({ length: count }, () => useExample(t, "chat", { env: clusterEnv })),
  );
  const balancer = await useHaproxy(
    t,
    nodes.map((node, index) => ({ name: `n${index + 1}`, url: node.url })),
  );
  return { nodes, balancer };
}

/**
 * A chat user connected through the balancer that joins the room on every
 * (re)connection and counts each message text it receives.
 */
function user(t, url, name, options) {
  const socket = io(url, {
    forceNew: true,
    withCredentials: true,
    auth: { name },
    reconnectionDelay: 100,
    reconnectionDelayMax: 500,
    randomizationFactor: 0,
    ...options,
  });
  t.after(() => socket.disconnect());
  const seen = new Map();
  const waiters = new Set();
  let joinedOnce;
  let joined = new Promise((resolve) => (joinedOnce = resolve));
  socket.on("connect", () => {
    socket
      .timeout(PATIENCE_MS)
      .emitWithAck("join", ROOM)
      .then(() => joinedOnce(), () => {});
  });
  socket.on("disconnect", () => {
    joined = new Promise((resolve) => (joinedOnce = resolve));
  });
  socket.on("message", (message) => {
    seen.set(message.text, (seen.get(message.text) ?? 0) + 1);
    for (const waiter of waiters) waiter();
  });
  return {
    name,
    socket,
    seen,
    joined: () => joined,
    /** Resolves once every text of `texts` has arrived. */
    received(texts, what) {
      return within(
        new Promise((resolve) => {
          const check = () => {
            if (texts.every((text) => seen.has(text))) {
              waiters.delete(check);
              resolve();
            }
          };
          waiters.add(check);
          check();
        }),
        `${name}: ${what}`,
      );
    },
    /** The node the balancer's cookie pins this client to, if any. */
    pinnedTo() {
      const jar = socket.io.engine?._cookieJar;
      return jar ? new Map(jar.cookies).get("SERVERID")?.value : undefined;
    },
  };
}

/** Three users per transport setup: WebSocket only, polling only, and polling with upgrade. */
function users(t, url, tag) {
  const setups = [
    ["ws", { transports: ["websocket"] }],
    ["poll", { transports: ["polling"] }],
    ["upgrade", { transports: ["polling", "websocket"] }],
  ];
  return setups.flatMap(([kind, options]) =>
    [1, 2, 3].map((n) => user(t, url, `${tag}-${kind}-${n}`, options)),
  );
}

/** Each user says one line; every user receives every line, each exactly once. */
async function everyLineOnce(all, round) {
  const texts = [];
  for (const sender of all) {
    const text = `${round} from ${sender.name}`;
    texts.push(text);
    const answer = await within(sender.socket.emitWithAck("say", ROOM, text), `${sender.name} says`);
    assert.equal(answer.ok, true, `${sender.name}: ${JSON.stringify(answer)}`);
  }
  // A last line from the first sender: once it has arrived everywhere, so has
  // every earlier line from the same node, and any duplicate would have too.
  const marker = `${round} end`;
  await within(all[0].socket.emitWithAck("say", ROOM, marker), "marker");
  await Promise.all(all.map((u) => u.received([...texts, marker], `${round} lines`)));
  for (const u of all) {
    for (const text of texts) {
      assert.equal(u.seen.get(text), 1, `${u.name} received "${text}" ${u.seen.get(text)} times`);
    }
  }
}

async function allUpgraded(all) {
  await Promise.all(
    all
      .filter((u) => u.name.includes("-upgrade-"))
      .map((u) =>
        u.socket.io.engine.transport.name === "websocket"
          ? undefined
          : within(new Promise((resolve) => u.socket.io.engine.once("upgrade", resolve)), `${u.name} upgrade`),
      ),
  );
}

describe("three chat nodes behind HAProxy", () => {
  test("polling clients stay on their node and every line reaches every client once", async (t) => {
    const { balancer } = await balancedChat(t);
    const all = users(t, balancer.url, "a");
    await Promise.all(all.map((u) => within(u.joined(), `${u.name} joins`)));
    await allUpgraded(all);

    const pins = all.filter((u) => !u.name.includes("-ws-")).map((u) => u.pinnedTo());
    assert.ok(pins.every(Boolean), `every polling client holds the balancer's cookie: ${pins}`);
    assert.ok(new Set(pins).size >= 2, `the balancer spread the polling clients: ${pins}`);

    await everyLineOnce(all, "round 1");
    for (const u of all.filter((u) => !u.name.includes("-ws-"))) {
      assert.ok(u.socket.connected, `${u.name} is still connected`);
    }
  });

  test("without the stickiness cookie, a polling client loses its session", async (t) => {
    const { balancer } = await balancedChat(t);
    const socket = io(balancer.url, {
      forceNew: true,
      transports: ["polling"],
      reconnection: false,
      auth: { name: "no-cookies" },
    });
    t.after(() => socket.disconnect());
    // Round robin sends its requests to the three nodes in turn: the session the
    // handshake made on one is unknown to the others.
    const failed = await within(
      new Promise((resolve) => {
        socket.once("connect_error", () => resolve("connect_error"));
        socket.once("disconnect", () => resolve("disconnect"));
        socket.on("connect", () => {
          const timer = setInterval(() => socket.connected && socket.emit("typing", ROOM), 50);
          t.after(() => clearInterval(timer));
        });
      }),
      "the cookie-less polling client fails",
    );
    assert.ok(["connect_error", "disconnect"].includes(failed));
  });

  test("a node killed: its clients reconnect through the balancer to the others", async (t) => {
    const { nodes, balancer } = await balancedChat(t);
    const all = users(t, balancer.url, "b");
    await Promise.all(all.map((u) => within(u.joined(), `${u.name} joins`)));
    await allUpgraded(all);
    await everyLineOnce(all, "before");

    const dropped = new Set();
    for (const u of all) u.socket.once("disconnect", () => dropped.add(u));
    const onFirstNode = all.filter((u) => u.pinnedTo() === "n1");
    assert.ok(onFirstNode.length > 0, "some polling clients are pinned to the node about to die");
    nodes[0].child.kill("SIGKILL");
    await nodes[0].exited;

    // Every client pinned to the killed node drops, and only those on it do.
    await until(() => onFirstNode.every((u) => dropped.has(u)), "the killed node's clients notice");
    assert.ok(dropped.size >= onFirstNode.length && dropped.size > 0);

    await Promise.all(all.map((u) => within(u.joined(), `${u.name} joins again`)));
    for (const u of onFirstNode) {
      const pin = u.pinnedTo();
      assert.ok(pin && pin !== "n1", `${u.name} is now pinned to a live node (${pin})`);
    }
    await everyLineOnce(all, "after");
  });

  test("with the Streams adapter, a stopped node's clients recover on the others with what they missed", async (t) => {
    const { nodes, balancer } = await balancedChat(t, 3, { TETHER_ADAPTER: "redis-streams", RECOVERY: "1" });
    const all = users(t, balancer.url, "c").map((u) => {
      // A second or so away: long enough for lines to be said meanwhile.
      u.socket.io.reconnectionDelay(1000);
      u.socket.io.reconnectionDelayMax(1000);
      return u;
    });
    await Promise.all(all.map((u) => within(u.joined(), `${u.name} joins`)));
    await allUpgraded(all);
    await everyLineOnce(all, "before");

    const onFirstNode = all.filter((u) => u.pinnedTo() === "n1");
    assert.ok(onFirstNode.length > 0, "some polling clients are pinned to the node about to stop");
    const dropped = new Set();
    for (const u of all) u.socket.once("disconnect", () => dropped.add(u));
    // A graceful stop: the node keeps its sockets' sessions in Redis as it goes.
    nodes[0].child.kill("SIGTERM");
    await nodes[0].exited;
    await until(() => onFirstNode.every((u) => dropped.has(u)), "the stopped node's clients notice");
    const stayed = all.filter((u) => !dropped.has(u));
    const missed = [];
    for (const sender of stayed.slice(0, 3)) {
      const text = `while away from ${sender.name}`;
      missed.push(text);
      await within(sender.socket.emitWithAck("say", ROOM, text), `${sender.name} says`);
    }
    await Promise.all([...dropped].map((u) => within(u.joined(), `${u.name} is back`)));
    for (const u of dropped) {
      assert.equal(u.socket.recovered, true, `${u.name} recovered its session`);
    }
    await Promise.all(all.map((u) => u.received(missed, "the lines said while some were away")));
    for (const u of all) {
      for (const text of missed) {
        assert.equal(u.seen.get(text), 1, `${u.name} received "${text}" ${u.seen.get(text)} times`);
      }
    }
    await everyLineOnce(all, "after");
  });
});
