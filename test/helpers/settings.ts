import { validateSettings } from '../../src/config/load.js';
import type { DirectorySettings } from '../../src/config/schema.js';
import type { TestDirectory } from './slapd.js';

type Overrides = Record<string, unknown>;

function merge(base: Overrides, override: Overrides): Overrides {
  const out: Overrides = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = out[key];
    out[key] =
      current && typeof current === 'object' && !Array.isArray(current) && value && typeof value === 'object' && !Array.isArray(value)
        ? merge(current as Overrides, value as Overrides)
        : value;
  }
  return out;
}

/** Raw settings (before validation) for the OpenLDAP fixture, bound as the size-limited service account. */
export function openLdapInput(directory: TestDirectory, overrides: Overrides = {}): Overrides {
  return merge(
    {
      preset: 'openldap',
      connection: { server: `${directory.host}:${directory.port}`, administrativeDn: directory.serviceDn, password: directory.servicePassword, baseDn: directory.baseDn },
    },
    overrides,
  );
}

export function openLdapSettings(directory: TestDirectory, overrides: Overrides = {}): DirectorySettings {
  return validateSettings(openLdapInput(directory, overrides));
}

export function activeDirectoryInput(directory: TestDirectory, overrides: Overrides = {}): Overrides {
  return merge(
    {
      preset: 'active-directory',
      connection: { server: `${directory.host}:${directory.port}`, administrativeDn: directory.serviceDn, password: directory.servicePassword },
      // slapd has no objectCategory shortcut ("User" → CN=Person,...), so the fixture is selected by class.
      users: { filter: '(objectClass=user)' },
      groups: { filter: '(objectClass=group)' },
    },
    overrides,
  );
}

export function activeDirectorySettings(directory: TestDirectory, overrides: Overrides = {}): DirectorySettings {
  return validateSettings(activeDirectoryInput(directory, overrides));
}
