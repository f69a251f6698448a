// The chat example (examples/chat) driven by the official socket.io-client:
// websocket and polling clients mixed in one room, the connect auth, every event
// of the wire contract, its refusals, and arguments that do not decode.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { io } from "socket.io-client";

import { useExample } from "../support/server.mjs";
import { connected as socketConnected } from "../support/sio.mjs";
import { collect, next, sleep, within } from "../support/wait.mjs";

/** How long a test waits to be sure something does not arrive. */
const QUIET_MS = 300;

/** A client named `name` over `transports`, disconnected after the test. */
function client(t, url, name, transports = ["websocket"]) {
  const options = { transports, forceNew: true, reconnection: false, upgrade: false };
  if (name !== undefined) {
    options.auth = { name };
  }
  const socket = io(url, options);
  t.after(() => socket.disconnect());
  return socket;
}

/** A connected client. */
async function connected(t, url, name, transports) {
  const socket = client(t, url, name, transports);
  await socketConnected(socket, `${name} connecting`);
  return socket;
}

/** A chat server with alice (over WebSocket) and bob (over polling) in "lobby". */
async function lobby(t) {
  const { url } = await useExample(t, "chat");
  const alice = await connected(t, url, "alice");
  const bob = await connected(t, url, "bob", ["polling"]);
  await join(alice, "lobby");
  await join(bob, "lobby");
  return { url, alice, bob };
}

/** Joins `room` and resolves with the acknowledged history. */
function join(socket, room) {
  return within(socket.emitWithAck("join", room), `join ${room}`);
}

/** Resolves with every `event` emitted by `socket` during `ms`. */
async function during(socket, event, ms = QUIET_MS) {
  const seen = [];
  const listener = (...args) => seen.push(args);
  socket.on(event, listener);
  await sleep(ms);
  socket.off(event, listener);
  return seen;
}

