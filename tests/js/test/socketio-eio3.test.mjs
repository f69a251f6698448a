// Legacy clients: socket.io-client 2.5 (Engine.IO v3, Socket.IO v4 protocol)
// against the `sio_fixture` example started with `ALLOW_EIO3=1`, over each
// transport setup: the implicit connection to `/`, namespaces with auth in their
// query, refusals as v2 `error` events, events and acks both ways with binary,
// rooms, and the v3 heartbeat (the client pings). Then the wire itself, with
// plain HTTP: the refusal without `ALLOW_EIO3`, `<length>:<packet>` payloads,
// binary POST payloads, and the close of a client that stops pinging.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { after, before, describe, test } from "node:test";

import { exampleForSuite, startExample } from "../support/server.mjs";
import { MODES, bytes, client as sioClient } from "../support/sio.mjs";
import { PATIENCE_MS, next, sleep, within } from "../support/wait.mjs";

const require = createRequire(import.meta.url);
const ioV2 = require("socket.io-client-v2");

/** A 2.x client socket of its own connection, closed when the test ends. */
function client(t, url, mode, options = {}) {
  return sioClient(t, url, mode, { open: ioV2, ...options });
}

/** A connected 2.x socket (upgraded in the upgrade setup) and its `welcome`. */
async function connect(t, url, mode, options) {
  const socket = client(t, url, mode, options);
  const welcome = next(socket, "welcome");
  const failed = new Promise((_, reject) => {
    socket.on("error", (error) => reject(new Error(`error: ${JSON.stringify(error)}`)));
    socket.on("connect_error", (error) => reject(new Error(`connect_error: ${error}`)));
  });
  await within(Promise.race([next(socket, "connect"), failed]), "connect");
  const engine = socket.io.engine;
  if (mode.upgraded && engine.transport.name !== "websocket") {
    await next(engine, "upgrade");
  }
  assert.equal(engine.transport.name, mode.upgraded ? "websocket" : mode.transports[0]);
  const [info] = await welcome;
  return { socket, welcome: info, engineId: engine.id };
}

/** Emits with an acknowledgement and resolves with its arguments. */
function ask(socket, ...args) {
  return within(new Promise((resolve) => socket.emit(...args, (...reply) => resolve(reply))), `ack of ${args[0]}`);
}

