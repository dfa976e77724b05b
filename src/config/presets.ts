/**
 * The manual's configuration samples ("Configuration Samples": Active Directory, OpenLDAP).
 * Where the manual lists alternatives, the first one is used. The group selection is left empty:
 * "MailStore Users" is the manual's example, not something every directory has.
 */
export const PRESETS = {
  'active-directory': {
    connection: { protocol: 'ldap' },
    users: {
      filter: '(objectCategory=User)',
      userName: 'userPrincipalName',
      localPartOnly: false,
      fullName: 'displayName',
      emailAddresses: 'proxyAddresses',
    },
    groups: { filter: '(objectCategory=Group)', name: 'cn', description: 'description', members: 'member' },
  },
  openldap: {
    connection: { protocol: 'ldap' },
    users: { filter: '(objectClass=posixAccount)', userName: 'uid', localPartOnly: false, fullName: 'displayName', emailAddresses: 'mail' },
    groups: {
      filter: '(objectClass=posixGroup)',
      name: 'cn',
      description: 'description',
      members: 'memberUid',
      memberSearchFilter: '(|(&(objectClass=posixAccount)(uid={member}))(&(objectClass=posixGroup)(cn={member})))',
    },
  },
} as const;

export type PresetName = keyof typeof PRESETS;
