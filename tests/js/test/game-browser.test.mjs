// The arena page (examples/game/web) in a real headless Chromium, served by the
// game example: players join through the page, steer with the keyboard, see each
// other come and go, and see the end of a match.
//
// The browser is Debian's Chromium (/usr/bin/chromium, or $CHROMIUM), driven by
// playwright-core, as in chat-browser.test.mjs. Every wait is for a condition in
// the page, with PATIENCE_MS as its failure bound.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { useExample } from "../support/server.mjs";
import { PATIENCE_MS } from "../support/wait.mjs";
import { useBrowser } from "../support/browser.mjs";


/** Waits until `condition(argument)`, run in the page, holds; `what` names it on failure. */
async function until(page, what, condition, argument) {
  try {
    await page.waitForFunction(condition, argument, { timeout: PATIENCE_MS });
  } catch (error) {
    throw new Error(`${what} on ${page.url()}: ${error.message}`);
  }
}

/** Waits until the element matching `selector` has text matching `pattern`. */
function untilText(page, selector, pattern) {
  return until(
    page,
    `${selector} matches ${pattern}`,
    ({ selector, source }) => new RegExp(source).test(document.querySelector(selector)?.textContent ?? ""),
    { selector, source: pattern.source },
  );
}

/** Waits until `count` elements match `selector`. */
function untilCount(page, selector, count) {
  return until(
    page,
    `${count} × ${selector}`,
    ({ selector, count }) => document.querySelectorAll(selector).length === count,
    { selector, count },
  );
}

/** A page of its own showing the arena at `url`; it must throw no uncaught error. */
async function openArena(t, browser, url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(PATIENCE_MS);
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));
  t.after(async () => {
    await context.close();
    assert.deepEqual(errors, [], `uncaught errors in ${page.url()}`);
  });
  await page.goto(`${url}/`);
  await until(page, "connected", () => document.querySelector("#status")?.dataset.status === "connected");
  return page;
}

/** Joins a match as `name`; resolves with the match's title. */
async function play(page, name) {
  await page.fill("#name", name);
  await page.click("#join-form button[type=submit]");
  await untilText(page, "#match", /^Match \d+$/);
  await until(page, "a position", () => document.querySelector("#you")?.dataset.x !== undefined);
  return page.textContent("#match");
}

/** The position the page shows for its own player. */
async function position(page) {
  const { x, y } = await page.$eval("#you", (node) => ({ ...node.dataset }));
  return { x: Number(x), y: Number(y) };
}

describe("arena page in headless Chromium", () => {
  const browser = useBrowser();

  test("two players share a match; the keyboard steers; leaving is seen by the other", async (t) => {
    const { url } = await useExample(t, "game");
    const alice = await openArena(t, browser(), url);
    const bob = await openArena(t, browser(), url);

    await alice.fill("#name", "   ");
    await alice.click("#join-form button[type=submit]");
    await untilText(alice, "#join-error", /1 to 16 characters/);

    const match = await play(alice, "alice");
    assert.equal(await play(bob, "bob"), match);
    await untilCount(alice, "#scores li", 2);
    await untilText(alice, "#notice", /^bob joined$/);

    const start = await position(alice);
    await alice.keyboard.press("ArrowRight");
    await until(alice, "moving right", (x) => Number(document.querySelector("#you")?.dataset.x) > x, start.x);
    await alice.keyboard.press("s");
    await until(alice, "moving down", (y) => Number(document.querySelector("#you")?.dataset.y) > y, start.y);

    await bob.click("#leave");
    await until(bob, "back in the lobby", () => !document.querySelector("#lobby")?.hidden);
    await untilCount(alice, "#scores li", 1);
    await untilText(alice, "#notice", /^bob left$/);
  });

  test("the end of a match shows the winners, and Play again joins a new match", async (t) => {
    const { url } = await useExample(t, "game", { env: { GAME_MATCH_SECONDS: "1.5" } });
    const page = await openArena(t, browser(), url);
    const first = await play(page, "alice");
    await untilText(page, "#notice", /^Match over\. Won by alice \(\d+\)$/);
    await page.click("#play-again");
    await until(page, "a new match", (first) => {
      const title = document.querySelector("#match")?.textContent ?? "";
      return title !== first && /^Match \d+$/.test(title);
    }, first);
  });
});
