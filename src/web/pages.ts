import { ARCHIVE_ACCESS, PRIVILEGES } from '../config/schema.js';
import type { User } from '../model.js';
import type { RunChange, RunRecord } from '../store/runs.js';
import type { SyncReport } from '../sync/report.js';
import { html, type Html } from './html.js';

const ROW_LIMIT = 500;

function limited<T>(rows: T[], render: (row: T) => Html): Html {
  return html`${rows.slice(0, ROW_LIMIT).map(render)}${
    rows.length > ROW_LIMIT
      ? html`<tr>
          <td colspan="5" class="muted">... and ${rows.length - ROW_LIMIT} more (the API returns all)</td>
        </tr>`
      : ''
  }`;
}

function show(value: unknown): string {
  return Array.isArray(value) ? value.join(', ') : value === null || value === undefined ? '' : String(value);
}

export function loginPage(error?: string): Html {
  return html`<section class="login">
    <h1>Log on to Roster</h1>
    ${error ? html`<p class="problem" role="alert">${error}</p>` : ''}
    <form method="post" action="/login">
      <label for="userName">User name</label><input type="text" id="userName" name="userName" autocomplete="username" required autofocus /> <label for="password">Password</label
      ><input type="password" id="password" name="password" autocomplete="current-password" required />
      <div class="actions"><button type="submit">Log on</button></div>
    </form>
    <p class="muted">Directory users log on with their directory user name and password.</p>
  </section>`;
}

/** Users a run deletes or keeps out of scope, each with the reason. */
function removalTable(title: string, removals: Array<{ userName: string; reason: string }>): Html {
  if (removals.length === 0) return html``;
  return html`<h3>${title}</h3>
    <table>
      <thead>
        <tr>
          <th>User name</th>
          <th>Reason</th>
        </tr>
      </thead>
      <tbody>
        ${limited(
          removals,
          (removal) =>
            html`<tr>
              <td>${removal.userName}</td>
              <td>${removal.reason}</td>
            </tr>`,
        )}
      </tbody>
    </table>`;
}