for (const mode of MODES) {
  describe(`socket.io-client 2.x (${mode.name})`, () => {
    const server = exampleForSuite("sio_fixture", { env: { ALLOW_EIO3: "1" } });

    test("joins / without asking; the socket id is the connection's", async (t) => {
      const { socket, welcome, engineId } = await connect(t, server.url, mode);
      assert.equal(socket.id, engineId);
      assert.equal(welcome.id, engineId);
      assert.equal(welcome.ns, "/");
      assert.deepEqual(welcome.auth, {});
    });

    test("a namespace gets the auth of its query; ids are <nsp>#<connection id>", async (t) => {
      const { socket, welcome, engineId } = await connect(t, server.url, mode, {
        nsp: "/admin",
        query: { token: "secret" },
      });
      assert.equal(socket.nsp, "/admin");
      assert.equal(welcome.ns, "/admin");
      assert.deepEqual(welcome.auth, { token: "secret" });
      // The 2.x client derives `/admin#<id>`; the server's id is the connection id.
      assert.equal(socket.id, `/admin#${engineId}`);
      assert.equal(welcome.id, engineId);
      const [whoami] = await ask(socket, "whoami");
      assert.equal(whoami.id, engineId);
      assert.equal(whoami.ns, "/admin");
    });

    test("refusals arrive as v2 error events", async (t) => {
      const refused = client(t, server.url, mode, { nsp: "/admin" });
      refused.on("connect", () => assert.fail("/admin without a token must be refused"));
      const [error] = await next(refused, "error");
      assert.deepEqual(error, { code: 4001 });

      const unknown = client(t, server.url, mode, { nsp: "/no-such-namespace" });
      unknown.on("connect", () => assert.fail("an unknown namespace must be refused"));
      const [invalid] = await next(unknown, "error");
      assert.deepEqual(invalid, { message: "Invalid namespace" });
    });

    test("events and acks both ways, binary included", async (t) => {
      const { socket } = await connect(t, server.url, mode);
      const echoed = next(socket, "echo");
      socket.emit("echo", "text", Buffer.from([0, 1, 255]), { nested: Buffer.from([7]) });
      const [text, buffer, nested] = await echoed;
      assert.equal(text, "text");
      assert.deepEqual(bytes(buffer), [0, 1, 255]);
      assert.deepEqual(bytes(nested.nested), [7]);

      const [word, blob] = await ask(socket, "echo-ack", "hé €", Buffer.from([1, 2, 3]));
      assert.equal(word, "hé €");
      assert.deepEqual(bytes(blob), [1, 2, 3]);

      // The server asks, the client answers with binary.
      socket.on("question", (value, answer) => answer(`${value}!`, Buffer.from([9, 9])));
      const [outcome] = await ask(socket, "ask", { event: "question", data: ["why"], timeout: PATIENCE_MS });
      assert.equal(outcome.ok[0], "why!");
      assert.deepEqual(bytes(outcome.ok[1]), [9, 9]);

      // Several attachments in one packet, both ways.
      const download = next(socket, "download");
      const [receipt] = await ask(socket, "upload", {
        name: "notes",
        file: Buffer.from([1, 2, 3, 4]),
        parts: [Buffer.from([5]), Buffer.from([6, 7])],
      });
      assert.deepEqual(receipt, { name: "notes", file: 4, parts: [1, 2] });
      const [file, tail] = await download;
      assert.equal(file.name, "NOTES");
      assert.deepEqual(bytes(file.file), [4, 3, 2, 1]);
      assert.deepEqual(file.nested.parts.map(bytes), [[6, 7], [5]]);
      assert.deepEqual(bytes(tail), [...Buffer.from("tail")]);
    });

    test("rooms", async (t) => {
      const nsp = `/room-${randomUUID()}`;
      const red = await connect(t, server.url, mode, { nsp });
      const none = await connect(t, server.url, mode, { nsp });
      const [rooms] = await ask(red.socket, "join", "red");
      assert.deepEqual(rooms, [red.engineId, "red"]);
      const got = { red: [], none: [] };
      red.socket.on("msg", (value) => got.red.push(value));
      none.socket.on("msg", (value) => got.none.push(value));
      const sentinels = [next(red.socket, "sentinel"), next(none.socket, "sentinel")];
      await ask(none.socket, "broadcast", { via: "io", to: ["red"], event: "msg", data: "to red", tag: "t1" });
      await Promise.all(sentinels);
      assert.deepEqual(got, { red: ["to red"], none: [] });
      // A room named by a socket id reaches that socket.
      const direct = [next(red.socket, "sentinel"), next(none.socket, "sentinel")];
      await ask(red.socket, "broadcast", { via: "io", to: [none.engineId], event: "msg", data: Buffer.from([3]), tag: "t2" });
      await Promise.all(direct);
      assert.equal(got.red.length, 1);
      assert.deepEqual(got.none.map(bytes), [[3]]);
    });
  });
}

describe("socket.io-client 2.x heartbeat", () => {
  let server;
  before(async () => {
    server = await startExample("sio_fixture", {
      env: { ALLOW_EIO3: "1", PING_INTERVAL_MS: "150", PING_TIMEOUT_MS: "250" },
    });
  });
  after(() => server.stop());

  for (const mode of MODES) {
    test(`the client pings and the server answers (${mode.name})`, async (t) => {
      const { socket } = await connect(t, server.url, mode);
      let pongs = 0;
      socket.io.on("pong", () => pongs++);
      let disconnected = null;
      socket.on("disconnect", (reason) => {
        disconnected = reason;
      });
      // Six intervals: without answers the client would give up after one.
      await sleep(900);
      assert.equal(disconnected, null);
      assert.ok(pongs >= 3, `${pongs} pongs`);
      const [word] = await ask(socket, "echo-ack", "still here");
      assert.equal(word, "still here");
    });
  }
});

/** Splits a v3 text payload into its packets, checking each length (UTF-16 units). */
function packets(payload) {
  const out = [];
  let rest = payload;
  while (rest.length > 0) {
    const colon = rest.indexOf(":");
    assert.ok(colon > 0, `no length in ${JSON.stringify(rest)}`);
    const length = Number(rest.slice(0, colon));
    out.push(rest.slice(colon + 1, colon + 1 + length));
    rest = rest.slice(colon + 1 + length);
  }
  return out;
}

