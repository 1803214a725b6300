/**
 * Command-line parsing: `node:util` `parseArgs` in strict mode, then every value checked and
 * converted. Anything wrong is a {@link UsageError}: one clear line, a hint to use `--help`,
 * and exit code 2.
 */
import { parseArgs } from 'node:util';
import { Limits, isValidUsername, worstFramePacketBytes } from '../protocol/index.js';

/** The exit code of a command line that could not be parsed. */
export const EXIT_USAGE = 2;

export type CommandName = 'demo' | 'server' | 'bot' | 'replay';
const COMMANDS: readonly CommandName[] = ['demo', 'server', 'bot', 'replay'];

/** A bad command line. `command` is the subcommand it was for, if known (for the hint). */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly exitCode = EXIT_USAGE;
  constructor(
    message: string,
    readonly command?: CommandName,
  ) {
    super(message);
  }

  /** What to print on stderr: the message and where to find help. */
  format(): string {
    const prefix = this.command ? `game-network ${this.command}` : 'game-network';
    return `${prefix}: ${this.message}\nRun '${prefix} --help' for usage.\n`;
  }
}

/** The link conditioner settings every command takes (each end applies them to what it receives). */
export interface LinkFlags {
  /** Fraction 0..1 of datagrams lost. */
  readonly loss: number;
  /** Random extra delay, 0..jitterMs ms, per datagram. */
  readonly jitterMs: number;
  /** Fixed delay in ms per datagram. */
  readonly delayMs: number;
  /** Seed of the conditioners (and of the bots' controllers). */
  readonly seed: number;
}

export interface DemoOptions extends LinkFlags {
  readonly players: number;
  readonly ticks: number;
  readonly tickRate: number;
  readonly inputDelay: number;
  /** Make the last bot's simulation diverge at this tick of the game (to see a desync). */
  readonly desyncAt?: number;
  /** Take the first bot off the network for this many ms at a third of the game; it comes back. */
  readonly dropoutMs?: number;
}

export interface ServerCommandOptions extends LinkFlags {
  readonly host: string;
  readonly port: number;
  readonly udpPort: number;
  readonly tickRate: number;
  readonly maxPlayers: number;
  readonly inputSize: number;
  /** If set, joins must give this password. */
  readonly password?: string;
}

export interface BotCommandOptions extends LinkFlags {
  readonly host: string;
  readonly port: number;
  readonly name: string;
  readonly password: string;
  readonly ticks: number;
  /** The game starts once this many players are in the match. */
  readonly players: number;
  readonly inputDelay: number;
  /** A chat line to send once joined. */
  readonly chat?: string;
}

export interface ReplayCommandOptions {
  /** The replay file to read. */
  readonly file: string;
  /** Re-run the demo's simulation on the frames and compare with the recorded checksums. */
  readonly verify: boolean;
  /** Print the frames of these ticks (both included). */
  readonly frames?: { readonly from: number; readonly to: number };
}

/** What a command line asks for. */
export type Command =
  | { readonly command: 'help'; readonly topic?: CommandName }
  | { readonly command: 'demo'; readonly options: DemoOptions }
  | { readonly command: 'server'; readonly options: ServerCommandOptions }
  | { readonly command: 'bot'; readonly options: BotCommandOptions }
  | { readonly command: 'replay'; readonly options: ReplayCommandOptions };

export const DEMO_DEFAULTS: DemoOptions = {
  players: 4,
  ticks: 600,
  tickRate: 60,
  loss: 0.1,
  jitterMs: 20,
  delayMs: 0,
  seed: 1,
  inputDelay: 0,
};

export const USAGE = `game-network: deterministic lockstep networking, on RxJS

Usage:
  game-network demo [options]     a server and bots in one process, over a lossy link
  game-network server [options]   run a server until Ctrl-C
  game-network bot [options]      play one bot against a server
  game-network replay FILE        print a replay file's header and summary
  game-network <command> --help   the options of a command

Try it, in a project that has game-network installed (npm install game-network):
  npx game-network demo
  npx game-network server --port 7777                                    # in one terminal
  npx game-network bot --connect 127.0.0.1:7777 --name ann --players 2   # in a second
  npx game-network bot --connect 127.0.0.1:7777 --name bob --players 2   # in a third

Exit codes: 0 success, 1 failure (a desync, a refused join, ...), 2 a bad command line,
130 interrupted.
`;

