// `npm run demo:web`: the web demo until Ctrl-C, as `game-network demo --web` (flags: --port, --host, --bots).
import { processIO } from './format.js';
import { runWebDemoCommand } from './webDemoCommand.js';

const abort = new AbortController();
process.once('SIGINT', () => abort.abort());
process.once('SIGTERM', () => abort.abort());
process.exitCode = await runWebDemoCommand(process.argv.slice(2), processIO(), abort.signal);
