/** The change events of an administrator's edits (the sync's are in sync/events.ts). */
import type { User } from '../model.js';
import type { NewEvent } from '../store/events.js';
import type { UserPatch } from '../store/users.js';

const base = (user: User) => ({ stableId: user.stableId, userName: user.userName, source: user.source });

export function createdEvent(user: User): NewEvent {
  return {
    ...base(user),
    type: 'user.created',
    data: { fullName: user.fullName, emailAddresses: user.emailAddresses, authentication: user.authentication, disabled: user.disabled, privileges: user.privileges },
  };
}

export function deletedEvent(user: User, reason: string): NewEvent {
  return { ...base(user), type: 'user.deleted', data: { reason } };
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** `user.updated` with the fields that change (from → to; a new password only as `passwordChanged`), `user.disabled`/`user.enabled`. */
export function changeEvents(user: User, patch: UserPatch & { source?: User['source'] }): NewEvent[] {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const field of ['fullName', 'emailAddresses', 'authentication', 'privileges', 'archiveAccess', 'source'] as const) {
    const to = patch[field];
    if (to !== undefined && !sameJson(user[field], to)) changes[field] = { from: user[field], to };
  }
  const events: NewEvent[] = [];
  const passwordChanged = patch.passwordHash !== undefined;
  if (Object.keys(changes).length > 0 || passwordChanged) events.push({ ...base(user), type: 'user.updated', data: { changes, ...(passwordChanged ? { passwordChanged } : {}) } });
  if (patch.disabled !== undefined && patch.disabled !== user.disabled) events.push({ ...base(user), type: patch.disabled ? 'user.disabled' : 'user.enabled', data: {} });
  return events;
}
