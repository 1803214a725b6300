/**
 * Command-line parsing: `node:util` `parseArgs` in strict mode, then every value checked and
 * converted (the demo's, server's and bot's flags in commandFlags.ts). Anything wrong is a
 * {@link UsageError}: one clear line, a hint to use `--help`, and exit code 2.
 */
import { parseArgs } from 'node:util';
import type { Command, ReplayCommandOptions } from './commandOptions.js';
import { botOptions, demoOptions, serverOptions, type Values } from './commandFlags.js';
import { type CommandName, UsageError } from './usageError.js';

export { EXIT_USAGE, UsageError, type CommandName } from './usageError.js';
export {
  DEMO_DEFAULTS,
  type BotCommandOptions,
  type Command,
  type DemoOptions,
  type LinkFlags,
  type ReplayCommandOptions,
  type ServerClusterFlags,
  type ServerCommandOptions,
  type ServerRoomsFlags,
} from './commandOptions.js';
export { HELP, USAGE } from './help.js';
export { parseHostPort, parseInteger, parseNumber } from './parseValue.js';

const COMMANDS: readonly CommandName[] = ['demo', 'server', 'bot', 'replay'];

type StringOption = { type: 'string' };
type BooleanOption = { type: 'boolean' };
const str: StringOption = { type: 'string' };
const bool: BooleanOption = { type: 'boolean' };
const LINK_OPTIONS = { loss: str, jitter: str, delay: str, seed: str } as const;

const OPTIONS = {
  demo: {
    players: str,
    ticks: str,
    'tick-rate': str,
    'input-delay': str,
    'desync-at': str,
    dropout: str,
    rooms: str,
    cluster: str,
    ...LINK_OPTIONS,
  },
  server: {
    port: str,
    host: str,
    'udp-port': str,
    'tick-rate': str,
    'max-players': str,
    'input-size': str,
    password: str,
    rooms: str,
    mode: str,
    'empty-timeout': str,
    redis: str,
    'public-host': str,
    'process-ttl': str,
    ...LINK_OPTIONS,
  },
  bot: {
    connect: str,
    name: str,
    password: str,
    ticks: str,
    players: str,
    'input-delay': str,
    chat: str,
    room: str,
    mode: str,
    size: str,
    'list-rooms': bool,
    ...LINK_OPTIONS,
  },
  replay: { frames: str },
} as const satisfies Record<CommandName, Record<string, StringOption | BooleanOption>>;

/**
 * Parses a whole command line (without `node` and the script).
 * @throws UsageError for anything wrong, with a message fit to print.
 */
export function parseCommandLine(argv: readonly string[]): Command {
  const [first, ...rest] = argv;
  if (first === undefined) throw new UsageError('no command given (demo, server or bot)');
  if (first === '-h' || first === '--help' || first === 'help') {
    const topic = rest[0];
    if (topic === undefined) return { command: 'help' };
    if (isCommand(topic)) return { command: 'help', topic };
    throw new UsageError(`unknown command '${topic}'`);
  }
  if (first.startsWith('-')) throw new UsageError(`unknown option ${flagName(first)}`);
  if (!isCommand(first)) throw new UsageError(`unknown command '${first}'`);
  // --help wins over anything else on the line.
  const beforeDashes = rest.indexOf('--') >= 0 ? rest.slice(0, rest.indexOf('--')) : rest;
  if (beforeDashes.some((a) => a === '-h' || a === '--help'))
    return { command: 'help', topic: first };
  if (first === 'replay') return { command: 'replay', options: replayOptions(rest) };
  const { values, switches } = parseStrict(first, first === 'server' ? bareRoomsFlag(rest) : rest);
  switch (first) {
    case 'demo':
      return { command: 'demo', options: demoOptions(values) };
    case 'server':
      return { command: 'server', options: serverOptions(values) };
    case 'bot':
      return { command: 'bot', options: botOptions(values, switches) };
  }
}

function isCommand(s: string): s is CommandName {
  return (COMMANDS as readonly string[]).includes(s);
}

function flagName(arg: string): string {
  const eq = arg.indexOf('=');
  return eq > 0 ? arg.slice(0, eq) : arg;
}

/**
 * `parseArgs` (strict, no positionals), its errors turned into one-line usage errors: the
 * values of the flags that take one, and the names of the switches given.
 */
function parseStrict(
  command: CommandName,
  args: readonly string[],
): { values: Values; switches: ReadonlySet<string> } {
  let parsed: Readonly<Record<string, unknown>>;
  try {
    parsed = parseArgs({
      args: [...args],
      options: OPTIONS[command],
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new UsageError(describeParseError(err), command);
  }
  const values: Record<string, string> = {};
  const switches = new Set<string>();
  for (const [flag, value] of Object.entries(parsed)) {
    if (typeof value === 'string') values[flag] = value;
    else if (value === true) switches.add(flag);
  }
  return { values, switches };
}

/**
 * The server's `--rooms` may stand alone (rooms mode, no room made at start): a bare
 * `--rooms` (last, or before another `--flag`) is read as `--rooms=0`.
 */
function bareRoomsFlag(args: readonly string[]): string[] {
  const end = args.indexOf('--') >= 0 ? args.indexOf('--') : args.length;
  return args.map((a, i) =>
    a === '--rooms' && i < end && (i + 1 >= end || args[i + 1].startsWith('--')) ? '--rooms=0' : a,
  );
}

function describeParseError(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  const quoted = /'([^']*)'/.exec(message)?.[1] ?? '';
  const option = quoted.replace(/ <value>$/, '').replace(/^-\w, /, '');
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${option}`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument '${quoted}'`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (message.includes('does not take an argument')) return `option ${option} takes no value`;
      if (message.includes('ambiguous'))
        return `option ${option} needs a value (for a value starting with '-', write ${option}=VALUE)`;
      return `option ${option} needs a value`;
    default:
      return message.split('\n')[0];
  }
}

function replayOptions(args: readonly string[]): ReplayCommandOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: { verify: { type: 'boolean' }, frames: str },
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    throw new UsageError(describeParseError(err), 'replay');
  }
  const { values, positionals } = parsed;
  if (positionals.length === 0)
    throw new UsageError('FILE is required (the replay to read)', 'replay');
  if (positionals.length > 1)
    throw new UsageError(`unexpected argument '${positionals[1]}'`, 'replay');
  let frames: ReplayCommandOptions['frames'];
  if (values.frames !== undefined) {
    const m = /^(\d+)\.\.(\d*)$/.exec(values.frames.trim());
    const from = m ? Number(m[1]) : NaN;
    const to = m ? (m[2] === '' ? 0xffffffff : Number(m[2])) : NaN;
    if (!m || !Number.isSafeInteger(from) || !Number.isSafeInteger(to) || to < from)
      throw new UsageError(
        `--frames must be A..B with ticks A <= B (like 0..59, or 600.. to the end), got '${values.frames}'`,
        'replay',
      );
    frames = { from, to };
  }
  return {
    file: positionals[0],
    verify: values.verify === true,
    ...(frames === undefined ? {} : { frames }),
  };
}
