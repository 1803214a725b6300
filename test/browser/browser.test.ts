// Browser players in real headless Chromium: two pages and two Node bots in one match, in a network namespace with only loopback.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BROWSER_REQUIRED, CHROMIUM_PATH, hasChromium } from './chromium.js';
import type { ScenarioResult } from './scenario.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
/** A network namespace with only `lo` (root, or unprivileged user namespaces). */
const canUnshare = spawnSync('unshare', ['-n', 'true']).status === 0;
const runnable = hasChromium() && canUnshare;
if (!runnable && BROWSER_REQUIRED)
  throw new Error(
    `browser tests are required here (GAME_NETWORK_REQUIRE_BROWSER=1) but ${
      hasChromium() ? '`unshare -n` does not work' : `there is no Chromium at ${CHROMIUM_PATH}`
    }`,
  );
if (!runnable)
  console.warn(
    `skipping the browser tests: ${hasChromium() ? '`unshare -n` does not work here' : `no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium)`}`,
  );

/** Runs test/browser/scenario.ts in a fresh network namespace and reads its JSON line. */
function runScenario(timeoutMs: number): Promise<ScenarioResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'unshare',
      ['-n', 'sh', '-c', 'ip link set lo up && exec node --import tsx test/browser/scenario.ts'],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', () => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as ScenarioResult);
      } catch {
        reject(new Error(`the scenario printed no result:\n${out}\n${err}`));
      }
    });
  });
}

describe.runIf(runnable)('two Chromium pages and two Node bots in one match', () => {
  let result: ScenarioResult;

  it('play 300 ticks together under 10% loss, and the scenario completes', async () => {
    result = await runScenario(150_000);
    expect(result.error).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.ticksTogether).toBeGreaterThanOrEqual(300);
  }, 160_000);

  it("every page's and bot's frames equal the server's, in order, with no gap", () => {
    for (const [name, f] of Object.entries(result.frames)) {
      expect({ name, ...f }).toEqual({ name, count: f.count, mismatches: 0, gaps: 0 });
      expect(f.count).toBeGreaterThanOrEqual(300);
    }
  });

  it('one page is on WebRTC, the forced one on the WebSocket fallback, and both ends say so', () => {
    expect(result.clientPaths).toEqual({ 'page-a': 'webrtc', 'page-b': 'websocket' });
    expect(result.serverPaths['page-a']).toBe('webrtc');
    expect(result.serverPaths['page-b']).toBe('websocket');
  });

  it('the page that closes leaves at one tick that every other player sees', () => {
    const ticks = Object.values(result.leaveTicks);
    expect(ticks).toHaveLength(3);
    expect(ticks[0]).toBeTypeOf('number');
    expect(new Set(ticks).size).toBe(1);
  });

  it("the demo page's canvas shows the game (not a blank page), its checksum equal to the bots'", () => {
    expect(result.screenshot.width).toBeGreaterThanOrEqual(512);
    // background, gem, four dots and the outline of the own dot at least
    expect(result.screenshot.colours).toBeGreaterThanOrEqual(4);
    expect(result.botChecksumsAgree).toEqual([true, true]);
  });
});
