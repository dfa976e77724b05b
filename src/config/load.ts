import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { RosterError, type FieldIssue } from '../errors.js';
import { PRESETS, type PresetName } from './presets.js';
import { directorySettingsSchema, type DirectorySettings } from './schema.js';

type PlainObject = Record<string, unknown>;

function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Explicit keys win over the preset's: a deep merge of objects, where arrays and scalars replace. */
function mergeOver(base: PlainObject, override: PlainObject): PlainObject {
  const merged: PlainObject = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = merged[key];
    merged[key] = isPlainObject(current) && isPlainObject(value) ? mergeOver(current, value) : value;
  }
  return merged;
}

export function issuesFrom(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.code === 'invalid_type' && issue.input === undefined ? 'required' : issue.message,
  }));
}

export function invalidSettings(issues: FieldIssue[]): RosterError {
  const lines = issues.map((issue) => `${issue.path}: ${issue.message}`);
  return new RosterError('CONFIG_INVALID', `Invalid directory settings:\n  ${lines.join('\n  ')}`, { details: issues });
}

/**
 * `connection.passwordSet` is what the API and `directory show` print instead of the password; settings read and
 * sent back as they are must not fail on it. Every other unknown key, at any depth, is an error (a typo in a nested
 * key was silently dropped before, issue #12).
 */
function withoutShownOnlyKeys(input: PlainObject): PlainObject {
  if (!isPlainObject(input.connection) || !('passwordSet' in input.connection)) return input;
  const { passwordSet: _shown, ...connection } = input.connection;
  return { ...input, connection };
}

/** Validates settings (applying the preset first); throws CONFIG_INVALID listing every invalid field. */
export function validateSettings(input: unknown): DirectorySettings {
  if (!isPlainObject(input)) throw invalidSettings([{ path: '(root)', message: 'the settings must be an object (YAML mapping or JSON object)' }]);
  let withPreset = withoutShownOnlyKeys(input);
  if (input.preset !== undefined) {
    const preset = PRESETS[input.preset as PresetName];
    if (!preset) throw invalidSettings([{ path: 'preset', message: `unknown preset "${String(input.preset)}"; use ${Object.keys(PRESETS).join(' or ')}` }]);
    withPreset = mergeOver(structuredClone(preset) as unknown as PlainObject, withPreset);
  }
  const result = directorySettingsSchema.safeParse(withPreset);
  if (!result.success) throw invalidSettings(issuesFrom(result.error));
  return result.data;
}

/** Parses YAML (JSON is YAML) from text. The parser is loaded when a file is read: most commands never need it. */
export async function parseSettingsText(text: string, source: string): Promise<unknown> {
  const { parseYaml } = await import('./yaml.js');
  try {
    return parseYaml(text);
  } catch (error) {
    throw new RosterError('CONFIG_INVALID', `${source} is not valid YAML or JSON: ${(error as Error).message}`, {
      details: [{ path: '(root)', message: 'not valid YAML or JSON' }],
    });
  }
}

/** Reads and parses a settings file, without validating it. */
export async function readSettingsFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new RosterError('INPUT_INVALID', `Cannot read the settings file ${path}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
  return parseSettingsText(text, path);
}

export async function loadSettingsFile(path: string): Promise<DirectorySettings> {
  return validateSettings(await readSettingsFile(path));
}
