// `Socket::handshake_json` against Node's `socket.handshake`: the same
// socket.io-client request to the `sio_fixture` example and to Node.js socket.io,
// each acknowledging its handshake, over each transport setup.

import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, test } from "node:test";

import { Server } from "socket.io";

import { MODES, client, connected, upgraded } from "../support/sio.mjs";
import { startExample } from "../support/server.mjs";
import { within } from "../support/wait.mjs";

let tether;
let node;

before(async () => {
  tether = await startExample("sio_fixture");
  const http = createServer();
  const io = new Server(http);
  io.on("connection", (socket) => socket.on("handshake", (ack) => ack(socket.handshake)));
  await new Promise((resolve) => http.listen(0, "127.0.0.1", resolve));
  node = { url: `http://127.0.0.1:${http.address().port}`, close: () => io.close() };
});

after(async () => {
  await tether?.stop();
  node?.close();
});

for (const mode of MODES) {
  describe(`the handshake as Node shows it (${mode.name})`, () => {
    test("every field, with the values Node gives", async (t) => {
      const seen = {};
      for (const [name, server] of [["tether", tether], ["node", node]]) {
        const before = Date.now();
        const socket = client(t, `${server.url}?room=lobby&n=2`, mode, {
          auth: { token: "abc", nested: { ok: true } },
          extraHeaders: { "x-trace": "one" },
        });
        await connected(socket);
        if (mode.upgraded) {
          await upgraded(socket);
        }
        const handshake = await within(socket.emitWithAck("handshake"), `${name} handshake`);
        assert.ok(handshake.issued >= before - 1000 && handshake.issued <= Date.now() + 1000, name);
        assert.equal(typeof handshake.time, "string");
        assert.ok(!Number.isNaN(Date.parse(handshake.time)), `${name}: ${handshake.time} is a date`);
        assert.equal(
          Math.floor(Date.parse(handshake.time) / 1000),
          Math.floor(handshake.issued / 1000),
          `${name}: time and issued are the same instant`,
        );
        seen[name] = handshake;
      }
      const { tether: ours, node: theirs } = seen;
      assert.deepEqual(Object.keys(ours).sort(), Object.keys(theirs).sort());
      for (const field of ["address", "xdomain", "secure", "auth"]) {
        assert.deepEqual(ours[field], theirs[field], field);
      }
      const withoutT = ({ t: _t, ...query }) => query;
      assert.deepEqual(withoutT(ours.query), withoutT(theirs.query));
      assert.equal(ours.headers["x-trace"], "one");
      assert.equal(ours.headers.host, new URL(tether.url).host);
      assert.match(ours.url, /^\/socket\.io\/\?/);
      assert.equal(new URL(ours.url, tether.url).searchParams.get("room"), "lobby");
    });
  });
}
