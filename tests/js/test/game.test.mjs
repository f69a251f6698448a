// The game example (examples/game) driven by bots on the official socket.io-client,
// websocket and polling mixed: matchmaking, inputs moving players in the
// broadcast state, refusals, the input rate limit, departures and the end of a
// match. Timeouts only bound the waits; every wait is for a state or an event.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { io } from "socket.io-client";

import { useExample } from "../support/server.mjs";
import { connected } from "../support/sio.mjs";
import { PATIENCE_MS, next, within } from "../support/wait.mjs";

/** How far a moving player goes each tick (PLAYER_SPEED in examples/src/game.rs). */
const SPEED = 10;
/** The arena's width (ARENA_WIDTH). */
const ARENA_WIDTH = 800;
/** The arena's height (ARENA_HEIGHT). */
const ARENA_HEIGHT = 600;
/** Inputs a socket may send at once (INPUT_BURST) and per second (INPUTS_PER_SECOND). */
const INPUT_BURST = 10;
const INPUTS_PER_SECOND = 30;

/** A connected bot over `transports`, disconnected after the test. */
async function bot(t, url, transports = ["websocket"]) {
  const socket = io(url, { transports, forceNew: true, reconnection: false, upgrade: false });
  t.after(() => socket.disconnect());
  await connected(socket, "connecting");
  return socket;
}

/** Sends `event` with `args` and resolves with its acknowledgement. */
function ask(socket, event, ...args) {
  return within(socket.emitWithAck(event, ...args), event);
}

/** Joins a match as `name`; resolves with the MatchInfo, failing on a refusal. */
async function join(socket, name) {
  const answer = await ask(socket, "join_match", name);
  assert.equal(answer.ok, true, `join_match ${name}: ${JSON.stringify(answer)}`);
  return answer.data;
}

/** Resolves with the first `state` snapshot `socket` receives that satisfies `predicate`. */
function stateWhere(socket, predicate, what, ms = PATIENCE_MS) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off("state", listener);
      reject(new Error(`no state where ${what} within ${ms} ms`));
    }, ms);
    const listener = (snapshot) => {
      if (predicate(snapshot)) {
        clearTimeout(timer);
        socket.off("state", listener);
        resolve(snapshot);
      }
    };
    socket.on("state", listener);
  });
}

/** Player `id` in `snapshot`. */
function player(snapshot, id) {
  return snapshot.players.find((candidate) => candidate.id === id);
}

/**
 * Steers player `id` of `socket` with input `seq` towards `direction`, waits for
 * the snapshot `watcher` receives that applies it, then for a later one; resolves
 * with both views of the player and the ticks between them.
 */
async function steer(socket, watcher, id, seq, direction) {
  const answer = await ask(socket, "input", seq, direction);
  assert.deepEqual(answer, { ok: true, data: null });
  const applied = await stateWhere(watcher, (s) => player(s, id)?.last_seq === seq, `#${id} applies ${seq}`);
  const later = await stateWhere(watcher, (s) => s.tick > applied.tick, `a tick after ${applied.tick}`);
  return { before: player(applied, id), after: player(later, id), ticks: later.tick - applied.tick };
}

