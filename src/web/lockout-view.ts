import type { LoginLock } from '../admin/lockouts.js';
import { html, type Html } from './html.js';

/** The login block of a user name on its page, with the button that lifts it (issue #12). */
export function loginLockView(lock: LoginLock, csrfToken: string, notice?: string): Html {
  const action = `/users/${encodeURIComponent(lock.userName)}/unlock`;
  return html`<section id="login-lock">
    ${notice ? html`<p class="notice">${notice}</p>` : ''}
    ${
      lock.locked
        ? html`<p class="problem">Logins with this name are blocked after too many failed attempts${lock.lockedUntil ? html` until ${lock.lockedUntil}` : ''}.</p>
            <form method="post" action="${action}" hx-post="${action}" hx-target="#login-lock" hx-swap="outerHTML">
              <input type="hidden" name="_csrf" value="${csrfToken}" />
              <button type="submit">Unlock logins</button>
            </form>`
        : ''
    }
  </section>`;
}
