/**
 * Output helpers for the command line: where text goes, number formats, tables, and a status
 * line that redraws itself on a terminal and prints plain periodic lines elsewhere.
 */

/** Somewhere to write text: a terminal, a pipe, or a test's buffer. */
export interface Output {
  write(text: string): void;
  /** A terminal: the status line is redrawn in place (with `\r`) instead of printed again. */
  readonly isTTY: boolean;
  /** Width of the terminal, if known (the status line is cut to fit). */
  readonly columns?: number;
}

/** Standard output and standard error. */
export interface CliIO {
  readonly stdout: Output;
  readonly stderr: Output;
}

/**
 * The process's own stdout and stderr. A reader that goes away (`game-network --help | head`)
 * is not an error: once a stream reports EPIPE, what is written to it is dropped.
 */
export function processIO(): CliIO {
  const wrap = (stream: NodeJS.WriteStream): Output => {
    let closed = false;
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      closed = true;
    });
    return {
      write: (text) => void (closed || stream.write(text)),
      get isTTY() {
        return stream.isTTY === true;
      },
      get columns() {
        return stream.columns;
      },
    };
  };
  return { stdout: wrap(process.stdout), stderr: wrap(process.stderr) };
}

/** An output that keeps everything written, for tests. */
export class BufferOutput implements Output {
  text = '';
  constructor(
    readonly isTTY = false,
    readonly columns?: number,
  ) {}
  write(text: string): void {
    this.text += text;
  }
}

/** `1234` -> `1.2 kB`; bytes in SI units, one decimal above 1000. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${Math.round(bytes)} B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`;
  if (bytes < 1e9) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e9).toFixed(1)} GB`;
}

/** A fraction 0..1 as a percentage, one decimal; `-` when unknown. */
export function formatPercent(fraction: number | null | undefined): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return '-';
  return `${(fraction * 100).toFixed(1)}%`;
}

/** Milliseconds, rounded; `-` when unknown. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  return `${Math.round(ms)} ms`;
}

/** A checksum as 8 hex digits: `0x0a1b2c3d`; `-` when there is none. */
export function formatChecksum(checksum: number | undefined): string {
  if (checksum === undefined) return '-';
  return `0x${(checksum >>> 0).toString(16).padStart(8, '0')}`;
}

