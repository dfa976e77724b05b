/**
 * Encryption at rest of the directory password: AES-256-GCM with a key from ROSTER_SECRET_KEY or, when that is
 * unset, a random key created once in the data directory (mode 0600). Losing the key only means entering the
 * directory password again.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RosterError } from '../errors.js';

export interface SecretBox {
  seal(plain: string): string;
  open(sealed: string): string;
}

function loadKey(dataDir: string): Buffer {
  const fromEnvironment = process.env.ROSTER_SECRET_KEY;
  if (fromEnvironment) return createHash('sha256').update(fromEnvironment).digest();
  const path = join(dataDir, 'secret.key');
  if (!existsSync(path)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(path, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  }
  return Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
}

export function secretBox(dataDir: string): SecretBox {
  let key: Buffer | undefined;
  const getKey = () => (key ??= loadKey(dataDir));
  return {
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', getKey(), iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return `v1:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
    },
    open(sealed) {
      const raw = Buffer.from(sealed.replace(/^v1:/, ''), 'base64');
      try {
        const decipher = createDecipheriv('aes-256-gcm', getKey(), raw.subarray(0, 12));
        decipher.setAuthTag(raw.subarray(12, 28));
        return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
      } catch (error) {
        throw new RosterError(
          'CONFIG_INVALID',
          'The stored directory password cannot be decrypted (the secret key changed); store the settings again with `roster directory set`.',
          { cause: error },
        );
      }
    },
  };
}
