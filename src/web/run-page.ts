/** The console's page of one synchronization run: the summary first, then its changes a page at a time, as diffs. */
import { describeChange, type DiffLine } from '../admin/change-diff.js';
import type { ChangePage, RunChangesQuery, RunRecord } from '../admin/runs.js';
import { liveFilterForm } from './filter-form.js';
import { html, type Html } from './html.js';
import { referencesSection, warningsSection } from './pages.js';

function changesUrl(runId: number, query: RunChangesQuery, after: number | undefined): string {
  const parameters = new URLSearchParams();
  if (query.action) parameters.set('action', query.action);
  if (query.q) parameters.set('q', query.q);
  if (query.limit !== 100) parameters.set('limit', String(query.limit));
  if (after !== undefined) parameters.set('after', String(after));
  const text = parameters.toString();
  return `/runs/${runId}${text ? `?${text}` : ''}`;
}

function diffLine(line: DiffLine): Html {
  if (line.kind === 'changed') return html`<div><span class="muted">${line.field}:</span> <del>${line.from}</del> → <ins>${line.to}</ins></div>`;
  if (line.kind === 'value') return html`<div><span class="muted">${line.field}:</span> ${line.value}</div>`;
  return html`<div>
    <span class="muted">${line.field}:</span>
    ${line.added.length ? html`<ins>added ${line.added.join(', ')}</ins>` : ''} ${line.removed.length ? html`<del>removed ${line.removed.join(', ')}</del>` : ''}
    ${line.reordered ? 'order changed (new primary address)' : ''}
  </div>`;
}

/** What the filters replace: the count, the table of diffs and the pager. */
export function changesList(run: RunRecord, page: ChangePage & { query: RunChangesQuery }): Html {
  const { changes, total, next, query } = page;
  const link = (href: string, label: string, rel: string) =>
    html`<a href="${href}" rel="${rel}" hx-get="${href}" hx-target="#changes-list" hx-swap="outerHTML" hx-push-url="true">${label}</a>`;
  return html`<div id="changes-list">
    <p class="muted" id="changes-total"><strong>${total.toLocaleString('en')}</strong> ${total === 1 ? 'change' : 'changes'}${query.action || query.q ? ' match' : ''}</p>
    <table id="changes-table" class="diff">
      <thead>
        <tr>
          <th>#</th>
          <th>Action</th>
          <th>User</th>
          <th>Change</th>
        </tr>
      </thead>
      <tbody>
        ${
          changes.length
            ? changes.map(
                (change) =>
                  html`<tr>
                    <td class="muted">${change.seq + 1}</td>
                    <td><span class="badge">${change.action}</span></td>
                    <td><a href="/users/${encodeURIComponent(change.userName)}">${change.userName}</a></td>
                    <td>${describeChange(change).map(diffLine)}</td>
                  </tr>`,
              )
            : html`<tr>
                <td colspan="4" class="muted">No change matches.</td>
              </tr>`
        }
      </tbody>
    </table>
    <nav class="pager">
      ${query.after !== undefined ? link(changesUrl(run.id, query, undefined), '« First page', 'first') : ''}
      ${next !== undefined ? link(changesUrl(run.id, query, next), 'Next page »', 'next') : ''}
    </nav>
  </div>`;
}

function summary(run: RunRecord): Html {
  const { counts } = run;
  return html`<p class="muted">
      Started ${run.startedAt} by ${run.trigger}; ${run.mode ?? 'full'} run${run.modeReason ? ` (${run.modeReason})` : ''}; ${run.durationMs} ms; settings
      ${run.settingsFingerprint}.
    </p>
    ${run.error ? html`<p class="problem">${run.error.code}: ${run.error.message}</p>` : ''}
    <div class="counts">
      <span>${counts.created} created</span><span>${counts.updated} updated</span><span>${counts.deleted} deleted</span><span>${counts.outOfScope} out of scope (kept)</span
      ><span>${counts.unchanged} unchanged</span>
    </div>
    <p>
      Download: <a href="/api/directory/runs/${run.id}/changes.csv" download>CSV</a> ·
      <a href="/api/directory/runs/${run.id}/download.json" download>JSON</a>
    </p>
    ${warningsSection(run.warnings)} ${referencesSection(run.references)}`;
}

export function runPage(run: RunRecord, page: ChangePage & { query: RunChangesQuery }): Html {
  const { query } = page;
  const action = (value: string, label: string) => html`<option value="${value}" ${(query.action ?? '') === value ? 'selected' : ''}>${label}</option>`;
  return html`<h1>Run #${run.id} (${run.status})</h1>
    ${summary(run)}
    <h2>Changes</h2>
    ${liveFilterForm(
      { path: `/runs/${run.id}`, searchId: 'changes-q', target: 'changes-list' },
      html` <div class="grid">
          <div>
            <label for="changes-action">Action</label>
            <select id="changes-action" name="action">
              ${action('', 'any')} ${action('created', 'created')} ${action('updated', 'updated')} ${action('deleted', 'deleted')}
              ${action('deletionScheduled', 'deletion scheduled')} ${action('restored', 'restored')}
            </select>
          </div>
          <div>
            <label for="changes-q">User name</label>
            <input type="search" id="changes-q" name="q" value="${query.q ?? ''}" placeholder="part of a user name" autocomplete="off" />
          </div>
        </div>
        <noscript
          ><div class="actions"><button type="submit">Filter</button></div></noscript
        >`,
    )}
    ${changesList(run, page)}`;
}
