// The browser scenario, run in a network namespace with only `lo`: pages in headless Chromium and Node bots in one match. Prints one JSON line.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { PlayerStats } from '../../src/node.js';
import { frameText } from '../../src/cli/webFrameText.js';
import { startWebDemo, type WebDemo } from '../../src/cli/webDemo.js';
import type { PageState } from '../../src/cli/webPageState.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium.js';
import { colourCounts, decodePng } from './png.js';

/** What the scenario found; the test checks it. */
export interface ScenarioResult {
  readonly ok: boolean;
  readonly error?: string;
  /** Ticks the four players played together. */
  readonly ticksTogether: number;
  /** Frames each player got, and how many differ from the server's (or are out of order). */
  readonly frames: Record<
    string,
    { readonly count: number; readonly mismatches: number; readonly gaps: number }
  >;
  /** The path each page's client reports, and the server's view of each player. */
  readonly clientPaths: Record<string, string | undefined>;
  readonly serverPaths: Record<string, string | undefined>;
  /** Every change of path in the server's stats: `tick:playerId:path`. */
  readonly pathLog: readonly string[];
  /** The tick at which the closed page left, as each other player saw it. */
  readonly leaveTicks: Record<string, number | undefined>;
  /** The demo page's canvas: its size and how many colours cover more than 4 pixels. */
  readonly screenshot: {
    readonly width: number;
    readonly height: number;
    readonly colours: number;
    readonly file: string;
  };
  /** On the demo page: whether each bot's checksum equals the page's own at the same tick. */
  readonly botChecksumsAgree: boolean[];
}

const TICKS = 300;
const LOSS = 0.1;

