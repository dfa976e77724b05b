/**
 * The directory settings: the single source of truth for their types, defaults, validation and docs
 * (docs/settings.md is generated from the descriptions here; a test keeps it current).
 * Keys mirror the labels of the "Generic LDAP Integration" manual.
 */
import { Cron } from 'croner';
import * as z from 'zod';
import { FilterSyntaxError, parseFilter } from '../rfc/filter.js';
import { DnSyntaxError, parseDn } from '../rfc/dn.js';
import { MEMBER_PLACEHOLDER, MemberTemplateError, analyzeMemberTemplate } from './member-template.js';
import { DURATION_PATTERN } from './duration.js';

export { MEMBER_PLACEHOLDER };
export const PRIVILEGES = ['admin', 'login', 'changePassword', 'archive', 'modifyArchiveProfiles', 'export', 'modifyExportProfiles', 'delete'] as const;
export const ARCHIVE_ACCESS = ['read', 'write', 'delete'] as const;
export type Privilege = (typeof PRIVILEGES)[number];
export type ArchiveAccess = (typeof ARCHIVE_ACCESS)[number];

function filterCheck(value: string, context: z.core.$RefinementCtx<string>): void {
  try {
    parseFilter(value);
  } catch (error) {
    if (!(error instanceof FilterSyntaxError)) throw error;
    context.addIssue({ code: 'custom', message: error.message });
  }
}

const ldapFilter = z.string().trim().min(1, 'must not be empty').superRefine(filterCheck);

const memberTemplate = z
  .string()
  .trim()
  .superRefine((value, context) => {
    if (value === '') return;
    if (!value.includes(MEMBER_PLACEHOLDER)) {
      context.addIssue({ code: 'custom', message: `must contain the placeholder ${MEMBER_PLACEHOLDER}` });
      return;
    }
    try {
      analyzeMemberTemplate(value);
    } catch (error) {
      if (!(error instanceof MemberTemplateError) && !(error instanceof FilterSyntaxError)) throw error;
      context.addIssue({ code: 'custom', message: error.message });
    }
  });

const attributeName = z
  .string()
  .trim()
  .regex(/^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)$/, 'must be an LDAP attribute name such as uid or mail');

const dn = z
  .string()
  .trim()
  .superRefine((value, context) => {
    try {
      parseDn(value);
    } catch (error) {
      if (!(error instanceof DnSyntaxError)) throw error;
      context.addIssue({ code: 'custom', message: error.message });
    }
  });

const SERVER = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::(\d{1,5}))?$/;

const serverList = z
  .string()
  .trim()
  .min(1, 'required: the DNS name or IP address of the directory server')
  .superRefine((value, context) => {
    for (const server of value.split(/[\s,]+/)) {
      const match = SERVER.exec(server);
      const port = match?.[1] === undefined ? undefined : Number(match[1]);
      if (!match || (port !== undefined && (port < 1 || port > 65535))) {
        context.addIssue({ code: 'custom', message: `"${server}" is not a host, host:port or [IPv6]:port` });
      }
    }
  });

const maxDeletions = z.union([
  z.number().int().min(0),
  z
    .string()
    .trim()
    .regex(/^\d+(?:\.\d+)?%$/, 'must be a number of users or a percentage such as "10%"'),
]);

/** Units of the durations settings accept: m(inutes), h(ours), d(ays). */
const DURATION_UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A duration such as "24h", "7d" or "90m", in milliseconds; undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+)\s*([mhd])$/.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * DURATION_UNIT_MS[match[2] as keyof typeof DURATION_UNIT_MS];
}

const duration = z
  .string()
  .trim()
  .refine((value) => (parseDuration(value) ?? 0) > 0, 'must be a positive duration such as "24h", "7d" or "90m"');

