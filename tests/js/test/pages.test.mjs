// The examples' browser pages: each committed bundle is what its sources build to
// now, and each example serves its page, script and style.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";

import { BUILD_COMMAND, PAGES, bundlePage, committedBundle } from "../build-pages.mjs";
import { repoRoot, useExample } from "../support/server.mjs";

for (const page of PAGES) {
  test(`the committed ${page} bundle is what the page's sources build to`, async () => {
    const fresh = await bundlePage(page);
    assert.equal(await bundlePage(page), fresh, "two builds differ: the build is not deterministic");
    assert.ok(
      committedBundle(page) === fresh,
      `examples/${page}/web/dist/app.js is stale; rebuild it with: ${BUILD_COMMAND}`,
    );
  });

  test(`the ${page} example serves the page, its script and its style`, async (t) => {
    const { url } = await useExample(t, page);
    const files = [
      ["/", `examples/${page}/web/index.html`, "text/html; charset=utf-8"],
      ["/app.js", `examples/${page}/web/dist/app.js`, "text/javascript; charset=utf-8"],
      ["/style.css", `examples/${page}/web/style.css`, "text/css; charset=utf-8"],
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
}
