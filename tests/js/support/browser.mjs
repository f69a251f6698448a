// Debian's Chromium (/usr/bin/chromium, or $CHROMIUM) for the page tests, driven
// by playwright-core, which never downloads a browser of its own.

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before } from "node:test";

import { chromium } from "playwright-core";

/** The browser the page tests run. */
export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

/**
 * Launches headless Chromium before the tests of the enclosing `describe` and
 * closes it after them; returns a getter for the running browser.
 */
export function useBrowser() {
  let browser;
  before(async () => {
    assert.ok(
      existsSync(CHROMIUM),
      `${CHROMIUM} is missing: install Debian's chromium (scripts/test-all.sh does) or set CHROMIUM`,
    );
    // The sandbox needs privileges that root and most containers do not grant;
    // the browser only ever loads the local example pages.
    browser = await chromium.launch({ executablePath: CHROMIUM, chromiumSandbox: false });
  });
  after(async () => {
    await browser?.close();
  });
  return () => browser;
}
