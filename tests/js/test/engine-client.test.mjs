// The official engine.io-client against tether's conformance example: text and
// binary over websocket-only, polling-only and polling-then-upgrade, a burst of
// messages during the upgrade, and closing from either side.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { Socket } from "engine.io-client";

import { useExample } from "../support/server.mjs";
import { collect, next, sleep, within, PATIENCE_MS } from "../support/wait.mjs";

const PATH = "/engine.io/";

/** Opens an engine.io-client socket with `transports`; it is closed after the test. */
function connect(t, url, transports) {
  const socket = new Socket(url, { path: PATH, transports });
  t.after(() => socket.close());
  return socket;
}

function asBytes(data) {
  assert.notEqual(typeof data, "string", "expected a binary message");
  return [...new Uint8Array(data instanceof ArrayBuffer ? data : data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength))];
}

/** Sends text, Unicode text and binary, and checks each comes back unchanged. */
async function assertEchoes(socket) {
  for (const text of ["hello tether", "h\u00e9llo \u20ac \u{1f600}", "{\"json\":[1,2]}"]) {
    const echoed = next(socket, "message");
    socket.send(text);
    const [data] = await echoed;
    assert.equal(data, text);
  }
  for (const bytes of [[1, 2, 3, 4], [0, 255], []]) {
    const echoed = next(socket, "message");
    socket.send(Uint8Array.from(bytes));
    const [data] = await echoed;
    assert.deepEqual(asBytes(data), bytes);
  }
}

/** Asks the server directly whether it still knows session `sid`. */
async function sessionState(url, sid) {
  const response = await fetch(`${url}${PATH}?EIO=4&transport=polling&sid=${sid}`);
  const body = await response.text();
  return { status: response.status, body };
}

/** Waits until the server reports session `sid` as unknown. */
async function assertSessionGone(url, sid) {
  const deadline = Date.now() + PATIENCE_MS;
  let last;
  while (Date.now() < deadline) {
    last = await sessionState(url, sid);
    if (last.status === 400 && last.body === '{"code":1,"message":"Session ID unknown"}') {
      return;
    }
    await sleep(50);
  }
  assert.fail(`session ${sid} still known to the server: ${JSON.stringify(last)}`);
}

describe("engine.io-client exchanges text and binary", () => {
  test("over WebSocket only", async (t) => {
    const server = await useExample(t, "conformance");
    const socket = connect(t, server.url, ["websocket"]);
    await next(socket, "open");
    assert.equal(socket.transport.name, "websocket");
    assert.equal(socket.id.length, 20);
    await assertEchoes(socket);
    assert.equal(socket.transport.name, "websocket");
  });

  test("over HTTP long-polling only", async (t) => {
    const server = await useExample(t, "conformance");
    const socket = connect(t, server.url, ["polling"]);
    await next(socket, "open");
    assert.equal(socket.transport.name, "polling");
    await assertEchoes(socket);
    // Long enough for several heartbeats (300 ms + 200 ms) over polling.
    await sleep(1_200);
    assert.equal(socket.readyState, "open");
    await assertEchoes(socket);
    assert.equal(socket.transport.name, "polling");
  });

  test("over polling, then WebSocket after the upgrade", async (t) => {
    const server = await useExample(t, "conformance");
    const socket = connect(t, server.url, ["polling", "websocket"]);
    const upgraded = next(socket, "upgrade");
    await next(socket, "open");
    assert.equal(socket.transport.name, "polling");
    await assertEchoes(socket);
    const [transport] = await upgraded;
    assert.equal(transport.name, "websocket");
    assert.equal(socket.transport.name, "websocket");
    await assertEchoes(socket);
    await sleep(1_200);
    assert.equal(socket.readyState, "open", "the heartbeat goes on over WebSocket");
  });
});

test("1,000 messages sent during the upgrade arrive complete and in order", async (t) => {
  const server = await useExample(t, "conformance");
  const socket = connect(t, server.url, ["polling", "websocket"]);
  const message = (i) => (i % 10 === 0 ? Uint8Array.from([i >> 8, i & 0xff]) : `message ${i}`);
  const describeMessage = (data) => (typeof data === "string" ? data : `binary ${asBytes(data).join(",")}`);
  const expected = Array.from({ length: 1_000 }, (_, i) => describeMessage(message(i)));

  const received = collect(socket, "message", 1_000);
  const upgraded = next(socket, "upgrade");
  let sentWhileUpgrading = 0;
  // The first half goes out over polling while the WebSocket is being probed...
  socket.once("open", () => {
    assert.equal(socket.transport.name, "polling");
    for (let i = 0; i < 500; i++) {
      socket.send(message(i));
    }
  });
  // ...the second half while the client has paused polling to switch over.
  socket.once("upgrading", () => {
    for (let i = 500; i < 1_000; i++) {
      if (socket.upgrading) {
        sentWhileUpgrading++;
      }
      socket.send(message(i));
    }
  });

  const [transport] = await upgraded;
  assert.equal(transport.name, "websocket");
  assert.equal(sentWhileUpgrading, 500, "the second half was sent mid-upgrade");
  const messages = (await received).map(describeMessage);
  assert.equal(messages.length, 1_000);
  assert.deepEqual(messages, expected);
  assert.equal(socket.transport.name, "websocket");
});

describe("the client closes the session", () => {
  for (const transports of [["polling"], ["websocket"], ["polling", "websocket"]]) {
    test(`over ${transports.join(" then ")}`, async (t) => {
      const server = await useExample(t, "conformance");
      const socket = connect(t, server.url, transports);
      await next(socket, "open");
      if (transports.length > 1) {
        await next(socket, "upgrade");
      }
      const sid = socket.id;
      const closed = next(socket, "close");
      socket.close();
      const [reason] = await closed;
      assert.equal(reason, "forced close");
      await assertSessionGone(server.url, sid);
    });
  }
});

describe("the server closes the session", () => {
  test("over polling: the client reads the close packet", async (t) => {
    const server = await useExample(t, "conformance");
    const socket = connect(t, server.url, ["polling"]);
    await next(socket, "open");
    const closed = next(socket, "close");
    await server.stop();
    const [reason, details] = await closed;
    assert.equal(reason, "transport close");
    assert.equal(details.description, "transport closed by the server");
    const { code } = await within(server.exited, "server exit");
    assert.equal(code, 0, `server output:\n${server.output()}`);
  });

  for (const transports of [["websocket"], ["polling", "websocket"]]) {
    test(`over ${transports.join(" then ")}: a normal WebSocket close`, async (t) => {
      const server = await useExample(t, "conformance");
      const socket = connect(t, server.url, transports);
      await next(socket, "open");
      if (transports.length > 1) {
        await next(socket, "upgrade");
      }
      // The client reports the upgrade when it sends `5`; an echo over the
      // WebSocket shows the server has switched too.
      const echoed = next(socket, "message");
      socket.send("switched");
      assert.deepEqual(await echoed, ["switched"]);
      const closed = next(socket, "close");
      await server.stop();
      const [reason, details] = await closed;
      assert.equal(reason, "transport close");
      assert.equal(details.context.code, 1000, "close code");
      const { code } = await within(server.exited, "server exit");
      assert.equal(code, 0, `server output:\n${server.output()}`);
    });
  }
});
