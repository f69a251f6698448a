// The Admin UI's protocol (@socket.io/admin-ui 0.5) on the chat example run with
// ADMIN_UI=1: the official socket.io-client plays the UI on the admin namespace
// and checks each message the server sends (config, all_sockets, server_stats,
// socket/room/event changes), each action it takes (emit, join, leave,
// _disconnect), basic authentication with a bcrypt hash made by Node's bcryptjs,
// read-only and production modes, the server id and namespace options, two
// nodes in a Redis cluster seen from one UI, and a tether node beside a Node.js
// node instrumented by @socket.io/admin-ui itself.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";

import { io } from "socket.io-client";

import { nodeNode } from "../support/cluster.mjs";
import { useExample } from "../support/server.mjs";
import { connected as connection } from "../support/sio.mjs";
import { next, within } from "../support/wait.mjs";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

// bcryptjs.hashSync("s3cret", 4): a hash made by Node's bcryptjs, as the Node
// server's users make them (cost 4 keeps the debug build's check quick).
const PASSWORD_HASH = "$2a$04$YIK7kS1vXpQhP6yYFsO1P.Z.Wv3hBDiCM535tOeCAAzVQqKne3BJW";

const ALL_FEATURES = [
  "EMIT",
  "JOIN",
  "LEAVE",
  "DISCONNECT",
  "MJOIN",
  "MLEAVE",
  "MDISCONNECT",
  "AGGREGATED_EVENTS",
  "ALL_EVENTS",
];

/** Every event `socket` receives, and waits for those to come. */
function record(socket) {
  const seen = [];
  const checks = new Set();
  socket.onAny((event, ...args) => {
    seen.push({ event, args });
    for (const check of [...checks]) check();
  });
  return {
    seen,
    /** How many events arrived so far: pass it as `from` to wait for later ones. */
    mark: () => seen.length,
    /** Resolves with the arguments of the first `event` (from index `from`) that `match` accepts. */
    waitFor(event, match = () => true, { from = 0, what = event } = {}) {
      return within(
        new Promise((resolve) => {
          const check = () => {
            const found = seen.slice(from).find((e) => e.event === event && match(...e.args));
            if (found) {
              checks.delete(check);
              resolve(found.args);
            }
            return found;
          };
          if (!check()) checks.add(check);
        }),
        what,
      );
    },
    /** The events named `event` so far. */
    all: (event) => seen.filter((e) => e.event === event).map((e) => e.args),
  };
}

/** A socket.io-client on `url` + `nsp`, disconnected after the test. */
function client(t, url, { nsp = "/", ...options } = {}) {
  const socket = io(url + nsp, {
    transports: ["websocket"],
    forceNew: true,
    reconnection: false,
    ...options,
  });
  t.after(() => socket.disconnect());
  return socket;
}

/** A connected chat user called `name`. */
async function chatUser(t, url, name, options = {}) {
  const socket = client(t, url, { auth: { name }, ...options });
  await connection(socket, `${name} connecting`);
  return socket;
}

/** A connected admin UI, recording what it receives from the start. */
async function adminUi(t, url, options = {}) {
  const socket = client(t, url, { nsp: "/admin", ...options });
  const recorder = record(socket);
  await connection(socket, "admin connecting");
  return { socket, ...recorder };
}

function isDate(value) {
  return typeof value === "string" && !Number.isNaN(Date.parse(value));
}

