// The real command line as a child process without a terminal (stdout is a pipe), for tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { settleWithin } from '../helpers/waitFor.js';

/** The repository's root: where `src/cli.ts` is run from. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A `game-network` process. */
export interface Running {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves with the exit code (or the signal) once the process has exited. */
  readonly exited: Promise<number | NodeJS.Signals>;
}

/** Every process started and not yet killed by {@link killChildren}. */
export const children: ChildProcess[] = [];

/** Kills every process still running (for `afterEach`). */
export function killChildren(): void {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** Starts `game-network <args>` from the sources, with tsx (`env` added to this process's). */
export function cli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = new Promise<number | NodeJS.Signals>((resolve) =>
    child.on('close', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** The exit code, within `timeoutMs`. */
export function exitOf(
  run: Running,
  timeoutMs: number,
  what: string,
): Promise<number | NodeJS.Signals> {
  return settleWithin(what, { timeoutMs }, (resolve) => {
    void run.exited.then(resolve);
    return () => undefined;
  });
}
