// The chat page (examples/chat/web) in a real headless Chromium, served by the chat
// example: two users, each on a page of their own, chat through the UI only.
//
// The browser is Debian's Chromium (/usr/bin/chromium, or $CHROMIUM), driven by
// playwright-core, which never downloads a browser of its own; scripts/test-all.sh
// installs it when it is missing. Every wait is for a condition in the page, with
// PATIENCE_MS as its failure bound.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { startExample, useExample } from "../support/server.mjs";
import { PATIENCE_MS } from "../support/wait.mjs";
import { useBrowser } from "../support/browser.mjs";


/**
 * What the elements matching `selector` show: their texts, their input values
 * (`what` = "value") or an attribute (`what` = its name).
 */
function read(page, selector, what) {
  return page.$$eval(
    selector,
    (nodes, what) =>
      nodes.map((node) =>
        what === "text" ? node.textContent : what === "value" ? node.value : node.getAttribute(what),
      ),
    what,
  );
}

/**
 * Waits until the elements matching `selector` show `expected` (see `read`); fails
 * with what they show at the deadline.
 */
async function expectAll(page, selector, expected, what = "text") {
  const want = JSON.stringify(expected);
  try {
    await page.waitForFunction(
      ({ selector, what, want }) => {
        const seen = [...document.querySelectorAll(selector)].map((node) =>
          what === "text" ? node.textContent : what === "value" ? node.value : node.getAttribute(what),
        );
        return JSON.stringify(seen) === want;
      },
      { selector, what, want },
      { timeout: PATIENCE_MS },
    );
  } catch (error) {
    const where = `${selector} (${what}) on ${page.url()}`;
    assert.deepEqual(await read(page, selector, what), expected, where);
    throw error;
  }
}

/** Waits until the one element matching `selector` reads `expected`. */
function expectText(page, selector, expected) {
  return expectAll(page, selector, [expected]);
}

/** Waits until the page's connection status is `status`, over `transport` if given. */
async function expectStatus(page, status, transport) {
  await expectAll(page, "#status", [status], "data-status");
  if (transport) {
    await expectAll(page, "#status", [transport], "data-transport");
  }
}

/**
 * A page of its own (a new browser context) showing the chat at `url` with
 * `query`; it must throw no uncaught error until the test ends.
 */
async function openChat(t, browser, url, query = "") {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(PATIENCE_MS);
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));
  const websockets = [];
  page.on("websocket", (socket) => websockets.push(socket.url()));
  t.after(async () => {
    await context.close();
    assert.deepEqual(errors, [], `uncaught errors in ${page.url()}`);
  });
  await page.goto(`${url}/${query}`);
  return { page, websockets };
}

async function signIn(page, name) {
  await page.fill("#name", name);
  await page.click("#login-form button[type=submit]");
}

async function signedIn(page, name, transport) {
  await signIn(page, name);
  await expectStatus(page, "connected", transport);
  await expectText(page, "#me", name);
}

async function joinRoom(page, room) {
  await page.fill("#room-name", room);
  await page.click("#join-form button[type=submit]");
  await expectText(page, "#room-title", `# ${room}`);
}

async function say(page, text) {
  await page.fill("#text", text);
  await page.click("#send");
}

/** The texts of the messages shown. */
const MESSAGES = "#messages li .text";

