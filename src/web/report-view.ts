/**
 * A "Test settings" / "Synchronize now" report in the console: the summary first (counts, warnings), then one table
 * per kind of change, 100 rows at a time. A report kept in a background job (admin/jobs.ts) pages its tables with
 * htmx; a report without one shows the first 100 rows and says how many more the API has.
 */
import { describeChange, type DiffLine } from '../admin/change-diff.js';
import type { Job } from '../admin/jobs.js';
import type { SyncReport } from '../sync/report.js';
import { html, type Html } from './html.js';
import { referencesSection, warningsSection } from './pages.js';

const ROWS = 100;

type Cell = Html | string | number | null | undefined;

interface SectionSpec<T> {
  readonly title: string;
  readonly headers: string[];
  readonly rows: (report: SyncReport) => readonly T[];
  readonly cells: (row: T) => Cell[];
}

function diffCell(lines: DiffLine[]): Html {
  return html`${lines.map((line) =>
    line.kind === 'changed'
      ? html`<div>${line.field}: <del>${line.from}</del> → <ins>${line.to}</ins></div>`
      : line.kind === 'list'
        ? html`<div>
            ${line.field}:
            ${line.added.length ? html`<ins>added ${line.added.join(', ')}</ins> ` : ''}${line.removed.length ? html`<del>removed ${line.removed.join(', ')}</del>` : ''}${line.reordered ? 'reordered' : ''}
          </div>`
        : html`<div>${line.field}: ${line.value}</div>`,
  )}`;
}

const removal = (row: { userName: string; reason: string }): Cell[] => [row.userName, row.reason];

/** The report's tables, by the name their pages are asked for. */
const SECTIONS = {
  created: {
    title: 'Created',
    headers: ['User name', 'Full name', 'E-mail addresses', 'DN'],
    rows: (report) => report.users.created,
    cells: (user) => [user.userName, user.fullName, user.emailAddresses.join(', '), user.dn],
  } satisfies SectionSpec<SyncReport['users']['created'][number]>,
  updated: {
    title: 'Updated',
    headers: ['User name', 'Changes'],
    rows: (report) => report.users.updated,
    cells: (update) => [update.userName, diffCell(describeChange({ userName: update.userName, action: 'updated', detail: update.changes }))],
  } satisfies SectionSpec<SyncReport['users']['updated'][number]>,
  deleted: { title: 'Deleted', headers: ['User name', 'Reason'], rows: (report) => report.users.deleted, cells: removal } satisfies SectionSpec<{
    userName: string;
    reason: string;
  }>,
  pendingDeletion: {
    title: 'Pending deletion (disabled until the grace period passes)',
    headers: ['User name', 'Since', 'Deleted from', 'Reason'],
    rows: (report) => report.users.pendingDeletion ?? [],
    cells: (row) => [row.userName, row.new ? 'this run' : row.since, row.deleteAt, row.reason],
  } satisfies SectionSpec<SyncReport['users']['pendingDeletion'][number]>,
  restored: {
    title: 'Restored (back in scope)',
    headers: ['User name'],
    rows: (report) => report.users.restored ?? [],
    cells: (name) => [name],
  } satisfies SectionSpec<string>,
  outOfScope: {
    title: 'Out of scope (kept: automatic deletion is off)',
    headers: ['User name', 'Reason'],
    rows: (report) => report.users.outOfScope,
    cells: removal,
  } satisfies SectionSpec<{ userName: string; reason: string }>,
  keptUnread: {
    title: 'Kept: may live in a subtree that was not read',
    headers: ['User name', 'Reason'],
    rows: (report) => report.users.keptUnread,
    cells: removal,
  } satisfies SectionSpec<{ userName: string; reason: string }>,
  groups: {
    title: 'Groups',
    headers: ['Group', 'Members', 'Selected'],
    rows: (report) => report.groups,
    cells: (group) => [group.name, group.members, group.selected ? 'yes' : ''],
  } satisfies SectionSpec<SyncReport['groups'][number]>,
} as const;

