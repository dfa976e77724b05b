import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { settingsDocument } from '../../src/config/docs.js';
import { errorsDocument } from '../../src/errors-doc.js';
import { ERROR_CODES } from '../../src/errors.js';

describe('generated documentation', () => {
  it('docs/settings.md matches the settings schema (run npm run docs)', () => {
    assert.equal(readFileSync(new URL('../../docs/settings.md', import.meta.url), 'utf8'), settingsDocument());
  });

  it('docs/errors.md lists every error code (run npm run docs)', () => {
    const text = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    assert.equal(text, errorsDocument());
    for (const code of Object.keys(ERROR_CODES)) assert.match(text, new RegExp(`\\| \`${code}\` \\|`));
  });

  it('every error code used in the sources is documented', () => {
    const used = new Set<string>();
    const grep = execFileSync('grep', ['-rhoE', "RosterError\\('[A-Z_]+'", 'src'], { cwd: new URL('../..', import.meta.url) }).toString();
    for (const match of grep.matchAll(/'([A-Z_]+)'/g)) used.add(match[1]!);
    for (const code of used) assert.ok(code in ERROR_CODES, `${code} is not in ERROR_CODES`);
  });
});
