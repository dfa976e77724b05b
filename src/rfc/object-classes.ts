/**
 * Object class hierarchy from a server's subschema (RFC 4512 §4.1.1 ObjectClassDescription). A filter item
 * `(objectClass=X)` selects an entry whose object classes include X or a subclass of X (X.501 §8.3.2; OpenLDAP
 * stores only the classes it was given and matches superclasses through the schema), so evaluating it in memory
 * exactly needs the superclasses of each class the entry lists.
 */

/** Superclasses (SUP, transitively) of each class, keyed by OID (names resolved to it), lower-cased. */
export class ClassHierarchy {
  /** Lower-cased names and OIDs to the class's OID. */
  private readonly oidOf = new Map<string, string>();
  private readonly parents = new Map<string, readonly string[]>();
  private readonly closures = new Map<string, ReadonlySet<string>>();

  /** `descriptions`: the values of the subschema's objectClasses attribute. */
  constructor(descriptions: readonly string[]) {
    for (const description of descriptions) {
      const parsed = parseObjectClass(description);
      if (!parsed) continue;
      for (const name of parsed.names) this.oidOf.set(name, parsed.names[0]!);
      this.parents.set(parsed.names[0]!, parsed.superclasses);
    }
  }

  get size(): number {
    return this.parents.size;
  }

  private canonical(name: string): string {
    return this.oidOf.get(name) ?? name;
  }

  /** Whether an entry listing `listed` is of class `wanted` (both lower-cased names or OIDs). */
  isA(listed: string, wanted: string): boolean {
    return listed === wanted || this.ancestors(this.canonical(listed)).has(this.canonical(wanted));
  }

  private ancestors(oid: string): ReadonlySet<string> {
    let closure = this.closures.get(oid);
    if (closure) return closure;
    const found = new Set<string>([oid]);
    const queue = [oid];
    for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
      for (const parent of this.parents.get(next) ?? []) {
        const parentOid = this.canonical(parent);
        if (!found.has(parentOid)) {
          found.add(parentOid);
          queue.push(parentOid);
        }
      }
    }
    closure = found;
    this.closures.set(oid, closure);
    return closure;
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
