/** Renders docs/settings.md from the schema, so the documentation cannot drift from what is validated. */
import * as z from 'zod';
import { PRESETS } from './presets.js';
import { directorySettingsSchema } from './schema.js';

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
  items?: JsonSchema;
}

function typeOf(schema: JsonSchema): string {
  if (schema.enum) return schema.enum.map((value) => JSON.stringify(value)).join(' \\| ');
  if (schema.anyOf) return schema.anyOf.map(typeOf).join(' or ');
  if (schema.type === 'array') return `list of ${schema.items ? typeOf(schema.items) : 'values'}`;
  return Array.isArray(schema.type) ? schema.type.join(' or ') : (schema.type ?? 'value');
}

function rows(schema: JsonSchema, prefix: string): string[] {
  const lines: string[] = [];
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (property.properties) {
      lines.push(...rows(property, path));
      continue;
    }
    const required =
      schema.required?.includes(key) && property.default === undefined ? 'required' : property.default === undefined ? 'optional' : `\`${JSON.stringify(property.default)}\``;
    lines.push(`| \`${path}\` | ${typeOf(property)} | ${required} | ${(property.description ?? '').replace(/\|/g, '\\|')} |`);
  }
  return lines;
}

export function settingsDocument(): string {
  const schema = z.toJSONSchema(directorySettingsSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return [
    '# Directory settings',
    '',
    'Generated from `src/config/schema.ts` by `npm run docs` (a test fails when this file is out of date).',
    'Settings are YAML or JSON, stored with `roster directory set FILE` (or `PUT /api/directory/settings`).',
    'Keys mirror the labels of the "Generic LDAP Integration" manual. The password is stored encrypted and never shown.',
    '',
    '| key | type | default | meaning |',
    '| --- | --- | --- | --- |',
    ...rows(schema, ''),
    '',
    '## Presets',
    '',
    "`preset` fills these values (the manual's configuration samples); any key you write yourself wins.",
    '',
    ...Object.entries(PRESETS).flatMap(([name, values]) => [`### ${name}`, '', '```json', JSON.stringify(values, null, 2), '```', '']),
  ].join('\n');
}
