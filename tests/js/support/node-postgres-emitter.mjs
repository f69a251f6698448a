// `@socket.io/postgres-emitter` 0.1 sending to the cluster on `$DATABASE_URL`
// under channel prefix (and attachments table) `$PREFIX`, for the emitter test
// (tests/tests/postgres_emitter.rs). It runs the steps in `$STEPS` (a JSON array)
// in order, then exits: `{op: "emit", to, except, event, args, binary}` (a Buffer
// 01 02 03 appended with `binary`), `{op: "join" | "leave", to, except, rooms}`,
// `{op: "disconnect", to, except, close}`, `{op: "serverSideEmit", args}`.

import { Emitter } from "@socket.io/postgres-emitter";
import pg from "pg";

const prefix = process.env.PREFIX ?? "socket.io";
const steps = JSON.parse(process.env.STEPS ?? "[]");

// Never outlive a test that hangs.
setTimeout(() => process.exit(2), 20_000).unref();

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
const root = new Emitter(pool, "/", { channelPrefix: prefix, tableName: prefix });

for (const step of steps) {
  let operator = root;
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
      operator.serverSideEmit(...(step.args ?? []));
      break;
    default:
      throw new Error(`unknown op ${step.op}`);
  }
  // The emitter sends without waiting: leave each step its turn, in order.
  await new Promise((resolve) => setTimeout(resolve, 50));
}
await new Promise((resolve) => setTimeout(resolve, 200));
await pool.end();