/** `host:port`, with brackets around an IPv6 address. */
export function formatEndpoint(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Seconds with one decimal: `10.4 s`. */
export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** The time of day, `12:34:56.789`, for log lines. */
export function timestamp(date = new Date()): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}.${p(date.getMilliseconds(), 3)}`;
}

/** A column of a table: its header, and whether it is right-aligned (numbers). */
export interface Column {
  readonly header: string;
  readonly right?: boolean;
}

/** A plain-text table: a header line, then one line per row, columns padded to fit. */
export function formatTable(
  columns: readonly Column[],
  rows: readonly (readonly string[])[],
): string {
  const widths = columns.map((c, i) =>
    Math.max(c.header.length, ...rows.map((r) => (r[i] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    columns
      .map((c, i) => {
        const cell = cells[i] ?? '';
        return c.right ? cell.padStart(widths[i]) : cell.padEnd(widths[i]);
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...rows.map(line)].join('\n') + '\n';
}

/** What the final table shows of one player. */
export interface PlayerRow {
  readonly name: string;
  readonly playerId: number;
  readonly inputsSent: number;
  readonly framesConfirmed: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  readonly rttMs: number | null;
  /** Mean loss of the packets this player received, and of those it sent. */
  readonly lossIn: number | null;
  readonly lossOut: number | null;
  /** The final checksum, if the player finished. */
  readonly checksum: number | undefined;
  /** The tick the final checksum is for. */
  readonly finalTick: number | undefined;
}

/** The final per-player table of the demo and the bot. */
export function formatPlayerTable(rows: readonly PlayerRow[]): string {
  return formatTable(
    [
      { header: 'player' },
      { header: 'slot', right: true },
      { header: 'inputs', right: true },
      { header: 'frames', right: true },
      { header: 'sent', right: true },
      { header: 'received', right: true },
      { header: 'rtt', right: true },
      { header: 'loss in', right: true },
      { header: 'loss out', right: true },
      { header: 'tick', right: true },
      { header: 'checksum' },
    ],
    rows.map((r) => [
      r.name,
      String(r.playerId),
      String(r.inputsSent),
      String(r.framesConfirmed),
      formatBytes(r.bytesSent),
      formatBytes(r.bytesReceived),
      formatMs(r.rttMs),
      formatPercent(r.lossIn),
      formatPercent(r.lossOut),
      r.finalTick === undefined ? '-' : String(r.finalTick),
      formatChecksum(r.checksum),
    ]),
  );
}

/**
 * A status line. On a terminal it is redrawn in place on every `update`, and `log` prints a
 * line above it; elsewhere (CI, a pipe) `update` prints a plain line at most once per
 * `plainIntervalMs`, and `log` just prints.
 */
export class StatusLine {
  private shown = false;
  private lastPlainAt = -Infinity;
  private current = '';

  constructor(
    private readonly out: Output,
    private readonly plainIntervalMs = 1000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Shows `text` as the status (on a terminal now; elsewhere if a plain line is due). */
  update(text: string): void {
    this.current = text;
    if (this.out.isTTY) {
      this.out.write(`\r\x1b[2K${this.fit(text)}`);
      this.shown = true;
      return;
    }
    const now = this.now();
    if (now - this.lastPlainAt >= this.plainIntervalMs) {
      this.lastPlainAt = now;
      this.out.write(`${text}\n`);
    }
  }

  /** Prints a line of its own (above the status line on a terminal). */
  log(line: string): void {
    if (this.out.isTTY && this.shown) {
      this.out.write(`\r\x1b[2K${line}\n${this.fit(this.current)}`);
      return;
    }
    this.out.write(`${line}\n`);
  }

  /** Removes the status line from a terminal (nothing elsewhere). */
  clear(): void {
    if (this.out.isTTY && this.shown) this.out.write('\r\x1b[2K');
    this.shown = false;
  }

  private fit(text: string): string {
    const columns = this.out.columns;
    return columns && columns > 1 && text.length >= columns ? text.slice(0, columns - 1) : text;
  }
}

/** Frames (or anything counted) per second over the last second or so. */
export class RateMeter {
  private readonly samples: { at: number; count: number }[] = [];

  constructor(
    private readonly windowMs = 1000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Records the running total now, and returns the rate per second over the window (NaN at first). */
  sample(count: number): number {
    const at = this.now();
    this.samples.push({ at, count });
    while (this.samples.length > 2 && at - this.samples[1].at >= this.windowMs)
      this.samples.shift();
    const first = this.samples[0];
    const span = at - first.at;
    return span > 0 ? ((count - first.count) * 1000) / span : NaN;
  }
}

/** What a progress line shows. */
export interface Progress {
  /** The last tick every frame has arrived for. */
  readonly tick: number;
  /** The last tick of the game, if known. */
  readonly endTick: number | undefined;
  /** What the game waits for before it starts (shown first, instead of `tick T/?`). */
  readonly waiting?: string;
  /** Confirmed frames per second. */
  readonly fps: number;
  readonly rttMs: number | null;
  readonly lossIn: number | null;
  readonly lossOut: number | null;
  /** UDP bytes per second, both ways. */
  readonly bytesPerSec: number;
}

/**
 * `tick 312/599  60 fps  rtt 21 ms  loss 9.7% in 10.4% out  7.9 kB/s`, or while waiting:
 * `waiting for 3 players ...; tick 45  60 fps  ...`.
 */
export function formatProgress(p: Progress): string {
  const tick = p.tick < 0 ? '-' : String(p.tick);
  return [
    p.waiting !== undefined ? `${p.waiting}; tick ${tick}` : `tick ${tick}/${p.endTick ?? '?'}`,
    `${Number.isFinite(p.fps) ? Math.round(p.fps) : '-'} fps`,
    `rtt ${formatMs(p.rttMs)}`,
    `loss ${formatPercent(p.lossIn)} in ${formatPercent(p.lossOut)} out`,
    `${formatBytes(p.bytesPerSec)}/s`,
  ].join('  ');
}

/** The mean of the numbers that are known, or null if none is. */
export function meanOf(values: readonly (number | null | undefined)[]): number | null {
  const known = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return known.length > 0 ? known.reduce((a, b) => a + b, 0) / known.length : null;
}

/** `1 player`, `2 players`. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
