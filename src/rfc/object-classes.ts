/**
 * Object class hierarchy from a server's subschema (RFC 4512 §4.1.1 ObjectClassDescription). A filter item
 * `(objectClass=X)` selects an entry whose object classes include X or a subclass of X (X.501 §8.3.2; OpenLDAP
 * stores only the classes it was given and matches superclasses through the schema), so evaluating it in memory
 * exactly needs the superclasses of each class the entry lists.
 */

/** Superclasses (SUP, transitively) of each class; names and OIDs lower-cased, a class's names all resolved. */
export class ClassHierarchy {
  /** Lower-cased names and OIDs to the class's OID. */
  private readonly oidOf = new Map<string, string>();
  /** Every name of a class (OID first), by OID. */
  private readonly namesOf = new Map<string, readonly string[]>();
  private readonly parents = new Map<string, readonly string[]>();
  /** By a name or OID an entry lists: the names and OIDs of that class and all its superclasses. */
  private readonly above = new Map<string, ReadonlySet<string>>();

  /** `descriptions`: the values of the subschema's objectClasses attribute. */
  constructor(descriptions: readonly string[]) {
    for (const description of descriptions) {
      const parsed = parseObjectClass(description);
      if (!parsed) continue;
      const oid = parsed.names[0]!;
      for (const name of parsed.names) this.oidOf.set(name, oid);
      this.namesOf.set(oid, parsed.names);
      this.parents.set(oid, parsed.superclasses);
    }
  }

  get size(): number {
    return this.parents.size;
  }

  /**
   * Whether an entry listing `listed` is of class `wanted` (both lower-cased names or OIDs). Runs for each class of
   * each entry read: one map and one set lookup once the class has been seen.
   */
  isA(listed: string, wanted: string): boolean {
    if (listed === wanted) return true;
    let names = this.above.get(listed);
    if (names === undefined) this.above.set(listed, (names = this.namesAbove(listed)));
    return names.has(wanted);
  }

  private namesAbove(listed: string): ReadonlySet<string> {
    const start = this.oidOf.get(listed) ?? listed;
    const names = new Set<string>([listed]);
    const seen = new Set<string>([start]);
    const queue = [start];
    for (let oid = queue.pop(); oid !== undefined; oid = queue.pop()) {
      for (const name of this.namesOf.get(oid) ?? [oid]) names.add(name);
      for (const parent of this.parents.get(oid) ?? []) {
        const parentOid = this.oidOf.get(parent) ?? parent;
        if (!seen.has(parentOid)) {
          seen.add(parentOid);
          queue.push(parentOid);
        }
      }
    }
    return names;
  }
}

const QUOTED = /'((?:[^'\\]|\\.)*)'/g;

/** NAME and SUP of one description: `( 2.5.6.6 NAME 'person' DESC '...' SUP top STRUCTURAL MUST ( sn $ cn ) )`. */
export function parseObjectClass(description: string): { names: string[]; superclasses: string[] } | undefined {
  const text = description.trim();
  const oid = /^\(\s*([0-9][0-9.]*|[A-Za-z][\w.-]*)/.exec(text)?.[1];
  if (!oid) return undefined;
  // DESC and X- extensions are quoted free text: blank them so a word in them is not taken for a keyword.
  const bare = text.replace(/\b(DESC|X-[A-Za-z_-]+)\s+(?:'(?:[^'\\]|\\.)*'|\((?:\s*'(?:[^'\\]|\\.)*')*\s*\))/g, ' ');
  const nameField = /\bNAME\s+('[^']*'|\([^)]*\))/.exec(bare)?.[1] ?? '';
  const names = [...nameField.matchAll(QUOTED)].map((match) => match[1]!.toLowerCase());
  const supField = /\bSUP\s+(\([^)]*\)|[\w.-]+)/.exec(bare)?.[1] ?? '';
  const superclasses = supField
    .replace(/[()]/g, ' ')
    .split(/[\s$]+/)
    .filter((part) => part !== '')
    .map((part) => part.replace(/^'|'$/g, '').toLowerCase());
  return { names: [oid.toLowerCase(), ...names], superclasses };
}
