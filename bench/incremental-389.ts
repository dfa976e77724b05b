/**
 * The incremental benchmark (bench/incremental-steps.ts) against 389 Directory Server with its Content
 * Synchronization plugin (test/helpers/dirsrv.ts): the same directory, changes and figures as against slapd, next
 * to a paged ldapsearch of the same entries in the same run. Loading through ldapmodify takes ~1 s per 1,000
 * entries on 2 shared cores, so BENCH_USERS / BENCH_GROUPS (default 100,000 / 1,000) are worth lowering.
 * Run as root: BENCH_USERS=20000 BENCH_GROUPS=200 npm run bench:incremental:389
 */
import { start389, stopAll389 } from '../test/helpers/dirsrv.js';
import { ldifEntry } from '../test/helpers/ldif.js';
import { BENCH_BASE, benchLdif } from './generate.js';
import { GROUPS, USERS } from './harness.js';
import { measureIncremental } from './incremental-steps.js';

const SERVICE_DN = `cn=roster,${BENCH_BASE}`;
const SERVICE_PASSWORD = 'Service-Secret-1';

const started = performance.now();
const server = await start389({
  baseDn: BENCH_BASE,
  contentSync: true,
  ldif: [
    `dn: ${BENCH_BASE}\nchangetype: modify\nadd: aci\naci: (targetattr != "userPassword")(version 3.0; acl "bench read"; allow (read, search, compare) userdn = "ldap:///all";)\n`,
    // No size limit: the content-synchronization refresh cannot be paged (RFC 4533 §3.1). No look-through limit:
    // past nsslapd-idlistscanlimit (4,000) candidates objectClass counts as unindexed, and the default
    // look-through limit (5,000) stops the search, paged or not, with adminLimitExceeded (observed at 20,000 users).
    ldifEntry(SERVICE_DN, {
      objectClass: ['top', 'applicationProcess', 'simpleSecurityObject'],
      cn: 'roster',
      userPassword: SERVICE_PASSWORD,
      nsSizeLimit: '-1',
      nsLookThroughLimit: '-1',
      nsPagedLookThroughLimit: '-1',
    }),
  ].join('\n'),
});
try {
  // The instance made the suffix entry: everything below it.
  server.modify(benchLdif(USERS, GROUPS).split('\n\n').slice(1).join('\n\n'));
  console.log(`389 Directory Server: ${USERS} users, ${GROUPS} groups x 2 variants, created and loaded in ${Math.round(performance.now() - started)} ms`);
  const target = {
    port: server.port,
    baseDn: BENCH_BASE,
    serviceDn: SERVICE_DN,
    servicePassword: SERVICE_PASSWORD,
    adminDn: server.managerDn,
    adminPassword: server.managerPassword,
  };
  await measureIncremental(target, '389 Directory Server (content sync + change feed)');
} finally {
  await stopAll389();
}
