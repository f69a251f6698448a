// The `metrics_prometheus` example scraped over HTTP, as Prometheus does, while
// socket.io-clients connect, emit, acknowledge, broadcast and leave: every
// counter and gauge moves by exactly what the clients did.

import assert from "node:assert/strict";
import { test } from "node:test";

import { useExample } from "../support/server.mjs";
import { client, connected } from "../support/sio.mjs";
import { PATIENCE_MS, next, within } from "../support/wait.mjs";

const WEBSOCKET = { transports: ["websocket"] };
const POLLING = { transports: ["polling"] };

/** Parses Prometheus' text format into `{ "name{labels}": value }`. */
function parse(text) {
  const values = {};
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) {
      continue;
    }
    const space = line.lastIndexOf(" ");
    values[line.slice(0, space)] = Number(line.slice(space + 1));
  }
  return values;
}

async function scrape(url) {
  const response = await fetch(url);
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /text\/plain/);
  return parse(await response.text());
}

/**
 * Waits until every series of `expected` has its value (a missing series counts
 * as 0), then asserts them all, so a failure shows every difference at once.
 */
async function expectMetrics(url, expected, what) {
  const pick = (values) =>
    Object.fromEntries(Object.keys(expected).map((name) => [name, values[name] ?? 0]));
  const deadline = Date.now() + PATIENCE_MS;
  let seen = pick(await scrape(url));
  while (Date.now() < deadline && JSON.stringify(seen) !== JSON.stringify(expected)) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    seen = pick(await scrape(url));
  }
  assert.deepEqual(seen, expected, what);
}

/** The length in bytes of a Socket.IO packet as socket.io-parser writes it. */
function packet(type, id, data) {
  return Buffer.byteLength(`${type}${id ?? ""}${data === undefined ? "" : JSON.stringify(data)}`);
}

test("Prometheus sees connections, packets, acks, broadcasts and disconnects as they happen", async (t) => {
  const server = await useExample(t, "metrics_prometheus", { env: { METRICS_PORT: "0" } });
  const metricsUrl = /metrics on (http:\/\/\S+)/.exec(server.stdout())?.[1];
  assert.ok(metricsUrl, `no metrics address in:\n${server.stdout()}`);

  const expected = {
    tether_connections_open: 0,
    'tether_connections_opened_total{transport="websocket"}': 0,
    'tether_connections_opened_total{transport="polling"}': 0,
    'tether_connections_closed_total{reason="transport_close",transport="polling"}': 0,
    tether_namespaces: 1,
    tether_sockets_connected: 0,
    tether_socket_connects_total: 0,
    'tether_socket_disconnects_total{reason="client namespace disconnect"}': 0,
    tether_rooms: 0,
    tether_packets_received_total: 0,
    tether_bytes_received_total: 0,
    tether_packets_sent_total: 0,
    tether_bytes_sent_total: 0,
    tether_broadcasts_total: 0,
    tether_acks_received_total: 0,
    tether_acks_sent_total: 0,
    tether_ack_timeouts_total: 0,
  };
  await expectMetrics(metricsUrl, expected, "a fresh server");

  // Three clients: two over WebSocket, one over polling. Each sends CONNECT
  // ("0") and gets `0{"sid":...}`.
  const a = client(t, server.url, WEBSOCKET);
  const b = client(t, server.url, WEBSOCKET);
  const c = client(t, server.url, POLLING);
  await Promise.all([connected(a), connected(b), connected(c)]);
  Object.assign(expected, {
    tether_connections_open: 3,
    'tether_connections_opened_total{transport="websocket"}': 2,
    'tether_connections_opened_total{transport="polling"}': 1,
    tether_sockets_connected: 3,
    tether_socket_connects_total: 3,
    tether_packets_received_total: 3,
    tether_bytes_received_total: 3 * packet(0),
    tether_packets_sent_total: 3,
    tether_bytes_sent_total: [a, b, c].reduce((sum, s) => sum + packet(0, null, { sid: s.id }), 0),
  });
  await expectMetrics(metricsUrl, expected, "three clients connected");

  // An event with an ack, answered by the server.
  assert.equal(await a.emitWithAck("echo", "hi"), "hi");
  expected.tether_packets_received_total += 1;
  expected.tether_bytes_received_total += packet(2, 0, ["echo", "hi"]);
  expected.tether_packets_sent_total += 1;
  expected.tether_bytes_sent_total += packet(3, 0, ["hi"]);
  expected.tether_acks_sent_total += 1;
  await expectMetrics(metricsUrl, expected, "an echo");

  // A room joined.
  assert.equal(await b.emitWithAck("join", "lobby"), true);
  expected.tether_rooms = 1;
  expected.tether_packets_received_total += 1;
  expected.tether_bytes_received_total += packet(2, 0, ["join", "lobby"]);
  expected.tether_packets_sent_total += 1;
  expected.tether_bytes_sent_total += packet(3, 0, [true]);
  expected.tether_acks_sent_total += 1;
  await expectMetrics(metricsUrl, expected, "a room joined");

  // A broadcast to the three: one broadcast, three packets out.
  const news = [a, b, c].map((s) => next(s, "news"));
  c.emit("shout", "hello");
  await within(Promise.all(news), "news to every client");
  expected.tether_packets_received_total += 1;
  expected.tether_bytes_received_total += packet(2, null, ["shout", "hello"]);
  expected.tether_broadcasts_total += 1;
  expected.tether_packets_sent_total += 3;
  expected.tether_bytes_sent_total += 3 * packet(2, null, ["news", "hello"]);
  await expectMetrics(metricsUrl, expected, "a broadcast");

  // The server asks a for an ack (answered) and b (silent: a timeout).
  a.on("question", (callback) => callback("yes"));
  const answeredA = next(a, "answered");
  const answeredB = next(b, "answered");
  a.emit("ask");
  b.emit("ask");
  assert.deepEqual(await within(answeredA, "a answered"), [true]);
  assert.deepEqual(await within(answeredB, "b timed out"), [false]);
  expected.tether_packets_received_total += 3; // two `ask`, a's ack
  expected.tether_bytes_received_total += 2 * packet(2, null, ["ask"]) + packet(3, 0, ["yes"]);
  expected.tether_acks_received_total += 1;
  expected.tether_ack_timeouts_total += 1;
  expected.tether_packets_sent_total += 4; // two `question`, two `answered`
  expected.tether_bytes_sent_total +=
    2 * packet(2, 0, ["question"]) + packet(2, null, ["answered", true]) + packet(2, null, ["answered", false]);
  await expectMetrics(metricsUrl, expected, "acks from clients");

  // c leaves: its DISCONNECT, then its polling connection closes.
  c.disconnect();
  Object.assign(expected, {
    tether_connections_open: 2,
    'tether_connections_closed_total{reason="transport_close",transport="polling"}': 1,
    tether_sockets_connected: 2,
    'tether_socket_disconnects_total{reason="client namespace disconnect"}': 1,
  });
  expected.tether_packets_received_total += 1;
  expected.tether_bytes_received_total += packet(1);
  await expectMetrics(metricsUrl, expected, "a client gone");
});