describe("chat example", async () => {
  test("a missing or empty name is refused with `name required`", async (t) => {
    const { url } = await useExample(t, "chat");
    for (const auth of [undefined, "", "   "]) {
      const socket = client(t, url, auth);
      const [error] = await next(socket, "connect_error");
      assert.equal(error.message, "name required");
    }
  });

  test("websocket and polling clients share a room: presence, history, messages", async (t) => {
    const { url } = await useExample(t, "chat");
    const alice = await connected(t, url, "alice", ["websocket"]);
    const bob = await connected(t, url, "bob", ["polling"]);

    const alicePresence = next(alice, "presence");
    assert.deepEqual(await join(alice, "lobby"), []);
    assert.deepEqual(await alicePresence, ["lobby", ["alice"]]);

    const bothSee = [next(alice, "presence"), next(bob, "presence")];
    assert.deepEqual(await join(bob, "lobby"), []);
    for (const presence of await Promise.all(bothSee)) {
      assert.deepEqual(presence, ["lobby", ["alice", "bob"]]);
    }

    const before = Date.now();
    const delivered = [next(alice, "message"), next(bob, "message")];
    const answer = await within(alice.emitWithAck("say", "lobby", "hello from alice"), "say");
    const [[toAlice], [toBob]] = await Promise.all(delivered);
    assert.deepEqual(toAlice, toBob);
    assert.equal(answer.ok, true);
    assert.equal(answer.data, toAlice.id);
    assert.equal(typeof toAlice.id, "number");
    assert.equal(toAlice.room, "lobby");
    assert.equal(toAlice.from, "alice");
    assert.equal(toAlice.text, "hello from alice");
    assert.ok(toAlice.at >= before - 1000 && toAlice.at <= Date.now() + 1000, `at = ${toAlice.at}`);

    const fromBob = [next(alice, "message"), next(bob, "message")];
    bob.emit("say", "lobby", "hi alice");
    const [[second]] = await Promise.all(fromBob);
    assert.equal(second.from, "bob");
    assert.ok(second.id > toAlice.id, "ids increase within a room");

    const carol = await connected(t, url, "carol", ["polling", "websocket"]);
    const history = await join(carol, "lobby");
    assert.deepEqual(history.map((message) => message.text), ["hello from alice", "hi alice"]);
  });

  test("a room keeps its last 50 messages, oldest first, with increasing ids", async (t) => {
    const { url } = await useExample(t, "chat");
    const alice = await connected(t, url, "alice");
    await join(alice, "busy");
    const seen = collect(alice, "message", 55);
    for (let index = 1; index <= 55; index += 1) {
      alice.emit("say", "busy", `message ${index}`);
    }
    const messages = await seen;
    for (let index = 1; index < messages.length; index += 1) {
      assert.ok(messages[index].id > messages[index - 1].id, "ids increase");
    }
    const bob = await connected(t, url, "bob", ["polling"]);
    const history = await join(bob, "busy");
    assert.equal(history.length, 50);
    assert.equal(history[0].text, "message 6");
    assert.equal(history[49].text, "message 55");
    assert.deepEqual(history, messages.slice(5));
  });

  test("empty, too long and non-member texts are refused and not broadcast", async (t) => {
    const { alice, bob } = await lobby(t);
    const bobMessages = during(bob, "message", 800);

    const empty = await within(alice.emitWithAck("say", "lobby", ""), "say empty");
    assert.deepEqual(empty.ok, false);
    assert.equal(empty.error.code, "empty_text");
    assert.equal(typeof empty.error.message, "string");

    const blank = await within(alice.emitWithAck("say", "lobby", "  \n "), "say blank");
    assert.equal(blank.error.code, "empty_text");

    const long = await within(alice.emitWithAck("say", "lobby", "x".repeat(2001)), "say long");
    assert.equal(long.ok, false);
    assert.equal(long.error.code, "text_too_long");

    const limit = await within(alice.emitWithAck("say", "lobby", "\u00e9".repeat(2000)), "say 2000");
    assert.equal(limit.ok, true, "2,000 characters are accepted");

    const stranger = await within(alice.emitWithAck("say", "elsewhere", "hello?"), "say elsewhere");
    assert.equal(stranger.ok, false);
    assert.equal(stranger.error.code, "not_a_member");

    alice.emit("say", "lobby", "");
    alice.emit("say", "nowhere", "no ack asked");

    const received = await bobMessages;
    assert.deepEqual(received.map(([message]) => message.text), ["\u00e9".repeat(2000)]);
    assert.ok(alice.connected, "refusals keep the connection open");
  });

  test("typing goes to the others in the room only", async (t) => {
    const { url, alice, bob } = await lobby(t);
    const outsider = await connected(t, url, "olga");
    const aliceTyping = during(alice, "typing");
    const outsiderTyping = during(outsider, "typing");
    const bobTyping = next(bob, "typing");
    alice.emit("typing", "lobby");
    assert.deepEqual(await bobTyping, ["lobby", "alice"]);
    assert.deepEqual(await aliceTyping, []);
    assert.deepEqual(await outsiderTyping, []);
  });

  test("leaving and disconnecting update the others' presence", async (t) => {
    const { url, alice, bob } = await lobby(t);
    const carol = await connected(t, url, "carol");
    const joined = next(alice, "presence");
    await join(carol, "lobby");
    assert.deepEqual(await joined, ["lobby", ["alice", "bob", "carol"]]);

    const afterLeave = next(alice, "presence");
    bob.emit("leave", "lobby");
    assert.deepEqual(await afterLeave, ["lobby", ["alice", "carol"]]);

    const bobMessages = during(bob, "message");
    await within(alice.emitWithAck("say", "lobby", "bob is gone"), "say");
    assert.deepEqual(await bobMessages, [], "a member who left gets no messages");

    const afterDisconnect = next(alice, "presence");
    carol.disconnect();
    assert.deepEqual(await afterDisconnect, ["lobby", ["alice"]]);
  });

  test("arguments that do not decode are answered with invalid_arguments", async (t) => {
    const { url } = await useExample(t, "chat");
    const alice = await connected(t, url, "alice", ["polling"]);

    const wrongType = await within(alice.emitWithAck("join", 42), "join 42");
    assert.equal(wrongType.error, "invalid_arguments");
    assert.equal(wrongType.event, "join");
    assert.match(wrongType.message, /room/);

    const missing = await within(alice.emitWithAck("say", "lobby"), "say without text");
    assert.equal(missing.error, "invalid_arguments");
    assert.equal(missing.event, "say");
    assert.match(missing.message, /text/);

    const emptyRoom = await within(alice.emitWithAck("join", ""), "join empty room");
    assert.equal(emptyRoom.error, "invalid_arguments");

    const longRoom = await within(alice.emitWithAck("join", "r".repeat(65)), "join long room");
    assert.equal(longRoom.error, "invalid_arguments");

    assert.ok(alice.connected, "the connection stays open");
    assert.deepEqual(await join(alice, "r".repeat(64)), []);
  });
});
