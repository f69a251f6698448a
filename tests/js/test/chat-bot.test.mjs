// The chat example's Rust bot (examples/chat_bot, the typed Rust client) in a room
// with the official socket.io-client: it joins and answers `!echo`, over plain
// HTTP and over HTTPS/WSS (the chat example serving TLS with a certificate signed
// by a CA the test makes with openssl, which the bot trusts through `CHAT_CA`).

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";

import { io } from "socket.io-client";

import { makeCertificates as makeCertificatesIn } from "../support/certificates.mjs";
import { exampleBinary, useExample } from "../support/server.mjs";
import { connected } from "../support/sio.mjs";
import { collect, next, within } from "../support/wait.mjs";

/** Starts the bot against `url`; resolves once it printed `joined <room>`. */
async function useBot(t, url, room, env = {}) {
  const binary = exampleBinary("chat_bot");
  if (!existsSync(binary)) {
    throw new Error(`${binary} does not exist; run \`cargo build --examples\` first`);
  }
  const bot = spawn(binary, [], {
    env: { RUST_LOG: "warn", ...process.env, ...env, CHAT_URL: url, CHAT_ROOM: room },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const killed = () => bot.kill("SIGKILL");
  process.on("exit", killed);
  t.after(() => {
    process.off("exit", killed);
    killed();
  });
  bot.stdout.setEncoding("utf8");
  const lines = [];
  bot.stdout.on("data", (chunk) => lines.push(...chunk.split("\n").filter(Boolean)));
  const joined = () => lines.some((line) => line.startsWith(`joined ${room} as `));
  while (!joined()) {
    await within(next(bot.stdout, "data"), `the bot joining ${room}`);
  }
}

/** A websocket client named `name` in `room`. */
async function person(t, url, name, room, options = {}) {
  const socket = io(url, {
    transports: ["websocket"],
    forceNew: true,
    reconnection: false,
    auth: { name },
    ...options,
  });
  t.after(() => socket.disconnect());
  await connected(socket, `${name} connecting`);
  await within(socket.emitWithAck("join", room), `${name} joining ${room}`);
  return socket;
}

/** Has `alice` say `!echo <text>` in `room` and checks the bot echoes `text` there. */
async function expectEcho(alice, room, text) {
  const messages = collect(alice, "message", 2);
  const said = await within(alice.emitWithAck("say", room, `!echo ${text}`), "say");
  assert.equal(said.ok, true);
  const [own, answer] = await messages;
  assert.equal(own.from, "alice");
  assert.deepEqual([answer.from, answer.text, answer.room], ["echo-bot", text, room]);
}

test("the Rust bot answers !echo in its room", async (t) => {
  const { url } = await useExample(t, "chat");
  await useBot(t, url, "lobby");
  const alice = await person(t, url, "alice", "lobby");

  await expectEcho(alice, "lobby", "hello bot");
});

/** A CA and a certificate for 127.0.0.1 that it signed, in a temporary directory. */
function makeCertificates(t) {
  const dir = mkdtempSync(path.join(tmpdir(), "tether-chat-tls-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  makeCertificatesIn(dir, "tether chat test CA");
  return dir;
}

test("the Rust bot answers !echo on a chat server served over TLS", async (t) => {
  const dir = makeCertificates(t);
  const { url } = await useExample(t, "chat", {
    env: { TLS_CERT: path.join(dir, "server.pem"), TLS_KEY: path.join(dir, "server.key") },
  });
  assert.match(url, /^https:\/\//);
  await useBot(t, url, "secure", { CHAT_CA: path.join(dir, "ca.pem") });
  const alice = await person(t, url, "alice", "secure", { ca: readFileSync(path.join(dir, "ca.pem")) });

  await expectEcho(alice, "secure", "over tls");
});