const LINK_HELP = (loss: string, jitter: string, seed: string): string =>
  `Link conditioner (applied to the datagrams this end receives):
  --loss P           fraction of datagrams lost: 0..1, or a percentage 0%..100% like 10%
                     (default ${loss})
  --jitter MS        random extra delay of 0..MS ms per datagram (default ${jitter})
  --delay MS         fixed delay per datagram, in ms (default 0)
  --seed N           ${seed}`;

const SEED_HELP = {
  demo: `seed of the server's and every bot's link conditioner and of the bots'
                     controllers: the same seed plays the same game (default 1)`,
  server: `seed of the server's link conditioner: which datagrams it loses or
                     delays (default 1)`,
  bot: `seed of this bot's controller (mixed with its slot: the inputs it plays)
                     and of its link conditioner (mixed with its --name) (default 1)`,
} as const;

export const HELP: Record<CommandName, string> = {
  demo: `Usage: game-network demo [options]

Starts a server and --players bot clients on 127.0.0.1 in one process, every datagram through
the library's link conditioner. Each bot plays a small deterministic game from its confirmed
frames and reports a checksum of its world every tick, so the server checks for desyncs. Shows
live progress, then a table per player and every bot's final checksum. Exits 0 only if all the
checksums are equal and no desync was reported.

Options:
  --players N        bot clients (default ${DEMO_DEFAULTS.players})
  --ticks N          length of the game in ticks (default ${DEMO_DEFAULTS.ticks})
  --tick-rate HZ     ticks per second (default ${DEMO_DEFAULTS.tickRate})
  --input-delay N    input delay of every bot, in ticks (default 0)
  --desync-at T      make the last bot's world diverge at tick T, to see a desync reported
  --dropout MS       take the first bot off the network for MS ms at a third of the game: it is
                     away (its input repeated for everyone), then reconnects to its slot
  --web              the web demo instead: a page to play in a browser, beside --bots N (default
                     2) Node bots, served on --host (default 127.0.0.1) and --port (default 8080;
                     0 picks one); runs until Ctrl-C
  -h, --help         this help

${LINK_HELP('0.1', '20', SEED_HELP.demo)}
`,
  server: `Usage: game-network server [options]

Runs a lockstep server until Ctrl-C (SIGINT or SIGTERM close it and exit 0). Prints the ports
it listens on, then one line per join, leave, chat line, warning, drop and desync.

Options:
  --port N           TCP port, 0 for any free port (default 7777)
  --host ADDR        address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)
  --udp-port N       UDP port (default 0: any free port)
  --tick-rate HZ     ticks per second (default 60)
  --max-players N    player slots (default 8)
  --input-size N     bytes of one player's input (default 2)
  --password TEXT    joins must give this password (default: anyone may join)
  -h, --help         this help

--max-players and --input-size together must let every frame fit in one ${Limits.datagramBytes}-byte
datagram: 256 players with 2-byte inputs fit, 256 with 4-byte inputs do not.

${LINK_HELP('0', '0', SEED_HELP.server)}
`,
  bot: `Usage: game-network bot --connect HOST:PORT [options]

Joins a server and plays the demo's game: a scripted controller sends one input per tick, the
confirmed frames drive the simulation, and a checksum of the world is reported every tick. The
game starts at the last join once --players players are in, and lasts --ticks ticks; then the bot
prints its final checksum and leaves. Bots of the same game print the same checksum.

Options:
  --connect HOST:PORT  the server's TCP address (required)
  --name NAME          username (default bot-<process id>)
  --password TEXT      password, if the server wants one
  --ticks N            length of the game in ticks (default 600)
  --players N          players the game waits for before it starts (default 1)
  --input-delay N      input delay, in ticks (default 0)
  --chat TEXT          a chat line to send once joined
  -h, --help           this help

${LINK_HELP('0', '0', SEED_HELP.bot)}
`,
  replay: `Usage: game-network replay FILE [options]

Reads a replay file (recorded by a server with recordReplays, or by recordReplay) and prints its
header and a summary: duration, players with the ticks they joined and left, checksums and
desyncs. A corrupted or truncated file is refused with the byte offset of the fault (exit 1).

Options:
  --verify           re-run the demo's simulation on the frames and compare every recorded
                     checksum (exit 1 on a mismatch)
  --frames A..B      print the frames of ticks A to B (both included; A.. to the end)
  -h, --help         this help
`,
};

