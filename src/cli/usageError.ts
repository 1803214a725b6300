/** A bad command line: {@link UsageError}, one clear line, a hint to use `--help`, exit code 2. */

/** The exit code of a command line that could not be parsed. */
export const EXIT_USAGE = 2;

export type CommandName = 'demo' | 'server' | 'bot' | 'replay';

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
