import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AdminClient as Client } from '../helpers/ldap-admin.js';
import { isRosterError } from '../../src/errors.js';
import { refreshOnly, type RefreshResult } from '../../src/ldap/content-sync.js';
import { openBoundSession } from '../../src/ldap/connect.js';
import type { LdapSession } from '../../src/ldap/session.js';
import { ldifEntry } from '../helpers/ldif.js';
import { openLdapSettings } from '../helpers/settings.js';
import { adminClient, startDirectory, stopAllDirectories, type TestDirectory } from '../helpers/slapd.js';

const BASE = 'dc=sync,dc=test';
const PEOPLE = `ou=people,${BASE}`;

function person(uid: string): string {
  return ldifEntry(`uid=${uid},${PEOPLE}`, { objectClass: ['inetOrgPerson'], uid, cn: uid, sn: uid });
}

let directory: TestDirectory;
let admin: Client;
let session: LdapSession;

before(async () => {
  const ldif = [
    ldifEntry(BASE, { objectClass: ['dcObject', 'organization'], dc: 'sync', o: 'Sync' }),
    ldifEntry(PEOPLE, { objectClass: 'organizationalUnit', ou: 'people' }),
    ...['ann', 'ben', 'cat'].map(person),
  ].join('\n');
  directory = await startDirectory({ flavor: 'openldap', baseDn: BASE, ldif, contentSync: {} });
  admin = await adminClient(directory);
  session = await openBoundSession(openLdapSettings(directory).connection);
});
after(async () => {
  await session?.close();
  await admin?.unbind();
  await stopAllDirectories();
});

const request = { base: PEOPLE, filter: '(&(objectClass=inetOrgPerson)(!(description=hidden)))', attributes: ['uid', 'cn'], purpose: 'content synchronization of users' };

function uids(result: RefreshResult): string[] {
  return [...result.changed.values()].map((entry) => entry.first('uid')!).sort();
}

/** The entries a client holding `known` (uuid -> uid) has after applying `result` (RFC 4533 §3.3.2). */
function applied(known: Map<string, string>, result: RefreshResult): Map<string, string> {
  const next = new Map<string, string>();
  for (const [uuid, uid] of known) {
    const kept = result.refreshDeletes ? !result.deleted.has(uuid) : result.present.has(uuid);
    if (kept) next.set(uuid, uid);
  }
  for (const [uuid, entry] of result.changed) next.set(uuid, entry.first('uid')!);
  return next;
}

describe('RFC 4533 refreshOnly against slapd with syncprov', () => {
  it('reads everything without a cookie, then only what changed, deletions and filter leavers included', async () => {
    const first = await refreshOnly(session, request, undefined);
    assert.deepEqual(uids(first), ['ann', 'ben', 'cat']);
    assert.ok(first.cookie && first.cookie.length > 0, 'a cookie');
    let known = applied(new Map(), first);

    const quiet = await refreshOnly(session, request, first.cookie);
    assert.deepEqual(uids(quiet), [], 'nothing changed');
    assert.deepEqual([...applied(known, quiet).values()].sort(), ['ann', 'ben', 'cat']);

    await admin.add(`uid=dan,${PEOPLE}`, { objectClass: ['inetOrgPerson'], uid: 'dan', cn: 'dan', sn: 'dan' });
    await admin.modify(`uid=ann,${PEOPLE}`, { operation: 'replace', type: 'cn', values: ['Ann Changed'] });
    await admin.del(`uid=ben,${PEOPLE}`);
    await admin.modify(`uid=cat,${PEOPLE}`, { operation: 'add', type: 'description', values: ['hidden'] });
    const second = await refreshOnly(session, request, quiet.cookie ?? first.cookie);
    assert.deepEqual(uids(second), ['ann', 'dan']);
    assert.equal([...second.changed.values()].find((entry) => entry.first('uid') === 'ann')!.first('cn'), 'Ann Changed');
    known = applied(known, second);
    assert.deepEqual([...known.values()].sort(), ['ann', 'dan'], 'ben deleted, cat left the filter');
    assert.ok(second.cookie && !second.cookie.equals(first.cookie!), 'a new cookie');
  });

  it('reports deletions and filter leavers in a delete phase when slapd keeps a session log', async () => {
    const logged = await startDirectory({
      flavor: 'openldap',
      baseDn: BASE,
      ldif: [
        ldifEntry(BASE, { objectClass: ['dcObject', 'organization'], dc: 'sync', o: 'Sync' }),
        ldifEntry(PEOPLE, { objectClass: 'organizationalUnit', ou: 'people' }),
        ...['fay', 'gus', 'hal'].map(person),
      ].join('\n'),
      contentSync: { sessionlog: 100 },
    });
    const loggedSession = await openBoundSession(openLdapSettings(logged).connection);
    const loggedAdmin = await adminClient(logged);
    try {
      const first = await refreshOnly(loggedSession, request, undefined);
      const known = applied(new Map(), first);
      await loggedAdmin.del(`uid=gus,${PEOPLE}`);
      await loggedAdmin.modify(`uid=hal,${PEOPLE}`, { operation: 'add', type: 'description', values: ['hidden'] });
      const second = await refreshOnly(loggedSession, request, first.cookie);
      assert.equal(second.refreshDeletes, true, 'a delete phase');
      assert.deepEqual([...applied(known, second).values()].sort(), ['fay'], 'gus deleted, hal left the filter');
    } finally {
      await loggedSession.close();
    }
  });

  it('answers a cookie it cannot continue from with the whole content again, or (reload hint) SYNC_COOKIE_REFUSED', async () => {
    // slapd cannot find the ancient CSN: by default it sends every entry again with a present phase, so the
    // client's copy becomes exactly the content; with syncprov-reloadhint it refuses with e-syncRefreshRequired.
    const stale = Buffer.from('rid=000,csn=19990101000000.000000Z#000000#000#000000');
    const reload = await refreshOnly(session, request, stale);
    assert.deepEqual(uids(reload), ['ann', 'dan']);
    assert.deepEqual([...applied(new Map([['00', 'ghost']]), reload).values()].sort(), ['ann', 'dan']);
    const hinting = await startDirectory({
      flavor: 'openldap',
      baseDn: BASE,
      ldif: [
        ldifEntry(BASE, { objectClass: ['dcObject', 'organization'], dc: 'sync', o: 'Sync' }),
        ldifEntry(PEOPLE, { objectClass: 'organizationalUnit', ou: 'people' }),
        person('eve'),
      ].join('\n'),
      contentSync: { reloadHint: true },
    });
    const hintingSession = await openBoundSession(openLdapSettings(hinting).connection);
    try {
      const fresh = await refreshOnly(hintingSession, request, undefined);
      assert.deepEqual(uids(fresh), ['eve']);
      await assert.rejects(
        () => refreshOnly(hintingSession, request, stale),
        (error) => isRosterError(error, 'SYNC_COOKIE_REFUSED') && /e-syncRefreshRequired/.test(error.message),
      );
    } finally {
      await hintingSession.close();
    }
  });
});
