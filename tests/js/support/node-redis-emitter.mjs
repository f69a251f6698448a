// `@socket.io/redis-emitter` 5.1 publishing to the cluster on `$REDIS_URL` under
// channel prefix `$KEY`, for the emitter test (tests/tests/redis_emitter.rs). It
// runs the steps in `$STEPS` (a JSON array) in order, then exits:
// `{op: "emit", nsp, to, except, event, args, binary}` (a Buffer 01 02 03 appended
// with `binary`), `{op: "join" | "leave", to, except, rooms}`,
// `{op: "disconnect", to, except, close}`, `{op: "serverSideEmit", args}`.

import { Emitter } from "@socket.io/redis-emitter";
import { createClient } from "redis";

const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const key = process.env.KEY ?? "socket.io";
const steps = JSON.parse(process.env.STEPS ?? "[]");

// Never outlive a test that hangs.
setTimeout(() => process.exit(2), 20_000).unref();

const client = createClient({ url });
client.on("error", (error) => process.stderr.write(`redis: ${error}\n`));
await client.connect();
const root = new Emitter(client, { key });

for (const step of steps) {
  let operator = step.nsp ? root.of(step.nsp) : root;
  if (step.to) operator = operator.to(step.to);
  if (step.except) operator = operator.except(step.except);
  switch (step.op) {
    case "emit":
      operator.emit(step.event, ...(step.args ?? []), ...(step.binary ? [Buffer.from([1, 2, 3])] : []));
      break;
    case "join":
      operator.socketsJoin(step.rooms);
      break;
    case "leave":
      operator.socketsLeave(step.rooms);
      break;
    case "disconnect":
      operator.disconnectSockets(step.close ?? false);
      break;
    case "serverSideEmit":
      root.serverSideEmit(...(step.args ?? []));
      break;
    default:
      throw new Error(`unknown op ${step.op}`);
  }
}
await client.quit();
process.stdout.write("done\n");
