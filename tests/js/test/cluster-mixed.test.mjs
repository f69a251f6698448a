// One cluster of two tether nodes (the cluster_node example) and one Node.js
// socket.io 4.8 node with @socket.io/redis-adapter 8.3 on one Redis, official
// socket.io-clients on every node, with the classic adapter (createAdapter) and
// the sharded one (createShardedAdapter, static, dynamic and dynamic-private subscription modes):
// every operation started from every node (broadcasts to everyone, a room and
// all but a room; fetchSockets; socketsJoin/socketsLeave; disconnectSockets;
// serverSideEmitWithAck; emitWithAck) reaches exactly the selected sockets of
// every node, each once. A node killed (SIGKILL) in the middle of a request
// costs the asker its requests timeout and a clear error, never a hang, whether
// the asker is a tether node or the Node.js one.

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { describe, test } from "node:test";

import {
  ask,
  cluster,
  clusterClient,
  eventually,
  nodeNode,
  tetherNode,
  uniqueKey,
} from "../support/cluster.mjs";
import { within } from "../support/wait.mjs";

const MODES = [
  { label: "classic", mode: "classic" },
  { label: "sharded, static", mode: "sharded", subscriptionMode: "static" },
  { label: "sharded, dynamic", mode: "sharded", subscriptionMode: "dynamic" },
  { label: "sharded, dynamic-private", mode: "sharded", subscriptionMode: "dynamic-private" },
];

const sorted = (items) => [...items].sort();

/** The three nodes, two clients on each (`x1` in room `red`, `x2` not). */
async function mixedCluster(t, options) {
  const key = uniqueKey("mixed");
  const nodes = await Promise.all([
    tetherNode(t, key, { ...options, name: "a" }),
    tetherNode(t, key, { ...options, name: "b" }),
    nodeNode(t, key, { ...options, name: "n" }),
  ]);
  const clients = {};
  for (const node of nodes) {
    for (const n of [1, 2]) {
      const name = `${node.name}${n}`;
      clients[name] = await clusterClient(t, node, name);
    }
  }
  for (const node of nodes) {
    await ask(clients[`${node.name}1`], "join", "red");
  }
  return { nodes, clients, all: Object.keys(clients) };
}

/** How many `event` events each client got since the start. */
function receipts(clients, event) {
  return Object.fromEntries(
    Object.entries(clients).map(([name, client]) => [
      name,
      client.seen.filter(([seen]) => seen === event).length,
    ]),
  );
}

/** Waits until every client in `names` got `event` once. */
async function allReceived(clients, names, event) {
  await eventually(
    async () => receipts(clients, event),
    (counts) => names.every((name) => counts[name] >= 1),
    `${event} everywhere`,
  );
}

/** Expected receipt counts: 1 for the names in `selected`, 0 for the others. */
function exactly(all, selected) {
  return Object.fromEntries(all.map((name) => [name, selected.includes(name) ? 1 : 0]));
}

