// Bundles the game page's TypeScript (examples/game/web/src) and socket.io-client
// into one script, examples/game/web/dist/app.js, which is committed so that the
// game example builds without Node. Run after changing the page:
//
//   npm --prefix tests/js run build:game
//
// The output depends only on the sources and the pinned esbuild.
// tests/js/test/game-page.test.mjs fails while the committed bundle differs from
// a fresh one.

import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

import * as esbuild from "esbuild";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../..");

/** The command that rebuilds the committed bundle. */
export const BUILD_COMMAND = "npm --prefix tests/js run build:game";

/** The page's entry point, and the bundle the game example serves as `/app.js`. */
export const ENTRY = path.join(repoRoot, "examples/game/web/src/main.ts");
export const BUNDLE = path.join(repoRoot, "examples/game/web/dist/app.js");

/** The bundle built from the sources now, as text. */
export async function bundleGamePage() {
  const result = await esbuild.build({
    absWorkingDir: repoRoot,
    entryPoints: [path.relative(repoRoot, ENTRY)],
    outfile: path.relative(repoRoot, BUNDLE),
    bundle: true,
    write: false,
    format: "iife",
    platform: "browser",
    target: "es2020",
    minify: true,
    charset: "utf8",
    legalComments: "eof",
    nodePaths: [path.join(here, "node_modules")],
    logLevel: "silent",
  });
  const [output] = result.outputFiles;
  return output.text;
}

/** The committed bundle, as text. */
export function committedBundle() {
  return readFileSync(BUNDLE, "utf8");
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(BUNDLE, await bundleGamePage());
  console.log(`wrote ${path.relative(process.cwd(), BUNDLE)}`);
}
