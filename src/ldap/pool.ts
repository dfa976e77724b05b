/**
 * Connections for logins. Searches as the service account share a few bound connections, reopened (with
 * failover) when one breaks. User binds get connections of their own from a small pool: a bind changes who a
 * connection is, so they are never shared with searches; a connection is reused for the next user's bind.
 */
import type { ConnectionSettings } from '../config/schema.js';
import { RosterError } from '../errors.js';
import { openBoundSession, openSession } from './connect.js';
import { passwordPolicyRequestControl } from './controls.js';
import { isNetworkError } from './errors.js';
import type { LdapSession } from './session.js';

export class LdapPool {
  /** A few bound service connections, used in turn: one connection serializes concurrent logins' searches. */
  private readonly services: Array<Promise<LdapSession> | undefined> = [];
  private nextService = 0;
  private readonly idle: LdapSession[] = [];
  private open = 0;
  private readonly waiting: Array<(session: LdapSession | undefined) => void> = [];

  constructor(
    readonly settings: ConnectionSettings,
    private readonly maxBindConnections = 32,
    private readonly serviceConnections = 4,
  ) {}

  /** Runs `work` on the bound service connection, reconnecting once if the connection turns out dead. */
  async withService<T>(work: (session: LdapSession) => Promise<T>): Promise<T> {
    const slot = this.nextService++ % this.serviceConnections;
    for (let attempt = 0; ; attempt++) {
      const current = (this.services[slot] ??= openBoundSession(this.settings));
      let session: LdapSession;
      try {
        session = await current;
      } catch (error) {
        if (this.services[slot] === current) this.services[slot] = undefined;
        throw error;
      }
      try {
        return await work(session);
      } catch (error) {
        if (attempt > 0 || !(isNetworkError(error) || (error instanceof RosterError && error.code === 'LDAP_CONNECT_FAILED'))) throw error;
        if (this.services[slot] === current) this.services[slot] = undefined;
        await session.close();
      }
    }
  }

  /** Binds as `dn` on a pooled connection: one bind, nothing else. */
  async bindAs(dn: string, password: string): Promise<void> {
    const session = await this.acquire();
    let healthy = true;
    try {
      // Asks a password policy server to say why a bind is refused (locked, expired); others ignore the control.
      await session.bind(dn, password, 'bind of the user', [passwordPolicyRequestControl()]);
    } catch (error) {
      healthy = !(error instanceof RosterError && /LDAP_CONNECT_FAILED|LDAP_TIME_LIMIT/.test(error.code));
      throw error;
    } finally {
      this.release(session, healthy);
    }
  }

  private async acquire(): Promise<LdapSession> {
    // A connection the server closed while idle (an idle time-out) is dropped here, not handed to a login.
    for (let idle = this.idle.pop(); idle; idle = this.idle.pop()) {
      if (idle.isOpen) return idle;
      this.open--;
    }
    if (this.open < this.maxBindConnections) {
      this.open++;
      try {
        return await openSession(this.settings);
      } catch (error) {
        this.open--;
        throw error;
      }
    }
    const handed = await new Promise<LdapSession | undefined>((resolve) => this.waiting.push(resolve));
    return handed ?? this.acquire();
  }

  private release(session: LdapSession, healthy: boolean): void {
    if (!healthy) {
      this.open--;
      void session.close();
      this.waiting.shift()?.(undefined);
      return;
    }
    const waiter = this.waiting.shift();
    if (waiter) waiter(session);
    else this.idle.push(session);
  }

  async close(): Promise<void> {
    const services = this.services.splice(0);
    const sessions = this.idle.splice(0);
    this.open -= sessions.length;
    await Promise.all([
      ...sessions.map((session) => session.close()),
      ...services.map((service) =>
        service?.then(
          (session) => session.close(),
          () => undefined,
        ),
      ),
    ]);
  }
}
