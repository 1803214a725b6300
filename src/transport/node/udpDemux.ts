// Routes the datagrams of the server's shared UDP socket to sessions by token, with the NAT port rule.
import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { WarningCode } from '../../events.js';
import type { Datagram } from '../../sources/fromUdpSocket.js';
import type { TransportWarning } from '../Transport.js';
import {
  COUNTER_BYTES,
  DatagramOpener,
  Direction,
  OpenRefusal,
  randomSessionKey,
  TAG_BYTES,
} from './datagramSeal.js';
import { randomToken, readToken, TOKEN_BYTES } from './sessionToken.js';

/** Where the datagrams of one session go. */
export interface DemuxRoute {
  /** A datagram of the session's, opened: the message alone (a view into the received buffer). */
  deliver(payload: Uint8Array): void;
  /** A condition about this session (its token from another address). */
  warn(warning: TransportWarning): void;
  /** The demultiplexer closed (with the socket's error, if it failed). */
  end(error?: Error): void;
}

/** One peer's datagram session on the shared socket. */
export interface DemuxSession {
  readonly token: number;
  /** The session key (32 random bytes): the peer's datagrams must be sealed with it. */
  readonly key: Uint8Array;
  /** The peer's IP (that of its TCP connection): its datagrams must come from it. */
  readonly address: string;
  /**
   * The peer's UDP port: `undefined` until its first authentic datagram, then that of the
   * newest authentic one.
   */
  readonly port: number | undefined;
}

/** Options of {@link UdpDemux}. */
export interface UdpDemuxOptions {
  /** The largest message (without token, counter and tag); a longer datagram is a `decode-error`. */
  readonly maxDatagramBytes: number;
  /** Conditions that belong to no session (a stranger, a short datagram). */
  readonly warn: (warning: TransportWarning) => void;
  /** The clock of the retired tokens. Default: `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /** How long a retired token's datagrams are dropped quietly, in ms. Default: 2000. */
  readonly retiredMs?: number;
  /** Retired tokens kept at most (the oldest go first). Default: 4096. */
  readonly maxRetired?: number;
}

/** Default of {@link UdpDemuxOptions.retiredMs}. */
export const DEFAULT_RETIRED_MS = 2000;
/** Default of {@link UdpDemuxOptions.maxRetired}. */
export const DEFAULT_MAX_RETIRED = 4096;

interface Session extends DemuxSession {
  port: number | undefined;
  readonly route: DemuxRoute;
  readonly opener: DatagramOpener;
}

/** Bytes a sealed client-to-server datagram adds to its message. */
export const SEALED_OVERHEAD = TOKEN_BYTES + COUNTER_BYTES + TAG_BYTES;

const key = (address: string, port: number): string => `${address}:${port}`;

/**
 * The server side of the Node transport's datagram wire rule: every client-to-server datagram
 * is a 4-byte big-endian session token, a 64-bit counter, the message and an 8-byte tag that
 * proves the session key (see {@link DatagramOpener}). One map lookup finds the session;
 * nothing scans the peers.
 *
 * - Shorter than token, counter and tag, or longer than those plus `maxDatagramBytes`:
 *   `decode-error` (on `warn`, the demultiplexer's own warnings).
 * - An unknown token: dropped quietly if it was retired lately and comes from where its
 *   session was; otherwise `bad-token` if it comes from the address and port of a live
 *   session (a peer using a token not its own), else `unknown-sender` (both on `warn`).
 * - A live token from another IP than the session's: `bad-token` on that session's route.
 * - A live token from its IP whose tag does not prove the key: `bad-datagram` on the route;
 *   dropped, and the port does not change.
 * - An authentic datagram whose counter was seen already or is older than the replay window
 *   (256): dropped quietly (the network duplicates datagrams too).
 * - NAT rule: the session's port is the source port of its first authentic datagram, then of
 *   each authentic one with the newest counter yet (a NAT that rebinds is followed; a forger,
 *   with no key, cannot move it; a replay from elsewhere is not fresh).
 *
 * A decision object with no socket: fed datagrams, it calls routes. Time (for retired tokens)
 * comes from its scheduler.
 *
 * @example
 * const demux = new UdpDemux({ maxDatagramBytes: 1200, warn: (w) => warnings.next(w) });
 * const session = demux.open('10.0.0.7', { deliver, warn, end });
 * endpoint.datagrams$.subscribe((d) => demux.receive(d));
 * // ... later, when the peer leaves:
 * demux.retire(session);
 */
export class UdpDemux {
  readonly #byToken = new Map<number, Session>();
  /** Live sessions whose port is held, by "address:port". */
  readonly #byAddress = new Map<string, Session>();
  /** Tokens of sessions closed lately: where they came from, and until when. Oldest first. */
  readonly #retired = new Map<
    number,
    { address: string; port: number | undefined; until: number }
  >();
  readonly #maxDatagramBytes: number;
  readonly #warn: (warning: TransportWarning) => void;
  readonly #scheduler: SchedulerLike;
  readonly #retiredMs: number;
  readonly #maxRetired: number;
  #closed = false;

