import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCertificates {
  caFile: string;
  caPem: string;
  certFile: string;
  keyFile: string;
  /** A second CA that signed nothing: trusting it must not make the server trusted. */
  otherCaFile: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

function makeCa(dir: string, name: string): void {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.pem`], dir);
}

/** A self-signed CA and a server certificate for 127.0.0.1 and localhost, made with openssl. */
export function makeCertificates(dir: string): TestCertificates {
  mkdirSync(dir, { recursive: true });
  makeCa(dir, 'roster-test-ca');
  makeCa(dir, 'other-ca');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', 'server.key', '-out', 'server.csr'], dir);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'roster-test-ca.pem',
      '-CAkey',
      'roster-test-ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      'server.ext',
      '-out',
      'server.pem',
    ],
    dir,
  );
  const caFile = join(dir, 'roster-test-ca.pem');
  return { caFile, caPem: readFileSync(caFile, 'utf8'), certFile: join(dir, 'server.pem'), keyFile: join(dir, 'server.key'), otherCaFile: join(dir, 'other-ca.pem') };
}