export function reportView(report: SyncReport): Html {
  const { users } = report;
  return html`<section id="report">
    <h2>${report.committed ? 'Synchronized: changes committed' : 'Test settings: nothing was committed'}</h2>
    <p class="muted">
      ${report.directory.server}, base DN ${report.directory.baseDn}: ${report.directory.userEntries} user entries, ${report.directory.groupEntries} group entries,
      ${report.directory.readMs} ms.
    </p>
    <div class="counts">
      <span>${users.created.length} created</span><span>${users.updated.length} updated</span><span>${users.deleted.length} deleted</span
      ><span>${users.outOfScope.length} out of scope (kept)</span><span>${users.unchanged} unchanged</span>
    </div>
    ${
      report.warnings.length
        ? html`<h3>Warnings</h3>
            <ul class="warnings">
              ${report.warnings.map((warning) => html`<li>${warning}</li>`)}
            </ul>`
        : ''
    }
    ${
      users.created.length
        ? html`<h3>Created</h3>
            <table>
              <thead>
                <tr>
                  <th>User name</th>
                  <th>Full name</th>
                  <th>E-mail addresses</th>
                  <th>DN</th>
                </tr>
              </thead>
              <tbody>
                ${limited(
                  users.created,
                  (user) =>
                    html`<tr>
                      <td>${user.userName}</td>
                      <td>${user.fullName}</td>
                      <td>${user.emailAddresses.join(', ')}</td>
                      <td>${user.dn}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
        : ''
    }
    ${
      users.updated.length
        ? html`<h3>Updated</h3>
            <table>
              <thead>
                <tr>
                  <th>User name</th>
                  <th>Changes</th>
                </tr>
              </thead>
              <tbody>
                ${limited(
                  users.updated,
                  (update) =>
                    html`<tr>
                      <td>${update.userName}</td>
                      <td>
                        ${Object.entries(update.changes).map(([field, change]) => html`<div>${field}: ${show((change as { from: unknown }).from)} → ${show((change as { to: unknown }).to)}</div>`)}
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>`
        : ''
    }
    ${removalTable('Deleted', users.deleted)} ${removalTable('Out of scope (kept: automatic deletion is off)', users.outOfScope)}
    ${
      report.groups.length
        ? html`<h3>Groups</h3>
            <table>
              <thead>
                <tr>
                  <th>Group</th>
                  <th>Members</th>
                  <th>Selected</th>
                </tr>
              </thead>
              <tbody>
                ${limited(
                  report.groups,
                  (group) =>
                    html`<tr>
                      <td>${group.name}</td>
                      <td>${group.members}</td>
                      <td>${group.selected ? 'yes' : ''}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
        : ''
    }
  </section>`;
}

export function problemView(message: string): Html {
  return html`<p class="problem" role="alert">${message}</p>`;
}

export function usersTable(users: User[]): Html {
  return html`<table id="users-table">
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
      ${limited(
        users,
        (user) =>
          html`<tr>
            <td><a href="/users/${encodeURIComponent(user.userName)}">${user.userName}</a>${user.disabled ? html` <span class="muted">(disabled)</span>` : ''}</td>
            <td>${user.fullName}</td>
            <td>${user.emailAddresses.join(', ')}</td>
            <td>${user.source}</td>
            <td>${user.authentication}</td>
            <td>${user.privileges.join(', ')}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

export function usersPage(users: User[], query: string): Html {
  return html`<h1>Users and Privileges</h1>
    <label for="q">Search</label>
    <input
      type="search"
      id="q"
      name="q"
      value="${query}"
      placeholder="name, full name or address"
      hx-get="/users"
      hx-trigger="input changed delay:250ms, search"
      hx-target="#users-table"
      hx-swap="outerHTML"
    />
    ${usersTable(users)}`;
}

export function userEditor(user: User, notice?: string, error?: string): Html {
  const chosen = new Set<string>(user.privileges);
  const access = new Set<string>(user.archiveAccess);
  return html`<h1>${user.userName}</h1>
    ${notice ? html`<p class="notice">${notice}</p>` : ''}${error ? html`<p class="problem" role="alert">${error}</p>` : ''}
    <table>
      <tbody>
        <tr>
          <th>Full name</th>
          <td>${user.fullName}</td>
        </tr>
        <tr>
          <th>E-mail addresses</th>
          <td>${user.emailAddresses.join(', ')}</td>
        </tr>
        <tr>
          <th>Source</th>
          <td>${user.source}</td>
        </tr>
        <tr>
          <th>Directory entry</th>
          <td>${user.dn ?? ''}</td>
        </tr>
      </tbody>
    </table>
    <form
      method="post"
      action="/users/${encodeURIComponent(user.userName)}"
      hx-post="/users/${encodeURIComponent(user.userName)}"
      hx-target="main"
      hx-select="main"
      hx-swap="outerHTML"
    >
      <fieldset>
        <legend>General Information</legend>
        <label for="authentication">Authentication</label>
        <select id="authentication" name="authentication">
          <option value="local" ${user.authentication === 'local' ? 'selected' : ''}>Roster password</option>
          <option value="directory" ${user.authentication === 'directory' ? 'selected' : ''}>Directory Services for Authentication</option>
        </select>
        <label for="password">New local password (empty: unchanged)</label><input type="password" id="password" name="password" autocomplete="new-password" />
        <label class="inline"><input type="checkbox" name="disabled" ${user.disabled ? 'checked' : ''} /> Disabled</label>
      </fieldset>
      <fieldset>
        <legend>Privileges</legend>
        ${PRIVILEGES.map((privilege) => html`<label class="inline"><input type="checkbox" name="privileges" value="${privilege}" ${chosen.has(privilege) ? 'checked' : ''} /> ${privilege}</label>`)}
      </fieldset>
      <fieldset>
        <legend>Access to own archive</legend>
        ${ARCHIVE_ACCESS.map((item) => html`<label class="inline"><input type="checkbox" name="archiveAccess" value="${item}" ${access.has(item) ? 'checked' : ''} /> ${item}</label>`)}
      </fieldset>
      <div class="actions"><button type="submit">Save</button></div>
    </form>`;
}

export function mePage(user: User, notice?: string, error?: string): Html {
  const canChange = user.authentication === 'local' && user.privileges.includes('changePassword');
  return html`<h1>My account: ${user.userName}</h1>
    ${notice ? html`<p class="notice">${notice}</p>` : ''}${error ? html`<p class="problem" role="alert">${error}</p>` : ''}
    <table>
      <tbody>
        <tr>
          <th>Full name</th>
          <td>${user.fullName}</td>
        </tr>
        <tr>
          <th>E-mail addresses</th>
          <td>${user.emailAddresses.join(', ')}</td>
        </tr>
        <tr>
          <th>Logs on with</th>
          <td>${user.authentication === 'directory' ? 'the directory password' : 'a Roster password'}</td>
        </tr>
        <tr>
          <th>Privileges</th>
          <td>${user.privileges.join(', ')}</td>
        </tr>
        <tr>
          <th>Access to own archive</th>
          <td>${user.archiveAccess.join(', ')}</td>
        </tr>
      </tbody>
    </table>
    ${
      canChange
        ? html`<form method="post" action="/me/password" hx-post="/me/password" hx-target="main" hx-select="main" hx-swap="outerHTML">
            <fieldset>
              <legend>Change password</legend>
              <label for="currentPassword">Current password</label><input type="password" id="currentPassword" name="currentPassword" autocomplete="current-password" required />
              <label for="newPassword">New password</label><input type="password" id="newPassword" name="newPassword" autocomplete="new-password" required />
              <div class="actions"><button type="submit">Change password</button></div>
            </fieldset>
          </form>`
        : ''
    }`;
}

export function runsPage(runs: RunRecord[]): Html {
  return html`<h1>Synchronization history</h1>
    <table>
      <thead>
        <tr>
          <th>Run</th>
          <th>Started</th>
          <th>Trigger</th>
          <th>Outcome</th>
          <th>Created</th>
          <th>Updated</th>
          <th>Deleted</th>
          <th>Unchanged</th>
          <th>Duration</th>
        </tr>
      </thead>
      <tbody>
        ${runs.map(
          (run) =>
            html`<tr>
              <td><a href="/runs/${run.id}">#${run.id}</a></td>
              <td>${run.startedAt}</td>
              <td>${run.trigger}</td>
              <td>${run.status}${run.error ? html`: ${run.error.code}` : ''}</td>
              <td>${run.counts.created}</td>
              <td>${run.counts.updated}</td>
              <td>${run.counts.deleted}</td>
              <td>${run.counts.unchanged}</td>
              <td>${run.durationMs} ms</td>
            </tr>`,
        )}
      </tbody>
    </table>`;
}

export function runPage(run: RunRecord & { changes: RunChange[] }): Html {
  return html`<h1>Run #${run.id} (${run.status})</h1>
    <p class="muted">Started ${run.startedAt} by ${run.trigger}; ${run.durationMs} ms; settings ${run.settingsFingerprint}.</p>
    ${run.error ? html`<p class="problem">${run.error.code}: ${run.error.message}</p>` : ''}
    ${
      run.warnings.length
        ? html`<h2>Warnings</h2>
            <ul>
              ${run.warnings.map((warning) => html`<li>${warning}</li>`)}
            </ul>`
        : ''
    }
    <h2>Changes</h2>
    <table>
      <thead>
        <tr>
          <th>Action</th>
          <th>User</th>
          <th>Detail</th>
        </tr>
      </thead>
      <tbody>
        ${limited(
          run.changes,
          (change) =>
            html`<tr>
              <td>${change.action}</td>
              <td>${change.userName}</td>
              <td><code>${JSON.stringify(change.detail)}</code></td>
            </tr>`,
        )}
      </tbody>
    </table>`;
}
