import { ERROR_CODES } from './errors.js';

/** docs/errors.md: every stable error code, its HTTP status and what it means. */
export function errorsDocument(): string {
  return [
    '# Error codes',
    '',
    'Generated from `src/errors.ts` by `npm run docs` (a test fails when this file is out of date).',
    'The CLI prints `roster: <message> [<CODE>]` on stderr and exits 1 (2 for `CONFIG_INVALID` and `INPUT_INVALID`).',
    'The API answers `{"error": {"code", "message", "details"}}` with the HTTP status below.',
    '',
    '| code | HTTP | meaning |',
    '| --- | --- | --- |',
    ...Object.entries(ERROR_CODES).map(([code, { status, summary }]) => `| \`${code}\` | ${status} | ${summary} |`),
    '',
  ].join('\n');
}