export const connectionSchema = z.strictObject({
  server: serverList.describe('DNS name or IP address of the LDAP server; host:port or [IPv6]:port; several separated by spaces are tried in order (failover).'),
  protocol: z.enum(['ldap', 'ldap-tls', 'ldap-ssl']).default('ldap').describe('ldap: unencrypted on port 389; ldap-tls: StartTLS on port 389; ldap-ssl: TLS on port 636.'),
  ignoreSslWarnings: z.boolean().default(false).describe('Accept a certificate that cannot be verified (self-signed, wrong name). Only with ldap-tls or ldap-ssl.'),
  caCertificate: z
    .string()
    .trim()
    .optional()
    .describe('Path of a PEM file (or PEM text) with the CA that signed the server certificate; the safer alternative to ignoreSslWarnings.'),
  administrativeDn: z
    .string()
    .trim()
    .min(1, 'required: the DN or user name (e.g. a UPN) Roster binds with')
    .describe('Distinguished name or user name (AD: UPN such as roster@example.com) of the account that reads the directory.'),
  password: z.string().min(1, 'required: Roster never binds with an empty password').describe('Password of the administrative DN. Stored encrypted; never shown.'),
  baseDn: dn.default('').describe('Base DN of the searches; detected from the root DSE when empty.'),
  timeoutSeconds: z.number().positive().max(3600).default(30).describe('Time limit of each LDAP operation (one page of a search, a bind).'),
  connectTimeoutSeconds: z.number().positive().max(300).default(10).describe('Time limit for opening a connection to one server before trying the next.'),
  pageSize: z.number().int().min(1).max(10000).default(500).describe('Entries per page (RFC 2696 paged searches): at most the server limit (AD: 1000), below nsSizeLimit (389).'),
});

export const usersSchema = z.strictObject({
  filter: ldapFilter.optional().describe('LDAP filter selecting user objects, e.g. (objectClass=posixAccount). Optional: all objects when absent.'),
  userName: attributeName.describe('Attribute holding the user name Roster uses (uid, sAMAccountName, userPrincipalName).'),
  localPartOnly: z.boolean().default(false).describe('Use only the part before "@" of the user name (alice@example.com -> alice).'),
  fullName: attributeName.optional().describe('Attribute holding the display name (displayName, cn).'),
  emailAddresses: attributeName
    .optional()
    .describe('Attribute holding the e-mail addresses (mail, proxyAddresses); values may be multi-valued and comma-separated; proxyAddresses keeps smtp: addresses, SMTP: first.'),
});

export const groupsSchema = z
  .strictObject({
    filter: ldapFilter.optional().describe('LDAP filter selecting group objects, e.g. (objectClass=posixGroup).'),
    name: attributeName.default('cn').describe('Attribute holding the group name.'),
    description: attributeName.optional().describe('Attribute holding a human-readable description.'),
    members: attributeName.default('member').describe('Attribute listing the members (member, uniqueMember, memberUid).'),
    memberSearchFilter: memberTemplate
      .optional()
      .describe(
        'Filter resolving members that are not DNs; {member} is replaced by the escaped member value. Empty: members are DNs. Write it as (&(condition)(attribute={member})), or several of those joined by |, with an attribute whose matching rule Roster knows (uid, cn, mail, sAMAccountName, userPrincipalName, memberUid, uidNumber, ...); conditions only the server can evaluate (extensible matches, >=, <=, substrings) are sent to it in batches.',
      ),
    groups: z
      .array(z.string().trim().min(1, 'a group name must not be empty'))
      .default([])
      .describe('The groups whose members (directly or through nested groups) are synchronized. Empty: every user matching the user filter.'),
  })
  .superRefine((groups, context) => {
    if (groups.groups.length > 0 && !groups.filter) {
      context.addIssue({ code: 'custom', path: ['filter'], message: 'required when groups are selected' });
    }
  });

