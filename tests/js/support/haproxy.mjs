// An HAProxy load balancer in front of server nodes, for the deployment tests:
// round robin with cookie-based stickiness (the `SERVERID` cookie it inserts), fast
// TCP health checks and redispatch, as docs/deployment.md describes. Needs the
// `haproxy` binary (Debian's package; scripts/test-all.sh installs it).

import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

import { PATIENCE_MS } from "./wait.mjs";

const HAPROXY = process.env.HAPROXY ?? "haproxy";

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Whether something accepts TCP connections at 127.0.0.1:`port`. */
function accepts(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/**
 * The HAProxy configuration balancing `backends` (`{ name, url }`, `url` as
 * `http://HOST:PORT`) behind 127.0.0.1:`port`.
 */
export function haproxyConfig(port, backends) {
  const servers = backends
    .map(({ name, url }) => {
      const { host } = new URL(url);
      return `    server ${name} ${host} cookie ${name} check inter 200ms fall 1 rise 2`;
    })
    .join("\n");
  return `global
    maxconn 4096

defaults
    mode http
    option redispatch
    retries 3
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h

frontend socketio
    bind 127.0.0.1:${port}
    default_backend nodes

backend nodes
    balance roundrobin
    cookie SERVERID insert indirect nocache
${servers}
`;
}

/**
 * Starts HAProxy in front of `backends` for the test context `t`, stopped when the
 * test ends. Resolves to `{ url }` once it accepts connections.
 */
export async function useHaproxy(t, backends) {
  const check = spawnSync(HAPROXY, ["-v"], { encoding: "utf8" });
  if (check.error) {
    throw new Error(
      `the deployment tests need HAProxy ('${HAPROXY}' did not run: ${check.error.message}); ` +
        "install Debian's haproxy package or run scripts/test-all.sh, which does",
    );
  }
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), "tether-haproxy-"));
  const config = path.join(dir, "haproxy.cfg");
  writeFileSync(config, haproxyConfig(port, backends));
  const child = spawn(HAPROXY, ["-db", "-f", config], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const kill = () => child.kill("SIGKILL");
  process.on("exit", kill);
  t.after(async () => {
    kill();
    await exited;
    process.off("exit", kill);
    rmSync(dir, { recursive: true, force: true });
  });

  const deadline = Date.now() + PATIENCE_MS;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`HAProxy did not start on port ${port}:\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url: `http://127.0.0.1:${port}`, output: () => stderr };
}
