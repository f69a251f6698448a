// `@socket.io/postgres-emitter` 0.1 sending to the cluster on `$DATABASE_URL`
// under channel prefix (and attachments table) `$PREFIX`, for the emitter test
// (tests/tests/postgres/emitter.rs). It runs the steps in `$STEPS` (a JSON array,
// see emitter-steps.mjs) in order, then exits.

import { Emitter } from "@socket.io/postgres-emitter";
import pg from "pg";
import { runSteps } from "./emitter-steps.mjs";

const prefix = process.env.PREFIX ?? "socket.io";
const steps = JSON.parse(process.env.STEPS ?? "[]");

// Never outlive a test that hangs.
setTimeout(() => process.exit(2), 20_000).unref();

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
const root = new Emitter(pool, "/", { channelPrefix: prefix, tableName: prefix });

// The emitter sends without waiting: each step is given its turn, in order.
await runSteps(root, steps, () => new Promise((resolve) => setTimeout(resolve, 50)));
await new Promise((resolve) => setTimeout(resolve, 200));
await pool.end();
