// WebSocket permessage-deflate (Node's `perMessageDeflate`) through the
// `sio_fixture` example started with `PER_MESSAGE_DEFLATE=1`: socket.io-client in
// Node (whose `ws` offers the extension when asked to) over WebSocket and after an
// upgrade, the threshold, broadcasts shared with uncompressed sessions, the
// extension refused when off, and headless Chromium, which always offers it.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { createRequire } from "node:module";

import { io } from "socket.io-client";

import { useBrowser } from "../support/browser.mjs";
import { exampleForSuite, startExample } from "../support/server.mjs";
import { bytes } from "../support/sio.mjs";
import { PATIENCE_MS, next, until, within } from "../support/wait.mjs";

const MODES = [
  { name: "websocket only", transports: ["websocket"] },
  { name: "polling then upgrade", transports: ["polling", "websocket"] },
];

/**
 * Watches the frames the server sends on a client's WebSocket: `frames` lists
 * `{ compressed, opcode, length }` (RSV1 set, opcode, wire payload length).
 */
function watchFrames(ws) {
  const frames = [];
  let buffer = Buffer.alloc(0);
  ws._socket.on("data", (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      if (buffer.length < 2) return;
      let length = buffer[1] & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (buffer.length < 4) return;
        length = buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (buffer.length < 10) return;
        length = Number(buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (buffer.length < offset + length) return;
      frames.push({ compressed: (buffer[0] & 0x40) !== 0, opcode: buffer[0] & 0x0f, length });
      buffer = buffer.subarray(offset + length);
    }
  });
  return frames;
}

/** A connected client (upgraded when the mode polls first) and its frame watch. */
async function connect(t, url, mode, options = {}) {
  const socket = io(url, {
    transports: mode.transports,
    forceNew: true,
    reconnection: false,
    timeout: PATIENCE_MS,
    perMessageDeflate: true,
    ...options,
  });
  t.after(() => socket.disconnect());
  // The fixture's `welcome` is the last packet of the connection: once it is
  // in, the watch starts between two frames.
  const welcome = next(socket, "welcome");
  await next(socket, "connect");
  const engine = socket.io.engine;
  if (engine.transport.name !== "websocket") {
    await next(engine, "upgrade");
  }
  await welcome;
  const ws = engine.transport.ws;
  return { socket, ws, frames: watchFrames(ws) };
}

