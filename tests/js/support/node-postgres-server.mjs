// A Node.js socket.io 4.8 server with `@socket.io/postgres-adapter` 0.5 for the
// Postgres interoperability tests (tests/tests/postgres_*.rs). It shares the
// database at `$DATABASE_URL` with tether nodes under channel prefix `$PREFIX`,
// which also names its attachments table (created when missing, as the adapter's
// README asks), listens on 127.0.0.1 on an ephemeral port, prints
// `listening on http://ADDR` once its adapter listens, and exits when its stdin
// closes, so it never outlives the test that started it.
//
// Its handlers are those of node-redis-server.mjs: `join`, `broadcast({event, to,
// except, args, binary}, ack)` (a Buffer 01 02 03 appended with `binary`),
// `shout`, `tell servers`, `ask everyone`, `ask servers`, `cluster({op, to, except,
// rooms, close}, ack)` (`fetch`, `join`, `leave`, `disconnect`); the server-side
// events `hello` (passed on to this node's clients as `server said`), `who(x)`
// (answered with `{from: "node", x}`) and `never` (never answered).

import { createServer } from "node:http";
import { Server } from "socket.io";
import { createAdapter } from "@socket.io/postgres-adapter";
import pg from "pg";

const prefix = process.env.PREFIX ?? "socket.io";
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
pool.on("error", (error) => process.stderr.write(`pg: ${error}\n`));
await pool.query(
  `CREATE TABLE IF NOT EXISTS ${prefix} (id bigserial UNIQUE, created_at timestamptz DEFAULT NOW(), payload bytea)`,
).catch(() => {});

const http = createServer();
const io = new Server(http, {
  adapter: createAdapter(pool, { channelPrefix: prefix, tableName: prefix }),
});

io.on("hello", (...args) => io.local.emit("server said", ...args));
io.on("who", (x, callback) => callback({ from: "node", x }));
// Never answered: the asker waits for this node until it times out.
io.on("never", () => {});

io.on("connection", (socket) => {
  socket.data = { from: "node" };
  socket.on("join", (room, ack) => {
    socket.join(room);
    ack();
  });
  socket.on("broadcast", ({ event, to, except, args = [], binary }, ack) => {
    let operator = io;
    if (to) operator = operator.to(to);
    if (except) operator = operator.except(except);
    operator.emit(event, ...args, ...(binary ? [Buffer.from([1, 2, 3])] : []));
    ack();
  });
  socket.on("shout", (text) => socket.broadcast.emit("shouted", text));
  socket.on("tell servers", (text) => io.serverSideEmit("from node", text));
  socket.on("ask everyone", async ({ event, to, args = [] }, ack) => {
    try {
      const operator = to ? io.to(to) : io;
      ack(await operator.timeout(5000).emitWithAck(event, ...args));
    } catch (error) {
      ack({ error: String(error) });
    }
  });
  socket.on("ask servers", async (x, ack) => {
    try {
      ack(await io.serverSideEmitWithAck("who", x));
    } catch (error) {
      ack({ error: String(error) });
    }
  });
  socket.on("cluster", async ({ op, to, except, rooms = [], close = false }, ack) => {
    let operator = io.of("/");
    if (to) operator = operator.to(to);
    if (except) operator = operator.except(except);
    try {
      switch (op) {
        case "fetch": {
          const sockets = await operator.fetchSockets();
          ack(sockets.map((s) => ({ id: s.id, rooms: [...s.rooms], data: s.data })));
          break;
        }
        case "join":
          operator.socketsJoin(rooms);
          ack(null);
          break;
        case "leave":
          operator.socketsLeave(rooms);
          ack(null);
          break;
        case "disconnect":
          operator.disconnectSockets(close);
          ack(null);
          break;
        default:
          ack({ error: `unknown op ${op}` });
      }
    } catch (error) {
      ack({ error: String(error) });
    }
  });
});

// The adapter listens once its pooled client has run every LISTEN.
while (!io.of("/").adapter.client.client) {
  await new Promise((resolve) => setTimeout(resolve, 20));
}

http.listen(0, "127.0.0.1", () => {
  const { address, port } = http.address();
  process.stdout.write(`listening on http://${address}:${port}\n`);
});

process.stdin.on("end", async () => {
  io.close();
  await pool.end().catch(() => {});
  process.exit(0);
});
process.stdin.resume();