describe("admin UI protocol (chat example, ADMIN_UI=1)", () => {
  test("on connection: config, then every socket with its rooms; stats every 2 s", async (t) => {
    const { url } = await useExample(t, "chat", { env: { ADMIN_UI: "1" } });
    const ann = await chatUser(t, url, "ann");
    await within(ann.emitWithAck("join", "lobby"), "join lobby");

    const ui = await adminUi(t, url);
    const [config] = await ui.waitFor("config");
    assert.deepEqual(config, { supportedFeatures: ALL_FEATURES });
    const [sockets] = await ui.waitFor("all_sockets");
    const annSeen = sockets.find((s) => s.id === ann.id);
    assert.ok(annSeen, `ann in ${JSON.stringify(sockets)}`);
    assert.equal(annSeen.nsp, "/");
    assert.equal(annSeen.transport, "websocket");
    assert.equal(annSeen.clientId.length, 12);
    assert.deepEqual(annSeen.data, { name: "ann" });
    assert.deepEqual(annSeen.rooms, [ann.id, "lobby"]);
    assert.equal(annSeen.handshake.address, "127.0.0.1");
    assert.equal(annSeen.handshake.query.EIO, "4");
    assert.equal(annSeen.handshake.auth, undefined, "auth is not shown");
    for (const field of ["headers", "issued", "secure", "time", "url", "xdomain"]) {
      assert.ok(field in annSeen.handshake, `handshake.${field}`);
    }
    // The UI itself is listed, in the admin namespace.
    assert.ok(sockets.some((s) => s.id === ui.socket.id && s.nsp === "/admin"));
    assert.equal(ui.seen.findIndex((e) => e.event === "config") < ui.seen.findIndex((e) => e.event === "all_sockets"), true);

    const from = ui.mark();
    const [first] = await ui.waitFor("server_stats", () => true, { from });
    const [second] = await ui.waitFor("server_stats", (s) => s !== first, { from });
    for (const stats of [first, second]) {
      assert.equal(typeof stats.serverId, "string");
      assert.ok(stats.serverId.length > 0);
      assert.equal(typeof stats.hostname, "string");
      assert.equal(typeof stats.pid, "number");
      assert.equal(typeof stats.uptime, "number");
      assert.equal(stats.clientsCount, 2);
      assert.equal(stats.pollingClientsCount, 0);
      assert.ok(Array.isArray(stats.aggregatedEvents));
      const count = (name) => stats.namespaces.find((ns) => ns.name === name)?.socketsCount;
      assert.equal(count("/"), 1);
      assert.equal(count("/admin"), 1);
    }
    // Two seconds apart (with the timer's slack), and uptime counts up.
    assert.ok(second.uptime - first.uptime > 1.5, `${first.uptime} then ${second.uptime}`);
  });

  test("socket, transport, room and event changes arrive as they happen", async (t) => {
    const { url } = await useExample(t, "chat", { env: { ADMIN_UI: "1" } });
    const ui = await adminUi(t, url);
    await ui.waitFor("all_sockets");

    // Over polling first, then upgraded to WebSocket.
    const bob = client(t, url, { auth: { name: "bob" }, transports: ["polling", "websocket"] });
    await connection(bob, "bob connecting");
    const [connected, connectedAt] = await ui.waitFor("socket_connected", (s) => s.id === bob.id);
    assert.equal(connected.nsp, "/");
    assert.equal(connected.transport, "polling");
    assert.deepEqual(connected.rooms, [bob.id]);
    assert.deepEqual(connected.data, { name: "bob" });
    assert.ok(isDate(connectedAt), connectedAt);
    const [updated] = await ui.waitFor("socket_updated", (u) => u.id === bob.id && "transport" in u);
    assert.deepEqual(updated, { id: bob.id, nsp: "/", transport: "websocket" });
    // The chat sets each socket's cluster data to its user's name.
    const [data] = await ui.waitFor("socket_updated", (u) => u.id === bob.id && "data" in u);
    assert.deepEqual(data, { id: bob.id, nsp: "/", data: { name: "bob" } });

    await within(bob.emitWithAck("join", "lobby"), "join lobby");
    const received = await ui.waitFor("event_received", (nsp, id) => id === bob.id);
    assert.equal(received[0], "/");
    assert.deepEqual(received[2], ["join", "lobby"]);
    assert.ok(isDate(received[3]));
    const joined = await ui.waitFor("room_joined", (nsp, room, id) => id === bob.id && room === "lobby");
    assert.equal(joined[0], "/");
    assert.ok(isDate(joined[3]));
    const sent = await ui.waitFor("event_sent", (nsp, id, args) => id === bob.id && args[0] === "presence");
    assert.deepEqual(sent[2], ["presence", "lobby", ["bob"]]);
    assert.ok(isDate(sent[3]));

    bob.emit("leave", "lobby");
    await ui.waitFor("room_left", (nsp, room, id) => nsp === "/" && room === "lobby" && id === bob.id);

    const bobId = bob.id;
    bob.disconnect();
    const gone = await ui.waitFor("socket_disconnected", (nsp, id) => id === bobId);
    assert.equal(gone[0], "/");
    assert.equal(gone[2], "client namespace disconnect");
    assert.ok(isDate(gone[3]));

    // The traffic shows in the aggregated events of the stats.
    const seenTypes = new Set();
    await ui.waitFor(
      "server_stats",
      (stats) => {
        for (const e of stats.aggregatedEvents) {
          assert.equal(typeof e.timestamp, "number");
          assert.equal(e.timestamp % 1000, 0);
          assert.ok(e.count > 0);
          seenTypes.add(e.subType ? `${e.type}:${e.subType}` : e.type);
        }
        return ["packetsIn", "bytesIn", "packetsOut", "bytesOut", "rawDisconnection:transport close"].every((type) =>
          seenTypes.has(type),
        );
      },
      { from: 0, what: "aggregated events" },
    );
    assert.ok(seenTypes.has("rawConnection"), [...seenTypes].join());
  });

  test("the UI's actions: emit to a room, join, leave and disconnect", async (t) => {
    const { url } = await useExample(t, "chat", { env: { ADMIN_UI: "1" } });
    const ann = await chatUser(t, url, "ann");
    const bob = await chatUser(t, url, "bob");
    await within(ann.emitWithAck("join", "lobby"), "join lobby");
    const ui = await adminUi(t, url);
    await ui.waitFor("all_sockets");

    // emit: to the sockets of a room, with several arguments.
    const announced = next(ann, "announcement");
    const bobHeard = [];
    bob.on("announcement", (...args) => bobHeard.push(args));
    ui.socket.emit("emit", "/", "lobby", "announcement", "hello", { n: 42 });
    assert.deepEqual(await announced, ["hello", { n: 42 }]);

    // join and leave: the socket picked by its id room.
    ui.socket.emit("join", "/", "vip", bob.id);
    await ui.waitFor("room_joined", (nsp, room, id) => room === "vip" && id === bob.id);
    const vip = next(bob, "announcement");
    ui.socket.emit("emit", "/", "vip", "announcement", "for vips");
    assert.deepEqual(await vip, ["for vips"]);
    ui.socket.emit("leave", "/", "vip", bob.id);
    await ui.waitFor("room_left", (nsp, room, id) => room === "vip" && id === bob.id);
    assert.deepEqual(bobHeard, [["for vips"]], "bob heard the vip announcement only");

    // _disconnect: the socket sees the server disconnect it.
    const annId = ann.id;
    const annGone = next(ann, "disconnect");
    ui.socket.emit("_disconnect", "/", false, annId);
    assert.equal((await annGone)[0], "io server disconnect");
    const gone = await ui.waitFor("socket_disconnected", (nsp, id) => id === annId);
    assert.equal(gone[2], "server namespace disconnect");
    assert.equal(bob.connected, true);

    // Without a filter, every socket of the namespace; with `close`, the
    // connection too (the client is told first, as Node's does).
    const bobId = bob.id;
    const bobGone = next(bob, "disconnect");
    const bobClosed = next(bob.io.engine, "close");
    ui.socket.emit("_disconnect", "/", true);
    assert.equal((await bobGone)[0], "io server disconnect");
    await bobClosed;
    await ui.waitFor("socket_disconnected", (nsp, id) => id === bobId);
  });

  test("basic auth: refused without or with wrong credentials, a session after the right ones", async (t) => {
    const { url } = await useExample(t, "chat", {
      env: { ADMIN_UI: "1", ADMIN_UI_USER: "admin", ADMIN_UI_PASSWORD: PASSWORD_HASH },
    });
    for (const auth of [undefined, { username: "admin", password: "wrong" }, { username: "root", password: "s3cret" }, { sessionId: "0123456789abcdef" }]) {
      const refused = client(t, url, { nsp: "/admin", auth });
      const [error] = await next(refused, "connect_error");
      assert.equal(error.message, "invalid credentials", JSON.stringify(auth));
    }

    const ui = client(t, url, { nsp: "/admin", auth: { username: "admin", password: "s3cret" } });
    const seen = record(ui);
    await connection(ui, "admin with credentials");
    const [session] = await seen.waitFor("session");
    assert.match(session, /^[0-9a-f]{16}$/);
    const [config] = await seen.waitFor("config");
    assert.deepEqual(config.supportedFeatures, ALL_FEATURES);
    assert.equal(seen.seen[0].event, "session", "the session comes first");

    // The session id stands for the credentials from then on.
    const again = client(t, url, { nsp: "/admin", auth: { sessionId: session } });
    const againSeen = record(again);
    await connection(again, "admin with a session id");
    await againSeen.waitFor("config");
    assert.equal(againSeen.all("session").length, 0);
  });

  test("read-only: no actions offered, and those sent anyway do nothing", async (t) => {
    const { url } = await useExample(t, "chat", { env: { ADMIN_UI: "1", ADMIN_UI_READONLY: "1" } });
    const ann = await chatUser(t, url, "ann");
    let announced = false;
    ann.on("announcement", () => (announced = true));
    const ui = await adminUi(t, url);
    const [config] = await ui.waitFor("config");
    assert.deepEqual(config, { supportedFeatures: ["AGGREGATED_EVENTS", "ALL_EVENTS"] });
    await ui.waitFor("all_sockets");

    const from = ui.mark();
    ui.socket.emit("emit", "/", null, "announcement", "hello");
    ui.socket.emit("join", "/", "vip", ann.id);
    ui.socket.emit("_disconnect", "/", true);
    // Two stats later the actions were handled (or not) long ago.
    const [first] = await ui.waitFor("server_stats", () => true, { from });
    await ui.waitFor("server_stats", (stats) => stats !== first, { from });
    // A round trip: anything sent to ann before it would have arrived first.
    await within(ann.emitWithAck("join", "lobby"), "join lobby");
    assert.equal(ann.connected, true);
    assert.equal(announced, false);
    assert.equal(ui.all("room_joined").filter(([, room]) => room === "vip").length, 0);
  });

  test("production mode: stats and aggregated events only", async (t) => {
    const { url } = await useExample(t, "chat", { env: { ADMIN_UI: "1", ADMIN_UI_MODE: "production" } });
    const ui = await adminUi(t, url);
    const [config] = await ui.waitFor("config");
    assert.deepEqual(config, { supportedFeatures: ALL_FEATURES.filter((f) => f !== "ALL_EVENTS") });
    const ann = await chatUser(t, url, "ann");
    await within(ann.emitWithAck("join", "lobby"), "join lobby");
    const from = ui.mark();
    const [first] = await ui.waitFor("server_stats", () => true, { from });
    const [second] = await ui.waitFor("server_stats", (stats) => stats !== first, { from });
    assert.equal(second.namespaces.find((ns) => ns.name === "/").socketsCount, 1);
    const events = new Set(ui.seen.map((e) => e.event));
    assert.deepEqual([...events].sort(), ["config", "server_stats"]);
  });

  test("server id and namespace name options", async (t) => {
    const { url } = await useExample(t, "chat", {
      env: { ADMIN_UI: "1", ADMIN_UI_NAMESPACE: "/ops", ADMIN_UI_SERVER_ID: "node-7" },
    });
    const ui = client(t, url, { nsp: "/ops" });
    const seen = record(ui);
    await connection(ui, "admin on /ops");
    const [stats] = await seen.waitFor("server_stats");
    assert.equal(stats.serverId, "node-7");
    assert.ok(stats.namespaces.some((ns) => ns.name === "/ops"));
    const [error] = await next(client(t, url, { nsp: "/admin" }), "connect_error");
    assert.equal(error.message, "Invalid namespace");
  });

  test("two nodes in a Redis cluster: one UI sees both and acts on both", async (t) => {
    const prefix = `tether-admin-${randomBytes(6).toString("hex")}`;
    const node = (id) =>
      useExample(t, "chat", {
        env: { ADMIN_UI: "1", ADMIN_UI_SERVER_ID: id, REDIS_URL, REDIS_PREFIX: prefix },
      });
    const [a, b] = await Promise.all([node("node-a"), node("node-b")]);
    const onB = await chatUser(t, b.url, "bea");
    await within(onB.emitWithAck("join", "lobby"), "join lobby");

    // Node b's subscriptions may still be on their way: connect until it answers.
    const deadline = Date.now() + 10_000;
    let ui;
    let sockets;
    for (;;) {
      ui = await adminUi(t, a.url);
      [sockets] = await ui.waitFor("all_sockets");
      if (sockets.some((s) => s.id === onB.id) || Date.now() > deadline) break;
      ui.socket.disconnect();
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const bea = sockets.find((s) => s.id === onB.id);
    assert.ok(bea, `bea (node b) listed by node a: ${JSON.stringify(sockets)}`);
    assert.deepEqual(bea.rooms, [onB.id, "lobby"]);
    assert.equal(bea.transport, "websocket");
    assert.deepEqual(bea.data, { name: "bea" });

    await ui.waitFor("server_stats", (stats) => stats.serverId === "node-a", { what: "stats of node a" });
    await ui.waitFor("server_stats", (stats) => stats.serverId === "node-b", { what: "stats of node b" });

    const beaId = onB.id;
    const beaGone = next(onB, "disconnect");
    ui.socket.emit("_disconnect", "/", false, beaId);
    assert.equal((await beaGone)[0], "io server disconnect");
    await ui.waitFor("socket_disconnected", (nsp, id) => id === beaId, { what: "node b's disconnect seen from a" });
  });

  test("beside a Node.js node instrumented by @socket.io/admin-ui: each UI sees and acts on both", async (t) => {
    const prefix = `tether-admin-mixed-${randomBytes(6).toString("hex")}`;
    const [tether, node] = await Promise.all([
      useExample(t, "chat", {
        env: { ADMIN_UI: "1", ADMIN_UI_SERVER_ID: "tether-1", REDIS_URL, REDIS_PREFIX: prefix },
      }),
      nodeNode(t, prefix, {
        mode: "classic",
        name: "node-1",
        env: { ADMIN_UI: "1", ADMIN_UI_SERVER_ID: "node-1" },
      }),
    ]);
    const onTether = await chatUser(t, tether.url, "tia");
    const onNode = client(t, node.url);
    await connection(onNode, "the Node.js node's client");

    /** A UI on `url` whose `all_sockets` lists `id` (the other node may still be subscribing). */
    async function uiListing(url, id) {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const ui = await adminUi(t, url);
        const [sockets] = await ui.waitFor("all_sockets");
        const found = sockets.find((s) => s.id === id);
        if (found || Date.now() > deadline) return { ui, found, sockets };
        ui.socket.disconnect();
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }

    // tether's UI lists the Node.js node's socket with its data (the test
    // handlers replace `socket.data` whole, so Node's `_admin` fields are gone,
    // as Node's own UI would find them).
    const fromTether = await uiListing(tether.url, onNode.id);
    assert.ok(fromTether.found, `Node's socket listed by tether: ${JSON.stringify(fromTether.sockets)}`);
    assert.deepEqual(fromTether.found.data, { from: "node" });
    assert.deepEqual(fromTether.found.rooms, [onNode.id]);
    assert.equal(fromTether.found.handshake.query.EIO, "4");
    await fromTether.ui.waitFor("server_stats", (stats) => stats.serverId === "node-1", { what: "Node's stats on tether" });

    // Node's UI lists tether's socket the same way, and sees tether's stats.
    const fromNode = await uiListing(node.url, onTether.id);
    assert.ok(fromNode.found, `tether's socket listed by Node: ${JSON.stringify(fromNode.sockets)}`);
    assert.equal(fromNode.found.transport, "websocket");
    assert.equal(fromNode.found.clientId.length, 12);
    assert.deepEqual(fromNode.found.data, { name: "tia" });
    await fromNode.ui.waitFor("server_stats", (stats) => stats.serverId === "tether-1", { what: "tether's stats on Node" });

    // Each disconnects the other's socket.
    const nodeSocketId = onNode.id;
    const nodeSocketGone = next(onNode, "disconnect");
    fromTether.ui.socket.emit("_disconnect", "/", false, nodeSocketId);
    assert.equal((await nodeSocketGone)[0], "io server disconnect");
    await fromTether.ui.waitFor("socket_disconnected", (nsp, id) => id === nodeSocketId, { what: "Node's disconnect on tether" });

    const tetherSocketId = onTether.id;
    const tetherSocketGone = next(onTether, "disconnect");
    fromNode.ui.socket.emit("_disconnect", "/", false, tetherSocketId);
    assert.equal((await tetherSocketGone)[0], "io server disconnect");
    await fromNode.ui.waitFor("socket_disconnected", (nsp, id) => id === tetherSocketId, { what: "tether's disconnect on Node" });
  });
});
