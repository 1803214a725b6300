// The orchestrator's side of the child processes: fork with tsx, wait for reports with a
// time bound, stop, and kill (by pid, only our own children) when something hangs.

import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Command, Report } from './common.js';

/** Every child still running, so that a deadline or a signal can end them. */
const live = new Set<Child>();

export class Child {
  readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;
  private readonly inbox: Report[] = [];
  private wake: (() => void) | undefined;
  private exitCode: number | null | undefined;

  /**
   * Forks `script` with tsx, `config` as its argv[2]; with `netns`, inside that network
   * namespace (one of the bench's netem, bench/netem/: `nsenter` execs node there, so the
   * child's pid is node's and the IPC channel is the same).
   */
  constructor(
    readonly name: string,
    script: string,
    config: unknown,
    execArgv: readonly string[] = [],
    netns?: string,
  ) {
    const node = ['--import', 'tsx', ...execArgv];
    this.proc = fork(fileURLToPath(new URL(script, import.meta.url)), [JSON.stringify(config)], {
      ...(netns
        ? {
            execPath: 'nsenter',
            execArgv: [`--net=/run/netns/${netns}`, '--', process.execPath, ...node],
          }
        : { execArgv: node }),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    live.add(this);
    this.proc.on('message', (msg: Report) => {
      this.inbox.push(msg);
      this.wake?.();
    });
    this.exited = new Promise((resolve) => {
      this.proc.on('exit', (code) => {
        this.exitCode = code;
        live.delete(this);
        this.wake?.();
        resolve(code);
      });
    });
  }

  /** Waits for the next report of `type`; rejects on `failed`, on exit, or after `timeoutMs`. */
  async expect<T extends Report['type']>(
    type: T,
    timeoutMs: number,
  ): Promise<Extract<Report, { type: T }>> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const index = this.inbox.findIndex((m) => m.type === type || m.type === 'failed');
      if (index >= 0) {
        const msg = this.inbox.splice(index, 1)[0];
        if (msg.type === 'failed') throw new Error(`${this.name}: ${msg.message}`);
        return msg as Extract<Report, { type: T }>;
      }
      if (this.exitCode !== undefined)
        throw new Error(`${this.name} exited (code ${this.exitCode}) before '${type}'`);
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`${this.name}: no '${type}' within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  send(cmd: Command): void {
    if (this.proc.connected) this.proc.send(cmd);
  }

  /**
   * Asks the child to close everything and waits for it to exit on its own; a child that
   * does not within `timeoutMs` is killed and reported (it leaked a handle).
   */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.send({ type: 'stop' });
    const timedOut = Symbol('timeout');
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([
      this.exited,
      new Promise<typeof timedOut>((resolve) => (timer = setTimeout(resolve, timeoutMs, timedOut))),
    ]);
    clearTimeout(timer);
    if (result === timedOut) {
      process.stderr.write(`bench: ${this.name} did not exit within ${timeoutMs} ms; killing it\n`);
      this.kill();
      await this.exited;
    } else if (result !== 0) {
      process.stderr.write(`bench: ${this.name} exited with code ${String(result)}\n`);
    }
  }

  kill(): void {
    if (this.exitCode === undefined) this.proc.kill('SIGKILL');
  }
}

/** Kills every child still running (on a deadline or a signal). */
export function killAll(): void {
  for (const child of live) child.kill();
}
