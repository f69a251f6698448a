// A Node.js socket.io 4.8 server with `@socket.io/postgres-adapter` 0.5 for the
// Postgres interoperability tests (tests/tests/postgres/*.rs). It shares the
// database at `$DATABASE_URL` with tether nodes under channel prefix `$PREFIX`,
// which also names its attachments table (created when missing, as the adapter's
// README asks), listens on 127.0.0.1 on an ephemeral port, prints
// `listening on http://ADDR` once its adapter listens, and exits when its stdin
// closes, so it never outlives the test that started it.
//
// Its handlers are those of cluster-handlers.mjs (`allRooms` fails: the
// Postgres adapter does not carry it across nodes).

import { createServer } from "node:http";
import { Server } from "socket.io";
import { createAdapter } from "@socket.io/postgres-adapter";
import pg from "pg";
import { installHandlers } from "./cluster-handlers.mjs";
import { serveUntilStdinEnds } from "./node-serve.mjs";
import { until } from "./wait.mjs";

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

installHandlers(io);

// The adapter listens once its pooled client has run every LISTEN.
await until(() => io.of("/").adapter.client.client, "the adapter listens");

serveUntilStdinEnds(http, {
  onEnd: async () => {
    io.close();
    await pool.end().catch(() => {});
  },
});
