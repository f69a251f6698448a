// The bench contract served by Node.js socket.io with its default settings
// (ws engine, with bufferutil installed). Node runs one event loop; THREADS is ignored.
// With REDIS_URL set, the node joins a cluster through @socket.io/redis-adapter
// (node-redis clients, key prefix from REDIS_PREFIX, default "socket.io").
"use strict";

const { createServer } = require("node:http");
const { Server } = require("socket.io");

const port = Number(process.env.PORT || 3000);
const httpServer = createServer();
const io = new Server(httpServer);

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
  const { createAdapter } = require("@socket.io/redis-adapter");
  const pub = createClient({ url });
  const sub = pub.duplicate();
  for (const client of [pub, sub]) {
    client.on("error", (error) => console.error(`redis: ${error}`));
  }
  await Promise.all([pub.connect(), sub.connect()]);
  io.adapter(createAdapter(pub, sub, { key: process.env.REDIS_PREFIX || "socket.io" }));
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

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => process.exit(0));
}
