/**
 * Collects warnings for the preview, keeping the first few of each kind so that 10,000 unresolved members
 * give a readable report ("... and 9,990 more") rather than a megabyte of text.
 */
export class WarningCollector {
  private readonly byKind = new Map<string, { examples: string[]; count: number; summary: (more: number) => string }>();

  constructor(private readonly examplesPerKind = 20) {}

  add(kind: string, message: string, summary: (more: number) => string = (more) => `... and ${more} more like this`): void {
    let bucket = this.byKind.get(kind);
    if (!bucket) {
      bucket = { examples: [], count: 0, summary };
      this.byKind.set(kind, bucket);
    }
    bucket.count++;
    if (bucket.examples.length < this.examplesPerKind) bucket.examples.push(message);
  }

  /** The kinds of the warnings added, in the order they first came. */
  kinds(): string[] {
    return [...this.byKind.keys()];
  }

  list(): string[] {
    const warnings: string[] = [];
    for (const bucket of this.byKind.values()) {
      warnings.push(...bucket.examples);
      if (bucket.count > bucket.examples.length) warnings.push(bucket.summary(bucket.count - bucket.examples.length));
    }
    return warnings;
  }
}
