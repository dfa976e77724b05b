import type { StoredUser } from '../store/users.js';
import type { SyncAlert } from '../admin/status.js';
import { html, type Html } from './html.js';

export interface PageContext {
  user?: StoredUser;
  csrfToken?: string;
  current?: string;
  /** Runs refused or failed since the last committed one (admins only): a banner until a run commits. */
  alert?: SyncAlert | null;
}

function alertBanner(alert: SyncAlert | null | undefined): Html {
  if (!alert) return html``;
  const { run } = alert;
  return html`<div class="alert" role="alert" id="sync-alert">
    The last synchronization was ${run.status} (${run.trigger}, ${run.finishedAt ?? ''})${run.error ? html`: ${run.error.message} [${run.error.code}]` : ''}.
    ${alert.count > 1 ? html`${alert.count} runs in a row did not commit.` : ''} <a href="/runs/${run.id}">Details</a>
  </div>`;
}

function navigation(context: PageContext): Html {
  if (!context.user) return html``;
  const isAdmin = context.user.privileges.includes('admin');
  const link = (href: string, label: string) => html`<a href="${href}" ${context.current === href ? html`aria-current="page"` : ''}>${label}</a>`;
  return html`${isAdmin ? [link('/users', 'Users and Privileges'), link('/directory', 'Directory Services'), link('/runs', 'Synchronization history'), link('/webhooks', 'Webhooks')] : ''}${link('/me', 'My account')}
    <form method="post" action="/logout">
      <input type="hidden" name="_csrf" value="${context.csrfToken}" /><button class="secondary" type="submit">Log out ${context.user.userName}</button>
    </form>`;
}

export function page(title: string, body: Html, context: PageContext = {}): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="htmx-config" content='{"includeIndicatorStyles": false, "allowEval": false}' />
        <title>${title} · Roster</title>
        <link rel="stylesheet" href="/static/roster.css" />
        <script src="/static/htmx.min.js" defer></script>
      </head>
      <body ${context.csrfToken ? html`hx-headers='{"X-CSRF-Token": "${context.csrfToken}"}'` : ''}>
        <header><strong>Roster</strong>${navigation(context)}</header>
        ${alertBanner(context.alert)}
        <main>${body}</main>
      </body>
    </html> `.text;
}
