/** A `game-network server` child process of the CLI (the cluster demo's), its log read for its process id, port and rooms. */
import { type ChildProcess, spawn } from 'node:child_process';

/** How long a start waits for the server's listening line. */
const START_TIMEOUT_MS = 30_000;
/** How long a stop waits after SIGTERM before SIGKILL. */
const STOP_TIMEOUT_MS = 10_000;

/**
 * How to run this same command line again: node, its flags (tsx's loader, when run from the
 * sources), and the script.
 */
export function selfCommand(): readonly string[] {
  return [process.execPath, ...process.execArgv, process.argv[1]];
}

/** The server's line when a room is made: `12:00:00.000 room r-1a2b made: mode demo, 4 slots`. */
const ROOM_MADE = /^\S+ room (\S+) made: /;
const CLUSTER_LINE = /^cluster process (\S+): /;
const LISTENING = /^listening tcp (\S+):(\d+) /;

/** A running `game-network server --redis ...`. Start one with {@link ServerProcess.start}. */
export class ServerProcess {
  /** The ids of the rooms it made, in order (read from its log). */
  readonly rooms: string[] = [];
  private stdoutTail = '';
  private stderrTail = '';
  private exitCode: number | NodeJS.Signals | undefined;
  private readonly exited: Promise<number | NodeJS.Signals>;

  private constructor(
    private readonly child: ChildProcess,
    /** 1 for the first process started. */
    readonly number: number,
    /** Its process id in the cluster (from its `cluster process` line). */
    readonly processId: string,
    /** Its TCP port. */
    readonly tcpPort: number,
  ) {
    this.exited = new Promise((resolve) =>
      child.once('close', (code, signal) => resolve((this.exitCode = code ?? signal ?? -1))),
    );
  }

  /**
   * Starts `command server <args>` and waits for its cluster and listening lines (at most
   * 30 s). `onLine` gets every later line of its stdout.
   * @throws Error with its stderr if it exits first or takes too long.
   */
  static start(
    command: readonly string[],
    number: number,
    args: readonly string[],
    onLine: (line: string) => void,
  ): Promise<ServerProcess> {
    const [file, ...pre] = command;
    const child = spawn(file, [...pre, 'server', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    return new Promise((resolve, reject) => {
      let processId: string | undefined;
      let server: ServerProcess | undefined;
      let partial = '';
      let stderr = '';
      const fail = (why: string): void => {
        clearTimeout(deadline);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        reject(new Error(`server process ${number} ${why}${stderr ? `:\n${stderr.trim()}` : ''}`));
      };
      const deadline = setTimeout(
        () => fail(`printed no listening line within ${START_TIMEOUT_MS / 1000} s`),
        START_TIMEOUT_MS,
      );
      child.stderr?.setEncoding('utf8').on('data', (s: string) => {
        stderr = (stderr + s).slice(-4_000);
        if (server) server.stderrTail = stderr;
      });
      child.once('error', (err) => fail(`could not start: ${err.message}`));
      child.once('exit', (code, signal) => {
        if (!server) fail(`exited (${code ?? signal}) before it was listening`);
      });
      child.stdout?.setEncoding('utf8').on('data', (s: string) => {
        const lines = (partial + s).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          if (server) {
            server.read(line);
            onLine(line);
            continue;
          }
          processId ??= CLUSTER_LINE.exec(line)?.[1];
          const listening = LISTENING.exec(line);
          if (listening && processId !== undefined) {
            clearTimeout(deadline);
            server = new ServerProcess(child, number, processId, Number(listening[2]));
            server.stderrTail = stderr;
            resolve(server);
          }
        }
      });
    });
  }

  /** Whether it has exited. */
  get hasExited(): boolean {
    return this.exitCode !== undefined;
  }

  /** How it exited (code or signal), once it has. */
  get exit(): number | NodeJS.Signals | undefined {
    return this.exitCode;
  }

  /** The end of what it wrote on stderr. */
  get stderr(): string {
    return this.stderrTail;
  }

  /** The end of what it wrote on stdout. */
  get stdout(): string {
    return this.stdoutTail;
  }

  /** Resolves with its exit code (or signal) once it has exited. */
  get closed(): Promise<number | NodeJS.Signals> {
    return this.exited;
  }

  /** Stops it as Ctrl-C would (SIGTERM: it closes its rooms and leaves the directory; SIGKILL after 10 s). */
  async stop(): Promise<number | NodeJS.Signals> {
    if (this.exitCode !== undefined) return this.exitCode;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  /** One line of its log, after the listening line. */
  private read(line: string): void {
    this.stdoutTail = (this.stdoutTail + line + '\n').slice(-4_000);
    const made = ROOM_MADE.exec(line);
    if (made) this.rooms.push(made[1]);
  }
}
