/**
 * Issue 14's equivalence test against 389 Directory Server (Content Synchronization plugin over the Retro
 * Changelog): random sequences of directory changes, after each an incremental run on one store and a full run on
 * another, identical users, groups and memberships; on SQLite and PostgreSQL. The engine is
 * test/helpers/equivalence.ts and the directory and its changes test/helpers/equivalence-ldap.ts (ASCII names only:
 * 389's 7-bit check plugin rejects non-ASCII uid and mail). One instance serves every case (creating one takes
 * 10-20 s): each case has its own subtree as base DN, so its cookies and entries are its own.
 */
import { after, before, describe, it } from 'node:test';
import { validateSettings } from '../../src/config/load.js';
import { dirsrvSkipReason, start389, stopAll389, type DirectoryServer389 } from '../helpers/dirsrv.js';
import { checkEquivalence, equivalenceSeed } from '../helpers/equivalence.js';
import { DN_MEMBERS, UID_MEMBERS, initialEntries, ldapModelSettings, ldapOperations, newLdapModel, type Variant } from '../helpers/equivalence-ldap.js';
import { ldapModifyClient } from '../helpers/ldap-admin.js';
import { ldifEntry } from '../helpers/ldif.js';
import { BACKENDS, dropTestSchemas } from '../helpers/store.js';

const skip = dirsrvSkipReason();
if (skip) console.log(`# 389 Directory Server equivalence suite skipped: ${skip}`);

const SUFFIX = 'dc=equivalence,dc=test';
const SERVICE_DN = `cn=roster,${SUFFIX}`;
const SERVICE_PASSWORD = 'Service-Secret-1';
const STEPS = Number(process.env.ROSTER_EQUIVALENCE_STEPS ?? 30);
const VARIANTS: readonly Variant[] = [DN_MEMBERS, UID_MEMBERS];

let server: DirectoryServer389;

before(
  async () => {
    if (skip) return;
    server = await start389({
      baseDn: SUFFIX,
      contentSync: true,
      ldif: [
        `dn: ${SUFFIX}\nchangetype: modify\nadd: aci\naci: (targetattr != "userPassword")(version 3.0; acl "roster tests read"; allow (read, search, compare) userdn = "ldap:///all";)\n`,
        // No size limit: the content-synchronization refresh cannot be paged (RFC 4533 §3.1).
        ldifEntry(SERVICE_DN, { objectClass: ['top', 'applicationProcess', 'simpleSecurityObject'], cn: 'roster', userPassword: SERVICE_PASSWORD, nsSizeLimit: '-1' }),
      ].join('\n'),
    });
  },
  { timeout: 300_000 },
);
after(async () => {
  await stopAll389();
  await dropTestSchemas();
});

for (const backend of BACKENDS) {
  describe(`incremental runs equal full runs on 389 Directory Server (${backend})`, { skip }, () => {
    for (const variant of VARIANTS)
      it(`after each of ${STEPS} random steps of directory changes (${variant.name})`, async () => {
        const base = `ou=${backend}-${variant.attribute},${SUFFIX}`;
        const model = newLdapModel(variant, base);
        const entries = [ldifEntry(base, { objectClass: ['top', 'organizationalUnit'], ou: `${backend}-${variant.attribute}` })];
        for (const { dn, attributes } of initialEntries(model)) entries.push(ldifEntry(dn, attributes));
        server.modify(entries.join('\n'));
        const settings = validateSettings({
          preset: 'openldap',
          connection: { server: `127.0.0.1:${server.port}`, administrativeDn: SERVICE_DN, password: SERVICE_PASSWORD, baseDn: base },
          ...ldapModelSettings(variant),
        });
        const client = ldapModifyClient({ port: server.port, adminDn: server.managerDn, adminPassword: server.managerPassword });
        await checkEquivalence({ backend, settings, operations: ldapOperations(client, model), steps: STEPS, seed: equivalenceSeed() });
      });
  });
}