describe("chat page in headless Chromium", () => {
  const browser = useBrowser();

  test("a refused name shows the server's connect_error message", async (t) => {
    const { url } = await useExample(t, "chat");
    const { page } = await openChat(t, browser(), url);
    for (const name of ["", "   "]) {
      await signIn(page, name);
      await expectText(page, "#login-error", "name required");
      await expectStatus(page, "disconnected");
    }
    await signIn(page, "n".repeat(33));
    await expectText(page, "#login-error", "name too long");
    assert.equal(await page.isHidden("#chat"), true);
  });

  test("two users chat in a room: history, messages, presence, typing, refusals, leaving", async (t) => {
    const { url } = await useExample(t, "chat");
    const alice = (await openChat(t, browser(), url)).page;
    const bob = (await openChat(t, browser(), url)).page;

    await signedIn(alice, "alice", "websocket");
    await joinRoom(alice, "lobby");
    await expectAll(alice, "#presence li", ["alice"]);
    await expectAll(alice, "#rooms li", ["lobby"]);
    await say(alice, "said before bob came");
    await expectAll(alice, MESSAGES, ["said before bob came"]);
    await expectAll(alice, "#text", [""], "value");

    await signedIn(bob, "bob", "websocket");
    await joinRoom(bob, "lobby");
    await expectAll(bob, MESSAGES, ["said before bob came"]);
    await expectAll(bob, "#presence li", ["alice", "bob"]);
    await expectAll(alice, "#presence li", ["alice", "bob"]);

    await bob.fill("#text", "hi alice");
    await expectText(alice, "#typing", "bob is typing…");
    await expectText(bob, "#typing", "");
    await bob.click("#send");
    const both = ["said before bob came", "hi alice"];
    await expectAll(alice, MESSAGES, both);
    await expectAll(bob, MESSAGES, both);
    await expectText(alice, "#typing", "");
    await expectAll(alice, "#messages li .from", ["alice", "bob"]);

    await say(alice, "   ");
    await expectText(alice, "#say-error", "the text is empty");
    await say(alice, "x".repeat(2_001));
    await expectText(alice, "#say-error", "a text has at most 2000 characters");
    await say(alice, "<b>not bold</b>");
    await expectText(alice, "#say-error", "");
    const all = [...both, "<b>not bold</b>"];
    await expectAll(bob, MESSAGES, all);
    await expectAll(alice, MESSAGES, all);
    assert.equal(await bob.locator("#messages b").count(), 0, "user text is never markup");

    await bob.click("#leave");
    await expectAll(alice, "#presence li", ["alice"]);
    await expectAll(bob, "#rooms li", []);
    await expectText(bob, "#room-title", "Join a room to start");
    await expectAll(bob, "#messages li", []);
  });

  test("a page forced to long-polling chats with a websocket page", async (t) => {
    const { url } = await useExample(t, "chat");
    const polling = await openChat(t, browser(), url, "?transport=polling");
    const websocket = await openChat(t, browser(), url, "?transport=websocket");
    const alice = polling.page;
    const bob = websocket.page;

    await signedIn(alice, "alice", "polling");
    await signedIn(bob, "bob", "websocket");
    await joinRoom(alice, "slow lane");
    await say(alice, "from polling");
    await joinRoom(bob, "slow lane");
    await expectAll(bob, MESSAGES, ["from polling"]);
    await expectAll(alice, "#presence li", ["alice", "bob"]);

    await bob.fill("#text", "from websocket");
    await expectText(alice, "#typing", "bob is typing…");
    await bob.click("#send");
    await expectAll(alice, MESSAGES, ["from polling", "from websocket"]);
    await say(alice, "");
    await expectText(alice, "#say-error", "the text is empty");

    await bob.click("#leave");
    await expectAll(alice, "#presence li", ["alice"]);
    await expectStatus(alice, "connected", "polling");
    assert.deepEqual(polling.websockets, [], "the polling page opened no WebSocket");
    assert.equal(websocket.websockets.length, 1);
  });

  test("when the server restarts, the page reconnects, joins its rooms again and shows their new history", async (t) => {
    const first = await startExample("chat");
    t.after(() => first.stop());
    const { page } = await openChat(t, browser(), first.url);
    await signedIn(page, "alice");
    await joinRoom(page, "lobby");
    await say(page, "before the restart");
    await expectAll(page, MESSAGES, ["before the restart"]);

    await first.stop();
    await expectStatus(page, "reconnecting");
    await expectAll(page, "#presence li", []);
    const port = new URL(first.url).port;
    const second = await startExample("chat", { env: { PORT: port } });
    t.after(() => second.stop());

    await expectStatus(page, "connected");
    await expectAll(page, "#presence li", ["alice"]);
    await expectAll(page, MESSAGES, []);
    await say(page, "after the restart");
    await expectAll(page, MESSAGES, ["after the restart"]);
    await expectText(page, "#say-error", "");
  });
});
