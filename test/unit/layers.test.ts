/** The import layers of DESIGN §2 are enforced by ESLint (eslint.config.js): this checks the rules really fire. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';

const eslint = new ESLint();

async function restricted(file: string, specifier: string): Promise<boolean> {
  const [result] = await eslint.lintText(`import { x } from '${specifier}';\nexport const y = x;\n`, { filePath: file });
  return result!.messages.some((message) => message.ruleId === 'no-restricted-imports');
}

describe('import layers (config → ldap / store → directory → sync / auth → cli / api / web)', () => {
  const refused: Array<[string, string]> = [
    ['src/store/x.ts', '../directory/snapshot.js'],
    ['src/store/x.ts', '../sync/plan.js'],
    ['src/store/x.ts', '../ldap/session.js'],
    ['src/ldap/x.ts', '../store/users.js'],
    ['src/directory/x.ts', '../store/users.js'],
    ['src/directory/x.ts', '../sync/plan.js'],
    ['src/sync/x.ts', '../auth/login.js'],
    ['src/auth/x.ts', '../sync/run.js'],
    ['src/sync/x.ts', '../api/server.js'],
    ['src/config/x.ts', '../ldap/session.js'],
    ['src/rfc/x.ts', '../config/schema.js'],
    ['src/admin/x.ts', '../web/pages.js'],
    ['src/api/routes/x.ts', '../../cli/index.js'],
    ['src/model.ts', './store/users.js'],
    ['src/snapshot.ts', './directory/read.js'],
    ['src/store/x.ts', 'ldapts'],
    ['src/directory/x.ts', 'kysely'],
  ];
  for (const [file, specifier] of refused) {
    it(`refuses ${specifier} in ${file}`, async () => assert.ok(await restricted(file, specifier)));
  }

  const allowed: Array<[string, string]> = [
    ['src/store/x.ts', '../snapshot.js'],
    ['src/store/x.ts', '../digest.js'],
    ['src/directory/x.ts', '../ldap/session.js'],
    ['src/sync/x.ts', '../store/users.js'],
    ['src/sync/x.ts', '../directory/read.js'],
    ['src/cli/x.ts', '../sync/run.js'],
    ['src/app.ts', './store/store.js'],
  ];
  for (const [file, specifier] of allowed) {
    it(`allows ${specifier} in ${file}`, async () => assert.ok(!(await restricted(file, specifier))));
  }
});
