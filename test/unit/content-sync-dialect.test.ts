import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nsUniqueIdOf, syncUuidOfNsUniqueId } from '../../src/directory/change-feed.js';
import { applyRefresh } from '../../src/directory/tracked-read.js';
import { isRosterError } from '../../src/errors.js';
import { assertHistoryHolds, contentSyncDialect, type RefreshResult } from '../../src/ldap/content-sync.js';
import { LdapEntry } from '../../src/ldap/entry.js';
import { SYNC_OID } from '../../src/ldap/sync-values.js';

const rootDse = (attributes: Record<string, string | string[]>) => new LdapEntry('', attributes);
const DS389 = contentSyncDialect(rootDse({ supportedControl: [SYNC_OID.request], vendorName: '389 Project', vendorVersion: '389-Directory/2.3.1 B2025.016.1616' }))!;

describe('content-synchronization dialects', () => {
  it('has none without the Sync Request control in the root DSE, RFC 4533 as written for OpenLDAP, 389’s for 389-DS and Red Hat DS', () => {
    assert.equal(contentSyncDialect(rootDse({ supportedControl: ['1.2.840.113556.1.4.319'], vendorName: '389 Project' })), undefined);
    assert.equal(contentSyncDialect(undefined), undefined);
    assert.deepEqual(contentSyncDialect(rootDse({ supportedControl: [SYNC_OID.request] })), {
      deletePhaseAfterCookie: false,
      reportsChangedEntries: true,
      checkHistory: false,
      dropsDeletionAfterIdSetOf: 0,
    });
    assert.deepEqual(DS389, { deletePhaseAfterCookie: true, reportsChangedEntries: false, checkHistory: true, dropsDeletionAfterIdSetOf: 50 });
    assert.deepEqual(contentSyncDialect(rootDse({ supportedControl: [SYNC_OID.request], vendorVersion: 'Red Hat-Directory/12.2' })), DS389);
  });

  it('refuses a 389 cookie whose next change the retro changelog no longer holds, and leaves other cases to the server', () => {
    const cookie = (changeNumber: number) => Buffer.from(`localhost:389#cn=roster:dc=example,dc=com:(objectClass=*)#${changeNumber}`);
    const first = (value: string) => rootDse({ firstchangenumber: value });
    assert.doesNotThrow(() => assertHistoryHolds(DS389, [cookie(14)], first('15')));
    assert.doesNotThrow(() => assertHistoryHolds(DS389, [cookie(20), undefined], first('15')));
    assert.throws(
      () => assertHistoryHolds(DS389, [cookie(20), cookie(13)], first('15')),
      (error) => isRosterError(error, 'SYNC_COOKIE_REFUSED') && /change 13, the oldest kept is 15/.test(error.message),
    );
    assert.doesNotThrow(() => assertHistoryHolds(DS389, [Buffer.from('rid=000,csn=x')], first('15')), 'no change number: the server decides');
    assert.doesNotThrow(() => assertHistoryHolds(DS389, [cookie(1)], rootDse({})), 'no firstchangenumber: the server decides');
    const rfc = contentSyncDialect(rootDse({ supportedControl: [SYNC_OID.request] }))!;
    assert.doesNotThrow(() => assertHistoryHolds(rfc, [cookie(1)], first('15')), 'only 389 cookies carry a change number');
  });

  it('maps a syncUUID to 389’s nsUniqueId and back', () => {
    assert.equal(nsUniqueIdOf('104d854dea8d11f1a67385f19caef5d1'), '104d854d-ea8d11f1-a67385f1-9caef5d1');
    assert.equal(syncUuidOfNsUniqueId('104D854D-EA8D11F1-A67385F1-9CAEF5D1'), '104d854dea8d11f1a67385f19caef5d1');
    assert.equal(syncUuidOfNsUniqueId('not-an-id'), undefined);
    assert.equal(syncUuidOfNsUniqueId(undefined), undefined);
  });
});

describe('applying a refresh to the image (RFC 4533 §3.3.2)', () => {
  const entry = (uid: string) => new LdapEntry(`uid=${uid},ou=people,dc=example,dc=com`, { uid });
  const previous = new Map([
    ['a'.repeat(32), entry('ann')],
    ['b'.repeat(32), entry('ben')],
  ]);
  const refresh = (fields: Partial<RefreshResult>): RefreshResult => ({
    changed: new Map(),
    deleted: new Set(),
    present: new Set(),
    refreshDeletes: false,
    deletionsMayBeMissing: false,
    cookie: Buffer.from('c'),
    references: [],
    ...fields,
  });

  it('keeps the present and changed entries after a present phase, all but the deleted after a delete phase', () => {
    const presentPhase = applyRefresh(previous, refresh({ present: new Set(['a'.repeat(32)]) }));
    assert.deepEqual([[...presentPhase.image.keys()], presentPhase.deleted], [['a'.repeat(32)], ['b'.repeat(32)]]);
    const deletePhase = applyRefresh(previous, refresh({ refreshDeletes: true, deleted: new Set(['a'.repeat(32)]) }));
    assert.deepEqual([[...deletePhase.image.keys()], deletePhase.deleted], [['b'.repeat(32)], ['a'.repeat(32)]]);
  });

  it('does not trust a present phase that names no entry while unchanged ones are held (389-DS’s delete phase read literally)', () => {
    assert.throws(
      () => applyRefresh(previous, refresh({ changed: new Map([['a'.repeat(32), entry('ann')]]) })),
      (error) => isRosterError(error, 'SYNC_COOKIE_REFUSED'),
    );
    const allChanged = applyRefresh(previous, refresh({ changed: new Map([...previous]) }));
    assert.equal(allChanged.image.size, 2, 'nothing unchanged was held');
  });
});