describe("permessage-deflate with socket.io-client", () => {
  let server;
  let plain;
  let legacy;
  before(async () => {
    [server, plain, legacy] = await Promise.all([
      startExample("sio_fixture", { env: { PER_MESSAGE_DEFLATE: "1" } }),
      startExample("sio_fixture"),
      startExample("sio_fixture", { env: { PER_MESSAGE_DEFLATE: "1", ALLOW_EIO3: "1" } }),
    ]);
  });
  after(() => Promise.all([server.stop(), plain.stop(), legacy.stop()]));

  for (const mode of MODES) {
    test(`negotiated, and both ways compressed (${mode.name})`, async (t) => {
      const { socket, ws, frames } = await connect(t, server.url, mode);
      assert.match(ws.extensions, /^permessage-deflate/);
      const text = "tether ".repeat(10_000);
      const blob = Buffer.alloc(20_000, 7);
      const [echoedText, echoedBlob] = await within(
        new Promise((resolve) => socket.emit("echo-ack", text, blob, (...reply) => resolve(reply))),
        "echo-ack",
      );
      assert.equal(echoedText, text);
      assert.deepEqual(bytes(echoedBlob), [...blob]);
      // The answer's packet and its attachment came compressed, far under their size.
      const data = frames.filter((frame) => frame.opcode === 1 || frame.opcode === 2);
      const big = data.slice(-2);
      assert.ok(big.every((frame) => frame.compressed), JSON.stringify(big));
      assert.ok(big.reduce((sum, frame) => sum + frame.length, 0) < 2_000, JSON.stringify(big));
    });

    test(`messages under the threshold go out uncompressed (${mode.name})`, async (t) => {
      const { socket, frames } = await connect(t, server.url, mode);
      const echoed = next(socket, "echo");
      socket.emit("echo", "small");
      await echoed;
      const last = frames.filter((frame) => frame.opcode === 1).at(-1);
      assert.equal(last.compressed, false);
      const large = next(socket, "echo");
      socket.emit("echo", "large ".repeat(400));
      await large;
      assert.equal(frames.filter((frame) => frame.opcode === 1).at(-1).compressed, true);
    });
  }

  test("a broadcast reaches compressed and plain sessions alike", async (t) => {
    const nsp = `/room-${randomUUID()}`;
    const mode = MODES[0];
    const squeezed = await connect(t, server.url + nsp, mode);
    const uncompressed = await connect(t, server.url + nsp, mode, { perMessageDeflate: false });
    assert.match(squeezed.ws.extensions, /^permessage-deflate/);
    assert.equal(uncompressed.ws.extensions, "");
    const payload = { text: "fan-out ".repeat(2_000), blob: Buffer.alloc(5_000, 1) };
    const got = [next(squeezed.socket, "msg"), next(uncompressed.socket, "msg")];
    const done = [next(squeezed.socket, "sentinel"), next(uncompressed.socket, "sentinel")];
    await squeezed.socket.emitWithAck("broadcast", { via: "io", event: "msg", data: payload, tag: "t" });
    for (const [value] of await Promise.all(got)) {
      assert.equal(value.text, payload.text);
      assert.deepEqual(bytes(value.blob), [...payload.blob]);
    }
    await Promise.all(done);
    const largest = (frames) => frames.reduce((max, frame) => (frame.length > max.length ? frame : max));
    assert.equal(largest(squeezed.frames).compressed, true);
    assert.ok(largest(squeezed.frames).length < 1_000, JSON.stringify(largest(squeezed.frames)));
    assert.equal(largest(uncompressed.frames).compressed, false);
    assert.ok(largest(uncompressed.frames).length > 16_000);
  });

  test("a socket.io-client 2.x (Engine.IO v3) session is compressed too", async (t) => {
    const ioV2 = createRequire(import.meta.url)("socket.io-client-v2");
    for (const transports of [["websocket"], ["polling", "websocket"]]) {
      const socket = ioV2(legacy.url, { transports, forceNew: true, reconnection: false });
      t.after(() => socket.close());
      await next(socket, "connect");
      if (socket.io.engine.transport.name !== "websocket") {
        await next(socket.io.engine, "upgrade");
      }
      // engine.io-client 3 offers the extension by default.
      assert.match(socket.io.engine.transport.ws.extensions, /permessage-deflate/);
      const text = "legacy ".repeat(3_000);
      const reply = await within(
        new Promise((resolve) => socket.emit("echo-ack", text, Buffer.alloc(4_000, 5), (...args) => resolve(args))),
        "echo-ack",
      );
      assert.equal(reply[0], text);
      assert.deepEqual(bytes(reply[1]), [...Buffer.alloc(4_000, 5)]);
    }
  });

  test("a server without the option does not negotiate it", async (t) => {
    const { socket, ws } = await connect(t, plain.url, MODES[0]);
    assert.equal(ws.extensions, "");
    assert.equal(await socket.emitWithAck("echo-ack", "plain"), "plain");
  });

  test("an upgrade to a compressed WebSocket is announced as any other (the Admin UI sees it)", async (t) => {
    const observed = await startExample("sio_fixture", {
      env: { PER_MESSAGE_DEFLATE: "1", ADMIN_UI: "1", ADMIN_UI_NAMESPACE: "/ops" },
    });
    t.after(() => observed.stop());
    const admin = io(`${observed.url}/ops`, { forceNew: true, reconnection: false, timeout: PATIENCE_MS });
    t.after(() => admin.disconnect());
    const updates = [];
    admin.on("socket_updated", (update) => updates.push(update));
    await next(admin, "connect");
    const { socket, ws } = await connect(t, observed.url, MODES[1]);
    assert.match(ws.extensions, /^permessage-deflate/);
    await until(
      () => updates.some((update) => update.id === socket.id && update.transport === "websocket"),
      "the Admin UI's transport update",
    );
  });
});

describe("permessage-deflate with headless Chromium", () => {
  const browser = useBrowser();
  const server = exampleForSuite("sio_fixture", { env: { PER_MESSAGE_DEFLATE: "1" } });

  const clientScript = path.resolve(
    path.dirname(fileURLToPath(import.meta.url)),
    "../node_modules/socket.io-client/dist/socket.io.min.js",
  );

  for (const mode of MODES) {
    test(`the browser's offer is taken (${mode.name})`, async (t) => {
      const context = await browser().newContext();
      t.after(() => context.close());
      const page = await context.newPage();
      const sockets = [];
      page.on("websocket", (ws) => sockets.push(ws.url()));
      await page.goto(`${server.url}/socket.io/?EIO=4&transport=polling&t=blank`).catch(() => {});
      await page.addScriptTag({ path: clientScript });
      const result = await page.evaluate(
        async ({ url, transports, patience }) => {
          const socket = io(url, { transports, reconnection: false });
          const wait = (emitter, event) =>
            new Promise((resolve, reject) => {
              const timer = setTimeout(() => reject(new Error(`no ${event}`)), patience);
              emitter.once(event, (...args) => {
                clearTimeout(timer);
                resolve(args);
              });
            });
          await wait(socket, "connect");
          if (socket.io.engine.transport.name !== "websocket") {
            await wait(socket.io.engine, "upgrade");
          }
          const text = "browser ".repeat(5_000);
          const blob = new Uint8Array(10_000).fill(3);
          const [echoedText, echoedBlob] = await new Promise((resolve) =>
            socket.emit("echo-ack", text, blob, (...reply) => resolve(reply)),
          );
          const extensions = socket.io.engine.transport.ws.extensions;
          socket.disconnect();
          return {
            extensions,
            textOk: echoedText === text,
            blob: [echoedBlob.byteLength, new Uint8Array(echoedBlob).every((byte) => byte === 3)],
          };
        },
        { url: server.url, transports: mode.transports, patience: PATIENCE_MS },
      );
      assert.match(result.extensions, /^permessage-deflate/);
      assert.equal(result.textOk, true);
      assert.deepEqual(result.blob, [10_000, true]);
      assert.ok(sockets.length > 0);
    });
  }
});
