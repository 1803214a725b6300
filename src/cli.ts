#!/usr/bin/env node
// The `game-network` command: `demo`, `server` and `bot`. See `game-network --help`.
// The work is in src/cli/; this file only wires the process (arguments, signals, exit code).
import { main } from './cli/main.js';
import { processIO } from './cli/format.js';

const controller = new AbortController();
const onSignal = (): void => {
  // The first Ctrl-C closes everything cleanly; a second one does not wait.
  if (controller.signal.aborted) process.exit(130);
  controller.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

main(process.argv.slice(2), processIO(), controller.signal).then(
  (code) => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.exitCode = code;
    // Everything is closed by now, so the process ends on its own. If some handle were left
    // open, do not hang: say so and exit anyway.
    setTimeout(() => {
      process.stderr.write('game-network: a handle was left open; exiting anyway\n');
      process.exit(code);
    }, 3000).unref();
  },
  (err: unknown) => {
    process.stderr.write(
      `game-network: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
