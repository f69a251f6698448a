// The generated TypeScript and AsyncAPI files (tether-codegen), checked with the
// pinned TypeScript compiler and @asyncapi/parser:
//
// - every generated .ts compiles alone under `--strict` with only the ES library
//   (no DOM, no Node types): a self-contained ES module;
// - the usage files in typings/ compile under `--strict` together with
//   socket.io-client's types, each `@ts-expect-error` line failing as it must;
// - the chat and game pages' sources (examples/<name>/web/src) compile under
//   `--strict` against their generated .ts and socket.io-client's types;
// - every generated AsyncAPI document parses with no error diagnostic.
//
// The generated files are the checked-in ones (examples/generated,
// codegen/tests/snapshots), which `cargo test` keeps fresh.

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";

import { Parser } from "@asyncapi/parser";
import ts from "typescript";

import { repoRoot } from "../support/server.mjs";

const GENERATED_DIRS = ["examples/generated", "codegen/tests/snapshots"];
const TYPINGS = path.join(repoRoot, "tests/js/typings");

function generated(suffix) {
  return GENERATED_DIRS.flatMap((dir) =>
    readdirSync(path.join(repoRoot, dir))
      .filter((name) => name.endsWith(suffix))
      .map((name) => path.join(repoRoot, dir, name)),
  );
}

const STRICT = {
  strict: true,
  noEmit: true,
  noUnusedLocals: true,
  noUnusedParameters: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  types: [],
};

/**
 * The diagnostics of compiling `files` with `options`, as readable lines;
 * `replaced` maps absolute paths to source texts that stand in for those files.
 */
function compile(files, options, replaced = {}) {
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, ...rest) => {
    const text = replaced[path.resolve(fileName)];
    return text === undefined
      ? getSourceFile(fileName, languageVersion, ...rest)
      : ts.createSourceFile(fileName, text, languageVersion);
  };
  const program = ts.createProgram(files, options, host);
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n");
    if (!diagnostic.file) {
      return message;
    }
    const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    const file = path.relative(repoRoot, diagnostic.file.fileName);
    return `${file}:${line + 1}:${character + 1} TS${diagnostic.code}: ${message}`;
  });
}

test("the checked TypeScript version is the pinned one", () => {
  assert.match(ts.version, /^5\.9\./);
});

test("every generated .ts compiles alone, strictly, as an ES module", () => {
  const files = generated(".ts");
  assert.ok(files.length >= 2, `generated .ts files: ${files}`);
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    assert.doesNotMatch(text, /declare global/);
    assert.match(text, /^export /m);
  }
  const errors = compile(files, { ...STRICT, lib: ["lib.es2022.d.ts"] });
  assert.deepEqual(errors, []);
});

test("usage files type-check against socket.io-client, and their expected errors fail", () => {
  const usage = readdirSync(TYPINGS)
    .filter((name) => name.endsWith(".usage.ts"))
    .map((name) => path.join(TYPINGS, name));
  assert.ok(usage.length >= 2, `usage files: ${usage}`);
  const errors = compile(usage, { ...STRICT, lib: ["lib.es2022.d.ts", "lib.dom.d.ts"] });
  assert.deepEqual(errors, []);
});

for (const example of ["chat", "game"]) {
  test(`the ${example} page's TypeScript type-checks against the generated types and socket.io-client`, () => {
    const source = path.join(repoRoot, `examples/${example}/web/src`);
    const files = readdirSync(source)
      .filter((name) => name.endsWith(".ts"))
      .map((name) => path.join(source, name));
    assert.ok(files.length >= 1, `page sources: ${files}`);
    const errors = compile(files, {
      ...STRICT,
      lib: ["lib.es2022.d.ts", "lib.dom.d.ts", "lib.dom.iterable.d.ts"],
      paths: { "socket.io-client": [path.join(repoRoot, "tests/js/node_modules/socket.io-client")] },
    });
    assert.deepEqual(errors, []);
  });
}

test("each expected error comes from the generated types", () => {
  // With event maps that let everything through, every `@ts-expect-error` of the
  // chat usage file must turn into an unused directive.
  const usage = path.join(TYPINGS, "chat.usage.ts");
  const expected = readFileSync(usage, "utf8").match(/^\s*\/\/ @ts-expect-error/gm).length;
  const permissive = `
    export type AuthPayload = any;
    export type ChatError = any;
    export type ChatErrorCode = any;
    export type Message = any;
    export type RoomName = any;
    export interface ServerToClientEvents { [event: string]: (...args: any[]) => void }
    export interface ClientToServerEvents { [event: string]: (...args: any[]) => void }
  `;
  const errors = compile(
    [usage],
    { ...STRICT, noImplicitAny: false, lib: ["lib.es2022.d.ts", "lib.dom.d.ts"] },
    { [path.join(repoRoot, "examples/generated/chat.ts")]: permissive },
  );
  assert.ok(errors.every((line) => line.includes("TS2578")), errors.join("\n"));
  assert.equal(errors.length, expected, errors.join("\n"));
});

test("every generated AsyncAPI document parses with no error", async () => {
  const files = generated(".asyncapi.json");
  assert.ok(files.length >= 2, `generated AsyncAPI files: ${files}`);
  const parser = new Parser();
  for (const file of files) {
    const { document, diagnostics } = await parser.parse(readFileSync(file, "utf8"));
    const errors = diagnostics
      .filter((diagnostic) => diagnostic.severity === 0)
      .map((diagnostic) => `${diagnostic.code} at ${diagnostic.path.join("/")}: ${diagnostic.message}`);
    assert.deepEqual(errors, [], path.relative(repoRoot, file));
    assert.ok(document, path.relative(repoRoot, file));
    const operations = document.operations().all();
    assert.ok(operations.length > 0, "operations");
    for (const operation of operations) {
      assert.ok(["send", "receive"].includes(operation.action()), operation.id());
      assert.equal(operation.messages().all().length, 1, operation.id());
      const reply = operation.reply();
      if (reply) {
        assert.equal(reply.messages().all().length, 1, `${operation.id()} reply`);
      }
    }
  }
});
