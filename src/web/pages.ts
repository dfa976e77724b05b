import { ARCHIVE_ACCESS, PRIVILEGES } from '../config/schema.js';
import type { User } from '../model.js';
import type { RunRecord } from '../admin/runs.js';
import { html, type Html } from './html.js';

const ROW_LIMIT = 500;

type Cell = Html | string | number | null | undefined;

/** A table of rows (at most ROW_LIMIT; the API has them all). */
function dataTable<T>(headers: string[], rows: T[], cells: (row: T) => Cell[], id?: string): Html {
  return html`<table ${id ? html`id="${id}"` : ''}>
    <thead>
      <tr>
        ${headers.map((header) => html`<th>${header}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${rows.slice(0, ROW_LIMIT).map(
        (row) =>
          html`<tr>
            ${cells(row).map((cell) => html`<td>${cell}</td>`)}
          </tr>`,
      )}
      ${
        rows.length > ROW_LIMIT
          ? html`<tr>
              <td colspan="${headers.length}" class="muted">... and ${rows.length - ROW_LIMIT} more (the API returns all)</td>
            </tr>`
          : ''
      }
    </tbody>
  </table>`;
}

/** A table of label / value pairs. */
function factTable(facts: Array<[string, Cell]>): Html {
  return html`<table>
    <tbody>
      ${facts.map(
        ([label, value]) =>
          html`<tr>
            <th>${label}</th>
            <td>${value}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/** A titled table that disappears when it has no rows. */
function section<T>(title: string, headers: string[], rows: T[], cells: (row: T) => Cell[]): Html {
  return rows.length
    ? html`<h3>${title}</h3>
        ${dataTable(headers, rows, cells)}`
    : html``;
}

function messages(notice?: string, error?: string): Html {
  return html`${notice ? html`<p class="notice">${notice}</p>` : ''}${error ? html`<p class="problem" role="alert">${error}</p>` : ''}`;
}

export function loginPage(error?: string, csrfToken = ''): Html {
  return html`<section class="login">
    <h1>Log on to Roster</h1>
    ${messages(undefined, error)}
    <form method="post" action="/login">
      <input type="hidden" name="_csrf" value="${csrfToken}" />
      <label for="userName">User name</label><input type="text" id="userName" name="userName" autocomplete="username" required autofocus /> <label for="password">Password</label
      ><input type="password" id="password" name="password" autocomplete="current-password" required />
      <div class="actions"><button type="submit">Log on</button></div>
    </form>
    <p class="muted">Directory users log on with their directory user name and password.</p>
  </section>`;
}

export function problemView(message: string): Html {
  return html`<p class="problem" role="alert">${message}</p>`;
}

function checkboxes(name: string, options: readonly string[], chosen: readonly string[]): Html {
  return html`${options.map((option) => html`<label class="inline"><input type="checkbox" name="${name}" value="${option}" ${chosen.includes(option) ? 'checked' : ''} /> ${option}</label>`)}`;
}

/** A user pending deletion: when it is due, and the administrator's two answers. */
function pendingPanel(user: User): Html {
  if (!user.pendingDeletionSince) return html``;
  const base = `/users/${encodeURIComponent(user.userName)}`;
  return html`<div class="pending" id="pending-deletion">
    <p>
      Left the directory scope on ${user.pendingDeletionSince}: disabled, and deleted by the first synchronization after the grace period (options.deleteAfter), unless it comes
      back.
    </p>
    <div class="actions">
      <form method="post" action="${base}/keep" hx-post="${base}/keep" hx-target="main" hx-select="main" hx-swap="outerHTML" class="inline">
        <button type="submit">Keep (make it a manual user)</button>
      </form>
      <form method="post" action="${base}/delete-now" hx-post="${base}/delete-now" hx-target="main" hx-select="main" hx-swap="outerHTML" class="inline">
        <button type="submit" class="secondary">Delete now</button>
      </form>
    </div>
  </div>`;
}

export function userEditor(user: User, notice?: string, error?: string): Html {
  const action = `/users/${encodeURIComponent(user.userName)}`;
  return html`<h1>${user.userName}</h1>
    ${messages(notice, error)}
    ${factTable([
      ['Full name', user.fullName],
      ['E-mail addresses', user.emailAddresses.join(', ')],
      ['Source', user.source],
      ['Directory entry', user.dn ?? ''],
    ])}
    ${pendingPanel(user)}
    <form method="post" action="${action}" hx-post="${action}" hx-target="main" hx-select="main" hx-swap="outerHTML">
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
        ${checkboxes('privileges', PRIVILEGES, user.privileges)}
      </fieldset>
      <fieldset>
        <legend>Access to own archive</legend>
        ${checkboxes('archiveAccess', ARCHIVE_ACCESS, user.archiveAccess)}
      </fieldset>
      <div class="actions"><button type="submit">Save</button></div>
    </form>
    <h2>Directory synchronization</h2>
    <div class="actions">
      <button type="button" class="secondary" id="explain-user" hx-get="/directory/explain?name=${encodeURIComponent(user.userName)}" hx-target="#explanation" hx-swap="outerHTML">
        Explain synchronization
      </button>
      ${
        user.source === 'directory' || user.authentication === 'directory'
          ? html`<button type="button" class="secondary" id="sync-user" hx-post="/users/${encodeURIComponent(user.userName)}/sync" hx-target="#sync-result" hx-swap="innerHTML">
              Synchronize this user
            </button>`
          : ''
      }
    </div>
    <div id="sync-result"></div>
    <div id="explanation"></div>`;
}

export function mePage(user: User, notice?: string, error?: string): Html {
  const canChange = user.authentication === 'local' && user.privileges.includes('changePassword');
  return html`<h1>My account: ${user.userName}</h1>
    ${messages(notice, error)}
    ${factTable([
      ['Full name', user.fullName],
      ['E-mail addresses', user.emailAddresses.join(', ')],
      ['Logs on with', user.authentication === 'directory' ? 'the directory password' : 'a Roster password'],
      ['Privileges', user.privileges.join(', ')],
      ['Access to own archive', user.archiveAccess.join(', ')],
    ])}
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

/** Search continuation references: subtrees the read did not see (quiet: AD's own partitions, nobody there). */
/** A run's or a preview's warnings, folded when there are many (a big directory can warn about thousands). */
export function warningsSection(warnings: readonly string[]): Html | '' {
  if (warnings.length === 0) return '';
  return html`<details ${warnings.length <= 20 ? 'open' : ''}>
    <summary>${warnings.length} ${warnings.length === 1 ? 'warning' : 'warnings'}</summary>
    <ul class="warnings">
      ${warnings.map((warning) => html`<li>${warning}</li>`)}
    </ul>
  </details>`;
}

export function referencesSection(references: readonly { url: string; subtree: string; quiet: boolean }[]): Html {
  return section('Subtrees not read (referred to another server)', ['Subtree', 'Reference', 'Note'], [...references], (reference) => [
    reference.subtree,
    reference.url,
    reference.quiet ? 'Active Directory partition; no user lives there' : 'not read: nobody there is deleted',
  ]);
}

export function runsPage(runs: RunRecord[]): Html {
  return html`<h1>Synchronization history</h1>
    ${dataTable(['Run', 'Started', 'Trigger', 'Outcome', 'Created', 'Updated', 'Deleted', 'Pending deletion', 'Unchanged', 'Duration'], runs, (run) => [
      html`<a href="/runs/${run.id}">#${run.id}</a>`,
      run.startedAt,
      run.mode && run.mode !== 'full' ? `${run.trigger} (${run.mode}${run.modeReason ? `: ${run.modeReason}` : ''})` : run.trigger,
      run.error ? `${run.status}: ${run.error.code}` : run.status,
      run.counts.created,
      run.counts.updated,
      run.counts.deleted,
      run.counts.deletionScheduled || run.counts.pendingDeletion ? `${run.counts.deletionScheduled ?? 0} new, ${run.counts.pendingDeletion ?? 0} waiting` : '',
      run.counts.unchanged,
      `${run.durationMs} ms`,
    ])}`;
}
