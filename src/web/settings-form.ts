/** The Directory Services form: the manual's sections, field by field, and its mapping to settings. */
import { ARCHIVE_ACCESS, PRIVILEGES, type DirectorySettings } from '../config/schema.js';
import { PRESETS, type PresetName } from '../config/presets.js';
import type { FieldIssue } from '../errors.js';
import { html, type Html } from './html.js';

type FieldType = 'text' | 'password' | 'checkbox' | 'protocol' | 'lines' | 'privileges' | 'archiveAccess' | 'number';
interface Field {
  path: string;
  label: string;
  type: FieldType;
  hint?: string;
}

const SECTIONS: Array<{ legend: string; fields: Field[] }> = [
  {
    legend: 'LDAP Connection',
    fields: [
      { path: 'connection.server', label: 'Server Name', type: 'text', hint: 'DNS name or IP address; host:port; several separated by spaces = failover' },
      { path: 'connection.protocol', label: 'Protocol', type: 'protocol' },
      { path: 'connection.ignoreSslWarnings', label: 'Ignore SSL Security Warnings (only with LDAP-TLS or LDAP-SSL)', type: 'checkbox' },
      { path: 'connection.caCertificate', label: 'CA certificate (path of a PEM file, optional)', type: 'text' },
      { path: 'connection.administrativeDn', label: 'Administrative DN', type: 'text' },
      { path: 'connection.password', label: 'Password', type: 'password' },
      { path: 'connection.baseDn', label: 'Base DN', type: 'text', hint: 'empty: detected from the server' },
    ],
  },
  {
    legend: 'User Filter and Attributes',
    fields: [
      { path: 'users.filter', label: 'Filter (optional)', type: 'text' },
      { path: 'users.userName', label: 'User Name', type: 'text' },
      { path: 'users.localPartOnly', label: 'Local Part Only (E-mail Addresses / UPN)', type: 'checkbox' },
      { path: 'users.fullName', label: 'Full Name (optional)', type: 'text' },
      { path: 'users.emailAddresses', label: 'E-mail Addresses (optional)', type: 'text' },
    ],
  },
  {
    legend: 'Group Filter and Attributes',
    fields: [
      { path: 'groups.filter', label: 'Filter', type: 'text' },
      { path: 'groups.name', label: 'Name', type: 'text' },
      { path: 'groups.description', label: 'Description (optional)', type: 'text' },
      { path: 'groups.members', label: 'Members', type: 'text' },
      { path: 'groups.memberSearchFilter', label: 'Search Filter for Members', type: 'text', hint: 'empty: members are DNs; otherwise {member} is replaced by each member value' },
      { path: 'groups.groups', label: 'Group (one per line; empty: all users matching the filter)', type: 'lines' },
    ],
  },
  {
    legend: 'Options',
    fields: [
      { path: 'options.deleteUsers', label: 'Automatically delete users in Roster', type: 'checkbox' },
      { path: 'options.maxDeletions', label: 'Refuse runs deleting more than (number or %; empty: 10% and more than 10)', type: 'text' },
      { path: 'schedule', label: 'Synchronize on a schedule (cron expression; empty: off)', type: 'text' },
    ],
  },
  {
    legend: 'Default Privileges',
    fields: [
      { path: 'defaultPrivileges.privileges', label: 'Privileges of users created by synchronization', type: 'privileges' },
      { path: 'defaultPrivileges.archiveAccess', label: 'Access to their own archive', type: 'archiveAccess' },
    ],
  },
];

export type FormValues = Record<string, string | string[] | boolean | undefined>;

function get(object: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), object);
}

/** Form values from stored settings (the password is never put into the page). */
export function valuesFromSettings(settings: DirectorySettings | undefined): FormValues {
  const values: FormValues = { preset: settings?.preset ?? '' };
  for (const field of SECTIONS.flatMap((section) => section.fields)) {
    const value = get(settings, field.path);
    if (field.type === 'password') values[field.path] = '';
    else if (field.type === 'checkbox') values[field.path] = value === true;
    else if (Array.isArray(value)) values[field.path] = value.map(String);
    else values[field.path] = value === undefined ? '' : String(value);
  }
  if (!settings) values['defaultPrivileges.privileges'] = ['login'];
  if (!settings) values['defaultPrivileges.archiveAccess'] = ['read'];
  return values;
}

/** Form values from a posted form (fast-querystring gives repeated keys as arrays). */
export function valuesFromForm(body: Record<string, unknown>): FormValues {
  const values: FormValues = { preset: String(body.preset ?? '') };
  for (const field of SECTIONS.flatMap((section) => section.fields)) {
    const raw = body[field.path];
    if (field.type === 'checkbox') values[field.path] = raw === 'on' || raw === 'true';
    else if (field.type === 'privileges' || field.type === 'archiveAccess') values[field.path] = raw === undefined ? [] : [raw].flat().map(String);
    else values[field.path] = raw === undefined ? '' : String([raw].flat()[0]);
  }
  return values;
}

/** Applies a preset's values over the form (the administrator picked it: its sample values replace the fields). */
export function applyPreset(values: FormValues, preset: string): FormValues {
  const sample = PRESETS[preset as PresetName];
  if (!sample) return { ...values, preset: '' };
  const next: FormValues = { ...values, preset };
  for (const field of SECTIONS.flatMap((section) => section.fields)) {
    const value = get(sample, field.path);
    if (value === undefined) continue;
    next[field.path] = field.type === 'checkbox' ? value === true : String(value);
  }
  if (get(sample, 'groups.memberSearchFilter') === undefined) next['groups.memberSearchFilter'] = '';
  return next;
}

