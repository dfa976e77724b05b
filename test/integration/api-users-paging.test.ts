import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { User } from '../../src/model.js';
import { insertMany } from '../../src/store/bulk.js';
import { userRow } from '../../src/store/users.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { BACKENDS, dropTestSchemas } from '../helpers/store.js';

after(async () => dropTestSchemas());

const SURNAMES = ['Schmidt', 'Müller', 'ÖZTÜRK', 'Weber'];

function testUser(index: number): User {
  const userName = `user${String(index).padStart(3, '0')}`;
  return {
    userName,
    fullName: `${['Anna', 'Bernd', 'Clara'][index % 3]} ${SURNAMES[index % 4]}`,
    emailAddresses: [`${userName}@example.com`, `${userName}@dept${index % 5}.example.org`],
    source: index % 10 === 0 ? 'manual' : 'directory',
    authentication: index % 7 === 0 ? 'local' : 'directory',
    disabled: index % 11 === 0,
    privileges: ['login'],
    archiveAccess: ['read'],
    dn: index % 10 === 0 ? null : `uid=${userName},ou=people,dc=example,dc=com`,
    stableId: index % 10 === 0 ? null : `entryUUID:${index}`,
  };
}

const USERS = Array.from({ length: 250 }, (_, index) => testUser(index + 1));

