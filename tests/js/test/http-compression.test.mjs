// HTTP compression of polling replies (Node's `httpCompression`): socket.io-client
// on its fetch-based polling transport, whose fetch asks for gzip and deflate and
// inflates what comes back, exchanging large payloads with the `sio_fixture`
// example; the reply headers are read where that fetch sees them. Also checked
// against Node.js socket.io itself, so both servers answer a raw request alike.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { createServer } from "node:http";

import { Fetch } from "engine.io-client";
import { Server } from "socket.io";
import { io } from "socket.io-client";

import { useExample } from "../support/server.mjs";
import { connected } from "../support/sio.mjs";
import { next, within, PATIENCE_MS } from "../support/wait.mjs";

/**
 * Runs `body` with the global fetch wrapped to record each polling GET reply's
 * `Content-Encoding` (empty string when none) and body size as sent.
 */
async function recordingFetch(t) {
  const original = globalThis.fetch;
  const replies = [];
  globalThis.fetch = async (url, init) => {
    const response = await original(url, init);
    if ((init?.method ?? "GET") === "GET" && String(url).includes("sid=")) {
      replies.push({
        encoding: response.headers.get("content-encoding") ?? "",
        length: Number(response.headers.get("content-length") ?? -1),
        vary: response.headers.get("vary"),
      });
    }
    return response;
  };
  t.after(() => (globalThis.fetch = original));
  return replies;
}

/** A connected socket.io-client on the fetch polling transport. */
async function fetchClient(t, url, extraHeaders = {}) {
  const socket = io(url, {
    transports: [Fetch],
    forceNew: true,
    reconnection: false,
    timeout: PATIENCE_MS,
    extraHeaders,
  });
  t.after(() => socket.disconnect());
  await connected(socket, "connect");
  return socket;
}

/** Node.js socket.io with its defaults, echoing `echo` back as `echo`, for the test `t`. */
async function nodeEchoServer(t) {
  const http = createServer();
  const server = new Server(http);
  server.on("connection", (socket) => socket.on("echo", (...args) => socket.emit("echo", ...args)));
  await new Promise((resolve) => http.listen(0, "127.0.0.1", resolve));
  t.after(() => server.close());
  return { url: `http://127.0.0.1:${http.address().port}` };
}

/** A string of `size` characters that compresses well but is not all one letter. */
function text(size) {
  return Array.from({ length: size }, (_, i) => "tether "[i % 7]).join("");
}

describe("HTTP compression of polling replies", () => {
  test("large replies come gzipped, and arrive intact", async (t) => {
    const server = await useExample(t, "sio_fixture");
    const replies = await recordingFetch(t);
    const socket = await fetchClient(t, server.url);
    const big = text(200_000);
    const bytes = Buffer.from(Array.from({ length: 5_000 }, (_, i) => i % 251));
    const echo = next(socket, "echo");
    socket.emit("echo", big, bytes);
    const [echoed, echoedBytes] = await echo;
    assert.ok(echoed === big, "the text came back intact");
    assert.ok(Buffer.from(echoedBytes).equals(bytes), "the bytes came back intact");

    const gzipped = replies.filter((reply) => reply.encoding === "gzip");
    assert.ok(gzipped.length >= 1, `a gzipped reply among ${JSON.stringify(replies)}`);
    assert.ok(
      gzipped.some((reply) => reply.length > 0 && reply.length < 20_000),
      `the 200 kB reply went out compressed: ${JSON.stringify(gzipped)}`,
    );
    assert.ok(
      replies.some((reply) => reply.encoding === ""),
      "replies under the threshold (the connect answer) go out as they are",
    );
  });

  test("a client that accepts only deflate gets deflate", async (t) => {
    const server = await useExample(t, "sio_fixture");
    const replies = await recordingFetch(t);
    const socket = await fetchClient(t, server.url, { "accept-encoding": "deflate" });
    const big = text(50_000);
    const echoed = await within(socket.emitWithAck("echo-ack", big), "echo");
    assert.ok(echoed === big, "the text came back intact");
    assert.ok(replies.some((reply) => reply.encoding === "deflate"), JSON.stringify(replies));
    assert.ok(!replies.some((reply) => reply.encoding === "gzip"), JSON.stringify(replies));
  });

  test("the threshold and the off switch are obeyed", async (t) => {
    const off = await useExample(t, "sio_fixture", { env: { HTTP_COMPRESSION: "off" } });
    const everything = await useExample(t, "sio_fixture", {
      env: { HTTP_COMPRESSION_THRESHOLD: "0" },
    });
    const replies = await recordingFetch(t);

    const plain = await fetchClient(t, off.url);
    const echoed = await within(plain.emitWithAck("echo-ack", text(50_000)), "echo");
    assert.equal(echoed.length, 50_000);
    assert.ok(replies.length > 0 && replies.every((reply) => reply.encoding === ""), JSON.stringify(replies));

    replies.length = 0;
    const small = await fetchClient(t, everything.url);
    await within(small.emitWithAck("echo-ack", "hi"), "echo");
    assert.ok(replies.length > 0 && replies.every((reply) => reply.encoding === "gzip"), JSON.stringify(replies));
  });

  test("tether answers a raw request as Node.js socket.io does", async (t) => {
    const tether = await useExample(t, "sio_fixture");
    const node = await nodeEchoServer(t);
    for (const { name, url } of [
      { name: "tether", url: tether.url },
      { name: "node", url: node.url },
    ]) {
      const base = `${url}/socket.io/?EIO=4&transport=polling`;
      const open = await fetch(base);
      const { sid } = JSON.parse((await open.text()).slice(1));
      const join = await fetch(`${base}&sid=${sid}`, { method: "POST", body: "40" });
      assert.equal(await join.text(), "ok");
      assert.equal(join.headers.get("content-encoding"), null, `${name}: POST replies are never compressed`);
      const connected = await fetch(`${base}&sid=${sid}`, { headers: { "accept-encoding": "gzip" } });
      assert.equal(connected.headers.get("content-encoding"), null, `${name}: a small reply is not compressed`);
      assert.match(await connected.text(), /^40/);
      const big = text(5_000);
      await fetch(`${base}&sid=${sid}`, { method: "POST", body: `42["echo",${JSON.stringify(big)}]` });
      const reply = await fetch(`${base}&sid=${sid}`, { headers: { "accept-encoding": "gzip" } });
      assert.equal(reply.headers.get("content-encoding"), "gzip", `${name}: a large reply is gzipped`);
      assert.equal(reply.headers.get("content-type"), "text/plain; charset=UTF-8", name);
      assert.ok((await reply.text()) === `42["echo",${JSON.stringify(big)}]`, `${name}: the reply inflates to the event`);
    }
  });
});
