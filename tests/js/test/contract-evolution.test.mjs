// Contracts that evolve, checked against the wire with the `contract_evolution`
// example server, which runs the NEW version of each pair of contracts:
//
// - for each pair, a socket.io-client typed by the OLD generated TypeScript (the
//   call type-checks under `tsc --strict`) emits to the new server, and what the
//   server answers (the event's "ok", tether's `invalid_arguments`, or nothing)
//   agrees with `tether-contract diff old new`: breaking for old clients → new
//   server ⇔ refused; compatible ⇔ accepted;
// - version negotiation: socket.io-client presenting the `ContractVersion` of an
//   old or a new generated bundle in `auth.contract` is accepted when the server
//   serves that version (its own, or an older one the check finds compatible)
//   and refused with `connect_error` `contract_mismatch` otherwise.
//
// Needs `cargo build --workspace --bins --examples` (the example and the
// `tether-contract` binary).

import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { io } from "socket.io-client";
import ts from "typescript";

import { exampleBinary, repoRoot, startExample } from "../support/server.mjs";
import { connected, refusal } from "../support/sio.mjs";
import { PATIENCE_MS } from "../support/wait.mjs";

/** How long a client waits for an answer that should never come. */
const NO_ANSWER_MS = 2_000;

const WEBSOCKET = { transports: ["websocket"] };

/**
 * Each pair: the event an old client emits and its arguments (TypeScript
 * source, valid under the old contract), and what the new server does with it.
 */
const PAIRS = [
  { name: "arg_added_required", args: ['"x"'], outcome: "invalid_arguments" },
  { name: "arg_added_optional", args: ['"x"'], outcome: "ok" },
  { name: "arg_removed", args: ['"x"', "1"], outcome: "ok" },
  { name: "arg_retyped", args: ['"x"'], outcome: "invalid_arguments" },
  { name: "integer_to_number", args: ["7"], outcome: "ok" },
  { name: "number_to_integer", args: ["1.5"], outcome: "invalid_arguments" },
  { name: "integer_narrowed", args: ["300"], outcome: "invalid_arguments" },
  { name: "field_made_required", args: ['{ name: "x" }'], outcome: "invalid_arguments" },
  { name: "field_made_optional", args: ['{ name: "x", nick: "y" }'], outcome: "ok" },
  { name: "field_added_required", args: ['{ name: "x" }'], outcome: "invalid_arguments" },
  { name: "field_removed", args: ['{ name: "x", age: 1 }'], outcome: "ok" },
  { name: "variant_removed", args: ['"Blue"'], outcome: "invalid_arguments" },
  { name: "variant_added", args: ['"Red"'], outcome: "ok" },
  { name: "tagged_variant_removed", args: ['{ kind: "Square", side: 2 }'], outcome: "invalid_arguments" },
  { name: "event_removed", event: "legacy", args: ['"x"'], outcome: "no answer" },
  { name: "ack_removed", args: ['"x"'], outcome: "no answer" },
];

function contractBinary() {
  const target = process.env.CARGO_TARGET_DIR
    ? path.resolve(repoRoot, process.env.CARGO_TARGET_DIR)
    : path.join(repoRoot, "target");
  const binary = path.join(target, "debug", "tether-contract");
  if (!existsSync(binary)) {
    throw new Error(`${binary} does not exist; run \`cargo build --workspace --bins --examples\` first`);
  }
  return binary;
}

/** `tether-contract diff old new --json`: its exit code and report. */
function diff(dir, old, current) {
  const result = spawnSync(
    contractBinary(),
    ["diff", path.join(dir, `${old}.schema.json`), path.join(dir, `${current}.schema.json`), "--json"],
    { encoding: "utf8" },
  );
  assert.ok(result.status === 0 || result.status === 1, `tether-contract failed: ${result.stderr}`);
  return { code: result.status, report: JSON.parse(result.stdout) };
}

/** The diagnostics of type-checking `files` against socket.io-client. */
function typecheck(files) {
  const options = {
    strict: true,
    noEmit: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
    types: [],
    paths: { "socket.io-client": [path.join(repoRoot, "tests/js/node_modules/socket.io-client")] },
  };
  const program = ts.createProgram(files, options);
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n");
    if (!diagnostic.file) {
      return message;
    }
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    return `${path.basename(diagnostic.file.fileName)}:${line + 1} TS${diagnostic.code}: ${message}`;
  });
}

