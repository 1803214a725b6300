/**
 * The command line, as a function: parses the arguments, runs the command, returns the exit
 * code. It never exits the process itself (src/cli.ts does), so tests can call it.
 */
import { HELP, USAGE, UsageError, parseCommandLine } from './args.js';
import { runBotCommand } from './botCommand.js';
import { runClusterDemo } from './clusterDemo.js';
import { runDemo } from './demo.js';
import { runReplayCommand } from './replay.js';
import { runRoomsDemo } from './roomsDemo.js';
import { runListRooms } from './roomList.js';
import type { CliIO } from './format.js';
import { runServerCommand } from './server.js';
import { runWebDemoCommand } from './webDemoCommand.js';

/**
 * Runs `game-network <argv...>`.
 * @param argv The arguments after the script name.
 * @param io Where output goes.
 * @param signal Aborted on Ctrl-C: the server closes (exit 0), a demo or bot stops (exit 130).
 * @returns The exit code: 0 success, 1 failure, 2 bad command line, 130 interrupted.
 */
export async function main(
  argv: readonly string[],
  io: CliIO,
  signal: AbortSignal,
): Promise<number> {
  if (argv[0] === 'demo' && argv.includes('--web'))
    return runWebDemoCommand(argv.slice(1), io, signal);
  let command;
  try {
    command = parseCommandLine(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(err.format());
    return err.exitCode;
  }
  switch (command.command) {
    case 'help':
      io.stdout.write(command.topic ? HELP[command.topic] : USAGE);
      return 0;
    case 'demo':
      if (command.options.cluster !== undefined)
        return (await runClusterDemo(command.options, command.options.cluster, io, { signal }))
          .exitCode;
      if (command.options.rooms !== undefined)
        return (await runRoomsDemo(command.options, command.options.rooms, io, { signal }))
          .exitCode;
      return (await runDemo(command.options, io, { signal })).exitCode;
    case 'server':
      return runServerCommand(command.options, io, signal);
    case 'bot': {
      const { listRooms } = command.options;
      if (listRooms !== undefined) return runListRooms({ ...command.options, listRooms }, io);
      return runBotCommand(command.options, io, signal);
    }
    case 'replay':
      return runReplayCommand(command.options, io);
  }
}