type StringOption = { type: 'string' };
const str: StringOption = { type: 'string' };
const LINK_OPTIONS = { loss: str, jitter: str, delay: str, seed: str } as const;

const OPTIONS = {
  demo: {
    players: str,
    ticks: str,
    'tick-rate': str,
    'input-delay': str,
    'desync-at': str,
    dropout: str,
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
    ...LINK_OPTIONS,
  },
  replay: { frames: str },
} as const satisfies Record<CommandName, Record<string, StringOption>>;

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
  const values = parseStrict(first, rest);
  switch (first) {
    case 'demo':
      return { command: 'demo', options: demoOptions(values) };
    case 'server':
      return { command: 'server', options: serverOptions(values) };
    case 'bot':
      return { command: 'bot', options: botOptions(values) };
  }
}

function isCommand(s: string): s is CommandName {
  return (COMMANDS as readonly string[]).includes(s);
}

function flagName(arg: string): string {
  const eq = arg.indexOf('=');
  return eq > 0 ? arg.slice(0, eq) : arg;
}

type Values = Readonly<Record<string, string | undefined>>;

/** `parseArgs` (strict, no positionals), its errors turned into one-line usage errors. */
function parseStrict(command: CommandName, args: readonly string[]): Values {
  try {
    const { values } = parseArgs({
      args: [...args],
      options: OPTIONS[command],
      strict: true,
      allowPositionals: false,
    });
    return values as Values;
  } catch (err) {
    throw new UsageError(describeParseError(err), command);
  }
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

// ---------------------------------------------------------------------------------------
// Values.

/**
 * An integer flag in [min, max].
 * @throws UsageError naming the flag, the range and what was given.
 */
export function parseInteger(
  command: CommandName,
  flag: string,
  text: string,
  min: number,
  max: number,
): number {
  const value = /^[+-]?\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max)
    throw new UsageError(
      `--${flag} must be an integer from ${min} to ${max}, got '${text}'`,
      command,
    );
  return value;
}

/**
 * A number flag in [min, max]; with `percent`, `10%` is read as 0.1.
 * @throws UsageError naming the flag, the range and what was given.
 */
export function parseNumber(
  command: CommandName,
  flag: string,
  text: string,
  min: number,
  max: number,
  percent = false,
): number {
  const t = text.trim();
  const isPercent = percent && t.endsWith('%');
  const body = isPercent ? t.slice(0, -1) : t;
  let value = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(body) ? Number(body) : NaN;
  if (isPercent) value /= 100;
  if (!Number.isFinite(value) || value < min || value > max) {
    const range = percent
      ? `a number from ${min} to ${max} or a percentage from ${min * 100}% to ${max * 100}%`
      : `a number from ${min} to ${max}`;
    throw new UsageError(`--${flag} must be ${range}, got '${text}'`, command);
  }
  return value;
}

/**
 * `host:port`, `[ipv6]:port`, or a bare port (on 127.0.0.1).
 * @throws UsageError if it is none of these, or the port is not 1..65535.
 */
export function parseHostPort(
  command: CommandName,
  flag: string,
  text: string,
): { host: string; port: number } {
  const t = text.trim();
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(t) ?? /^([^:\s[\]]+):(\d+)$/.exec(t);
  const bare = /^\d+$/.exec(t);
  const host = match ? match[1] : bare ? '127.0.0.1' : undefined;
  const port = match ? Number(match[2]) : bare ? Number(t) : NaN;
  if (host === undefined || !Number.isInteger(port) || port < 1 || port > 65535)
    throw new UsageError(
      `--${flag} must be HOST:PORT with a port from 1 to 65535 (like 127.0.0.1:7777), got '${text}'`,
      command,
    );
  return { host, port };
}

/** Reads the flags every command takes: the link conditioner and the seed. */
function linkFlags(command: CommandName, v: Values, defaults: LinkFlags): LinkFlags {
  return {
    loss: v.loss === undefined ? defaults.loss : parseNumber(command, 'loss', v.loss, 0, 1, true),
    jitterMs:
      v.jitter === undefined
        ? defaults.jitterMs
        : parseNumber(command, 'jitter', v.jitter, 0, 10_000),
    delayMs:
      v.delay === undefined ? defaults.delayMs : parseNumber(command, 'delay', v.delay, 0, 10_000),
    seed:
      v.seed === undefined ? defaults.seed : parseInteger(command, 'seed', v.seed, 0, 0xffffffff),
  };
}