export const optionsSchema = z.strictObject({
  deleteUsers: z.boolean().default(false).describe('Delete Roster users whose entry was deleted, left the selected groups or no longer matches the filter.'),
  deleteAfter: z
    .string()
    .trim()
    .regex(DURATION_PATTERN, 'must be "0" or a whole number with a unit: "10s", "90m", "12h", "30d"')
    .default('0')
    .describe(
      'Grace period before a user who left the scope is deleted (with deleteUsers on). Meanwhile the user is disabled and marked pending deletion; back in scope, the user is restored. "0": delete at once.',
    ),
  maxDeletions: maxDeletions
    .optional()
    .describe('Refuse a run that would delete more users than this (a number or a percentage of the directory users). Default: more than 10% and more than 10 users.'),
  incremental: z
    .boolean()
    .optional()
    .describe(
      "Use the server's change tracking when it has one (RFC 4533 content synchronization; on Active Directory uSNChanged with a listing of what is still there, which needs no right beyond reading); false: every run reads the whole directory. Default: true.",
    ),
  fullSyncEvery: duration
    .optional()
    .describe(
      'A run at least this long after the last full run reads the whole directory again, as a safety net for changes the tracking missed ("24h", "7d", "90m"). Default: 24h.',
    ),
});

export const defaultPrivilegesSchema = z.strictObject({
  privileges: z
    .array(z.enum(PRIVILEGES))
    .default(['login'])
    .describe(`Privileges given to users created by synchronization: ${PRIVILEGES.join(', ')}.`),
  archiveAccess: z
    .array(z.enum(ARCHIVE_ACCESS))
    .default(['read'])
    .describe(`Access to their own archive: ${ARCHIVE_ACCESS.join(', ')}.`),
});

export const loginSchema = z.strictObject({
  delayAfterFailures: z
    .number()
    .int()
    .min(1)
    .default(3)
    .describe('Failed logins (per user name and per source) after which every further attempt waits, doubling from 1 s up to 16 s.'),
  blockAfterFailures: z.number().int().min(1).default(10).describe('Failed logins (per user name and per source) after which attempts are refused outright for blockMinutes.'),
  blockMinutes: z.number().positive().default(15).describe('How long a blocked user name or source stays blocked.'),
  windowMinutes: z.number().positive().default(15).describe('Failures older than this are forgotten.'),
  failureResponseMs: z
    .number()
    .int()
    .min(0)
    .max(5000)
    .default(250)
    .describe(
      'Every failed login answers no sooner than this, so unknown users and wrong passwords take the same time. Values under 250 act as 250: less lets the work done show in the time.',
    ),
});

export type LoginSettings = z.infer<typeof loginSchema>;
export const DEFAULT_LOGIN_SETTINGS: LoginSettings = loginSchema.parse({});

export const directorySettingsSchema = z
  .object({
    type: z.literal('ldap').default('ldap').describe('Directory service type; only "ldap" (generic LDAP) exists.'),
    preset: z.enum(['active-directory', 'openldap']).optional().describe("Fills the defaults of the manual's configuration samples; explicit keys win."),
    connection: connectionSchema,
    users: usersSchema,
    groups: groupsSchema.default({ name: 'cn', members: 'member', groups: [] }),
    options: optionsSchema.default({ deleteUsers: false, deleteAfter: '0' }),
    defaultPrivileges: defaultPrivilegesSchema.default({ privileges: ['login'], archiveAccess: ['read'] }),
    login: loginSchema.default(DEFAULT_LOGIN_SETTINGS).describe('Login throttling (applies to every user).'),
    schedule: z
      .string()
      .trim()
      .superRefine((value, context) => {
        try {
          new Cron(value, { paused: true }).stop();
        } catch (error) {
          context.addIssue({ code: 'custom', message: `not a cron expression: ${(error as Error).message}` });
        }
      })
      .optional()
      .describe('Cron expression for scheduled synchronization (e.g. "0 */6 * * *"); off when absent.'),
  })
  .strict();

export type DirectorySettings = z.infer<typeof directorySettingsSchema>;

/** options.incremental and options.fullSyncEvery with their defaults applied (optional keys keep older literals valid). */
export function changeTrackingOptions(settings: DirectorySettings): { readonly incremental: boolean; readonly fullSyncEveryMs: number } {
  return { incremental: settings.options.incremental ?? true, fullSyncEveryMs: parseDuration(settings.options.fullSyncEvery ?? '24h')! };
}
export type ConnectionSettings = DirectorySettings['connection'];
export type UserSettings = DirectorySettings['users'];
export type GroupSettings = DirectorySettings['groups'];
