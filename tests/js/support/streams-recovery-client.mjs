// A socket.io-client 4.8 for the Redis Streams recovery tests
// (tests/tests/redis_streams_recovery.rs). It connects to `$A_URL`, joins room
// `$ROOM`, asks the server at `$SOURCE_URL` (through a second client) for
// `$COUNT` events `n(i)` to that room, and once it got event `$CUT_AT` it moves
// to `$B_URL` and drops its connection (as if the network dropped and a load
// balancer sent it elsewhere). It reconnects there with its private id and last
// offset, and once it got event `$COUNT - 1` (or after `$WAIT_MS` of silence)
// prints one JSON line `{before, after, recovered, rooms, data, events}` (the
// socket ids before and after, whether the server recovered the socket, its
// rooms and data as the server sees them, every `i` received in order) and exits.

import { io } from "socket.io-client";

const count = Number(process.env.COUNT);
const cutAt = Number(process.env.CUT_AT);
const room = process.env.ROOM ?? "r";
const waitMs = Number(process.env.WAIT_MS ?? 3000);

const options = { transports: ["websocket"], reconnectionDelay: 50, reconnectionDelayMax: 200 };
const socket = io(process.env.A_URL, options);
const events = [];
let before;
let silence;

const finish = async () => {
  clearTimeout(silence);
  const who = await socket.timeout(5000).emitWithAck("whoami");
  process.stdout.write(
    JSON.stringify({
      before,
      after: socket.id,
      recovered: socket.recovered,
      rooms: who.rooms,
      data: who.data,
      serverRecovered: who.recovered,
      events,
    }) + "\n",
  );
  process.exit(0);
};

socket.on("n", (i) => {
  events.push(i);
  if (i === cutAt && before === undefined) {
    before = socket.id;
    socket.io.uri = process.env.B_URL;
    socket.io.engine.close();
    return;
  }
  if (i === count - 1) {
    finish();
  } else if (before !== undefined) {
    clearTimeout(silence);
    silence = setTimeout(finish, waitMs);
  }
});

socket.once("connect", async () => {
  await socket.timeout(5000).emitWithAck("join", room);
  const source = io(process.env.SOURCE_URL, { transports: ["websocket"] });
  await new Promise((resolve) => source.once("connect", resolve));
  await source.timeout(5000).emitWithAck("burst", { event: "n", count, to: room });
  source.close();
});

socket.on("connect", () => {
  if (before !== undefined) {
    clearTimeout(silence);
    silence = setTimeout(finish, waitMs);
  }
});

setTimeout(() => {
  process.stderr.write(`timed out with ${events.length} events\n`);
  process.exit(1);
}, 60000);
