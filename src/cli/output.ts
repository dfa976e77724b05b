import { RosterError, exitCodeFor } from '../errors.js';
import { writeJson } from './json-stream.js';

export interface Output {
  json: boolean;
}

/** Indented for a person at a terminal; compact (and twice as fast on 100,000 users) for a pipe or a file. */
export function printJson(value: unknown): Promise<void> {
  return writeJson(value, process.stdout, { pretty: process.stdout.isTTY === true });
}

/**
 * Control characters (C0 but line feed and tab, DEL, C1) and bidirectional overrides shown as \u{...} escapes:
 * names come from the directory and from administrators, and one holding ESC sequences printed raw could retitle,
 * recolour or rewrite the terminal of whoever lists users (issue #12). JSON output escapes C0 itself and is left
 * exact for programs.
 */
export function terminalSafe(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (char) => `\\u{${char.codePointAt(0)!.toString(16)}}`);
}

/** Human-readable output on stdout, terminal-safe. */
export function printText(text: string): void {
  process.stdout.write(terminalSafe(text));
}

/** A message for a person on stderr, terminal-safe. */
export function printNote(text: string): void {
  process.stderr.write(terminalSafe(text));
}

/** Prints an error on stderr (never stdout, which --json reserves for the document) and returns the exit code. */
export function reportError(error: unknown): number {
  if (error instanceof RosterError) {
    printNote(`roster: ${error.message} [${error.code}]\n`);
  } else {
    printNote(`roster: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
  }
  return exitCodeFor(error);
}

/** A progress line on stderr, only when it is a terminal (scripts and --json consumers see nothing). */
export function progressReporter(): ((text: string) => void) & { done: () => void } {
  const enabled = process.stderr.isTTY === true;
  const report = Object.assign(
    (text: string) => {
      if (enabled) process.stderr.write(`\r\x1b[K${terminalSafe(text)}`);
    },
    { done: () => enabled && process.stderr.write('\r\x1b[K') },
  );
  return report;
}