export type SectionName = keyof typeof SECTIONS;

export function isSectionName(name: string): name is SectionName {
  return Object.hasOwn(SECTIONS, name);
}

/** One page of a section's table (from row `from`), with the links to the neighbouring pages. */
export function sectionPage(report: SyncReport, name: SectionName, from: number, jobId?: string): Html {
  const spec = SECTIONS[name] as SectionSpec<unknown>;
  const rows = spec.rows(report);
  const start = Math.max(0, Math.min(from, rows.length));
  const shown = rows.slice(start, start + ROWS);
  const link = (at: number, label: string) =>
    html`<a href="#" hx-get="/directory/jobs/${jobId ?? ''}/${name}?from=${at}" hx-target="#section-${name}" hx-swap="outerHTML">${label}</a>`;
  return html`<div id="section-${name}">
    <h3>${spec.title} <span class="muted">(${rows.length.toLocaleString('en')})</span></h3>
    <table>
      <thead>
        <tr>
          ${spec.headers.map((header) => html`<th>${header}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${shown.map(
          (row) =>
            html`<tr>
              ${spec.cells(row).map((cell) => html`<td>${cell}</td>`)}
            </tr>`,
        )}
      </tbody>
    </table>
    <nav class="pager">
      <span class="muted">${start + 1}–${start + shown.length} of ${rows.length.toLocaleString('en')}</span>
      ${jobId && start > 0 ? link(Math.max(0, start - ROWS), '« Previous') : ''} ${jobId && start + ROWS < rows.length ? link(start + ROWS, 'Next »') : ''}
      ${!jobId && rows.length > ROWS ? html`<span class="muted">the API returns all ${rows.length.toLocaleString('en')}</span>` : ''}
    </nav>
  </div>`;
}

export function reportView(report: SyncReport, jobId?: string): Html {
  const { users } = report;
  const heading = report.committed
    ? report.mode === 'single'
      ? 'Synchronized this user: changes committed'
      : 'Synchronized: changes committed'
    : 'Test settings: nothing was committed';
  return html`<section id="report">
    <h2>${heading}</h2>
    <p class="muted">
      ${report.directory.server}, base DN ${report.directory.baseDn}: ${report.directory.userEntries} user entries, ${report.directory.groupEntries} group entries,
      ${report.directory.readMs} ms.${report.runId !== undefined ? html` <a href="/runs/${report.runId}">Run #${report.runId}</a>` : ''}
    </p>
    <div class="counts">
      <span>${users.created.length} created</span><span>${users.updated.length} updated</span><span>${users.deleted.length} deleted</span
      ><span>${users.outOfScope.length} out of scope (kept)</span><span>${users.unchanged} unchanged</span>
    </div>
    ${warningsSection(report.warnings)} ${referencesSection(report.references)}
    ${(Object.keys(SECTIONS) as SectionName[]).map((name) => ((SECTIONS[name] as SectionSpec<unknown>).rows(report).length ? sectionPage(report, name, 0, jobId) : ''))}
  </section>`;
}

const PHASES: Record<string, string> = { users: 'Reading users', groups: 'Reading groups', members: 'Resolving members' };

/** A running job: what it has done so far; htmx asks again in a second and swaps in the result when it is there. */
export function jobView(job: Job): Html {
  const seconds = Math.round((Date.now() - job.startedAt) / 1000);
  const progress = job.progress
    ? `${PHASES[job.progress.phase] ?? job.progress.phase}: ${job.progress.entries.toLocaleString('en')} entries so far`
    : 'Connecting to the directory';
  return html`<div id="job" role="status" hx-get="/directory/jobs/${job.id}" hx-trigger="load delay:1s" hx-swap="outerHTML">
    <p class="notice">${job.kind === 'sync' ? 'Synchronizing' : 'Testing settings'}… <span id="job-progress">${progress}</span> <span class="muted">(${seconds} s)</span></p>
  </div>`;
}
