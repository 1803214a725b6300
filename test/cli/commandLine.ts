// Test helper: the command line parsed or run in-process, for the flag tests (a usage error caught, main's exit code and output).
import { expect } from 'vitest';
import { EXIT_USAGE, UsageError, parseCommandLine } from '../../src/cli/args.js';
import { BufferOutput } from '../../src/cli/format.js';
import { main } from '../../src/cli/main.js';

/** The usage error `argv` is refused with (the test fails if it is parsed). */
export function usageError(argv: readonly string[]): UsageError {
  try {
    parseCommandLine(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error(`no usage error for ${argv.join(' ')}`);
}

/**
 * Checks that `argv` is refused with a message matching `message`, exit code 2, and the two
 * lines of a usage error: the message, then a hint at the help of one of `commands`.
 */
export function expectUsageError(
  argv: readonly string[],
  message: RegExp,
  commands: readonly string[],
): void {
  const err = usageError(argv);
  expect(err.message).toMatch(message);
  expect(err.exitCode).toBe(EXIT_USAGE);
  const lines = err.format().trimEnd().split('\n');
  expect(lines).toHaveLength(2);
  expect(lines[1]).toMatch(
    new RegExp(`^Run 'game-network (${commands.join('|')}) --help' for usage\\.$`),
  );
}

/** What `main` returned and printed for `argv`. */
export interface MainRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `main(argv)` on buffered output (never aborted). */
export async function runMain(argv: readonly string[]): Promise<MainRun> {
  const io = { stdout: new BufferOutput(), stderr: new BufferOutput() };
  const code = await main(argv, io, new AbortController().signal);
  return { code, stdout: io.stdout.text, stderr: io.stderr.text };
}
