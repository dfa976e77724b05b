#!/usr/bin/env node
// Makes sure the programs the tests start are installed: OpenLDAP's slapd and ldap-utils (the tests run a real
// directory), Chromium for the browser tests, and, for the suites against real Active Directory and 389
// Directory Server, Samba AD DC, 389-ds-base and iproute2 (network namespaces). As root with apt-get it installs
// what is missing, without letting apt start the packages' services; otherwise it stops and says what to
// install. The Samba and 389 suites skip themselves, saying why, where they cannot run (not root, no packages).
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';

const needed = [
  { path: '/usr/sbin/slapd', packages: ['slapd'] },
  { path: '/usr/bin/ldapsearch', packages: ['ldap-utils'] },
  { path: '/usr/bin/openssl', packages: ['openssl'] },
  { path: '/usr/bin/chromium', packages: ['chromium'] },
];
// The real-server suites: wanted where they can run (root), installed as packages (some only carry dependencies).
const realServerPackages = ['samba', 'samba-ad-dc', 'samba-ad-provision', 'winbind', '389-ds-base', 'iproute2'];

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = existsSync('/usr/bin/apt-get');

function isInstalled(name) {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).includes('install ok installed');
  } catch {
    return false;
  }
}

const missing = needed.filter((item) => !existsSync(item.path)).flatMap((item) => item.packages);
const missingRealServers = isRoot && hasApt ? realServerPackages.filter((name) => !isInstalled(name)) : [];
if (missing.length === 0 && missingRealServers.length === 0) process.exit(0);

if (!isRoot || !hasApt) {
  console.error(`The tests need ${missing.join(', ')}. Install them (Debian/Ubuntu: sudo apt-get install -y ${missing.join(' ')}) and run the tests again.`);
  process.exit(1);
}
const packages = [...missing, ...missingRealServers];
console.error(`Installing ${packages.join(', ')} for the tests ...`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
// policy-rc.d exit status 101: "action forbidden" (Debian policy §9.3.3), so the packages' post-install scripts
// start no system slapd, samba, winbind or dirsrv; the tests start their own servers. Removed afterwards if ours.
const policy = '/usr/sbin/policy-rc.d';
const ownPolicy = !existsSync(policy);
if (ownPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
try {
  execFileSync('apt-get', ['update', '-q'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...packages], { stdio: 'inherit', env });
} finally {
  if (ownPolicy) rmSync(policy, { force: true });
}
