// The real Socket.IO Admin UI (the npm package @socket.io/admin-ui 0.5.1's
// ui/dist), served by the chat example itself (ADMIN_UI_DIR) and driven in
// headless Chromium: it refuses a wrong password, logs in, shows the dashboard,
// lists the chat's sockets and rooms, and disconnects a socket, which the chat
// client sees.
//
// The page loads its fonts and icons from CDNs; those requests are cut off here,
// so buttons are found by their icon's class. With ADMIN_UI_SCREENSHOT=PATH the
// dashboard's screenshot is written to PATH (docs/img/admin-ui.png comes from
// this test).

import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, test } from "node:test";

import { io } from "socket.io-client";

import { useBrowser } from "../support/browser.mjs";
import { repoRoot, useExample } from "../support/server.mjs";
import { connected } from "../support/sio.mjs";
import { next, within, PATIENCE_MS } from "../support/wait.mjs";

const UI_DIR = path.join(repoRoot, "tests/js/node_modules/@socket.io/admin-ui/ui/dist");

// bcryptjs.hashSync("s3cret", 4), as Node's users make their hashes.
const PASSWORD_HASH = "$2a$04$YIK7kS1vXpQhP6yYFsO1P.Z.Wv3hBDiCM535tOeCAAzVQqKne3BJW";

/** A chat user called `name`, connected and in `rooms`. */
async function chatUser(t, url, name, rooms) {
  const socket = io(url, { auth: { name }, transports: ["websocket"], forceNew: true, reconnection: false });
  t.after(() => socket.disconnect());
  await connected(socket, `${name} connecting`);
  for (const room of rooms) {
    await within(socket.emitWithAck("join", room), `${name} joining ${room}`);
  }
  return socket;
}

/** The rows of the page's table, each as its cells' texts. */
function rows(page) {
  return page.$$eval("main table tbody tr", (trs) =>
    trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.innerText.trim())),
  );
}

/** Waits until `accept(rows)` holds; fails with the rows at the deadline. */
async function expectRows(page, accept, what) {
  const deadline = Date.now() + PATIENCE_MS;
  let seen;
  for (;;) {
    seen = await rows(page);
    if (accept(seen)) return seen;
    if (Date.now() > deadline) break;
    await page.waitForTimeout(100);
  }
  assert.fail(`${what}: the table shows ${JSON.stringify(seen)}`);
}

describe("admin UI in a browser (chat example)", () => {
  const browser = useBrowser();

  test("logs in, lists the sockets and rooms, and disconnects a socket", async (t) => {
    const { url } = await useExample(t, "chat", {
      env: {
        ADMIN_UI: "1",
        ADMIN_UI_USER: "admin",
        ADMIN_UI_PASSWORD: PASSWORD_HASH,
        ADMIN_UI_DIR: UI_DIR,
      },
    });
    const ann = await chatUser(t, url, "ann", ["lobby"]);
    const bob = await chatUser(t, url, "bob", ["lobby", "random"]);
    const cat = await chatUser(t, url, "cat", ["random"]);

    // Some traffic for the dashboard's charts.
    for (const [user, room] of [[ann, "lobby"], [bob, "random"], [cat, "random"]]) {
      await within(user.emitWithAck("say", room, `hello from ${room}`), "say");
    }

    const context = await browser().newContext({ viewport: { width: 1280, height: 800 } });
    t.after(() => context.close());
    const page = await context.newPage();
    // Fonts and icons come from CDNs this test does not reach.
    await page.route(/^https?:\/\/(?!127\.0\.0\.1)/, (route) => route.abort());
    await page.goto(`${url}/admin-ui/`);

    // A wrong password is refused.
    await page.getByLabel("Server URL").fill(url);
    await page.getByLabel("Username").fill("admin");
    await page.getByLabel("Password").fill("wrong");
    await page.getByRole("button", { name: "Connect" }).click();
    await page.getByText("invalid credentials").waitFor({ timeout: PATIENCE_MS });

    await page.getByLabel("Password").fill("s3cret");
    await page.getByRole("button", { name: "Connect" }).click();
    await page.locator("header").getByText(/^\s*connected\s*$/i).first().waitFor({ timeout: PATIENCE_MS });

    // The dashboard: the namespaces with their socket counts, from server_stats.
    await expectRows(
      page,
      (seen) => seen.some(([name, count]) => name === "/" && count === "3"),
      "the dashboard's namespaces",
    );
    await page.getByText("Connection", { exact: true }).waitFor({ state: "hidden", timeout: PATIENCE_MS });
    if (process.env.ADMIN_UI_SCREENSHOT) {
      // For the docs only: let the charts finish drawing (not a synchronisation).
      await page.waitForTimeout(1500);
    }
    const screenshot = process.env.ADMIN_UI_SCREENSHOT ?? path.join(tmpdir(), "tether-admin-ui.png");
    await page.screenshot({ path: screenshot });

    // The sockets of `/`, with their address and transport.
    await page.getByText("Sockets", { exact: true }).first().click();
    const sockets = await expectRows(
      page,
      (seen) => [ann, bob, cat].every((user) => seen.some(([id]) => id === user.id)),
      "the sockets",
    );
    for (const user of [ann, bob, cat]) {
      const row = sockets.find(([id]) => id === user.id);
      assert.deepEqual(row.slice(0, 3), [user.id, "127.0.0.1", "WebSocket"]);
    }

    // The rooms of `/` and how many sockets each holds.
    await page.getByText("Rooms", { exact: true }).first().click();
    const rooms = await expectRows(
      page,
      (seen) => seen.length === 2,
      "the rooms",
    );
    const byName = Object.fromEntries(rooms.map(([name, type, count]) => [name, [type, count]]));
    assert.deepEqual(byName, { lobby: ["PUBLIC", "2"], random: ["PUBLIC", "2"] });

    // Disconnect ann from the sockets list: ann's client is told, the list updates.
    await page.getByText("Sockets", { exact: true }).first().click();
    await expectRows(page, (seen) => seen.some(([id]) => id === ann.id), "ann listed");
    const annGone = next(ann, "disconnect");
    await page
      .locator("main table tbody tr", { hasText: ann.id })
      .locator("button:has(.mdi-logout)")
      .click();
    const [reason] = await annGone;
    assert.equal(reason, "io server disconnect");
    await expectRows(
      page,
      (seen) => !seen.some(([id]) => id === ann.id) && seen.some(([id]) => id === bob.id),
      "ann gone from the list",
    );
    assert.equal(bob.connected, true);
    assert.equal(cat.connected, true);
  });
});