for (const backend of BACKENDS) {
  describe(`API: users paged and searched by the database (${backend})`, () => {
    let t: TestServer;
    const get = (url: string) => t.server.inject({ url, headers: { authorization: `Bearer ${t.adminToken}` } });
    /** Follows the Link headers from `url` to the last page: every name seen, and every total announced. */
    async function walk(url: string): Promise<{ names: string[]; totals: number[]; pages: number }> {
      const names: string[] = [];
      const totals: number[] = [];
      let pages = 0;
      for (let next: string | undefined = url; next; pages++) {
        const response = await get(next);
        assert.equal(response.statusCode, 200, response.body);
        names.push(...(response.json() as User[]).map((user) => user.userName));
        totals.push(Number(response.headers['x-total-count']));
        const link = response.headers.link as string | undefined;
        next = link === undefined ? undefined : /^<([^>]+)>; rel="next"$/.exec(link)![1];
        assert.ok(link === undefined || next, `malformed Link header: ${link}`);
      }
      return { names, totals, pages };
    }
    const matching = (predicate: (user: User) => boolean) =>
      USERS.filter(predicate)
        .map((user) => user.userName)
        .sort();

    before(async () => {
      t = await startTestServer(backend);
      await insertMany(
        t.app.store.db,
        'users',
        USERS.map((user) => userRow(user, new Date().toISOString())),
      );
    });
    after(async () => t.close());

    it('answers a first page of 100 ordered by name, the total of all users and a Link to the next page', async () => {
      const response = await get('/api/users');
      assert.equal(response.statusCode, 200);
      const names = (response.json() as User[]).map((user) => user.userName);
      assert.equal(names.length, 100);
      assert.deepEqual(names, ['admin', ...matching(() => true)].slice(0, 100));
      assert.equal(response.headers['x-total-count'], '251');
      assert.equal(response.headers.link, '</api/users?limit=100&after=user099>; rel="next"');
    });

    it('walks every user exactly once through the Link headers, and the last page has none', async () => {
      const { names, totals, pages } = await walk('/api/users?limit=60');
      assert.deepEqual(names, ['admin', ...matching(() => true)]);
      assert.equal(pages, 5);
      assert.deepEqual(new Set(totals), new Set([251]));
    });

    it('searches name, full name and addresses case-insensitively, Unicode included, and pages the matches', async () => {
      assert.deepEqual(
        (await walk('/api/users?q=SCHMIDT&limit=20')).names,
        matching((user) => user.fullName.includes('Schmidt')),
      );
      assert.deepEqual(
        (await walk('/api/users?q=%C3%B6zt%C3%BCrk&limit=20')).names,
        matching((user) => user.fullName.includes('ÖZTÜRK')),
      );
      assert.deepEqual(
        (await walk('/api/users?q=%40dept3.EXAMPLE')).names,
        matching((user) => user.emailAddresses.some((address) => address.includes('@dept3.'))),
      );
      assert.deepEqual(
        (await walk('/api/users?q=user12')).names,
        matching((user) => user.userName.startsWith('user12')),
      );
      const search = await get('/api/users?q=schmidt&limit=5');
      assert.equal(search.headers['x-total-count'], String(matching((user) => user.fullName.includes('Schmidt')).length));
      assert.match(String(search.headers.link), /^<\/api\/users\?q=schmidt&limit=5&after=user\d+>; rel="next"$/);
    });

    it('takes the query literally: SQL wildcards match themselves and a match never spans two addresses', async () => {
      for (const q of ['%', '_', "'", '","', 'com","user', '.com\nuser']) {
        const response = await get(`/api/users?q=${encodeURIComponent(q)}`);
        if (q.includes('\n')) {
          assert.equal(response.statusCode, 400, q);
          assert.match(response.json().error.message, /q: must not contain control characters/);
          continue;
        }
        assert.equal(response.statusCode, 200, response.body);
        assert.deepEqual(response.json(), [], q);
        assert.equal(response.headers['x-total-count'], '0');
        assert.equal(response.headers.link, undefined);
      }
    });

    it('filters by source, authentication and state, with a search, and keeps the filters in the Link', async () => {
      assert.deepEqual((await walk('/api/users?source=manual')).names, ['admin', ...matching((user) => user.source === 'manual')]);
      assert.deepEqual((await walk('/api/users?authentication=local&limit=10')).names, ['admin', ...matching((user) => user.authentication === 'local')]);
      assert.deepEqual(
        (await walk('/api/users?disabled=true')).names,
        matching((user) => user.disabled),
      );
      const combined = (user: User) => user.source === 'directory' && !user.disabled && user.fullName.includes('Weber');
      const { names, totals } = await walk('/api/users?q=weber&source=directory&disabled=false&limit=7');
      assert.deepEqual(names, matching(combined));
      assert.deepEqual(new Set(totals), new Set([matching(combined).length]));
      const first = await get('/api/users?q=weber&source=directory&disabled=false&limit=7');
      assert.match(String(first.headers.link), /^<\/api\/users\?q=weber&source=directory&disabled=false&limit=7&after=user\d+>; rel="next"$/);
    });

    it('finds a user by a full name an administrator changed, not by the old one', async () => {
      const manual = USERS.find((user) => user.source === 'manual')!;
      const patched = await t.server.inject({
        method: 'PATCH',
        url: `/api/users/${manual.userName}`,
        headers: { authorization: `Bearer ${t.adminToken}` },
        payload: { fullName: 'Zebediah Quux' },
      });
      assert.equal(patched.statusCode, 200, patched.body);
      assert.deepEqual((await walk('/api/users?q=zebediah')).names, [manual.userName]);
      assert.ok(!(await walk(`/api/users?q=${encodeURIComponent(manual.fullName)}`)).names.includes(manual.userName));
    });

    it('400s bad paging and filter parameters, naming each', async () => {
      for (const [query, path] of [
        ['limit=0', 'querystring.limit'],
        ['limit=1001', 'querystring.limit'],
        ['limit=ten', 'querystring.limit'],
        ['source=ldap', 'querystring.source'],
        ['authentication=kerberos', 'querystring.authentication'],
        ['disabled=maybe', 'querystring.disabled'],
      ]) {
        const response = await get(`/api/users?${query}`);
        assert.equal(response.statusCode, 400, query);
        assert.equal(response.json().error.code, 'INPUT_INVALID');
        assert.equal(response.json().error.details[0].path, path, query);
      }
    });
  });
}
