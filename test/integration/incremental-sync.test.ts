/**
 * Incremental runs' safety (issue 14): a refused cookie becomes a full run, reported; the guards apply to
 * incremental deletions and a refused run keeps its cookie; the periodic full run reports what it corrected; a run
 * killed before its commit leaves the cookie, and the next run applies the changes once; Test settings stays full.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import type { DirectorySettings } from '../../src/config/schema.js';
import { isRosterError } from '../../src/errors.js';
import { loadTracking } from '../../src/store/change-tracking.js';
import { listRuns } from '../../src/store/runs.js';
import { Store } from '../../src/store/store.js';
import { listUsers } from '../../src/store/users.js';
import { previewSync, runSync } from '../../src/sync/run.js';
import { runCli } from '../helpers/cli.js';
import { ldifEntry } from '../helpers/ldif.js';
import { openLdapInput, openLdapSettings } from '../helpers/settings.js';
import { adminClient, startDirectory, stopAllDirectories, type TestDirectory } from '../helpers/slapd.js';
import { BACKENDS, dropTestSchemas, openTestStore, type TestStore } from '../helpers/store.js';

const BASE = 'dc=incremental,dc=test';
const PEOPLE = `ou=people,${BASE}`;

function person(uid: string): { dn: string; attributes: Record<string, string | string[]> } {
  return { dn: `uid=${uid},${PEOPLE}`, attributes: { objectClass: 'inetOrgPerson', uid, cn: uid, sn: uid, mail: `${uid}@example.com` } };
}

function ldif(count: number): string {
  const entries = [
    ldifEntry(BASE, { objectClass: ['dcObject', 'organization'], dc: 'incremental', o: 'Incremental' }),
    ldifEntry(PEOPLE, { objectClass: 'organizationalUnit', ou: 'people' }),
  ];
  for (let index = 0; index < count; index++) entries.push(ldifEntry(person(`p${index}`).dn, person(`p${index}`).attributes));
  return entries.join('\n');
}

const USERS = { users: { filter: '(objectClass=inetOrgPerson)', userName: 'uid', fullName: 'cn', emailAddresses: 'mail' }, groups: { filter: undefined, groups: [] } };

let directory: TestDirectory;
let hinting: TestDirectory;
after(async () => {
  await stopAllDirectories();
  await dropTestSchemas();
});
before(async () => {
  directory = await startDirectory({ flavor: 'openldap', baseDn: BASE, ldif: ldif(30), contentSync: {} });
  hinting = await startDirectory({ flavor: 'openldap', baseDn: BASE, ldif: ldif(5), contentSync: { reloadHint: true } });
});

async function withStore<T>(backend: (typeof BACKENDS)[number], action: (test: TestStore) => Promise<T>): Promise<T> {
  const test = await openTestStore(backend);
  try {
    return await action(test);
  } finally {
    await test.store.close();
  }
}

async function addPeople(target: TestDirectory, uids: string[]): Promise<void> {
  const client = await adminClient(target);
  for (const uid of uids) await client.add(person(uid).dn, person(uid).attributes);
  await client.unbind();
}

async function deletePeople(target: TestDirectory, uids: string[]): Promise<void> {
  const client = await adminClient(target);
  for (const uid of uids) await client.del(person(uid).dn);
  await client.unbind();
}

for (const backend of BACKENDS) {
  describe(`incremental synchronization on ${backend}`, () => {
    it('falls back to a full run when the server refuses the cookie, and says so in the report and the run record', async () => {
      await withStore(backend, async (test) => {
        const settings = openLdapSettings(hinting, USERS);
        assert.equal((await runSync(test.store, settings, { trigger: 'test' })).modeReason, 'first-run');
        // What a trimmed session log or a restored server amounts to: a cookie the server cannot continue from.
        const stored = (await loadTracking(test.store.db))!;
        const state = { ...JSON.parse(stored.state), userCookie: Buffer.from('rid=000,csn=19990101000000.000000Z#000000#000#000000').toString('base64') };
        await test.store.db
          .updateTable('change_tracking')
          .set({ state: JSON.stringify(state) })
          .execute();
        await addPeople(hinting, [`h${backend}`]);
        const report = await runSync(test.store, settings, { trigger: 'test' });
        assert.deepEqual([report.mode, report.modeReason], ['full', 'cookie-refused']);
        assert.deepEqual(
          report.users.created.map((user) => user.userName),
          [`h${backend}`],
        );
        const [run] = await listRuns(test.store.db, 1);
        assert.deepEqual([run!.mode, run!.modeReason], ['full', 'cookie-refused']);
        const next = await runSync(test.store, settings, { trigger: 'test' });
        assert.equal(next.mode, 'incremental', 'the full run took a fresh cookie');
      });
    });

    it('applies the deletion guard to incremental deletions; a refused run keeps its cookie', async () => {
      await withStore(backend, async (test) => {
        const settings: DirectorySettings = openLdapSettings(directory, { ...USERS, options: { deleteUsers: true, maxDeletions: 2 } });
        await runSync(test.store, settings, { trigger: 'test' });
        const victims = [`d1${backend}`, `d2${backend}`, `d3${backend}`];
        await addPeople(directory, victims);
        assert.equal((await runSync(test.store, settings, { trigger: 'test' })).users.created.length, 3);
        const cookie = (await loadTracking(test.store.db))!.state;
        await deletePeople(directory, victims);
        await assert.rejects(
          () => runSync(test.store, settings, { trigger: 'test' }),
          (error) => isRosterError(error, 'SYNC_DELETE_GUARD'),
        );
        const [refused] = await listRuns(test.store.db, 1);
        assert.deepEqual([refused!.status, refused!.mode], ['refused', 'incremental']);
        assert.equal((await loadTracking(test.store.db))!.state, cookie, 'the refused run did not advance the cookie');
        const allowed = await runSync(test.store, settings, { trigger: 'test', allowMassDelete: true });
        assert.equal(allowed.mode, 'incremental');
        assert.deepEqual(allowed.users.deleted.map((user) => user.userName).sort(), victims);
        assert.deepEqual(allowed.entryChanges, { changed: 0, deleted: 3 });
      });
    });

    it('runs a periodic full run after options.fullSyncEvery and reports what it corrected', async () => {
      await withStore(backend, async (test) => {
        const settings = openLdapSettings(directory, { ...USERS, options: { fullSyncEvery: '1d' } });
        await runSync(test.store, settings, { trigger: 'test' });
        // A change the tracking missed: the image lost an entry (and the user with it would never come back).
        const lost = (await test.store.db.selectFrom('directory_image').select(['uuid', 'dn']).where('dn', '=', person('p7').dn).executeTakeFirstOrThrow()).uuid;
        await test.store.db.deleteFrom('directory_image').where('uuid', '=', lost).execute();
        await test.store.db.deleteFrom('users').where('user_name', '=', 'p7').execute();
        const missed = await runSync(test.store, settings, { trigger: 'test' });
        assert.equal(missed.mode, 'incremental');
        assert.equal(missed.users.created.length, 0, 'the incremental run follows its image');
        await test.store.db
          .updateTable('change_tracking')
          .set({ last_full_run_at: new Date(Date.now() - 2 * 86_400_000).toISOString() })
          .execute();
        const periodic = await runSync(test.store, settings, { trigger: 'test' });
        assert.deepEqual([periodic.mode, periodic.modeReason], ['full', 'periodic']);
        assert.deepEqual(periodic.corrected, { users: ['p7'], groups: [] });
        assert.deepEqual(
          periodic.users.created.map((user) => user.userName),
          ['p7'],
        );
        assert.match(periodic.warnings.join('\n'), /corrected what change tracking had missed: 1 users \(p7\)/);
        const after = await runSync(test.store, settings, { trigger: 'test' });
        assert.equal(after.mode, 'incremental', 'the periodic run reset the clock');
        assert.equal(after.corrected, undefined);
      });
    });

    it("skips planning when nothing changed, but not after Roster's own users changed", async () => {
      await withStore(backend, async (test) => {
        const settings = openLdapSettings(directory, USERS);
        const first = await runSync(test.store, settings, { trigger: 'test' });
        const quiet = await runSync(test.store, settings, { trigger: 'test' });
        assert.equal(quiet.mode, 'incremental');
        assert.deepEqual(quiet.entryChanges, { changed: 0, deleted: 0 });
        // Proof that it did not plan from the image: an image that lost an entry would have put p5 out of scope.
        await test.store.db.deleteFrom('directory_image').where('dn', '=', person('p5').dn).execute();
        const stillQuiet = await runSync(test.store, settings, { trigger: 'test' });
        assert.deepEqual([stillQuiet.mode, stillQuiet.users.outOfScope.length, stillQuiet.users.unchanged], ['incremental', 0, first.users.created.length]);
        await test.store.db
          .updateTable('change_tracking')
          .set({ last_full_run_at: new Date(0).toISOString() })
          .execute();
        assert.equal((await runSync(test.store, settings, { trigger: 'test' })).modeReason, 'periodic', 'the periodic run repairs the image');
        assert.deepEqual([quiet.users.created.length, quiet.users.updated.length, quiet.users.unchanged], [0, 0, first.users.created.length]);
        // An administrator removes a synced user in Roster: a full run would create it again, and so must this one.
        await test.store.db.deleteFrom('users').where('user_name', '=', 'p3').execute();
        const healed = await runSync(test.store, settings, { trigger: 'test' });
        assert.equal(healed.mode, 'incremental');
        assert.deepEqual(
          healed.users.created.map((user) => user.userName),
          ['p3'],
        );
        const [run] = await listRuns(test.store.db, 1);
        assert.deepEqual([run!.mode, run!.counts.created], ['incremental', 1]);
      });
    });

    it('never takes a refresh stopped by the size limit as complete: the run reads paged, says why and forgets the cookie', async () => {
      const limited = await startDirectory({ flavor: 'openldap', baseDn: BASE, ldif: ldif(30), contentSync: {}, serviceSizeLimit: 40 });
      try {
        await withStore(backend, async (test) => {
          const settings = openLdapSettings(limited, { ...USERS, options: { deleteUsers: true } });
          assert.equal((await runSync(test.store, settings, { trigger: 'test' })).modeReason, 'first-run');
          await addPeople(
            limited,
            Array.from({ length: 12 }, (_, index) => `s${index}`),
          );
          const forced = await runSync(test.store, settings, { trigger: 'test', full: true });
          // The unpaged refresh of 42 entries stopped at 40: the paged read found them all, and deleted nobody.
          assert.deepEqual([forced.mode, forced.modeReason], ['full', 'forced']);
          assert.equal(forced.users.created.length, 12);
          assert.equal(forced.users.deleted.length, 0);
          assert.match(forced.warnings.join('\n'), /change tracking is off for this directory: .*size limit/);
          assert.equal(await loadTracking(test.store.db), undefined, 'the tracking state is forgotten');
          const next = await runSync(test.store, settings, { trigger: 'test' });
          assert.deepEqual([next.mode, next.modeReason, next.users.deleted.length], ['full', 'server-cannot', 0]);
        });
      } finally {
        await limited.stop();
      }
    });

    it('keeps Test settings a full preview', async () => {
      await withStore(backend, async (test) => {
        const settings = openLdapSettings(directory, USERS);
        await runSync(test.store, settings, { trigger: 'test' });
        const preview = await previewSync(test.store, settings);
        assert.deepEqual([preview.mode, preview.modeReason, preview.directory.pages > 0], ['full', 'preview', true]);
      });
    });

    it('leaves the cookie where it was when the run is killed before its commit; the next run applies the changes once', async () => {
      const { store, cliArgs } = await openTestStore(backend);
      await store.close();
      const work = mkdtempSync(join(tmpdir(), 'roster-incremental-'));
      const file = join(work, 'settings.yaml');
      writeFileSync(file, stringify(openLdapInput(directory, USERS)));
      assert.equal((await runCli([...cliArgs, 'directory', 'set', file])).code, 0);
      assert.equal((await runCli([...cliArgs, 'directory', 'sync'])).code, 0);
      const inspect = async <T>(action: (opened: Store) => Promise<T>) => {
        const opened = await Store.open({ dataDir: cliArgs[1]!, databaseUrl: cliArgs[3] });
        try {
          return await action(opened);
        } finally {
          await opened.close();
        }
      };
      const before = await inspect(async (opened) => ({ tracking: await loadTracking(opened.db), users: (await listUsers(opened.db)).length }));
      const added = [`k1${backend}`, `k2${backend}`];
      await addPeople(directory, added);
      const killed = await runCli([...cliArgs, 'directory', 'sync'], { env: { ROSTER_FAILPOINT: 'kill-after-first-batch' } });
      assert.notEqual(killed.code, 0);
      const afterKill = await inspect(async (opened) => ({ tracking: await loadTracking(opened.db), users: (await listUsers(opened.db)).length }));
      assert.deepEqual(afterKill, before, 'neither the users nor the cookie moved');
      const again = JSON.parse((await runCli([...cliArgs, 'directory', 'sync', '--json'])).stdout);
      assert.equal(again.mode, 'incremental');
      assert.deepEqual(again.users.created.map((user: { userName: string }) => user.userName).sort(), added);
      const once = JSON.parse((await runCli([...cliArgs, 'directory', 'sync', '--json'])).stdout);
      assert.deepEqual([once.mode, once.users.created.length, once.users.updated.length], ['incremental', 0, 0]);
      assert.equal(await inspect(async (opened) => (await listUsers(opened.db)).length), before.users + 2);
    });
  });
}
