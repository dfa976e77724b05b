/**
 * Local passwords: argon2id with OWASP's recommended parameters (19 MiB, 2 passes). A hash made with other
 * parameters still verifies, and `needsRehash` tells the login to replace it with a current one.
 */
import { RosterError } from '../errors.js';

const ARGON2ID = 2;
const POLICY = { algorithm: ARGON2ID, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;
export const MAX_PASSWORD_LENGTH = 1024;

export function checkNewPassword(password: string, field = 'password'): void {
  if (password.length === 0) throw new RosterError('INPUT_INVALID', `${field}: must not be empty`, { details: [{ path: field, message: 'must not be empty' }] });
  if (password.length > MAX_PASSWORD_LENGTH)
    throw new RosterError('INPUT_INVALID', `${field}: longer than ${MAX_PASSWORD_LENGTH} characters`, { details: [{ path: field, message: 'too long' }] });
}

// The native module is loaded on first use: most commands never check a password.
const argon2 = () => import('@node-rs/argon2');

export async function hashPassword(password: string): Promise<string> {
  return (await argon2()).hash(password, POLICY);
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await (await argon2()).verify(stored, password);
  } catch {
    return false;
  }
}

export async function needsRehash(stored: string): Promise<boolean> {
  try {
    const options = (await argon2()).parseOptions(stored);
    return options.algorithm !== POLICY.algorithm || options.memoryCost !== POLICY.memoryCost || options.timeCost !== POLICY.timeCost || options.parallelism !== POLICY.parallelism;
  } catch {
    return true;
  }
}
