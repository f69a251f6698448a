// Mixed Redis clusters for the JavaScript tests: tether nodes (the `cluster_node`
// example) and Node.js socket.io 4.8 nodes with `@socket.io/redis-adapter` 8.3
// (support/node-redis-server.mjs) on one Redis (REDIS_URL, else
// redis://127.0.0.1:6379), under a channel prefix of their own. Both kinds of
// node take the same client events (`join`, `broadcast`, `cluster`, `ask
// servers`, `ask everyone`), so a test drives every operation the same way on
// every node.

import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { io } from "socket.io-client";

import { useExample } from "./server.mjs";
import { connected } from "./sio.mjs";
import { PATIENCE_MS, within } from "./wait.mjs";

export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

const here = path.dirname(fileURLToPath(import.meta.url));
const running = new Set();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** A channel prefix no other test uses. */
export function uniqueKey(test) {
  return `tether-js-${test}-${randomBytes(6).toString("hex")}`;
}

/**
 * The environment of a node of cluster `key` with adapter `mode` (`classic`,
 * or `sharded` with `subscriptionMode`).
 */
function clusterEnv(key, { mode, subscriptionMode = "static", requestsTimeoutMs, name }) {
  const env = { REDIS_URL, KEY: key, NAME: name, SHARDED: String(mode === "sharded") };
  if (mode === "sharded") env.SUBSCRIPTION_MODE = subscriptionMode;
  if (requestsTimeoutMs) env.REQUESTS_TIMEOUT_MS = String(requestsTimeoutMs);
  return env;
}

/** A tether node, stopped after the test; `child` is its process. */
export async function tetherNode(t, key, options) {
  const node = await useExample(t, "cluster_node", { env: clusterEnv(key, options) });
  return { ...node, name: options.name, kind: "tether" };
}

/**
 * A Node.js node, killed after the test; `child` is its process. `options.env`
 * adds to its environment (`ADMIN_UI=1` instruments it for the Admin UI).
 */
export async function nodeNode(t, key, options) {
  const child = spawn(process.execPath, [path.join(here, "node-redis-server.mjs")], {
    env: { ...process.env, ...clusterEnv(key, options), ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  running.add(child);
  const exited = new Promise((resolve) => {
    child.once("exit", (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  t.after(async () => {
    child.stdin.end();
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
    await exited;
    clearTimeout(timer);
  });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk) => (stderr += chunk));
  let stdout = "";
  child.stdout.setEncoding("utf8");
  const url = await within(
    new Promise((resolve, reject) => {
      child.stdout.on("data", (chunk) => {
        stdout += chunk;
        const match = /listening on (http:\/\/\S+)/.exec(stdout);
        if (match) resolve(match[1]);
      });
      exited.then(({ code, signal }) =>
        reject(new Error(`the Node.js node exited (${code ?? signal}); stderr:\n${stderr}`)),
      );
    }),
    "the Node.js node listens",
  );
  return { url, child, exited, name: options.name, kind: "node" };
}

/**
 * A connected socket.io-client of `node` named `name`: it acknowledges `poke`
 * with its name and records every event it gets in `client.seen` as
 * `[event, ...args]`.
 */
export async function clusterClient(t, node, name) {
  const socket = io(node.url, { transports: ["websocket"], forceNew: true, reconnection: false });
  t.after(() => socket.disconnect());
  socket.seen = [];
  socket.clientName = name;
  socket.onAny((event, ...args) => socket.seen.push([event, ...args]));
  socket.on("poke", (ack) => ack(name));
  await connected(socket, `${name} connects`);
  return socket;
}

/** Emits `event(arg)` from `client` and resolves with the acknowledgement. */
export function ask(client, event, arg, ms = PATIENCE_MS) {
  return within(client.timeout(ms).emitWithAck(event, arg), `${event} from ${client.clientName}`, ms + 1000);
}

/** Runs the cluster operation `spec` through `client`'s node; fails on `{error}`. */
export async function cluster(client, spec) {
  const answer = await ask(client, "cluster", spec);
  if (answer && answer.error) {
    throw new Error(`${spec.op} from ${client.clientName}: ${answer.error}`);
  }
  return answer;
}

/** Retries `attempt` until it resolves with something `accept` takes, or fails. */
export async function eventually(attempt, accept, what, ms = PATIENCE_MS) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    last = await attempt();
    if (accept(last)) return last;
    if (Date.now() > deadline) {
      throw new Error(`${what}: still ${JSON.stringify(last)} after ${ms} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
