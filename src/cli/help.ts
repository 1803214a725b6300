/** The `--help` texts: the overall usage and the options of each command. */
import { Limits } from '../protocol/index.js';
import { DEMO_DEFAULTS } from './commandOptions.js';
import type { CommandName } from './usageError.js';

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
  npx game-network demo --rooms 8                                        # 8 rooms at once
  npx game-network demo --cluster 3                                      # Redis, 3 processes

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
  --rooms N          N rooms at once on one server in rooms mode, each of --players bots that
                     ask join-or-create for mode demo and size --players; a line per room
                     with its bots' and referee's checksums (not with --desync-at, --dropout)
  --cluster N        a cluster instead: starts redis-server (Debian's, on a free 127.0.0.1 port,
                     no persistence), N game-network server --redis processes (1 to 8) and
                     --rooms rooms (default 4, at most 8) of --players bots (at most 8) that
                     ask join-or-create for mode demo through random processes; prints which
                     process holds which room and each room's checksums, then stops them all
  --web              the web demo instead: a page to play in a browser, beside --bots N (default
                     2) Node bots, served on --host (default 127.0.0.1) and --port (default 8080;
                     0 picks one); runs until Ctrl-C
  -h, --help         this help

${LINK_HELP('0.1', '20', SEED_HELP.demo)}
`,
  server: `Usage: game-network server [options]

Runs a lockstep server until Ctrl-C (SIGINT or SIGTERM close it and exit 0). Prints the ports
it listens on, then one line per join, leave, chat line, warning, drop and desync.

By default the server is one match. With --rooms it hosts many matches (rooms) on the same
ports: rooms made at start, joined by id (bot --room ID), and rooms made by join-or-create
(bot --mode M --size N: a seat in an open room of that mode and size, or in a new one). It logs
a line when a room is made and when one ends (with the reason), and each room's lines start
with its id in brackets: [room-1] join ann (player 0) at tick 0.

Options:
  --port N           TCP port, 0 for any free port (default 7777)
  --host ADDR        address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)
  --udp-port N       UDP port (default 0: any free port)
  --tick-rate HZ     ticks per second (default 60)
  --max-players N    player slots (default 8)
  --input-size N     bytes of one player's input (default 2)
  --password TEXT    joins must give this password (default: anyone may join)
  --rooms [N]        rooms mode, join-or-create on; with N, also make N rooms at start, ids
                     room-1 to room-N, of --max-players slots (default: one match, no rooms)
  --mode M           the mode of the rooms --rooms N makes (default 'default')
  --empty-timeout MS
                     a room join-or-create made ends once empty this long (default 30000;
                     the rooms made at start stay until the server closes)
  --redis URL        join a cluster (implies --rooms): this process's rooms are listed in the
                     Redis at URL (redis://host:port, or rediss:// for TLS) with those of every
                     other process given the same URL; join-or-create finds an open room on any
                     of them, or makes one on the least-loaded; a join for a room of another
                     process is redirected there (the client follows by itself, so redirects
                     are not logged here)
  --public-host H    the host players reach this process at, sent in redirects (default:
                     --host; needed with --host 0.0.0.0)
  --process-ttl MS   this process and its rooms leave the directory this long after its last
                     heartbeat, if it dies (default 5000)
  -h, --help         this help

With --redis the server first prints its process id in the cluster: cluster process p-....
It exits 1 at start if Redis does not answer; once running it rides out Redis going away
(running rooms play on, only matchmaking waits).

In rooms mode --max-players is the most slots of a room: join-or-create for a larger size is
refused (room-refused), and so is a ninth live room made for one address (bots on one machine
share theirs).

--max-players and --input-size together must let every frame fit in one ${Limits.datagramBytes}-byte
datagram: 256 players with 2-byte inputs fit, 256 with 4-byte inputs do not.

${LINK_HELP('0', '0', SEED_HELP.server)}
`,
  bot: `Usage: game-network bot --connect HOST:PORT [options]
       game-network bot --connect HOST:PORT --list-rooms [--mode M] [--size N]

Joins a server and plays the demo's game: a scripted controller sends one input per tick, the
confirmed frames drive the simulation, and a checksum of the world is reported every tick. The
game starts at the last join once --players players are in, and lasts --ticks ticks; then the bot
prints its final checksum and leaves. Bots of the same game print the same checksum.

Options:
  --connect HOST:PORT  the server's TCP address (required)
  --name NAME          username (default bot-<process id>)
  --password TEXT      password, if the server wants one
  --ticks N            length of the game in ticks (default 600)
  --players N          players the game waits for before it starts (default 1; with
                       --mode, --size)
  --input-delay N      input delay, in ticks (default 0)
  --chat TEXT          a chat line to send once joined
  --room ID            join this room of a server with rooms (default: the server's match)
  --mode M             join-or-create: a seat in an open room of mode M and --size slots, or
                       in a new one (not with --room)
  --size N             the slots of the room --mode asks for (default 4)
  --list-rooms         print the server's open rooms (of --mode, with --size slots, if given)
                       and exit 0
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