describe("game example", async () => {
  test("matchmaking fills a match with 4 players, then opens another", async (t) => {
    const { url } = await useExample(t, "game");
    const transports = [["websocket"], ["polling"], ["websocket"], ["polling"], ["websocket"]];
    const bots = await Promise.all(transports.map((transport) => bot(t, url, transport)));
    const names = ["ada", "bob", "cy", "dee", "eve"];

    const first = await join(bots[0], names[0]);
    assert.equal(first.player_id, 1);
    assert.deepEqual(first.players, [{ id: 1, name: "ada" }]);
    assert.deepEqual([first.arena_width, first.arena_height, first.tick_rate_hz], [ARENA_WIDTH, ARENA_HEIGHT, 20]);
    assert.ok(first.ticks_left > 0);

    const infos = [first];
    for (let index = 1; index < 4; index += 1) {
      const announced = next(bots[0], "player_joined");
      const info = await join(bots[index], names[index]);
      assert.equal(info.match_id, first.match_id, `${names[index]} joins the open match`);
      assert.equal(info.player_id, index + 1);
      assert.deepEqual(info.players.map((p) => p.name), names.slice(0, index + 1));
      assert.deepEqual(await announced, [{ id: index + 1, name: names[index] }]);
      infos.push(info);
    }

    const fifth = await join(bots[4], "eve");
    assert.notEqual(fifth.match_id, first.match_id, "a full match opens another");
    assert.deepEqual(fifth.players, [{ id: 1, name: "eve" }]);

    const full = await stateWhere(bots[1], (s) => s.players.length === 4, "4 players");
    assert.deepEqual(full.players.map((p) => p.id), [1, 2, 3, 4]);
    for (const p of full.players) {
      assert.ok(p.x >= 0 && p.x <= ARENA_WIDTH && p.y >= 0 && p.y <= ARENA_HEIGHT, JSON.stringify(p));
    }
    assert.equal(full.coins.length, 5);
    const alone = await stateWhere(bots[4], () => true, "any");
    assert.deepEqual(alone.players.map((p) => p.id), [1], "each match broadcasts to its own players");
  });

  test("inputs move players in the next snapshots, seen by everyone in the match", async (t) => {
    const { url } = await useExample(t, "game");
    const alice = await bot(t, url, ["websocket"]);
    const bob = await bot(t, url, ["polling"]);
    const aliceId = (await join(alice, "alice")).player_id;
    const bobId = (await join(bob, "bob")).player_id;

    const right = await steer(alice, bob, aliceId, 1, "right");
    assert.equal(right.before.direction, "right");
    assert.equal(right.after.x, Math.min(right.before.x + SPEED * right.ticks, ARENA_WIDTH));
    assert.equal(right.after.y, right.before.y);

    const down = await steer(bob, alice, bobId, 1, "down");
    assert.equal(down.after.y, Math.min(down.before.y + SPEED * down.ticks, ARENA_HEIGHT));
    assert.equal(down.after.x, down.before.x);

    const stop = await steer(alice, alice, aliceId, 2, "stop");
    assert.deepEqual([stop.after.x, stop.after.y], [stop.before.x, stop.before.y]);
    assert.equal(stop.after.last_seq, 2);

    const left = await steer(alice, alice, aliceId, 3, "left");
    assert.equal(left.after.x, Math.max(left.before.x - SPEED * left.ticks, 0));
  });

  test("invalid requests are refused with their documented errors; the connection stays", async (t) => {
    const { url } = await useExample(t, "game");
    const alice = await bot(t, url, ["polling"]);

    const idle = await ask(alice, "input", 1, "up");
    assert.equal(idle.ok, false);
    assert.equal(idle.error.code, "not_in_match");
    assert.equal(typeof idle.error.message, "string");
    assert.equal((await ask(alice, "leave_match")).error.code, "not_in_match");

    for (const name of ["", "   ", "x".repeat(17), 42]) {
      const refused = await ask(alice, "join_match", name);
      assert.equal(refused.error, "invalid_arguments", JSON.stringify(name));
      assert.equal(refused.event, "join_match");
    }

    const { player_id: id } = await join(alice, "alice");
    assert.equal((await ask(alice, "join_match", "again")).error.code, "already_in_match");

    for (const args of [[1, "sideways"], [-1, "up"], ["1", "up"], [1.5, "up"], [1]]) {
      const refused = await ask(alice, "input", ...args);
      assert.equal(refused.error, "invalid_arguments", JSON.stringify(args));
      assert.equal(refused.event, "input");
    }

    assert.deepEqual(await ask(alice, "input", 5, "up"), { ok: true, data: null });
    for (const seq of [5, 4, 0]) {
      const stale = await ask(alice, "input", seq, "down");
      assert.equal(stale.error.code, "stale_input", `seq ${seq}`);
    }

    assert.ok(alice.connected, "refusals keep the connection open");
    const applied = await stateWhere(alice, (s) => player(s, id)?.last_seq === 5, "seq 5 applied");
    assert.equal(player(applied, id).direction, "up", "refused inputs change nothing");
  });

  test("input flooding is limited to a burst, then a steady rate", async (t) => {
    const { url } = await useExample(t, "game");
    const alice = await bot(t, url, ["websocket"]);
    const { player_id: id } = await join(alice, "alice");

    const flood = 100;
    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: flood }, (_, index) => ask(alice, "input", index + 1, index % 2 ? "up" : "down")),
    );
    const seconds = (performance.now() - started) / 1000;

    const accepted = answers.flatMap((answer, index) => (answer.ok ? [index + 1] : []));
    const refused = answers.filter((answer) => !answer.ok);
    for (const answer of refused) {
      assert.equal(answer.error.code, "rate_limited");
    }
    const allowed = Math.floor(INPUT_BURST + INPUTS_PER_SECOND * seconds) + 1;
    assert.ok(accepted.length >= INPUT_BURST, `accepted ${accepted.length}`);
    assert.ok(accepted.length <= allowed, `accepted ${accepted.length} of ${flood} in ${seconds} s`);
    assert.deepEqual(accepted.slice(0, INPUT_BURST), Array.from({ length: INPUT_BURST }, (_, i) => i + 1));

    assert.ok(alice.connected, "a flood is refused, not disconnected");
    const last = accepted.at(-1);
    await stateWhere(alice, (s) => player(s, id)?.last_seq === last, `the last accepted input, ${last}`);
  });

  test("the others get player_left when a player disconnects or leaves", async (t) => {
    const { url } = await useExample(t, "game");
    const alice = await bot(t, url, ["websocket"]);
    const bob = await bot(t, url, ["polling"]);
    const carol = await bot(t, url, ["websocket"]);
    const match = (await join(alice, "alice")).match_id;
    const bobId = (await join(bob, "bob")).player_id;
    const carolInfo = await join(carol, "carol");
    assert.equal(carolInfo.match_id, match);

    const bobLeft = [next(alice, "player_left"), next(carol, "player_left")];
    bob.disconnect();
    for (const [left] of await Promise.all(bobLeft)) {
      assert.deepEqual(left, { id: bobId, name: "bob" });
    }

    const carolLeft = next(alice, "player_left");
    assert.deepEqual(await ask(carol, "leave_match"), { ok: true, data: null });
    assert.deepEqual(await carolLeft, [{ id: carolInfo.player_id, name: "carol" }]);
    const onlyAlice = await stateWhere(alice, (s) => s.players.length === 1, "alice alone");
    assert.deepEqual(onlyAlice.players.map((p) => p.id), [1]);

    const back = await join(carol, "carol");
    assert.equal(back.match_id, match, "a player who left may join again");
    assert.notEqual(back.player_id, carolInfo.player_id, "under a new player id");
  });

  test("a match ends with match_over, after which its players may join another", async (t) => {
    const { url } = await useExample(t, "game", { env: { GAME_MATCH_SECONDS: "1.5" } });
    const alice = await bot(t, url, ["websocket"]);
    const bob = await bot(t, url, ["polling"]);
    const overs = [next(alice, "match_over"), next(bob, "match_over")];
    const infos = [await join(alice, "alice"), await join(bob, "bob")];
    assert.ok(infos[0].ticks_left <= 30, `ticks_left ${infos[0].ticks_left}`);

    const results = await Promise.all(overs);
    for (const [index, [result]] of results.entries()) {
      const info = infos[index];
      assert.equal(result.match_id, info.match_id);
      const mine = result.standings.find((standing) => standing.id === info.player_id);
      assert.deepEqual(mine, { id: info.player_id, name: ["alice", "bob"][index], score: mine.score });
      const best = Math.max(...result.standings.map((standing) => standing.score));
      const winners = result.standings.filter((standing) => standing.score === best).map((standing) => standing.id);
      assert.deepEqual(result.winners, winners);
    }

    assert.equal((await ask(alice, "input", 1, "up")).error.code, "not_in_match");
    const again = await join(alice, "alice");
    assert.notEqual(again.match_id, infos[0].match_id, "an ended match takes no one");
    assert.ok(alice.connected && bob.connected);
  });

  test("past the match limit, join_match is refused with server_full until a seat frees", async (t) => {
    const env = { GAME_MAX_MATCHES: "1", GAME_PLAYERS_PER_MATCH: "2" };
    const { url } = await useExample(t, "game", { env });
    const alice = await bot(t, url, ["websocket"]);
    const bob = await bot(t, url, ["polling"]);
    const carol = await bot(t, url, ["websocket"]);
    await join(alice, "alice");
    await join(bob, "bob");

    const refused = await ask(carol, "join_match", "carol");
    assert.equal(refused.ok, false);
    assert.equal(refused.error.code, "server_full");

    assert.deepEqual(await ask(bob, "leave_match"), { ok: true, data: null });
    const seated = await join(carol, "carol");
    assert.deepEqual(seated.players.map((p) => p.name), ["alice", "carol"]);
  });
});
