// The bench contract served by Node.js socket.io with its default settings
// (ws engine, with bufferutil installed). Node runs one event loop; THREADS is ignored.
// With REDIS_URL set, the node joins a cluster through @socket.io/redis-adapter
// (node-redis clients, key prefix from REDIS_PREFIX, default "socket.io"), or with
// ADAPTER=redis-streams through @socket.io/redis-streams-adapter (stream and
// channel prefix named REDIS_PREFIX). RECOVERY=1 turns connectionStateRecovery on
// (its defaults). SIGTERM closes the server (sockets leave with "server shutting
// down", so the Streams adapter stores their sessions) and the Redis clients
// once their commands are written, then exits. PARSER=msgpack serves
// socket.io-msgpack-parser's MessagePack.
"use strict";

const { createServer } = require("node:http");
const { Server } = require("socket.io");

const port = Number(process.env.PORT || 3000);
const httpServer = createServer();
const options = process.env.RECOVERY === "1" ? { connectionStateRecovery: {} } : {};
if (process.env.PARSER === "msgpack") {
  options.parser = require("socket.io-msgpack-parser");
}
const io = new Server(httpServer, options);
const redisClients = [];

io.on("connection", (socket) => {
  socket.on("echo", (...args) => {
    const ack = args.pop();
    if (typeof ack === "function") ack(...args);
  });
  socket.on("broadcast", (obj) => {
    io.emit("bcast", obj);
  });
  socket.on("join", (room, ack) => {
    socket.join(room);
    if (typeof ack === "function") ack(true);
  });
  socket.on("room_broadcast", (room, obj) => {
    io.to(room).emit("bcast", obj);
  });
  socket.on("fetch", async (ack) => {
    if (typeof ack !== "function") return;
    try {
      const sockets = await io.fetchSockets();
      ack(sockets.length);
    } catch (error) {
      console.error(`fetchSockets failed: ${error}`);
    }
  });
});

async function joinCluster(url) {
  const { createClient } = require("redis");
  const prefix = process.env.REDIS_PREFIX || "socket.io";
  const adapter = process.env.ADAPTER || "redis";
  if (adapter === "redis-streams") {
    const { createAdapter } = require("@socket.io/redis-streams-adapter");
    const client = createClient({ url });
    client.on("error", (error) => console.error(`redis: ${error}`));
    await client.connect();
    redisClients.push(client);
    io.adapter(createAdapter(client, { streamName: prefix, channelPrefix: prefix }));
    return;
  }
  if (adapter !== "redis") throw new Error(`unknown ADAPTER ${adapter}`);
  const { createAdapter } = require("@socket.io/redis-adapter");
  const pub = createClient({ url });
  const sub = pub.duplicate();
  for (const client of [pub, sub]) {
    client.on("error", (error) => console.error(`redis: ${error}`));
  }
  await Promise.all([pub.connect(), sub.connect()]);
  redisClients.push(pub, sub);
  io.adapter(createAdapter(pub, sub, { key: prefix }));
}

async function main() {
  if (process.env.REDIS_URL) await joinCluster(process.env.REDIS_URL);
  httpServer.listen(port, "127.0.0.1", () => {
    console.error(`node socket.io bench server on 127.0.0.1:${port}`);
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

async function shutdown() {
  setTimeout(() => process.exit(0), 3000).unref();
  await io.close();
  await Promise.allSettled(redisClients.map((client) => client.close()));
  process.exit(0);
}

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    shutdown().catch(() => process.exit(0));
  });
}
