// `@socket.io/redis-emitter` 5.1 publishing to the cluster on `$REDIS_URL` under
// channel prefix `$KEY`, for the emitter test (tests/tests/redis/emitter.rs). It
// runs the steps in `$STEPS` (a JSON array) in order, then exits:
// `{op: "emit", nsp, to, except, event, args, binary}` (a Buffer 01 02 03 appended
// with `binary`), `{op: "join" | "leave", to, except, rooms}`,
// `{op: "disconnect", to, except, close}`, `{op: "serverSideEmit", args}`.

import { Emitter } from "@socket.io/redis-emitter";
import { createClient } from "redis";
import { runSteps } from "./emitter-steps.mjs";

const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const key = process.env.KEY ?? "socket.io";
const steps = JSON.parse(process.env.STEPS ?? "[]");

// Never outlive a test that hangs.
setTimeout(() => process.exit(2), 20_000).unref();

const client = createClient({ url });
client.on("error", (error) => process.stderr.write(`redis: ${error}\n`));
await client.connect();
const root = new Emitter(client, { key });

await runSteps(root, steps);
await client.quit();
process.stdout.write("done\n");