for (const options of MODES) {
  describe(`a mixed tether and Node.js cluster (${options.label})`, () => {
    test("every operation from every node reaches exactly the selected sockets, once", async (t) => {
      const { nodes, clients, all } = await mixedCluster(t, options);
      const red = ["a1", "b1", "n1"];
      const notRed = ["a2", "b2", "n2"];
      const ids = Object.fromEntries(Object.entries(clients).map(([name, c]) => [c.id, name]));
      const names = (sockets) => sorted(sockets.map((socket) => ids[socket.id]));

      // The cluster settles: every node counts the others.
      for (const node of nodes) {
        await eventually(
          () => cluster(clients[`${node.name}2`], { op: "fetch" }),
          (sockets) => sockets.length === all.length,
          `${node.name} sees every socket`,
        );
      }

      for (const node of nodes) {
        const from = clients[`${node.name}2`];
        const tag = `from-${node.name}`;

        // Broadcasts, each followed by a marker to everyone: what comes before it
        // in every client's record is all there is.
        const targets = [
          ["everyone", {}, all],
          ["red", { to: "red" }, red],
          ["not-red", { except: "red" }, notRed],
        ];
        for (const [label, target, selected] of targets) {
          const event = `${tag}-${label}`;
          await ask(from, "broadcast", { event, ...target, args: [tag] });
          await ask(from, "broadcast", { event: `${event}-marker`, args: [] });
          await allReceived(clients, all, `${event}-marker`);
          assert.deepEqual(receipts(clients, event), exactly(all, selected), event);
        }

        // fetchSockets: each selected socket once, with its node's data.
        const everyone = await cluster(from, { op: "fetch" });
        assert.equal(everyone.length, all.length, `fetch from ${node.name}: each socket once`);
        assert.deepEqual(names(everyone), sorted(all));
        for (const socket of everyone) {
          const kind = ids[socket.id].startsWith("n") ? "node" : "tether";
          assert.deepEqual(socket.data, { from: kind }, ids[socket.id]);
          assert.ok(socket.rooms.includes(socket.id), "a socket is in its own room");
        }
        assert.deepEqual(names(await cluster(from, { op: "fetch", to: "red" })), red);
        assert.deepEqual(names(await cluster(from, { op: "fetch", except: "red" })), notRed);

        // socketsJoin / socketsLeave, seen from the next node and by a broadcast.
        const green = `green-${node.name}`;
        await cluster(from, { op: "join", to: "red", rooms: [green] });
        const other = clients[`${nodes[(nodes.indexOf(node) + 1) % nodes.length].name}2`];
        await eventually(
          async () => names(await cluster(other, { op: "fetch", to: green })),
          (found) => JSON.stringify(found) === JSON.stringify(red),
          `${green} joined`,
        );
        const toGreen = `${tag}-to-green`;
        await ask(other, "broadcast", { event: toGreen, to: green, args: [] });
        await ask(other, "broadcast", { event: `${toGreen}-marker`, args: [] });
        await allReceived(clients, all, `${toGreen}-marker`);
        assert.deepEqual(receipts(clients, toGreen), exactly(all, red), toGreen);
        await cluster(from, { op: "leave", rooms: [green] });
        await eventually(
          async () => names(await cluster(other, { op: "fetch", to: green })),
          (found) => found.length === 0,
          `${green} left`,
        );

        // serverSideEmitWithAck: one answer from each other node.
        const answers = await ask(from, "ask servers", tag);
        assert.ok(Array.isArray(answers), `ask servers from ${node.name}: ${JSON.stringify(answers)}`);
        assert.deepEqual(
          sorted(answers.map((answer) => `${answer.from}:${answer.name}:${answer.x}`)),
          nodes
            .filter((peer) => peer !== node)
            .map((peer) => `${peer.kind}:${peer.name}:${tag}`)
            .sort(),
        );

        // emitWithAck: one acknowledgement from each selected socket.
        const acks = await ask(from, "ask everyone", { event: "poke" });
        assert.ok(Array.isArray(acks), `ask everyone from ${node.name}: ${JSON.stringify(acks)}`);
        assert.deepEqual(sorted(acks), sorted(all));
        assert.deepEqual(sorted(await ask(from, "ask everyone", { event: "poke", to: "red" })), red);
      }

      // allRooms from the tether nodes (Node's sharded adapter has no allRooms).
      const rooms = await cluster(clients.a2, { op: "allRooms" });
      for (const room of ["red", ...Object.values(clients).map((client) => client.id)]) {
        assert.ok(rooms.includes(room), `${room} in ${JSON.stringify(rooms)}`);
      }
      assert.ok(!rooms.includes("green-a"), "left rooms are gone");

      // disconnectSockets from each node, each to a socket of another node.
      const plan = [
        [clients.a1, "n2", false],
        [clients.n1, "b2", false],
        [clients.b1, "a2", true],
      ];
      for (const [from, target, close] of plan) {
        const gone = new Promise((resolve) => clients[target].once("disconnect", resolve));
        await cluster(from, { op: "disconnect", to: clients[target].id, close });
        const reason = await within(gone, `${target} disconnected`);
        assert.equal(reason, "io server disconnect", target);
      }
      const left = await cluster(clients.a1, { op: "fetch" });
      assert.deepEqual(names(left), red);
      for (const name of red) assert.ok(clients[name].connected, `${name} stays`);
    });
  });
}

