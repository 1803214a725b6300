// `game-network demo --web`: the web demo (a page, a server with the web endpoint, bots) until Ctrl-C.
import type { CliIO } from './format.js';
import { startWebDemo } from './webDemo.js';

/** What `demo --web` takes after `--web`. */
export interface WebDemoFlags {
  readonly host: string;
  readonly port: number;
  readonly bots: number;
}

/** Reads `--host`, `--port` and `--bots`; anything else is an error naming the flag. */
export function parseWebDemoFlags(argv: readonly string[]): WebDemoFlags | string {
  let host = '127.0.0.1';
  let port = 8080;
  let bots = 2;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--web') continue;
    const value = argv[i + 1];
    if (flag !== '--host' && flag !== '--port' && flag !== '--bots')
      return `unknown option ${flag} for demo --web (it takes --host, --port and --bots)`;
    if (value === undefined) return `${flag} needs a value`;
    i++;
    if (flag === '--host') host = value;
    else {
      const n = Number(value);
      const [min, max] = flag === '--port' ? [0, 65535] : [0, 16];
      if (!Number.isInteger(n) || n < min || n > max)
        return `${flag} must be an integer from ${min} to ${max}, got '${value}'`;
      if (flag === '--port') port = n;
      else bots = n;
    }
  }
  return { host, port, bots };
}

/**
 * Runs the web demo until `signal` aborts: prints the page's URL, then closes everything.
 * @returns The exit code: 0 once closed, 2 for a bad flag.
 */
export async function runWebDemoCommand(
  argv: readonly string[],
  io: CliIO,
  signal: AbortSignal,
): Promise<number> {
  const flags = parseWebDemoFlags(argv);
  if (typeof flags === 'string') {
    io.stderr.write(`game-network: ${flags}\n`);
    return 2;
  }
  const demo = await startWebDemo(flags);
  const { address } = demo.server;
  io.stdout.write(
    `game-network web demo: open ${demo.url} (two tabs can play together)\n` +
      `  WebSocket ws://${address.host}:${address.webPort}/, WebRTC on UDP ${address.rtcPort}, ` +
      `${flags.bots} bots over UDP ${address.udpPort}. Ctrl-C to stop.\n`,
  );
  await new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  io.stdout.write('closing...\n');
  await demo.close();
  return 0;
}
