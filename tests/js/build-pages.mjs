// Bundles the browser pages of the examples (examples/<page>/web/src, TypeScript
// typed by examples/generated/<page>.ts) with socket.io-client into one script
// each, examples/<page>/web/dist/app.js, which is committed so that the examples
// build without Node. Run after changing a page:
//
//   npm --prefix tests/js run build:pages          (every page)
//   node tests/js/build-pages.mjs chat             (one page)
//
// The output depends only on the sources and the pinned esbuild: no timestamps, no
// absolute paths. tests/js/test/pages.test.mjs fails while a committed bundle
// differs from a fresh one.

import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

import * as esbuild from "esbuild";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../..");

/** The examples that have a browser page. */
export const PAGES = ["chat", "game"];

/** The command that rebuilds the committed bundles. */
export const BUILD_COMMAND = "npm --prefix tests/js run build:pages";

/** Where the bundle of `page` is committed (served by its example as `/app.js`). */
export function bundlePath(page) {
  return path.join(repoRoot, "examples", page, "web/dist/app.js");
}

/** The bundle of `page` built from its sources now, as text. */
export async function bundlePage(page) {
  const entry = path.join(repoRoot, "examples", page, "web/src/main.ts");
  const result = await esbuild.build({
    absWorkingDir: repoRoot,
    entryPoints: [path.relative(repoRoot, entry)],
    outfile: path.relative(repoRoot, bundlePath(page)),
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

/** The committed bundle of `page`, as text. */
export function committedBundle(page) {
  return readFileSync(bundlePath(page), "utf8");
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const pages = process.argv.length > 2 ? process.argv.slice(2) : PAGES;
  for (const page of pages) {
    if (!PAGES.includes(page)) {
      console.error(`unknown page ${page}; expected one of ${PAGES.join(", ")}`);
      process.exit(64);
    }
    writeFileSync(bundlePath(page), await bundlePage(page));
    console.log(`wrote ${path.relative(process.cwd(), bundlePath(page))}`);
  }
}
