/**
 * A recorded change as a person reads it: "full name: Bob → Bob Builder", "addresses added: …, removed: …",
 * instead of the stored JSON. Pure: the console renders it as HTML, the CSV download as text.
 */
import type { RunChange } from '../store/runs.js';

export type DiffLine =
  | { readonly kind: 'changed'; readonly field: string; readonly from: string; readonly to: string }
  | { readonly kind: 'list'; readonly field: string; readonly added: readonly string[]; readonly removed: readonly string[]; readonly reordered: boolean }
  | { readonly kind: 'value'; readonly field: string; readonly value: string };

const LABELS: Record<string, string> = {
  userName: 'user name',
  fullName: 'full name',
  emailAddresses: 'addresses',
  dn: 'DN',
  disabled: 'disabled',
  stableId: 'stable id',
  reason: 'reason',
};

function label(field: string): string {
  return LABELS[field] ?? field;
}

function text(value: unknown): string {
  if (value === null || value === undefined) return '(none)';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (Array.isArray(value)) return value.length ? value.map(String).join(', ') : '(none)';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** Addresses are compared case-insensitively (DESIGN §1); a changed primary address shows as a reordering. */
function listDiff(field: string, from: readonly string[], to: readonly string[]): DiffLine {
  const before = new Set(from.map((item) => item.toLowerCase()));
  const after = new Set(to.map((item) => item.toLowerCase()));
  const added = to.filter((item) => !before.has(item.toLowerCase()));
  const removed = from.filter((item) => !after.has(item.toLowerCase()));
  const reordered = added.length === 0 && removed.length === 0 && from.join('\n').toLowerCase() !== to.join('\n').toLowerCase();
  return { kind: 'list', field: label(field), added, removed, reordered };
}

function isFieldChange(value: unknown): value is { from: unknown; to: unknown } {
  return value !== null && typeof value === 'object' && 'from' in value && 'to' in value;
}

export function describeChange(change: RunChange): DiffLine[] {
  const detail = (change.detail ?? {}) as Record<string, unknown>;
  if (change.action !== 'updated') {
    return Object.entries(detail)
      .filter(([, value]) => value !== undefined)
      .map(([field, value]) => ({ kind: 'value', field: label(field), value: text(value) }));
  }
  return Object.entries(detail).map(([field, value]): DiffLine => {
    if (!isFieldChange(value)) return { kind: 'value', field: label(field), value: text(value) };
    if (Array.isArray(value.from) && Array.isArray(value.to)) return listDiff(field, value.from.map(String), value.to.map(String));
    return { kind: 'changed', field: label(field), from: text(value.from), to: text(value.to) };
  });
}

/** One line of text per diff line (CSV, CLI). */
export function diffText(lines: readonly DiffLine[]): string {
  return lines
    .map((line) => {
      if (line.kind === 'changed') return `${line.field}: ${line.from} → ${line.to}`;
      if (line.kind === 'value') return `${line.field}: ${line.value}`;
      const parts = [line.added.length ? `added ${line.added.join(', ')}` : '', line.removed.length ? `removed ${line.removed.join(', ')}` : '', line.reordered ? 'reordered' : ''];
      return `${line.field}: ${parts.filter(Boolean).join('; ')}`;
    })
    .join('; ');
}
