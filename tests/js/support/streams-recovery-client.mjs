// A socket.io-client 4.8 for the Redis Streams recovery tests
// (tests/tests/redis/streams_recovery.rs). It connects to `$A_URL` through a TCP
// proxy of its own, joins room `$ROOM`, asks the server at `$SOURCE_URL`
// (through a second client) for `$COUNT` events `n(i)` to that room, and once it
// got event `$CUT_AT` the proxy drops its connection and sends new ones to
// `$B_URL` (a network that drops, and a load balancer that moves the client);
// with `$HOLD` set, the proxy refuses connections until a client of `$B_URL` in
// the room got the last event (a Node.js node reading the stream behind would
// deliver the replayed events again). It reconnects there with its private id and last
// offset, and once it got event `$COUNT - 1` (or after `$WAIT_MS` of silence)
// prints one JSON line `{before, after, recovered, rooms, data, events}` (the
// socket ids before and after, whether the server recovered the socket, its
// rooms and data as the server sees them, every `i` received in order) and exits.

import { createServer, connect } from "node:net";
import { io } from "socket.io-client";

const port = (url) => Number(new URL(url).port);
let target = port(process.env.A_URL);
const open = new Set();
let held = false;
const proxy = createServer((inbound) => {
  if (held) {
    inbound.destroy();
    return;
  }
  const outbound = connect(target, "127.0.0.1");
  open.add(inbound);
  inbound.on("close", () => open.delete(inbound));
  inbound.on("error", () => outbound.destroy());
  outbound.on("error", () => inbound.destroy());
  inbound.pipe(outbound).pipe(inbound);
  inbound.on("close", () => outbound.destroy());
  outbound.on("close", () => inbound.destroy());
});
await new Promise((resolve) => proxy.listen(0, "127.0.0.1", resolve));
const proxyUrl = `http://127.0.0.1:${proxy.address().port}`;

const count = Number(process.env.COUNT);
const cutAt = Number(process.env.CUT_AT);
const room = process.env.ROOM ?? "r";
const waitMs = Number(process.env.WAIT_MS ?? 3000);

const options = { transports: ["websocket"], reconnectionDelay: 100, reconnectionDelayMax: 200 };
const socket = io(proxyUrl, options);
const events = [];
let before;
let silence;

const finish = async () => {
  clearTimeout(silence);
  const who = await socket.timeout(5000).emitWithAck("whoami");
  process.stdout.write(
    JSON.stringify({
      before,
      after: socket.id,
      recovered: socket.recovered,
      rooms: who.rooms,
      data: who.data,
      serverRecovered: who.recovered,
      events,
    }) + "\n",
  );
  process.exit(0);
};

socket.on("n", (i) => {
  events.push(i);
  if (i === cutAt && before === undefined) {
    before = socket.id;
    target = port(process.env.B_URL);
    held = Boolean(process.env.HOLD);
    for (const connection of open) connection.destroy();
    return;
  }
  if (i === count - 1) {
    finish();
  } else if (before !== undefined) {
    clearTimeout(silence);
    silence = setTimeout(finish, waitMs);
  }
});

socket.once("connect", async () => {
  await socket.timeout(5000).emitWithAck("join", room);
  if (process.env.HOLD) {
    const watcher = io(process.env.B_URL, { transports: ["websocket"] });
    await new Promise((resolve) => watcher.once("connect", resolve));
    await watcher.timeout(5000).emitWithAck("join", room);
    watcher.on("n", (i) => {
      if (i === count - 1) {
        held = false;
        watcher.close();
      }
    });
  }
  const source = io(process.env.SOURCE_URL, { transports: ["websocket"] });
  await new Promise((resolve) => source.once("connect", resolve));
  await source.timeout(5000).emitWithAck("burst", { event: "n", count, to: room });
  source.close();
});

socket.on("connect", () => {
  if (before !== undefined) {
    clearTimeout(silence);
    silence = setTimeout(finish, waitMs);
  }
});

setTimeout(() => {
  process.stderr.write(`timed out with ${events.length} events\n`);
  process.exit(1);
}, 60000);
