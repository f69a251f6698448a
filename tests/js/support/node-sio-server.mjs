// A Node.js socket.io 4.8 server for the Rust client's interoperability test
// (tests/tests/client/node.rs). It listens on 127.0.0.1, on port `$PORT` or else
// an ephemeral one, prints `listening on http://ADDR` on stdout, and exits when its
// stdin closes, so it never outlives the test that started it.
//
// Namespace `/` requires `auth.token` to be "secret" or start with "secret-" (else
// connect_error with
// `data`), greets with `welcome(auth, <Buffer 01 02 03>)`, echoes `echo` (as
// `echoed`, or in the acknowledgement when there is one), asks the client a
// `question` on `ask me` and reports the answer as `answer`, acknowledges
// `transport` with the Engine.IO transport's name, and disconnects the socket on
// `kick me`. `join(room)` joins and acknowledges `true`; `tell(room, text)` emits
// `news(text)` to the room. `flaky(n)` reports each arrival as `seen(n, tries)`
// and acknowledges `[n, tries]` from the second arrival of `n` on (the first is
// left unanswered, as if the answer were lost). With `RECOVERY_MS` set, connection state recovery is
// on, keeping disconnected sockets that long. With `PARSER=msgpack` it speaks
// socket.io-msgpack-parser's MessagePack. With `COOKIE=1` it sets the `io` cookie
// (`cookie: true`) and acknowledges `cookies` with every request the engine
// answered, as `METHOD TRANSPORT COOKIE-HEADER` (`-` for none). `engine`, on `/`
// and on `/admin`, is acknowledged with the Engine.IO session id; `/admin` needs
// `auth.role === "admin"` and greets with `welcome(auth)` too.

import { createServer } from "node:http";
import { Server } from "socket.io";
import msgpackParser from "socket.io-msgpack-parser";
import { serveUntilStdinEnds } from "./node-serve.mjs";

const http = createServer();
const recovery = process.env.RECOVERY_MS
  ? { connectionStateRecovery: { maxDisconnectionDuration: Number(process.env.RECOVERY_MS) } }
  : {};
const parser = process.env.PARSER === "msgpack" ? { parser: msgpackParser } : {};
const cookie = process.env.COOKIE ? { cookie: true } : {};
const io = new Server(http, {
  pingInterval: 200,
  pingTimeout: 600,
  ...recovery,
  ...parser,
  ...cookie,
});
const requests = [];
io.engine.on("headers", (_headers, req) => {
  const transport = new URL(req.url, "http://localhost").searchParams.get("transport");
  if (requests.length < 1000) requests.push(`${req.method} ${transport} ${req.headers.cookie ?? "-"}`);
});

io.use((socket, next) => {
  const token = String(socket.handshake.auth.token);
  if (token === "secret" || token.startsWith("secret-")) {
    next();
  } else {
    const error = new Error("bad token");
    error.data = { hint: "the token is secret" };
    next(error);
  }
});

io.on("connection", (socket) => {
  socket.emit("welcome", socket.handshake.auth, Buffer.from([1, 2, 3]));
  socket.on("echo", (...args) => {
    const ack = typeof args.at(-1) === "function" ? args.pop() : null;
    if (ack) {
      ack(...args);
    } else {
      socket.emit("echoed", ...args);
    }
  });
  socket.on("ask me", async () => {
    const answer = await socket.timeout(5000).emitWithAck("question", "six times seven");
    socket.emit("answer", answer);
  });
  socket.on("transport", (ack) => ack(socket.conn.transport.name));
  socket.on("cookies", (ack) => ack(requests));
  socket.on("engine", (ack) => ack(socket.conn.id));
  socket.on("kick me", () => socket.disconnect());
  socket.on("join", (room, ack) => {
    socket.join(room);
    ack(true);
  });
  socket.on("tell", (room, text) => io.to(room).emit("news", text));
  const arrivals = new Map();
  socket.on("flaky", (n, ack) => {
    const tries = (arrivals.get(n) ?? 0) + 1;
    arrivals.set(n, tries);
    socket.emit("seen", n, tries);
    if (tries > 1 && typeof ack === "function") ack([n, tries]);
  });
});

const admin = io.of("/admin");
admin.use((socket, next) => {
  if (socket.handshake.auth.role === "admin") {
    next();
  } else {
    next(new Error("admins only"));
  }
});
admin.on("connection", (socket) => {
  socket.emit("welcome", socket.handshake.auth);
  socket.on("engine", (ack) => ack(socket.conn.id));
});

serveUntilStdinEnds(http, { port: Number(process.env.PORT ?? 0) });
