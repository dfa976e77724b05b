import type { StoredUser } from '../store/users.js';
import { html, type Html } from './html.js';

export interface PageContext {
  user?: StoredUser;
  csrfToken?: string;
  current?: string;
}

function navigation(context: PageContext): Html {
  if (!context.user) return html``;
  const isAdmin = context.user.privileges.includes('admin');
  const link = (href: string, label: string) => html`<a href="${href}" ${context.current === href ? html`aria-current="page"` : ''}>${label}</a>`;
  return html`${isAdmin ? [link('/users', 'Users and Privileges'), link('/directory', 'Directory Services'), link('/runs', 'Synchronization history')] : ''}${link('/me', 'My account')}
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
        <main>${body}</main>
      </body>
    </html> `.text;
}