/**
 * Stops `child` (SIGSTOP), so that it is counted but answers nothing, and waits
 * until Linux reports it stopped.
 */
async function freeze(child) {
  assert.ok(child.kill("SIGSTOP"), "stopped");
  const stat = `/proc/${child.pid}/stat`;
  if (!existsSync(stat)) return;
  await eventually(
    async () => readFileSync(stat, "utf8").split(") ")[1]?.[0],
    (state) => state === "T",
    `process ${child.pid} stopped`,
  );
}

for (const options of MODES.slice(0, 2)) {
  describe(`a node killed mid-request (${options.label})`, () => {
    const timeoutMs = 1500;
    const withTimeout = { ...options, requestsTimeoutMs: timeoutMs };

    test("a tether asker whose Node.js peer dies times out with a clear error", async (t) => {
      const key = uniqueKey("killed-node");
      const a = await tetherNode(t, key, { ...withTimeout, name: "a" });
      const n = await nodeNode(t, key, { ...withTimeout, name: "n" });
      const onA = await clusterClient(t, a, "a1");
      await clusterClient(t, n, "n1");
      await eventually(() => cluster(onA, { op: "fetch" }), (s) => s.length === 2, "a sees n");

      await freeze(n.child);
      const started = Date.now();
      const fetching = ask(onA, "cluster", { op: "fetch" });
      const asking = ask(onA, "ask servers", "x");
      await new Promise((resolve) => setTimeout(resolve, 300));
      n.child.kill("SIGKILL");
      await n.exited;
      const [fetched, asked] = await Promise.all([fetching, asking]);
      const elapsed = Date.now() - started;
      assert.match(fetched.error ?? "", /0 of 1 other nodes answered within 1\.5s/, JSON.stringify(fetched));
      assert.match(asked.error ?? "", /0 of 1 other nodes answered within 1\.5s/, JSON.stringify(asked));
      assert.ok(elapsed >= timeoutMs - 50 && elapsed < timeoutMs + 3000, `answered after ${elapsed} ms`);

      // The dead node is no longer counted.
      const alone = await eventually(
        () => ask(onA, "cluster", { op: "fetch" }),
        (answer) => Array.isArray(answer),
        "a asks alone",
      );
      assert.deepEqual(alone.map((socket) => socket.id), [onA.id]);
    });

    test("a Node.js asker whose tether peer dies times out with a clear error", async (t) => {
      const key = uniqueKey("killed-tether");
      const a = await tetherNode(t, key, { ...withTimeout, name: "a" });
      const n = await nodeNode(t, key, { ...withTimeout, name: "n" });
      await clusterClient(t, a, "a1");
      const onN = await clusterClient(t, n, "n1");
      await eventually(() => cluster(onN, { op: "fetch" }), (s) => s.length === 2, "n sees a");

      await freeze(a.child);
      const started = Date.now();
      const fetching = ask(onN, "cluster", { op: "fetch" });
      const asking = ask(onN, "ask servers", "x", 10_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      a.child.kill("SIGKILL");
      await a.exited;
      const fetched = await fetching;
      const elapsed = Date.now() - started;
      assert.match(fetched.error ?? "", /timeout reached/, JSON.stringify(fetched));
      assert.ok(elapsed >= timeoutMs - 50 && elapsed < timeoutMs + 3000, `answered after ${elapsed} ms`);
      const asked = await asking;
      assert.match(asked.error ?? "", /timeout reached/, JSON.stringify(asked));
    });
  });
}
