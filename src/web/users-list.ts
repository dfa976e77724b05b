/** The console's "Users and Privileges" list: a page of users with the total, filters and a live search. */
import type { UserListPage, UserListQuery } from '../admin/users.js';
import type { User } from '../model.js';
import { liveFilterForm } from './filter-form.js';
import { html, type Html } from './html.js';

/** The list's query string with `after` replaced (undefined: the first page). */
function listUrl(query: UserListQuery, after: string | undefined): string {
  const parameters = new URLSearchParams();
  for (const name of ['q', 'source', 'authentication', 'disabled'] as const) {
    const value = query[name];
    if (value !== undefined && value !== '') parameters.set(name, String(value));
  }
  if (query.limit !== 100) parameters.set('limit', String(query.limit));
  if (after !== undefined) parameters.set('after', after);
  const text = parameters.toString();
  return text ? `/users?${text}` : '/users';
}

function userRow(user: User): Html {
  return html`<tr>
    <td>
      <a href="/users/${encodeURIComponent(user.userName)}">${user.userName}</a>${user.disabled ? html` <span class="muted">(disabled)</span>` : ''}${
        user.pendingDeletionSince ? html` <span class="muted">(pending deletion since ${user.pendingDeletionSince})</span>` : ''
      }
    </td>
    <td>${user.fullName}</td>
    <td>${user.emailAddresses.join(', ')}</td>
    <td>${user.source}</td>
    <td>${user.authentication}</td>
    <td>${user.privileges.join(', ')}</td>
  </tr>`;
}

/** What the live search replaces: the total, the table and the pager. */
export function usersList(page: UserListPage & { query: UserListQuery }): Html {
  const { users, total, next, query } = page;
  const range = users.length ? html`; showing ${users[0]!.userName} to ${users.at(-1)!.userName}` : '';
  const pagerLink = (href: string, label: string, rel: string) =>
    html`<a href="${href}" rel="${rel}" hx-get="${href}" hx-target="#users-list" hx-swap="outerHTML" hx-push-url="true">${label}</a>`;
  return html`<div id="users-list">
    <p class="muted" id="users-total">
      <strong>${total.toLocaleString('en')}</strong>
      ${total === 1 ? 'user' : 'users'}${query.q || query.source || query.authentication || query.disabled !== undefined ? ' match' : ''}${range}
    </p>
    <table id="users-table">
      <thead>
        <tr>
          <th>User name</th>
          <th>Full name</th>
          <th>E-mail addresses</th>
          <th>Source</th>
          <th>Authentication</th>
          <th>Privileges</th>
        </tr>
      </thead>
      <tbody>
        ${
          users.length
            ? users.map(userRow)
            : html`<tr>
                <td colspan="6" class="muted">No user matches.</td>
              </tr>`
        }
      </tbody>
    </table>
    <nav class="pager">
      ${query.after !== undefined ? pagerLink(listUrl(query, undefined), '« First page', 'first') : ''}
      ${next !== undefined ? pagerLink(listUrl(query, next), 'Next page »', 'next') : ''}
    </nav>
  </div>`;
}

function choice(name: string, label: string, options: Array<[string, string]>, chosen: string | undefined): Html {
  return html`<label for="${name}">${label}</label>
    <select id="${name}" name="${name}">
      ${options.map(([value, text]) => html`<option value="${value}" ${value === (chosen ?? '') ? 'selected' : ''}>${text}</option>`)}
    </select>`;
}

/**
 * The whole page. The filter form works without JavaScript (a GET to /users); with htmx every keystroke (after
 * 250 ms of quiet) and every filter change replaces only the list, a newer request replacing one still running.
 */
export function usersPage(page: UserListPage & { query: UserListQuery }): Html {
  const { query } = page;
  return html`<h1>Users and Privileges</h1>
    ${liveFilterForm(
      { id: 'users-filter-form', path: '/users', searchId: 'q', target: 'users-list' },
      html` <div class="grid">
          <div>
            <label for="q">Search</label>
            <input type="search" id="q" name="q" value="${query.q ?? ''}" placeholder="name, full name or address" autocomplete="off" />
          </div>
          <div>
            ${choice(
              'source',
              'Source',
              [
                ['', 'any'],
                ['directory', 'directory'],
                ['manual', 'manual'],
              ],
              query.source,
            )}
          </div>
          <div>
            ${choice(
              'authentication',
              'Authentication',
              [
                ['', 'any'],
                ['directory', 'directory'],
                ['local', 'Roster password'],
              ],
              query.authentication,
            )}
          </div>
          <div>
            ${choice(
              'disabled',
              'State',
              [
                ['', 'any'],
                ['false', 'enabled'],
                ['true', 'disabled'],
              ],
              query.disabled === undefined ? undefined : String(query.disabled),
            )}
          </div>
        </div>
        <noscript
          ><div class="actions"><button type="submit">Search</button></div></noscript
        >`,
    )}
    ${usersList(page)}`;
}
