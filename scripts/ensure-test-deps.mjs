#!/usr/bin/env node
// Makes sure the programs the tests start are installed: OpenLDAP's slapd and ldap-utils (the tests run a real
// directory), and Chromium for the browser tests. As root with apt-get it installs what is missing; otherwise it
// stops and says what to install.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const needed = [
  { path: '/usr/sbin/slapd', packages: ['slapd'] },
  { path: '/usr/bin/ldapsearch', packages: ['ldap-utils'] },
  { path: '/usr/bin/openssl', packages: ['openssl'] },
  { path: '/usr/bin/chromium', packages: ['chromium'] },
];
const missing = needed.filter((item) => !existsSync(item.path)).flatMap((item) => item.packages);
if (missing.length === 0) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (!isRoot || !existsSync('/usr/bin/apt-get')) {
  console.error(`The tests need ${missing.join(', ')}. Install them (Debian/Ubuntu: sudo apt-get install -y ${missing.join(' ')}) and run the tests again.`);
  process.exit(1);
}
console.error(`Installing ${missing.join(', ')} for the tests ...`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
// The package's post-install script would configure a system slapd; the tests never use it, so it is stopped.
execFileSync('apt-get', ['update', '-q'], { stdio: 'inherit', env });
execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
try {
  execFileSync('pkill', ['-x', 'slapd'], { stdio: 'ignore' });
} catch {
  // no system slapd running
}
