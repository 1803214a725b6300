/**
 * The server command's log of one match (the server's only one, or one room): a line per
 * join, leave, chat line, warning, drop, away, back, snapshot and desync.
 */
import type { Observable, Subscription } from 'rxjs';
import type { ChatMessage, PlayerEvent, ServerNetworkEvent } from '../node.js';
import { formatChecksum, formatEndpoint } from './format.js';

/** Lets through at most `perWindow` lines per `windowMs`, and counts the rest. */
export class LogLimiter {
  private windowStart = -Infinity;
  private inWindow = 0;
  /** Lines held back since the last one let through. */
  suppressed = 0;

  constructor(
    private readonly perWindow: number,
    private readonly windowMs: number,
  ) {}

  /** Whether a line may be printed now (else it is counted in `suppressed`). */
  allow(): boolean {
    const now = performance.now();
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.inWindow = 0;
    }
    if (this.inWindow >= this.perWindow) {
      this.suppressed++;
      return false;
    }
    this.inWindow++;
    return true;
  }
}

/** The streams of a match that are logged: a `GameServer`'s or a `Room`'s. */
export interface LoggedMatch {
  readonly players$: Observable<PlayerEvent>;
  readonly chat$: Observable<ChatMessage>;
  readonly events$: Observable<ServerNetworkEvent>;
}

/** A match being logged. */
export interface MatchLog {
  /** Prints the chat lines still waiting for their player's join line. */
  flush(): void;
  /** Stops logging (the streams of an ended room complete by themselves). */
  stop(): void;
}

/**
 * Logs `match` with `log`, every line after `prefix` (`''` for the server's only match,
 * `'[room-1] '` for a room). Warnings go through `warnings`, shared by every match.
 */
export function logMatch(
  match: LoggedMatch,
  log: (line: string) => void,
  warnings: LogLimiter,
  prefix = '',
): MatchLog {
  const say = (line: string): void => log(`${prefix}${line}`);
  // A player may chat as soon as the server accepts it, before the frame of its join is
  // confirmed: its chat lines wait for its join line, so the log reads in order.
  const joined = new Set<string>();
  const heldChat = new Map<string, string[]>();
  const chatLine = (from: string, text: string): string => `chat ${from}: ${text}`;
  const flushChat = (from: string): void => {
    for (const text of heldChat.get(from) ?? []) say(chatLine(from, text));
    heldChat.delete(from);
  };
  // Why the server dropped a player, for its leave line (the drop event comes first).
  const dropMessages = new Map<number, string>();
  const subs: Subscription[] = [];
  subs.push(
    match.players$.subscribe((e) => {
      const who = `${e.player.username} (player ${e.player.playerId})`;
      if (e.type === 'join') {
        say(`join ${who} at tick ${e.tick}`);
        joined.add(e.player.username);
        flushChat(e.player.username);
        return;
      }
      const why = dropMessages.get(e.player.playerId);
      dropMessages.delete(e.player.playerId);
      say(`leave ${who} at tick ${e.tick}: ${e.reason}${why === undefined ? '' : ` (${why})`}`);
      joined.delete(e.player.username);
    }),
    match.chat$.subscribe((c) => {
      if (joined.has(c.from)) say(chatLine(c.from, c.text));
      else heldChat.set(c.from, [...(heldChat.get(c.from) ?? []), c.text]);
    }),
    match.events$.subscribe((e) => {
      switch (e.type) {
        case 'warning': {
          if (!warnings.allow()) return;
          const from =
            e.address !== undefined
              ? ` (from ${e.port === undefined ? e.address : formatEndpoint(e.address, e.port)})`
              : e.playerId !== undefined
                ? ` (player ${e.playerId})`
                : '';
          const skipped = warnings.suppressed > 0 ? ` [${warnings.suppressed} more not shown]` : '';
          warnings.suppressed = 0;
          say(`warning ${e.code}: ${e.message}${from}${skipped}`);
          return;
        }
        case 'drop':
          dropMessages.set(e.playerId, e.message);
          say(`drop ${e.username} (player ${e.playerId}): ${e.reason}: ${e.message}`);
          return;
        case 'desync':
          say(
            `desync at tick ${e.tick}: ` +
              e.checksums
                .map((c) => `player ${c.playerId} ${formatChecksum(c.checksum)}`)
                .join(', '),
          );
          return;
        case 'away':
          say(`away ${e.username} (player ${e.playerId}) at tick ${e.tick}: ${e.message}`);
          return;
        case 'back':
          say(`back ${e.username} (player ${e.playerId}) at tick ${e.tick}`);
          return;
        case 'snapshot':
          say(`snapshot from player ${e.playerId} for tick ${e.tick}: ${e.data.length} bytes`);
          return;
      }
    }),
  );
  return {
    flush: () => {
      for (const from of [...heldChat.keys()]) flushChat(from);
    },
    stop: () => {
      for (const s of subs) s.unsubscribe();
    },
  };
}
