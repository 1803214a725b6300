// Test helper: where Debian's Chromium is, the flags headless WebRTC on loopback needs, and whether the tests must run.
import { existsSync } from 'node:fs';

/** The browser: `CHROMIUM_PATH`, else Debian's `/usr/bin/chromium`. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Whether a Chromium is installed where {@link CHROMIUM_PATH} says. */
export const hasChromium = (): boolean => existsSync(CHROMIUM_PATH);

/**
 * Set in CI (.ci/run): a missing browser, or no network namespace, is then a failure, never
 * a skipped test.
 */
export const BROWSER_REQUIRED = process.env.GAME_NETWORK_REQUIRE_BROWSER === '1';

/**
 * Chromium's flags: headless as root, and WebRTC over loopback with real IP candidates (not
 * mDNS names) in a network namespace where only `lo` exists. Nothing phones home.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  // Pages that are not in front keep their timers (headless pages are all "visible", but be sure).
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
] as const;
