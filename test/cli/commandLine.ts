// Test helper: the command line parsed or run in-process, for the flag tests (a usage error caught, main's exit code and output).
import { expect } from 'vitest';
import { UsageError, parseCommandLine } from '../../src/cli/args.js';
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
