// A Node.js socket.io 4.8 server with `@socket.io/redis-streams-adapter` 0.3.1
// for the Redis Streams interoperability tests (tests/tests/redis/streams_*.rs).
// It shares the Redis at `$REDIS_URL` on stream `$STREAM` (channel prefix
// `$PREFIX`, default the stream name; `$MAXLEN` entries kept, default 10000;
// `$STREAM_COUNT` streams, default 1)
// with tether nodes, has connection state recovery on (longest disconnection
// `$RECOVERY_MS`, default 120000), listens on 127.0.0.1 on an ephemeral port,
// prints `listening on http://ADDR` once its adapter reads the stream and holds
// its subscriptions, and exits when its stdin closes.
//
// Each socket may `join` a room (acknowledged once joined), ask for a
// broadcast with `broadcast({event, to, except, args, binary}, ack)`, ask for
// `count` events `event(i)` to `to` (everyone when unset) with `burst({event,
// count, to}, ack)` (acknowledged first), and ask `whoami` (acknowledged with
// `{id, recovered, rooms, data}`); `shout` is passed on with `socket.broadcast`;
// `set data(value)` sets `socket.data`. A server-side `hello` goes to this
// node's clients as `server said`; `tell servers(text)` sends the server-side
// event `from node(text)`; `who(x)` is answered with `{from: "node", x}` and
// the cluster requests of cluster-handlers.mjs run `fetch`, `join`, `leave`,
// `disconnect`, `ask servers` and `ask everyone`.

import { createServer } from "node:http";
import { randomBytes } from "node:crypto";
import { Server } from "socket.io";
import { createAdapter } from "@socket.io/redis-streams-adapter";
import { createClient } from "redis";
import { installSocketHandlers } from "./cluster-handlers.mjs";
import { serveUntilStdinEnds } from "./node-serve.mjs";
import { until } from "./wait.mjs";

const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const streamName = process.env.STREAM ?? "socket.io";
const channelPrefix = process.env.PREFIX ?? streamName;
const maxLen = Number(process.env.MAXLEN ?? 10000);
const streamCount = Number(process.env.STREAM_COUNT ?? 1);
const maxDisconnectionDuration = Number(process.env.RECOVERY_MS ?? 120000);
const name = `node-streams-${randomBytes(6).toString("hex")}`;

const redis = createClient({ url, name });
redis.on("error", (error) => process.stderr.write(`redis: ${error}\n`));
await redis.connect();

const http = createServer();
const io = new Server(http, {
  adapter: createAdapter(redis, { streamName, streamCount, channelPrefix, maxLen }),
  connectionStateRecovery: { maxDisconnectionDuration, skipMiddlewares: true },
});

io.on("hello", (...args) => io.local.emit("server said", ...args));
io.of("/orders").on("connection", (socket) => {
  socket.on("broadcast", ({ event, args = [] }, ack) => {
    io.of("/orders").emit(event, ...args);
    ack();
  });
});
io.on("who", (x, callback) => callback({ from: "node", x }));

io.on("connection", (socket) => {
  if (!socket.recovered) socket.data = { from: "node" };
  socket.on("whoami", (...args) =>
    args.pop()({ id: socket.id, recovered: socket.recovered, rooms: [...socket.rooms], data: socket.data }),
  );
  socket.on("set data", (value, ack) => {
    socket.data = value;
    ack();
  });
  socket.on("burst", ({ event, count, to }, ack) => {
    ack();
    const operator = to ? io.to(to) : io;
    for (let i = 0; i < count; i++) operator.emit(event, i);
  });
  installSocketHandlers(io, socket);
});

// The adapter reads the stream and subscribes on duplicates of `redis`, which
// carry its name: ready once one of them blocks in XREAD and one subscribes.
await until(async () => {
  const clients = (await redis.sendCommand(["CLIENT", "LIST"]))
    .split("\n")
    .filter((line) => line.includes(` name=${name} `));
  const reading = clients.some((line) => / cmd=xread /.test(line));
  const subscribed = clients.some((line) => / sub=[1-9]/.test(line));
  return reading && subscribed;
}, "the adapter reads the stream and subscribes");

serveUntilStdinEnds(http, { onEnd: async () => io.close() });
