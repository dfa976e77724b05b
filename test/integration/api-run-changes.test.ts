import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { recordRun, type RunChange } from '../../src/store/runs.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { BACKENDS, dropTestSchemas } from '../helpers/store.js';

after(async () => dropTestSchemas());

/** 650 changes over four stored pages (200 each): deletions, then updates, then creations, as a sync records them. */
function changes(): RunChange[] {
  const list: RunChange[] = [];
  for (let i = 0; i < 50; i++) list.push({ userName: `gone${i}`, action: 'deleted', detail: { reason: 'no longer in group Staff' } });
  for (let i = 0; i < 150; i++)
    list.push({
      userName: `Moved${i}`,
      action: 'updated',
      detail: { fullName: { from: `Old ${i}`, to: `New ${i}` }, emailAddresses: { from: [`a${i}@x.org`, `b${i}@x.org`], to: [`a${i}@x.org`, `c${i}@x.org`] } },
    });
  for (let i = 0; i < 450; i++)
    list.push({ userName: `fresh${i}`, action: 'created', detail: { fullName: `Fresh ${i}`, emailAddresses: [`fresh${i}@x.org`], dn: `uid=fresh${i},dc=x` } });
  list.push({ userName: '=cmd|calc', action: 'created', detail: { fullName: 'Formula, "quoted"', emailAddresses: [], dn: null } });
  return list;
}

for (const backend of BACKENDS) {
  describe(`API: a run's changes paged and filtered (${backend})`, () => {
    let t: TestServer;
    let runId: number;
    const all = changes();
    const get = (url: string) => t.server.inject({ url, headers: { authorization: `Bearer ${t.adminToken}` } });
    async function walk(url: string) {
      const seen: Array<RunChange & { seq: number }> = [];
      const totals = new Set<string>();
      for (let next: string | undefined = url; next;) {
        const response = await get(next);
        assert.equal(response.statusCode, 200, response.body);
        seen.push(...response.json());
        totals.add(String(response.headers['x-total-count']));
        next = /^<([^>]+)>; rel="next"$/.exec(String(response.headers.link ?? ''))?.[1];
      }
      return { seen, totals: [...totals] };
    }

    before(async () => {
      t = await startTestServer(backend);
      const counts = { created: 451, updated: 150, deleted: 50, outOfScope: 0, unchanged: 7 };
      runId = await recordRun(
        t.app.store.db,
        { startedAt: new Date().toISOString(), trigger: 'test', status: 'committed', settingsFingerprint: 'f', durationMs: 5, counts, warnings: ['w1'] },
        all,
      );
    });
    after(async () => t.close());

    it('pages through every change in run order with its seq, the total and Link headers', async () => {
      const first = await get(`/api/directory/runs/${runId}/changes`);
      assert.equal(first.statusCode, 200);
      assert.equal(first.json().length, 100);
      assert.equal(first.headers['x-total-count'], String(all.length));
      assert.equal(first.headers.link, `</api/directory/runs/${runId}/changes?limit=100&after=99>; rel="next"`);
      const { seen, totals } = await walk(`/api/directory/runs/${runId}/changes?limit=130`);
      assert.deepEqual(totals, [String(all.length)]);
      assert.deepEqual(
        seen.map(({ seq, ...change }) => [seq, change]),
        all.map((change, seq) => [seq, change]),
      );
    });

    it('filters by action and by user name (case-insensitive), counting only the matches', async () => {
      const updated = await walk(`/api/directory/runs/${runId}/changes?action=updated&limit=40`);
      assert.deepEqual(updated.totals, ['150']);
      assert.deepEqual(
        updated.seen.map((change) => change.userName),
        all.filter((change) => change.action === 'updated').map((change) => change.userName),
      );
      const named = await walk(`/api/directory/runs/${runId}/changes?q=MOVED1&action=updated`);
      assert.deepEqual(
        named.seen.map((change) => change.userName),
        all.filter((change) => change.userName.startsWith('Moved1')).map((change) => change.userName),
      );
      assert.deepEqual(named.totals, [String(named.seen.length)]);
      const none = await get(`/api/directory/runs/${runId}/changes?q=moved&action=created`);
      assert.deepEqual([none.json(), none.headers['x-total-count'], none.headers.link], [[], '0', undefined]);
    });

    it('still pages pages stored without the index (by older code)', async () => {
      await t.app.store.db.updateTable('sync_run_change_pages').set({ actions: '', names: '' }).where('run_id', '=', runId).where('page', '=', 1).execute();
      const { seen } = await walk(`/api/directory/runs/${runId}/changes?q=moved14&limit=3`);
      assert.deepEqual(
        seen.map((change) => change.userName),
        all.filter((change) => change.userName.toLowerCase().includes('moved14')).map((change) => change.userName),
      );
    });

    it('downloads the run as CSV (quoted, formula cells defused) and as the JSON of GET /runs/:id, streamed', async () => {
      const csv = await get(`/api/directory/runs/${runId}/changes.csv`);
      assert.equal(csv.statusCode, 200);
      assert.match(String(csv.headers['content-type']), /^text\/csv/);
      assert.equal(csv.headers['content-disposition'], `attachment; filename="roster-run-${runId}.csv"`);
      const lines = csv.body.split('\r\n');
      assert.equal(lines[0], 'seq,action,userName,change,detail');
      assert.equal(lines.length, all.length + 2);
      assert.equal(lines[1], '0,deleted,gone0,reason: no longer in group Staff,"{""reason"":""no longer in group Staff""}"');
      assert.equal(
        lines[51],
        '50,updated,Moved0,full name: Old 0 → New 0; addresses: added c0@x.org; removed b0@x.org,' +
          '"{""fullName"":{""from"":""Old 0"",""to"":""New 0""},""emailAddresses"":{""from"":[""a0@x.org"",""b0@x.org""],""to"":[""a0@x.org"",""c0@x.org""]}}"',
      );
      assert.ok(lines[all.length]!.startsWith(`${all.length - 1},created,'=cmd|calc,"full name: Formula, ""quoted""; addresses: (none); DN: (none)"`), lines[all.length]);
      const json = await get(`/api/directory/runs/${runId}/download.json`);
      assert.equal(json.statusCode, 200);
      assert.deepEqual(json.json(), (await get(`/api/directory/runs/${runId}`)).json());
      assert.equal(json.json().changes.length, all.length);
    });

    it('404s an unknown run and 400s bad parameters, naming each', async () => {
      for (const url of ['/api/directory/runs/9999/changes', '/api/directory/runs/9999/changes.csv', '/api/directory/runs/9999/download.json']) {
        const response = await get(url);
        assert.equal(response.statusCode, 404, url);
        assert.equal(response.json().error.code, 'NOT_FOUND');
      }
      for (const [query, path] of [
        ['action=renamed', 'querystring.action'],
        ['limit=0', 'querystring.limit'],
        ['limit=5000', 'querystring.limit'],
        ['after=-1', 'querystring.after'],
        ['after=x', 'querystring.after'],
      ]) {
        const response = await get(`/api/directory/runs/${runId}/changes?${query}`);
        assert.equal(response.statusCode, 400, query);
        assert.equal(response.json().error.details[0].path, path, query);
      }
    });
  });
}