/** The module a generated .ts file compiles to, imported. */
async function importGenerated(file) {
  const { outputText } = ts.transpileModule(readFileSync(file, "utf8"), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  return import(`data:text/javascript;base64,${Buffer.from(outputText).toString("base64")}`);
}

/** A connected socket.io-client socket, closed when the test ends. */
async function join(t, url, nsp, options = {}) {
  const socket = io(`${url}${nsp}`, { ...WEBSOCKET, forceNew: true, reconnection: false, ...options });
  t.after(() => socket.disconnect());
  await connected(socket);
  return socket;
}

describe("contracts that evolve", () => {
  let dir;
  let server;
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "tether-contracts-"));
    execFileSync(exampleBinary("contract_evolution"), ["export", dir]);
    server = await startExample("contract_evolution");
  });
  after(async () => {
    await server?.stop();
    if (dir) {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("old clients' calls type-check against the old generated TypeScript", () => {
    const files = PAIRS.map(({ name, event = "send", args }) => {
      const file = path.join(dir, `${name}.client.ts`);
      writeFileSync(
        file,
        `import type { Socket } from "socket.io-client";
import type { ClientToServerEvents, ServerToClientEvents } from "./${name}.old";

export async function call(socket: Socket<ServerToClientEvents, ClientToServerEvents>): Promise<unknown> {
  // @ts-expect-error: the old contract's types are real, not \`any\`
  socket.emit("${event}", Symbol("wrong"), () => {});
  return socket.timeout(1000).emitWithAck("${event}", ${args.join(", ")});
}
`,
      );
      return file;
    });
    assert.deepEqual(typecheck(files), []);
  });

  for (const pair of PAIRS) {
    test(`${pair.name}: the new server's answer agrees with the report`, async (t) => {
      const { code, report } = diff(dir, `${pair.name}.old`, `${pair.name}.new`);
      assert.equal(code, report.breaking ? 1 : 0);

      const socket = await join(t, server.url, `/${pair.name}`);
      const args = Function(`return [${pair.args.join(", ")}];`)();
      const expectsAnswer = pair.outcome !== "no answer";
      let outcome;
      try {
        const answer = await socket
          .timeout(expectsAnswer ? PATIENCE_MS : NO_ANSWER_MS)
          .emitWithAck(pair.event ?? "send", ...args);
        outcome = answer === "ok" ? "ok" : answer?.error;
      } catch {
        outcome = "no answer";
      }
      assert.equal(outcome, pair.outcome, `what the new server did with ${JSON.stringify(args)}`);

      const accepted = outcome === "ok";
      const changes = report.changes.map((change) => `${change.kind} ${change.location} ${JSON.stringify(change.breaks)}`);
      assert.equal(
        report.breaks.oldClientsNewServer,
        !accepted,
        `report (old clients → new server) vs wire (${outcome}):\n${changes.join("\n")}`,
      );
    });
  }

  test("the report of each pair names the event the old client emitted", () => {
    for (const pair of PAIRS.filter((pair) => pair.outcome !== "ok")) {
      const { report } = diff(dir, `${pair.name}.old`, `${pair.name}.new`);
      const breaking = report.changes.filter((change) => change.breaks.oldClientsNewServer);
      assert.ok(
        breaking.some((change) => change.event === (pair.event ?? "send") && change.direction === "clientToServer"),
        `${pair.name}: ${JSON.stringify(breaking)}`,
      );
    }
  });

  describe("version negotiation", () => {
    let bundles;
    before(async () => {
      bundles = {};
      for (const version of ["v0", "v1", "v2"]) {
        bundles[version] = await importGenerated(path.join(dir, `versioned.${version}.ts`));
      }
    });

    test("each generated bundle exports its contract version, and clients using it type-check", () => {
      assert.deepEqual(
        Object.values(bundles).map((bundle) => bundle.ContractVersion),
        ["0", "1", "2"],
      );
      const file = path.join(dir, "versioned.client.ts");
      writeFileSync(
        file,
        `import { io, type Socket } from "socket.io-client";
import { ContractVersion, type ClientToServerEvents, type ServerToClientEvents } from "./versioned.v1";

export function open(url: string): Socket<ServerToClientEvents, ClientToServerEvents> {
  return io(url, { auth: { contract: ContractVersion } });
}
`,
      );
      assert.deepEqual(typecheck([file]), []);
    });

    test("the current bundle's version is accepted", async (t) => {
      const socket = await join(t, server.url, "/versioned", { auth: { contract: bundles.v2.ContractVersion } });
      assert.equal(await socket.timeout(PATIENCE_MS).emitWithAck("hello", "Ada", "hi"), "hi Ada");
    });

    test("an old bundle the check finds compatible is accepted", async (t) => {
      const { code } = diff(dir, "versioned.v1", "versioned.v2");
      assert.equal(code, 0);
      const socket = await join(t, server.url, "/versioned", { auth: { contract: bundles.v1.ContractVersion } });
      assert.equal(await socket.timeout(PATIENCE_MS).emitWithAck("hello", "Ada"), "hello Ada");
    });

    test("an old bundle with breaking changes is refused with contract_mismatch", async (t) => {
      const { code, report } = diff(dir, "versioned.v0", "versioned.v2");
      assert.equal(code, 1);
      assert.equal(report.breaks.oldClientsNewServer, true);
      const error = await refusal(t, server.url, WEBSOCKET, {
        nsp: "/versioned",
        auth: { contract: bundles.v0.ContractVersion },
      });
      assert.equal(error.message, "contract_mismatch");
      assert.deepEqual(error.data, { code: "contract_mismatch", server: "2", client: "0" });
    });

    test("an unknown version is refused, and a client presenting none is accepted", async (t) => {
      const error = await refusal(t, server.url, WEBSOCKET, { nsp: "/versioned", auth: { contract: "9" } });
      assert.deepEqual(error.data, { code: "contract_mismatch", server: "2", client: "9" });
      const socket = await join(t, server.url, "/versioned");
      assert.equal(await socket.timeout(PATIENCE_MS).emitWithAck("hello", "Bo"), "hello Bo");
    });
  });
});
