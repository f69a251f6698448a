// Connecting the official socket.io-client to the `sio_fixture` example, over each
// transport setup, and observing what the server reports.

import assert from "node:assert/strict";

import { io } from "socket.io-client";

import { next, within, PATIENCE_MS } from "./wait.mjs";

/** The transport setups every behaviour is checked over. */
export const MODES = [
  { name: "websocket only", transports: ["websocket"], upgraded: false },
  { name: "polling only", transports: ["polling"], upgraded: false },
  { name: "polling then upgrade", transports: ["polling", "websocket"], upgraded: true },
];

/**
 * A new client socket (its own connection) for `nsp` on `url`, closed when the
 * test `t` ends. Reconnection is off unless asked for. `open` is the client's
 * `io` function: socket.io-client 4's unless another (such as 2.x's) is given.
 */
export function client(t, url, mode, { nsp = "/", open = io, ...options } = {}) {
  const socket = open(`${url}${nsp}`, {
    transports: mode.transports,
    forceNew: true,
    reconnection: false,
    timeout: PATIENCE_MS,
    ...options,
  });
  t.after(() => socket.disconnect());
  return socket;
}

/** Resolves once the socket's connection runs over WebSocket. */
export async function upgraded(socket) {
  const engine = socket.io.engine;
  if (engine.transport.name !== "websocket") {
    await next(engine, "upgrade");
  }
  assert.equal(engine.transport.name, "websocket");
}

/**
 * A connected client socket; in the upgrade setup, also waits for the upgrade, so
 * that the test runs over the upgraded connection. Resolves with the socket and
 * the `welcome` the server sent.
 */
export async function connect(t, url, mode, options) {
  const socket = client(t, url, mode, options);
  const welcome = next(socket, "welcome");
  await connected(socket);
  if (mode.upgraded) {
    await upgraded(socket);
  }
  assert.equal(socket.io.engine.transport.name, mode.upgraded ? "websocket" : mode.transports[0]);
  const [info] = await welcome;
  assert.equal(info.id, socket.id);
  return { socket, welcome: info };
}

/** Resolves on `connect`, rejects on `connect_error`; `what` names the wait in a timeout. */
export function connected(socket, what = "connect") {
  const outcome = new Promise((resolve, reject) => {
    const cleanup = () => {
      socket.off("connect", onConnect);
      socket.off("connect_error", onError);
    };
    const onConnect = () => {
      cleanup();
      resolve();
    };
    const onError = (error) => {
      cleanup();
      reject(new Error(`connect_error: ${error.message} ${JSON.stringify(error.data)}`));
    };
    socket.on("connect", onConnect);
    socket.on("connect_error", onError);
  });
  return within(outcome, what);
}

/** The `connect_error` a connection attempt ends with. */
export async function refusal(t, url, mode, options) {
  const socket = client(t, url, mode, options);
  socket.on("connect", () => assert.fail("the connection should be refused"));
  const [error] = await next(socket, "connect_error");
  return error;
}

/**
 * An observer of the fixture's `/observer` namespace: `disconnect(id)` resolves
 * with the reason the server gave when the socket `id` left.
 */
export async function observer(t, url) {
  const socket = client(t, url, MODES[0], { nsp: "/observer" });
  const reasons = new Map();
  const waiting = new Map();
  socket.on("disconnected", ({ id, reason }) => {
    reasons.set(id, reason);
    waiting.get(id)?.(reason);
  });
  await next(socket, "connect");
  return {
    disconnect(id) {
      if (reasons.has(id)) {
        return Promise.resolve(reasons.get(id));
      }
      return within(new Promise((resolve) => waiting.set(id, resolve)), `disconnect of ${id}`);
    },
  };
}

/**
 * The sio_fixture's `upload` and the `download` it answers with: nested binary
 * sent (a Buffer, a Uint8Array, an ArrayBuffer) comes back reversed, upper-cased
 * and re-nested, with a binary tail.
 */
export async function uploadAndDownload(socket) {
  const download = next(socket, "download");
  const sizes = await socket.emitWithAck("upload", {
    name: "pic",
    file: Buffer.from([1, 2, 3, 4]),
    parts: [Uint8Array.from([5]), new TextEncoder().encode("six").buffer],
  });
  assert.deepEqual(sizes, { name: "pic", file: 4, parts: [1, 3] });
  const [received, tail] = await download;
  assert.equal(received.name, "PIC");
  assert.deepEqual(bytes(received.file), [4, 3, 2, 1]);
  assert.equal(received.nested.count, 2);
  assert.deepEqual(received.nested.parts.map(bytes), [[...Buffer.from("six")], [5]]);
  assert.deepEqual(bytes(tail), [...Buffer.from("tail")]);
}

/** The bytes of a Buffer, ArrayBuffer or typed array, as an array of numbers. */
export function bytes(data) {
  assert.ok(
    data instanceof ArrayBuffer || ArrayBuffer.isView(data),
    `expected binary data, got ${JSON.stringify(data)}`,
  );
  const view = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return [...view];
}