/** The settings input the schema validates; empty optional fields are left out. */
export function settingsInput(values: FormValues): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  const set = (path: string, value: unknown) => {
    const keys = path.split('.');
    let target = input;
    for (const key of keys.slice(0, -1)) target = (target[key] ??= {}) as Record<string, unknown>;
    target[keys.at(-1)!] = value;
  };
  if (values.preset) set('preset', values.preset);
  for (const field of SECTIONS.flatMap((section) => section.fields)) {
    const value = values[field.path];
    if (field.type === 'checkbox') set(field.path, value === true);
    else if (field.type === 'privileges' || field.type === 'archiveAccess') set(field.path, value ?? []);
    else if (field.type === 'lines')
      set(
        field.path,
        String(value ?? '')
          .split(/\r?\n/)
          .map((line) => line.trim())
          .filter(Boolean),
      );
    else if (typeof value === 'string' && value.trim() !== '') set(field.path, field.path === 'options.maxDeletions' && /^\d+$/.test(value.trim()) ? Number(value.trim()) : value);
    else if (field.type === 'password') set(field.path, undefined);
  }
  return input;
}

function control(field: Field, values: FormValues, passwordSet: boolean): Html {
  const value = values[field.path];
  const id = field.path.replace(/\./g, '-');
  switch (field.type) {
    case 'checkbox':
      return html`<label class="inline"><input type="checkbox" id="${id}" name="${field.path}" ${value === true ? 'checked' : ''} /> ${field.label}</label>`;
    case 'protocol':
      return html`<label for="${id}">${field.label}</label
        ><select id="${id}" name="${field.path}">
          ${[
            ['ldap', 'LDAP (unencrypted, port 389)'],
            ['ldap-tls', 'LDAP-TLS (StartTLS, port 389)'],
            ['ldap-ssl', 'LDAP-SSL (port 636)'],
          ].map(([option, label]) => html`<option value="${option}" ${value === option ? 'selected' : ''}>${label}</option>`)}
        </select>`;
    case 'lines':
      return html`<label for="${id}">${field.label}</label><textarea id="${id}" name="${field.path}">${[value ?? []].flat().join('\n')}</textarea>`;
    case 'privileges':
    case 'archiveAccess': {
      const options = field.type === 'privileges' ? PRIVILEGES : ARCHIVE_ACCESS;
      const chosen = new Set([value ?? []].flat());
      return html`<label>${field.label}</label
        >${options.map((option) => html`<label class="inline"><input type="checkbox" name="${field.path}" value="${option}" ${chosen.has(option) ? 'checked' : ''} /> ${option}</label>`)}`;
    }
    case 'password':
      return html`<label for="${id}">${field.label}</label
        ><input type="password" id="${id}" name="${field.path}" autocomplete="new-password" placeholder="${passwordSet ? '(unchanged)' : ''}" />`;
    default:
      return html`<label for="${id}">${field.label}</label
        ><input type="text" id="${id}" name="${field.path}" value="${String(value ?? '')}" />${field.hint ? html`<div class="muted">${field.hint}</div>` : ''}`;
  }
}

export function settingsForm(values: FormValues, issues: FieldIssue[] = [], options: { passwordSet: boolean; notice?: string } = { passwordSet: false }): Html {
  const problems = new Map<string, string[]>();
  for (const issue of issues) {
    const path = SECTIONS.flatMap((section) => section.fields).find((field) => issue.path === field.path || issue.path.startsWith(field.path + '.'))?.path ?? '(root)';
    problems.set(path, [...(problems.get(path) ?? []), issue.message]);
  }
  const errorsOf = (path: string) => (problems.get(path) ?? []).map((message) => html`<p class="error" role="alert">${message}</p>`);
  return html`<form id="settings-form" method="post" action="/directory/save" hx-post="/directory/save" hx-target="this" hx-swap="outerHTML">
    ${options.notice ? html`<p class="notice">${options.notice}</p>` : ''} ${problems.has('(root)') ? html`<p class="problem">${problems.get('(root)')!.join('; ')}</p>` : ''}
    <label for="preset">Configuration sample</label>
    <select id="preset" name="preset" hx-post="/directory/preset" hx-trigger="change" hx-target="#settings-form" hx-swap="outerHTML">
      ${[
        ['', '(none)'],
        ['active-directory', 'Active Directory'],
        ['openldap', 'OpenLDAP'],
      ].map(([value, label]) => html`<option value="${value}" ${values.preset === value ? 'selected' : ''}>${label}</option>`)}
    </select>
    ${SECTIONS.map(
      (section) =>
        html`<fieldset>
          <legend>${section.legend}</legend>
          <div class="grid">${section.fields.map((field) => html`<div>${control(field, values, options.passwordSet)}${errorsOf(field.path)}</div>`)}</div>
        </fieldset>`,
    )}
    <div class="actions">
      <button type="submit">Save settings</button>
      <button type="button" class="secondary" hx-post="/directory/test" hx-target="#result" hx-swap="innerHTML" hx-include="#settings-form">Test settings</button>
      <button type="button" hx-post="/directory/sync" hx-target="#result" hx-swap="innerHTML" hx-confirm="Synchronize now with the saved settings?">Synchronize now</button>
    </div>
  </form>`;
}
