// `npm run demo:web`: the web demo until Ctrl-C. Flags: --port <n> (default 8080), --host <addr>, --bots <n>.
import { startWebDemo } from './webDemo.js';

function flag(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

const port = Number(flag('port') ?? 8080);
const bots = Number(flag('bots') ?? 2);
const demo = await startWebDemo({ host: flag('host') ?? '127.0.0.1', port, bots });
const { address } = demo.server;
process.stdout.write(
  `game-network web demo: open ${demo.url} (two tabs can play together)\n` +
    `  WebSocket ws://${address.host}:${address.webPort}/, WebRTC on UDP ${address.rtcPort}, ` +
    `${bots} bots over UDP ${address.udpPort}. Ctrl-C to stop.\n`,
);
const stop = (): void => {
  process.stdout.write('closing...\n');
  void demo.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
