// The bench contract served by Node.js socket.io with its default settings
// (ws engine, with bufferutil installed). Node runs one event loop; THREADS is ignored.
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
});

httpServer.listen(port, "127.0.0.1", () => {
  console.error(`node socket.io bench server on 127.0.0.1:${port}`);
});

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => process.exit(0));
}