  constructor(options: UdpDemuxOptions) {
    this.#maxDatagramBytes = options.maxDatagramBytes;
    this.#warn = options.warn;
    this.#scheduler = options.scheduler ?? asyncScheduler;
    this.#retiredMs = options.retiredMs ?? DEFAULT_RETIRED_MS;
    this.#maxRetired = options.maxRetired ?? DEFAULT_MAX_RETIRED;
  }

  /** Live sessions. */
  get size(): number {
    return this.#byToken.size;
  }

  /** Retired tokens still remembered. */
  get retiredCount(): number {
    return this.#retired.size;
  }

  /**
   * Opens a session for a peer at `address`, with a fresh random token unique among the live
   * and lately retired ones.
   *
   * @throws {Error} if the demultiplexer is closed.
   */
  open(address: string, route: DemuxRoute): DemuxSession {
    if (this.#closed) throw new Error('the datagram socket is closed');
    const token = randomToken((t) => this.#byToken.has(t) || this.#retired.has(t));
    const key = randomSessionKey();
    const opener = new DatagramOpener(key, Direction.ToServer, TOKEN_BYTES);
    const session: Session = { token, key, address, port: undefined, route, opener };
    this.#byToken.set(token, session);
    return session;
  }

  /**
   * Closes a session: its token is forgotten, and its datagrams still in flight (from where it
   * was) are dropped quietly for `retiredMs`. Safe to call twice.
   */
  retire(session: DemuxSession): void {
    const live = this.#byToken.get(session.token);
    if (live !== session) return;
    this.#byToken.delete(session.token);
    if (live.port !== undefined) {
      const k = key(live.address, live.port);
      if (this.#byAddress.get(k) === live) this.#byAddress.delete(k);
    }
    if (this.#closed) return;
    const now = this.#scheduler.now();
    this.#retired.set(live.token, {
      address: live.address,
      port: live.port,
      until: now + this.#retiredMs,
    });
    for (const [token, r] of this.#retired) {
      if (r.until > now && this.#retired.size <= this.#maxRetired) break;
      this.#retired.delete(token); // insertion order: the oldest first
    }
  }

  /** Routes one datagram from the shared socket (see the class comment for the rules). */
  receive(datagram: Datagram): void {
    if (this.#closed) return;
    const { data, address, port } = datagram;
    if (data.length < SEALED_OVERHEAD || data.length > SEALED_OVERHEAD + this.#maxDatagramBytes) {
      this.#warn({
        code: WarningCode.DecodeError,
        message: `a datagram of ${data.length} bytes (token, counter and tag: ${SEALED_OVERHEAD}, and at most ${this.#maxDatagramBytes} of message)`,
        address,
        port,
      });
      return;
    }
    const token = readToken(data);
    const session = this.#byToken.get(token);
    if (session === undefined) {
      this.#unknownToken(token, address, port);
      return;
    }
    if (session.address !== address) {
      session.route.warn({
        code: WarningCode.BadToken,
        message: `this peer's token from ${key(address, port)}, not from its IP ${session.address}`,
        address,
        port,
      });
      return;
    }
    const message = session.opener.open(data);
    if (typeof message === 'string') {
      if (message !== OpenRefusal.Replayed)
        session.route.warn({
          code: WarningCode.BadDatagram,
          message: `a datagram with this peer's token from ${key(address, port)} that does not authenticate`,
          address,
          port,
        });
      return; // a replay or a duplicate: quiet
    }
    if (session.port !== port && (session.port === undefined || session.opener.wasNewest)) {
      // The first authentic datagram, or the newest from another port: the peer's port (a NAT
      // may have rewritten or rebound it) is this one from now on.
      if (session.port !== undefined) {
        const old = key(address, session.port);
        if (this.#byAddress.get(old) === session) this.#byAddress.delete(old);
      }
      session.port = port;
      this.#byAddress.set(key(address, port), session);
    }
    session.route.deliver(message);
  }

  /**
   * Ends every session (their routes' `end`, with `error` if the socket failed) and forgets
   * everything. Datagrams received from then on are ignored.
   */
  close(error?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    const sessions = [...this.#byToken.values()];
    this.#byToken.clear();
    this.#byAddress.clear();
    this.#retired.clear();
    for (const s of sessions) s.route.end(error);
  }

  #unknownToken(token: number, address: string, port: number): void {
    const retired = this.#retired.get(token);
    if (
      retired !== undefined &&
      retired.address === address &&
      (retired.port === undefined || retired.port === port) &&
      retired.until > this.#scheduler.now()
    )
      return; // still in flight from a peer that just left: expected, not a warning
    if (this.#byAddress.has(key(address, port)))
      this.#warn({
        code: WarningCode.BadToken,
        message: `a datagram from a known peer at ${key(address, port)} with a token that is not its own`,
        address,
        port,
      });
    else
      this.#warn({
        code: WarningCode.UnknownSender,
        message: `a datagram from ${key(address, port)} with a token nobody was given`,
        address,
        port,
      });
  }
}
