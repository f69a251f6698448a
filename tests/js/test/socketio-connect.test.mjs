// The official socket.io-client joining namespaces of the `sio_fixture` example:
// ids, auth and query, middleware refusals seen as `connect_error` with `message`
// and `data`, unknown namespaces, dynamic namespaces (by pattern and by function),
// and several namespaces over one connection; over each transport setup.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { exampleForSuite } from "../support/server.mjs";
import { MODES, connect, connected, refusal } from "../support/sio.mjs";
import { next } from "../support/wait.mjs";

for (const mode of MODES) {
  describe(`socket.io-client joins namespaces (${mode.name})`, () => {
    const server = exampleForSuite("sio_fixture");

    test("joins / and gets a socket id of its own", async (t) => {
      const { socket, welcome } = await connect(t, server.url, mode);
      assert.match(socket.id, /^[A-Za-z0-9_-]{20}$/);
      assert.notEqual(socket.id, socket.io.engine.id, "the socket id is not the Engine.IO id");
      assert.deepEqual(welcome, { id: socket.id, ns: "/", auth: {}, tag: null });
    });

    test("the auth payload and the query reach the server", async (t) => {
      const auth = { token: "abc", nested: { n: [1, 2] } };
      const { welcome } = await connect(t, server.url, mode, { auth, query: { tag: "x y" } });
      assert.deepEqual(welcome.auth, auth);
      assert.equal(welcome.tag, "x y");
      const custom = await connect(t, server.url, mode, { nsp: "/custom", auth: { custom: true } });
      assert.deepEqual(custom.welcome.auth, { custom: true });
      assert.equal(custom.welcome.ns, "/custom");
    });

    test("a middleware refusal arrives as connect_error with message and data", async (t) => {
      const error = await refusal(t, server.url, mode, { auth: { reject: "go away" } });
      assert.equal(error.message, "go away");
      assert.deepEqual(error.data, { reason: "asked" });
    });

    test("a namespace's own middleware guards it", async (t) => {
      const error = await refusal(t, server.url, mode, { nsp: "/admin", auth: { token: "wrong" } });
      assert.equal(error.message, "unauthorized");
      assert.deepEqual(error.data, { code: 4001 });
      const { welcome } = await connect(t, server.url, mode, { nsp: "/admin", auth: { token: "secret" } });
      assert.equal(welcome.ns, "/admin");
    });

    test("an unknown namespace is refused", async (t) => {
      const error = await refusal(t, server.url, mode, { nsp: "/nowhere" });
      assert.equal(error.message, "Invalid namespace");
      assert.equal(error.data, undefined);
    });

    test("a namespace matching a pattern is created on demand", async (t) => {
      const { welcome } = await connect(t, server.url, mode, { nsp: "/room-42" });
      assert.equal(welcome.ns, "/room-42");
      assert.deepEqual(welcome.params, { id: "42" });
      const banned = await refusal(t, server.url, mode, { nsp: "/room-7", auth: { banned: true } });
      assert.equal(banned.message, "banned");
      assert.deepEqual(banned.data, { ns: "/room-7" });
      const empty = await refusal(t, server.url, mode, { nsp: "/room-" });
      assert.equal(empty.message, "Invalid namespace");
    });

    test("a namespace matching a regular expression, whole names only", async (t) => {
      const { welcome } = await connect(t, server.url, mode, { nsp: "/board-5" });
      assert.equal(welcome.ns, "/board-5");
      assert.deepEqual(welcome.params, { board: "5" });
      for (const nsp of ["/board-5x", "/board-", "/my-board-5"]) {
        const refused = await refusal(t, server.url, mode, { nsp });
        assert.equal(refused.message, "Invalid namespace", nsp);
      }
    });

    test("a namespace accepted by a function of name and auth", async (t) => {
      const closed = await refusal(t, server.url, mode, { nsp: "/dyn-a", auth: { key: "closed" } });
      assert.equal(closed.message, "Invalid namespace");
      const { welcome } = await connect(t, server.url, mode, { nsp: "/dyn-a", auth: { key: "open" } });
      assert.equal(welcome.ns, "/dyn-a");
    });

    test("several namespaces share one connection", async (t) => {
      const { socket: main } = await connect(t, server.url, mode);
      const custom = main.io.socket("/custom");
      t.after(() => custom.disconnect());
      const welcomed = next(custom, "welcome");
      custom.connect();
      await connected(custom);
      const [welcome] = await welcomed;
      assert.equal(welcome.ns, "/custom");
      assert.notEqual(custom.id, main.id);
      assert.equal(custom.io.engine.id, main.io.engine.id, "one Engine.IO connection");
      const [mainEcho, customEcho] = await Promise.all([
        main.emitWithAck("echo-ack", "main"),
        custom.emitWithAck("echo-ack", "custom"),
      ]);
      assert.deepEqual([mainEcho, customEcho], ["main", "custom"]);
    });
  });
}
