/**
 * Subtrees the read did not see (search continuation references, DESIGN §2): pure rules for the planner.
 *
 * - A stored directory user whose DN lies in an unread subtree is kept as it is, neither deleted nor listed as out
 *   of scope: Roster cannot tell whether the entry is still there.
 * - With a group selection, a group search that met a reference may have missed a selected group or a group nested
 *   in one; a user who seems to have left the selection is kept then too (unless the subtree is one of AD's DNS or
 *   configuration partitions, which hold no groups of the domain).
 * - AD's partitions are reported quietly (listed, no warning) when no stored user lives there; any other reference,
 *   or a partition where a stored user lives, is a warning on every run.
 */
import { isWithin } from '../directory/references.js';
import type { UnreadSubtree } from '../snapshot.js';

/** A reference as the report and the run record show it. */
export interface ReportedReference {
  url: string;
  /** The DN of the subtree not read (the base DN when the URL named none). */
  subtree: string;
  /** True for AD's own partitions where no stored user lives: listed without a warning. */
  quiet: boolean;
}

export class UnreadSubtrees {
  private readonly subtrees: readonly UnreadSubtree[];
  /** References met by the group or member searches that may hide groups. */
  private readonly groupSubtrees: readonly UnreadSubtree[];
  /** Stored users kept, by the subtree (its position in `subtrees`) they were kept for. */
  private readonly keptCount: number[];

  constructor(subtrees: readonly UnreadSubtree[]) {
    this.subtrees = subtrees;
    this.groupSubtrees = subtrees.filter((subtree) => subtree.search !== 'users' && !subtree.adPartition);
    this.keptCount = subtrees.map(() => 0);
  }

  get isEmpty(): boolean {
    return this.subtrees.length === 0;
  }

  /**
   * Why a stored user the read did not find is kept, or undefined when nothing unread concerns it. `outsideSelection`:
   * the user matched the user filter but no selected group.
   */
  keepReason(dnKey: string | undefined, outsideSelection: boolean): string | undefined {
    if (dnKey !== undefined) {
      const position = this.subtrees.findIndex((subtree) => isWithin(dnKey, subtree.subtreeKey));
      if (position >= 0) {
        const subtree = this.subtrees[position]!;
        this.keptCount[position]!++;
        return `kept: lives in ${subtree.subtree}, which the server referred to ${subtree.url} and Roster did not read`;
      }
    }
    if (outsideSelection && this.groupSubtrees.length > 0) {
      const subtree = this.groupSubtrees[0]!;
      return `kept: not found in a selected group, but the group search did not read ${subtree.subtree} (referred to ${subtree.url}), where a selected or nested group may be`;
    }
    return undefined;
  }

  /** One entry per distinct URL, and a warning for each one that is not quiet. Call after every keepReason(). */
  report(): { references: ReportedReference[]; warnings: string[] } {
    const byUrl = new Map<string, ReportedReference & { kept: number; known: boolean }>();
    this.subtrees.forEach((subtree, position) => {
      const quiet = subtree.adPartition && this.keptCount[position] === 0;
      const existing = byUrl.get(subtree.url);
      if (existing) {
        existing.quiet &&= quiet;
        existing.kept += this.keptCount[position]!;
      } else byUrl.set(subtree.url, { url: subtree.url, subtree: subtree.subtree, quiet, kept: this.keptCount[position]!, known: subtree.subtreeKnown });
    });
    const references: ReportedReference[] = [];
    const warnings: string[] = [];
    for (const reference of byUrl.values()) {
      references.push({ url: reference.url, subtree: reference.subtree, quiet: reference.quiet });
      if (!reference.quiet) warnings.push(referenceWarning(reference));
    }
    return { references, warnings };
  }
}

function referenceWarning(reference: { url: string; subtree: string; kept: number; known: boolean }): string {
  const where = reference.known ? `subtree ${reference.subtree}` : `a subtree it did not name (so all of ${reference.subtree} counts as not read)`;
  const kept =
    reference.kept === 0
      ? 'no stored user lives there'
      : `${reference.kept} stored user${reference.kept === 1 ? '' : 's'} living there ${reference.kept === 1 ? 'was' : 'were'} kept unchanged`;
  return `the server referred ${where} to ${reference.url}; Roster does not follow references and did not read it (${kept})`;
}
