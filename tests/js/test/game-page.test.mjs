// The game page's files: the committed bundle is what its sources build to now,
// and the game example serves the page, its script and its style.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";

import { BUILD_COMMAND, bundleGamePage, committedBundle } from "../build-game-page.mjs";
import { repoRoot, useExample } from "../support/server.mjs";

test("the committed game bundle is what the page's sources build to", async () => {
  const fresh = await bundleGamePage();
  assert.equal(await bundleGamePage(), fresh, "two builds differ: the build is not deterministic");
  assert.ok(
    committedBundle() === fresh,
    `examples/game/web/dist/app.js is stale; rebuild it with: ${BUILD_COMMAND}`,
  );
});

test("the game example serves the page, its script and its style", async (t) => {
  const { url } = await useExample(t, "game");
  const files = [
    ["/", "examples/game/web/index.html", "text/html; charset=utf-8"],
    ["/app.js", "examples/game/web/dist/app.js", "text/javascript; charset=utf-8"],
    ["/style.css", "examples/game/web/style.css", "text/css; charset=utf-8"],
  ];
  for (const [route, file, type] of files) {
    const response = await fetch(`${url}${route}`);
    assert.equal(response.status, 200, route);
    assert.equal(response.headers.get("content-type"), type, route);
    assert.equal(response.headers.get("cache-control"), "no-cache", route);
    assert.equal(await response.text(), readFileSync(path.join(repoRoot, file), "utf8"), route);
  }
  const missing = await fetch(`${url}/nothing-here`);
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
});
