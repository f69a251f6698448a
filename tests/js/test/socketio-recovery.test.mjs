// Connection state recovery between the official socket.io-client and the
// `sio_fixture` example started with `RECOVERY_MS`: a client whose connection
// dropped gets its socket back (`socket.recovered`, same id, same rooms) and the
// events it missed meanwhile; a client that left on purpose, or names an offset the
// server does not know, starts afresh. Over each transport setup.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";

import { startExample } from "../support/server.mjs";
import { MODES, client, connected, observer } from "../support/sio.mjs";
import { collect, next } from "../support/wait.mjs";

for (const mode of MODES) {
  describe(`socket.io-client recovering its connection state (${mode.name})`, () => {
    let server;
    let watcher;
    const cleanups = [];
    before(async () => {
      server = await startExample("sio_fixture", { env: { RECOVERY_MS: "10000" } });
      watcher = await observer({ after: (cleanup) => cleanups.push(cleanup) }, server.url);
    });
    after(async () => {
      cleanups.forEach((cleanup) => cleanup());
      await server.stop();
    });

    /** A connected socket of `nsp` that reconnects only when told to. */
    async function joined(t, nsp, room) {
      const socket = client(t, server.url, mode, { nsp });
      const welcome = next(socket, "welcome");
      await connected(socket);
      await welcome;
      assert.deepEqual(await socket.emitWithAck("join", room), [socket.id, room]);
      return socket;
    }

    test("a dropped connection gets its socket, rooms and missed events back", async (t) => {
      const nsp = `/room-${randomUUID()}`;
      const speaker = await joined(t, nsp, "red");
      const listener = await joined(t, nsp, "red");
      const id = listener.id;
      assert.equal(listener.recovered, false);

      const dropped = next(listener, "disconnect");
      listener.io.engine.close();
      await dropped;
      assert.equal(await watcher.disconnect(id), "transport close");

      for (const data of ["one", "two", "three"]) {
        await speaker.emitWithAck("broadcast", { via: "io", to: ["red"], event: "msg", data, tag: data });
      }
      const missed = collect(listener, "msg", 3);
      const sentinels = collect(listener, "sentinel", 3);
      listener.connect();
      await connected(listener);
      assert.equal(listener.recovered, true, "recovered");
      assert.equal(listener.id, id, "the same socket id");
      const messages = await missed;
      assert.deepEqual(messages, ["one", "two", "three"], "every missed event, in order");
      assert.deepEqual(await sentinels, ["one", "two", "three"]);
      const whoami = await listener.emitWithAck("whoami");
      assert.deepEqual(whoami.rooms, [id, "red"], "the same rooms");

      const live = next(listener, "msg");
      await speaker.emitWithAck("broadcast", { via: "io", to: ["red"], event: "msg", data: "live", tag: "live" });
      assert.equal((await live)[0], "live");
    });

    test("a client that left on purpose starts afresh", async (t) => {
      const nsp = `/room-${randomUUID()}`;
      // Keeps the namespace alive (an empty dynamic child is forgotten).
      await joined(t, nsp, "blue");
      const socket = await joined(t, nsp, "blue");
      const id = socket.id;
      socket.disconnect();
      assert.equal(await watcher.disconnect(id), "client namespace disconnect");
      socket.connect();
      await connected(socket);
      assert.equal(socket.recovered, false);
      assert.notEqual(socket.id, id);
      assert.deepEqual((await socket.emitWithAck("whoami")).rooms, [socket.id]);
    });

    test("an offset the server does not know gets a new socket", async (t) => {
      const nsp = `/room-${randomUUID()}`;
      await joined(t, nsp, "green");
      const socket = await joined(t, nsp, "green");
      const id = socket.id;
      const dropped = next(socket, "disconnect");
      socket.io.engine.close();
      await dropped;
      assert.equal(await watcher.disconnect(id), "transport close");
      // socket.io-client 4.8 (pinned) keeps the last offset it saw here.
      socket._lastOffset = "not-an-offset";
      socket.connect();
      await connected(socket);
      assert.equal(socket.recovered, false);
      assert.notEqual(socket.id, id);
    });
  });
}
