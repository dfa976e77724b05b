/**
 * Device cookies (OWASP, "Slow down online guessing attacks with device cookies"): after a successful login the
 * browser gets a random token bound to the account. Its later attempts are throttled per device instead of per
 * user name (throttle.ts), so a burst of guesses from elsewhere, which blocks the name, does not lock out the
 * administrator's own browser; guessing with a stolen cookie still meets the device's own limit.
 */
import type { Store } from '../store/store.js';
import { createTrustedDevice, trustedDeviceKey } from '../store/trusted-devices.js';
import { userNameKey } from '../model.js';

export const DEVICE_COOKIE = 'roster_device';
export const DEVICE_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000;

/** The token to set in the device cookie after a success: the one sent if it is still this user's, else a new one. */
export async function rememberDevice(store: Store, user: { readonly id: number; readonly userName: string }, sentToken: string | undefined): Promise<string | undefined> {
  if (sentToken && (await trustedDeviceKey(store.db, sentToken, userNameKey(user.userName)))) return undefined;
  return createTrustedDevice(store.db, user.id, DEVICE_LIFETIME_MS);
}