describe("Engine.IO v3 on the wire", () => {
  let server;
  let refusing;
  before(async () => {
    [server, refusing] = await Promise.all([
      startExample("sio_fixture", {
        env: { ALLOW_EIO3: "1", PING_INTERVAL_MS: "300", PING_TIMEOUT_MS: "300", HTTP_COMPRESSION: "off" },
      }),
      startExample("sio_fixture"),
    ]);
  });
  after(() => Promise.all([server.stop(), refusing.stop()]));

  async function open(url = server.url) {
    const response = await fetch(`${url}/socket.io/?EIO=3&transport=polling`);
    assert.equal(response.status, 200);
    const [openPacket, ...restPackets] = packets(await response.text());
    assert.equal(openPacket[0], "0");
    const handshake = JSON.parse(openPacket.slice(1));
    const base = `${url}/socket.io/?EIO=3&transport=polling&sid=${handshake.sid}`;
    // The implicit CONNECT and the fixture's `welcome` follow, in this GET or later ones.
    const received = [...restPackets];
    while (!received.some((packet) => packet.startsWith('42["welcome"'))) {
      received.push(...packets(await get(base)));
    }
    return { handshake, base, received };
  }

  async function get(base) {
    const response = await fetch(base);
    assert.equal(response.status, 200);
    return response.text();
  }

  async function post(base, body, type = "text/plain;charset=UTF-8") {
    const response = await fetch(base, { method: "POST", body, headers: { "content-type": type } });
    return response;
  }

  test("without ALLOW_EIO3 an EIO=3 request is refused with code 5", async () => {
    const response = await fetch(`${refusing.url}/socket.io/?EIO=3&transport=polling`);
    assert.equal(response.status, 400);
    assert.deepEqual(await response.json(), { code: 5, message: "Unsupported protocol version" });
  });

  test("open, the implicit CONNECT, ping and pong, framed as <length>:<packet>", async () => {
    const { handshake, base, received } = await open();
    assert.deepEqual(Object.keys(handshake), ["sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"]);
    assert.deepEqual(handshake.upgrades, ["websocket"]);
    assert.deepEqual(received, ["40", `42["welcome",{"id":"${handshake.sid}","ns":"/","auth":{},"tag":null}]`]);
    const answered = await post(base, "1:2");
    assert.equal(await answered.text(), "ok");
    assert.equal(await get(base), "1:3");
    // An event with non-ASCII text: the lengths count UTF-16 units.
    await post(base, `${'42["echo","€😀"]'.length}:42["echo","€😀"]`);
    assert.deepEqual(packets(await get(base)), ['42["echo","€😀"]']);
  });

  test("a binary POST payload, and binary back as b4<base64>", async () => {
    const { base } = await open();
    const event = Buffer.from('451-["echo",{"_placeholder":true,"num":0}]');
    const digits = (n) => [...String(n)].map(Number);
    const body = Buffer.concat([
      Buffer.from([0, ...digits(event.length), 0xff]),
      event,
      Buffer.from([1, ...digits(4), 0xff, 4, 1, 2, 3]),
    ]);
    const answered = await post(base, body, "application/octet-stream");
    assert.equal(await answered.text(), "ok");
    assert.deepEqual(packets(await get(base)), ['451-["echo",{"_placeholder":true,"num":0}]', "b4AQID"]);
  });

  test("a client that stops pinging is closed after pingInterval + pingTimeout", async () => {
    const { base } = await open();
    const started = Date.now();
    // The server never pings a v3 client: this GET waits until the session ends.
    assert.equal(await get(base), "1:1");
    assert.ok(Date.now() - started >= 400, `closed after ${Date.now() - started} ms`);
    const response = await fetch(base);
    assert.equal(response.status, 400);
  });

  test("a pong from a v3 client is a protocol error", async () => {
    const { base } = await open();
    await post(base, "1:3");
    const response = await fetch(base);
    const closed = response.status === 400 || (await response.text()) === "1:1";
    assert.ok(closed, "the session should be closed");
  });
});