async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const until = performance.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (performance.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const pageState = (
  page: Page,
): Promise<
  Pick<PageState, 'tick' | 'firstTick' | 'error' | 'leaves' | 'botSums'> & {
    path?: string;
    playerId?: number;
  }
> =>
  page.evaluate(() => {
    const s = (globalThis as unknown as { gameNetwork: PageState }).gameNetwork;
    return {
      tick: s.tick,
      firstTick: s.firstTick,
      error: s.error,
      leaves: s.leaves,
      botSums: s.botSums,
      path: s.stats?.path,
      playerId: s.client?.playerId,
    };
  });
const pageFrames = (page: Page): Promise<string[]> =>
  page.evaluate(() => (globalThis as unknown as { gameNetwork: PageState }).gameNetwork.frames);

function compare(server: Map<number, string>, frames: readonly string[]) {
  let mismatches = 0;
  let gaps = 0;
  let last: number | undefined;
  for (const line of frames) {
    const tick = Number(line.split('|')[0]);
    if (last !== undefined && tick !== last + 1) gaps++;
    last = tick;
    if (server.get(tick) !== line) mismatches++;
  }
  return { count: frames.length, mismatches, gaps };
}

async function run(): Promise<ScenarioResult> {
  let demo: WebDemo | undefined;
  let browser: Browser | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'gn-browser-'));
  try {
    demo = await startWebDemo({
      port: 0,
      bots: 2,
      tickRate: 30,
      maxPlayers: 4,
      loss: LOSS,
      // Long enough for ICE on a loaded 2-core CI machine: the forced page's fallback does not
      // wait for it (its datagrams are on the WebSocket from the start).
      dataChannelTimeoutMs: 10_000,
    });
    const server = new Map<number, string>();
    demo.server.frames$.subscribe((f) => server.set(f.tick, frameText(f)));
    const serverStats = new Map<number, PlayerStats>();
    const pathLog: string[] = [];
    demo.server.stats$.subscribe((s) => {
      if (serverStats.get(s.playerId)?.path !== s.path)
        pathLog.push(`${Math.max(-1, ...server.keys())}:${s.playerId}:${s.path}`);
      serverStats.set(s.playerId, s);
    });
    const botFrames = demo.bots.map(() => [] as string[]);
    const botLeaves = demo.bots.map(() => undefined as number | undefined);
    demo.bots.forEach((bot, i) =>
      bot.client.frames$.subscribe((f) => {
        botFrames[i]?.push(frameText(f));
        if (f.left?.some((p) => p.username === 'page-b')) botLeaves[i] = f.tick;
      }),
    );

    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: [...CHROMIUM_ARGS],
      headless: true,
    });
    const context = await browser.newContext();
    const pageA = await context.newPage();
    const pageB = await context.newPage();
    const url = demo.url;
    await pageA.goto(`${url}?name=page-a&capture=1&bot=1&loss=${LOSS}&dcTimeoutMs=10000`);
    await pageB.goto(`${url}?name=page-b&capture=1&bot=1&loss=${LOSS}&path=websocket`);
    const ids = await waitFor('both pages to join', async () => {
      const [a, b] = await Promise.all([pageState(pageA), pageState(pageB)]);
      if (a.error || b.error) throw new Error(`a page failed: ${a.error ?? b.error}`);
      return a.playerId !== undefined && b.playerId !== undefined && a.tick >= 0 && b.tick >= 0
        ? { a: a.playerId, b: b.playerId }
        : undefined;
    });
    // Four players from here: play TICKS ticks together.
    const together = Math.max(...server.keys());
    await waitFor(
      '300 ticks together',
      () => (Math.max(...server.keys()) >= together + TICKS ? true : undefined),
      60_000,
    );
    // Past the data channel timeout: each page on its path, the stats say which.
    const paths = await waitFor('the pages to report their paths', async () => {
      const [a, b] = await Promise.all([pageState(pageA), pageState(pageB)]);
      return a.path === 'webrtc' && b.path === 'websocket' ? { a: a.path, b: b.path } : undefined;
    });
    const serverPathB = serverStats.get(ids.b)?.path;
    const framesB = await pageFrames(pageB);
    await pageB.close();
    const leaveA = await waitFor(
      'page A to see page B leave',
      async () => (await pageState(pageA)).leaves.find((l) => l.username === 'page-b')?.tick,
    );
    await waitFor('the bots to see page B leave', () =>
      botLeaves.every((t) => t !== undefined) ? true : undefined,
    );
    await waitFor('30 ticks more', () =>
      Math.max(...server.keys()) >= leaveA + 30 ? true : undefined,
    );
    const framesA = await pageFrames(pageA);

    // The demo page as a player opens it: the canvas shows the game.
    const demoPage = await context.newPage();
    await demoPage.setViewportSize({ width: 900, height: 600 });
    await demoPage.goto(url);
    // Playing, on WebRTC, with the bots' checksums in the overlay, equal to its own.
    const shown = await waitFor("the demo page to show the bots' checksums", async () => {
      const s = await pageState(demoPage);
      return s.path === 'webrtc' &&
        s.botSums.length === 2 &&
        s.botSums.every((b) => b.same !== undefined)
        ? s
        : undefined;
    });
    const png = await demoPage.locator('#game').screenshot();
    const file = join(tmpdir(), 'game-network-web-demo.png');
    writeFileSync(file, png);
    await demoPage.screenshot({ path: join(tmpdir(), 'game-network-web-demo-page.png') });
    const pixels = decodePng(png);
    const colours = colourCounts(pixels).filter(([, n]) => n > 4).length;

    const frames = {
      'page-a': compare(server, framesA),
      'page-b': compare(server, framesB),
      'bot-1': compare(server, botFrames[0] ?? []),
      'bot-2': compare(server, botFrames[1] ?? []),
    };
    const byName = (id: number): string | undefined => serverStats.get(id)?.path;
    return {
      ok: true,
      pathLog,
      ticksTogether: Math.max(...server.keys()) - together,
      frames,
      clientPaths: { 'page-a': paths.a, 'page-b': paths.b },
      serverPaths: {
        'page-a': byName(ids.a),
        'page-b': serverPathB,
        'bot-1': byName(demo.bots[0]?.client.playerId ?? -1),
      },
      leaveTicks: { 'page-a': leaveA, 'bot-1': botLeaves[0], 'bot-2': botLeaves[1] },
      botChecksumsAgree: shown.botSums.map((b) => b.same === true),
      screenshot: { width: pixels.width, height: pixels.height, colours, file },
    };
  } finally {
    await browser?.close();
    await demo?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

run().then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  },
  (err: unknown) => {
    process.stdout.write(
      `${JSON.stringify({ ok: false, error: err instanceof Error ? err.stack : String(err) })}\n`,
    );
    process.exit(1);
  },
);
