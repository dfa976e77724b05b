/**
 * Linux network namespaces for servers whose ports are fixed (Samba AD DC listens on 389/636 and cannot be
 * told otherwise): each run gets its own namespace, so its loopback is private, runs in parallel never
 * collide and nothing on the host is touched. Needs root and iproute2.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CliResult } from './cli.js';

export const IP = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip'].find((path) => existsSync(path));
const BIN = fileURLToPath(new URL('../../bin/roster.js', import.meta.url));
/** The checkout: programs run with `--import tsx` resolve it from here. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Why namespaces cannot be used here, or undefined when they can. */
export function namespaceSkipReason(): string | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'needs root (ip netns); CI runs as root';
  if (!IP) return 'iproute2 is not installed (apt-get install iproute2)';
  // Root in a container may still lack CAP_SYS_ADMIN: try one.
  const probe = `roster-probe-${process.pid}-${randomBytes(3).toString('hex')}`;
  try {
    execFileSync(IP, ['netns', 'add', probe], { stdio: 'pipe' });
    execFileSync(IP, ['netns', 'del', probe], { stdio: 'pipe' });
  } catch (error) {
    return `network namespaces cannot be created here: ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}`;
  }
  return undefined;
}

export interface NetworkNamespace {
  readonly name: string;
  /** Runs a program inside the namespace and returns its output; throws with stderr when it fails. */
  run(program: string, args: readonly string[], options?: { input?: string; env?: Record<string, string> }): string;
  /** Runs a program inside the namespace, collecting exit code and output (for programs expected to fail). */
  spawn(program: string, args: readonly string[], options?: { input?: string; env?: Record<string, string> }): Promise<CliResult>;
  /** The built `roster` command, run inside the namespace as an administrator on that machine would. */
  roster(args: readonly string[], options?: { input?: string; env?: Record<string, string> }): Promise<CliResult>;
  remove(): void;
}

export function createNamespace(prefix: string): NetworkNamespace {
  const name = `${prefix}-${process.pid}-${randomBytes(3).toString('hex')}`;
  execFileSync(IP!, ['netns', 'add', name], { stdio: 'pipe' });
  execFileSync(IP!, ['netns', 'exec', name, IP!, 'link', 'set', 'lo', 'up'], { stdio: 'pipe' });
  const spawnIn = (program: string, args: readonly string[], options: { input?: string; env?: Record<string, string> } = {}) =>
    new Promise<CliResult>((resolve, reject) => {
      const child = spawn(IP!, ['netns', 'exec', name, program, ...args], { cwd: ROOT, env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      // A program that never reads its input (ldapsearch) may exit first: EPIPE is expected then.
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input ?? '');
    });
  return {
    name,
    run(program, args, options = {}) {
      return execFileSync(IP!, ['netns', 'exec', name, program, ...args], {
        encoding: 'utf8',
        input: options.input ?? '',
        env: { ...process.env, ...options.env },
        stdio: ['pipe', 'pipe', 'pipe'],
        maxBuffer: 64 * 1024 * 1024,
      });
    },
    spawn: spawnIn,
    // The namespace has its own loopback: a PostgreSQL named by ROSTER_DATABASE_URL is out of reach; --data it is.
    roster: (args, options) => spawnIn(process.execPath, [BIN, ...args], { ...options, env: { ...options?.env, ROSTER_DATABASE_URL: '' } }),
    remove() {
      try {
        execFileSync(IP!, ['netns', 'del', name], { stdio: 'pipe' });
      } catch {
        // already gone
      }
    },
  };
}
