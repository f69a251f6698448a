// A Node.js socket.io 4.8 server with `@socket.io/redis-adapter` for the Redis
// interoperability test (tests/tests/redis/node.rs). It shares the Redis at
// `$REDIS_URL` under channel prefix `$KEY` with tether nodes, listens on
// 127.0.0.1 on an ephemeral port, prints `listening on http://ADDR` once its
// adapter's subscription is in place, and exits when its stdin closes, so it
// never outlives the test that started it. With `SHARDED=true` it uses
// `createShardedAdapter` (sharded pub/sub) with `subscriptionMode: "static"`
// (or `$SUBSCRIPTION_MODE`). `$REQUESTS_TIMEOUT_MS` bounds its cluster requests
// (default 5000), and `$NAME`, when set, is in its answers to `who`. Its
// handlers are those of cluster-handlers.mjs. With `ADMIN_UI=1` it is
// instrumented by `@socket.io/admin-ui` (no auth, server id `$ADMIN_UI_SERVER_ID`).

import { createServer } from "node:http";
import { Server } from "socket.io";
import { instrument } from "@socket.io/admin-ui";
import { createAdapter, createShardedAdapter } from "@socket.io/redis-adapter";
import { createClient } from "redis";
import { installHandlers } from "./cluster-handlers.mjs";
import { serveUntilStdinEnds } from "./node-serve.mjs";

const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const key = process.env.KEY ?? "socket.io";
const sharded = process.env.SHARDED === "true";
const subscriptionMode = process.env.SUBSCRIPTION_MODE || "static";
const requestsTimeout = Number(process.env.REQUESTS_TIMEOUT_MS || 5000);
const name = process.env.NAME;

const pubClient = createClient({ url });
const subClient = pubClient.duplicate();
for (const client of [pubClient, subClient]) {
  client.on("error", (error) => process.stderr.write(`redis: ${error}\n`));
}
await Promise.all([pubClient.connect(), subClient.connect()]);

const http = createServer();
const adapter = sharded
  ? createShardedAdapter(pubClient, subClient, { channelPrefix: key, subscriptionMode })
  : createAdapter(pubClient, subClient, { key, requestsTimeout });
const io = new Server(http, { adapter });

installHandlers(io, { name, requestsTimeout });
if (process.env.ADMIN_UI === "1") {
  instrument(io, { auth: false, serverId: process.env.ADMIN_UI_SERVER_ID, mode: "development" });
}

// The adapter subscribed without waiting; the subscriber connection answers in
// order, so once this subscription is confirmed, the adapter's is too.
if (sharded) {
  await subClient.sSubscribe(`${key}-ready-probe`, () => {});
} else {
  await subClient.pSubscribe(`${key}-ready-probe`, () => {});
}

serveUntilStdinEnds(http, {
  onEnd: async () => {
    io.close();
    await Promise.allSettled([pubClient.quit(), subClient.quit()]);
  },
});
