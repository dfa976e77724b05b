/**
 * Changing a test directory as its administrator, through OpenLDAP's own `ldapmodify` (ldap-utils): tests that
 * change the directory use a real client other than Roster's, so Roster's codec is not checked against itself.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';

const LDAPMODIFY = ['/usr/bin/ldapmodify'].find((path) => existsSync(path)) ?? 'ldapmodify';

export interface AttributeChange {
  operation: 'add' | 'delete' | 'replace';
  type: string;
  values: string[];
}

export interface AdminClient {
  modify(dn: string, changes: AttributeChange | AttributeChange[]): Promise<void>;
  /** `newDn` is a new RDN (`uid=x`) or a whole DN (the entry moves under its parent), as ldapts had it. */
  modifyDN(dn: string, newDn: string): Promise<void>;
  unbind(): Promise<void>;
}

export interface AdminTarget {
  port: number;
  adminDn: string;
  adminPassword: string;
}

/** LDIF `name:: base64`: safe for any value (RFC 2849 §2), so no escaping rules to get wrong. */
const line = (name: string, value: string) => `${name}:: ${Buffer.from(value, 'utf8').toString('base64')}`;

/** The first RDN and the rest of a DN: the first comma not escaped by a backslash (RFC 4514 §2.4). */
function splitDn(dn: string): [string, string | undefined] {
  const match = /^((?:\\.|[^,\\])+),(.*)$/.exec(dn);
  return match ? [match[1]!, match[2]!] : [dn, undefined];
}

function run(target: AdminTarget, ldif: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(LDAPMODIFY, ['-x', '-H', `ldap://127.0.0.1:${target.port}`, '-D', target.adminDn, '-w', target.adminPassword], (error, _stdout, stderr) =>
      error ? reject(new Error(`ldapmodify failed: ${stderr || error.message}`)) : resolve(),
    );
    child.stdin!.end(ldif);
  });
}

export function ldapModifyClient(target: AdminTarget): AdminClient {
  return {
    async modify(dn, changes) {
      const blocks = (Array.isArray(changes) ? changes : [changes]).map((change) =>
        [`${change.operation}: ${change.type}`, ...change.values.map((value) => line(change.type, value)), '-'].join('\n'),
      );
      await run(target, [line('dn', dn), 'changetype: modify', ...blocks, ''].join('\n'));
    },
    async modifyDN(dn, newDn) {
      const [rdn, superior] = splitDn(newDn);
      const lines = [line('dn', dn), 'changetype: modrdn', line('newrdn', rdn), 'deleteoldrdn: 1'];
      if (superior !== undefined) lines.push(line('newsuperior', superior));
      await run(target, [...lines, ''].join('\n'));
    },
    async unbind() {},
  };
}
