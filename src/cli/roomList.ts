/** `game-network bot --list-rooms`: the open rooms of a server, as a table, then exit. */
import { GameNetworkError, JoinRefusedError, listRooms, type RoomSummary } from '../node.js';
import type { BotCommandOptions } from './args.js';
import { describeRefusal } from './botCommand.js';
import { formatEndpoint, formatTable, plural, type CliIO } from './format.js';

/** The rooms as a table: id, mode, seats taken of slots, metadata (`key=value`, space-separated). */
export function formatRoomTable(rooms: readonly RoomSummary[]): string {
  return formatTable(
    [
      { header: 'room' },
      { header: 'mode' },
      { header: 'players', right: true },
      { header: 'metadata' },
    ],
    rooms.map((r) => [
      r.roomId,
      r.mode,
      `${r.players}/${r.maxPlayers}`,
      Object.entries(r.metadata)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(' '),
    ]),
  );
}

/**
 * Asks the server for its open rooms (of `--mode`, with `--size` slots, if given) and prints
 * them.
 * @returns The exit code: 0 once printed (even none), 1 if the server could not be asked.
 */
export async function runListRooms(
  options: Pick<BotCommandOptions, 'host' | 'port' | 'name' | 'password'> & {
    readonly listRooms: NonNullable<BotCommandOptions['listRooms']>;
  },
  io: CliIO,
): Promise<number> {
  const { mode, size } = options.listRooms;
  const where = formatEndpoint(options.host, options.port);
  let rooms: RoomSummary[];
  try {
    rooms = await listRooms({
      host: options.host,
      port: options.port,
      ...(mode === undefined ? {} : { mode }),
    });
  } catch (err) {
    const message =
      err instanceof JoinRefusedError
        ? `refused: ${describeRefusal(err.reason, options)}`
        : err instanceof GameNetworkError || err instanceof Error
          ? err.message
          : String(err);
    io.stderr.write(`game-network bot: cannot list the rooms of ${where}: ${message}\n`);
    return 1;
  }
  const shown = size === undefined ? rooms : rooms.filter((r) => r.maxPlayers === size);
  const which = [
    mode === undefined ? '' : ` of mode ${mode}`,
    size === undefined ? '' : ` with ${plural(size, 'slot')}`,
  ].join('');
  if (shown.length === 0) {
    io.stdout.write(`no open rooms${which} on ${where}\n`);
    return 0;
  }
  io.stdout.write(`${plural(shown.length, 'open room')}${which} on ${where}:\n`);
  io.stdout.write(formatRoomTable(shown));
  return 0;
}
