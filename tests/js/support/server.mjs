// Spawning tether's example servers for the JavaScript tests, and cleaning up.
//
// Each example is a binary built by `cargo build --examples` under the cargo target
// directory (`$CARGO_TARGET_DIR`, else `<repo>/target`). It is started with
// `PORT=0`, prints `listening on http://ADDR` (or `https://`) on stdout, and is stopped with SIGTERM
// (SIGKILL if it lingers). Every spawned process is also killed when the test
// process exits, whatever happened. `REDIS_URL` is not passed on unless a test
// sets it in `env`, so examples stand alone unless asked to form a cluster.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { after, before } from "node:test";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

const STARTUP_MS = 20_000;
const STOP_GRACE_MS = 5_000;

const running = new Set();

process.on("exit", () => {
  for (const child of running) {
    child.kill("SIGKILL");
  }
});

/** The path of the built example binary `name`. */
export function exampleBinary(name) {
  const target = process.env.CARGO_TARGET_DIR
    ? path.resolve(repoRoot, process.env.CARGO_TARGET_DIR)
    : path.join(repoRoot, "target");
  const file = process.platform === "win32" ? `${name}.exe` : name;
  return path.join(target, "debug", "examples", file);
}

/**
 * Starts the example `name` on a free port.
 *
 * Resolves to `{ url, child, stop, exited, output }`: `url` is the `http://ADDR`
 * it announced, `stop()` ends it (SIGTERM, then SIGKILL after a grace period),
 * `exited` resolves with `{ code, signal }` when it ends, `output()` returns
 * what it wrote to stderr, for failure messages, and `stdout()` what it wrote to
 * stdout.
 */
export async function startExample(name, { env = {} } = {}) {
  const binary = exampleBinary(name);
  if (!existsSync(binary)) {
    throw new Error(`${binary} does not exist; run \`cargo build --examples\` first`);
  }
  // An example joins a Redis cluster only when the test asks for one: with the
  // REDIS_URL of the test run, unrelated examples would share broadcasts.
  const inherited = { ...process.env };
  delete inherited.REDIS_URL;
  delete inherited.REDIS_PREFIX;
  const child = spawn(binary, [], {
    env: { RUST_LOG: "warn", ...inherited, PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise((resolve) => {
    child.once("exit", (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });

  let stdout = "";
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`${name} announced no address within ${STARTUP_MS} ms; stderr:\n${stderr}`));
    }, STARTUP_MS);
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      const match = /listening on (https?:\/\/\S+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) before listening; stderr:\n${stderr}`));
    });
  }).catch(async (error) => {
    await stopProcess(child, exited);
    throw error;
  });

  return {
    url,
    child,
    exited,
    output: () => stderr,
    stdout: () => stdout,
    stop: () => stopProcess(child, exited),
  };
}

/**
 * Starts the example `name` for the test context `t` and stops it when the test
 * ends, passed or failed.
 */
export async function useExample(t, name, options) {
  const server = await startExample(name, options);
  t.after(() => server.stop());
  return server;
}

/**
 * Starts the example `name` before the tests of the enclosing suite (or file)
 * and stops it after them. Returns a handle whose `server` is what
 * `startExample` resolved to and whose `url` is its address, once started.
 */
export function exampleForSuite(name, options) {
  const handle = {
    server: undefined,
    get url() {
      return handle.server.url;
    },
  };
  before(async () => {
    handle.server = await startExample(name, options);
  });
  after(() => handle.server?.stop());
  return handle;
}

async function stopProcess(child, exited) {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }
  return exited;
}