const NO_LINK: LinkFlags = { loss: 0, jitterMs: 0, delayMs: 0, seed: 1 };

function demoOptions(v: Values): DemoOptions {
  const int = (flag: string, fallback: number, min: number, max: number): number => {
    const text = v[flag];
    return text === undefined ? fallback : parseInteger('demo', flag, text, min, max);
  };
  const d = DEMO_DEFAULTS;
  const ticks = int('ticks', d.ticks, 1, 1_000_000);
  const desyncAt = v['desync-at'];
  const dropout = v.dropout;
  return {
    ...linkFlags('demo', v, d),
    players: int('players', d.players, 1, 64),
    ticks,
    tickRate: int('tick-rate', d.tickRate, 1, 1000),
    inputDelay: int('input-delay', d.inputDelay, 0, 128),
    ...(desyncAt === undefined
      ? {}
      : { desyncAt: parseInteger('demo', 'desync-at', desyncAt, 0, ticks - 1) }),
    ...(dropout === undefined
      ? {}
      : { dropoutMs: parseInteger('demo', 'dropout', dropout, 1, 14_000) }),
  };
}

function serverOptions(v: Values): ServerCommandOptions {
  const int = (flag: string, fallback: number, min: number, max: number): number => {
    const text = v[flag];
    return text === undefined ? fallback : parseInteger('server', flag, text, min, max);
  };
  const host = v.host ?? '127.0.0.1';
  if (host.trim() === '') throw new UsageError('--host must not be empty', 'server');
  const maxPlayers = int('max-players', 8, 1, Limits.maxPlayers);
  const inputSize = int('input-size', 2, 1, Limits.maxInputSize);
  // The server would refuse this with a RangeError naming its API options: say it in flags.
  const worst = worstFramePacketBytes(maxPlayers, inputSize);
  if (worst > Limits.datagramBytes)
    throw new UsageError(
      `--max-players ${maxPlayers} with --input-size ${inputSize} make frames of up to ${worst} bytes, ` +
        `over the ${Limits.datagramBytes}-byte datagram: lower --max-players or --input-size`,
      'server',
    );
  if (v.password !== undefined && v.password.length > Limits.passwordLength)
    throw new UsageError(
      `--password must be at most ${Limits.passwordLength} characters`,
      'server',
    );
  return {
    ...linkFlags('server', v, NO_LINK),
    host,
    port: int('port', 7777, 0, 65535),
    udpPort: int('udp-port', 0, 0, 65535),
    tickRate: int('tick-rate', 60, 1, 1000),
    maxPlayers,
    inputSize,
    ...(v.password === undefined ? {} : { password: v.password }),
  };
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

function botOptions(v: Values): BotCommandOptions {
  const int = (flag: string, fallback: number, min: number, max: number): number => {
    const text = v[flag];
    return text === undefined ? fallback : parseInteger('bot', flag, text, min, max);
  };
  if (v.connect === undefined)
    throw new UsageError('--connect HOST:PORT is required (the server to join)', 'bot');
  const { host, port } = parseHostPort('bot', 'connect', v.connect);
  const name = v.name ?? `bot-${process.pid}`;
  if (!isValidUsername(name))
    throw new UsageError(
      `--name must be 1 to ${Limits.usernameLength} printable characters, got ${JSON.stringify(name)}`,
      'bot',
    );
  if (v.password !== undefined && v.password.length > Limits.passwordLength)
    throw new UsageError(`--password must be at most ${Limits.passwordLength} characters`, 'bot');
  if (v.chat !== undefined && v.chat.length > Limits.chatLength)
    throw new UsageError(`--chat must be at most ${Limits.chatLength} characters`, 'bot');
  return {
    ...linkFlags('bot', v, NO_LINK),
    host,
    port,
    name,
    password: v.password ?? '',
    ticks: int('ticks', 600, 1, 1_000_000),
    players: int('players', 1, 1, 256),
    inputDelay: int('input-delay', 0, 0, 128),
    ...(v.chat === undefined ? {} : { chat: v.chat }),
  };
}
