/**
 * A DocManager's `namespaces` option, as mongo-connector's `namespaces` mapping: a source
 * `db.coll` to the name the target gets, `"shop.orders": "archive.orders"`, with one `*` on
 * both sides for a family, `"shop.*": "archive.*"` (the text `*` matched is put in the target's
 * `*`). An exact entry wins over a wildcard; among wildcards the one with the most literal
 * characters wins, then the one listed first. A namespace no entry matches keeps its name.
 */
export type NamespaceMap = (namespace: string) => string;

interface WildcardEntry {
  readonly prefix: string;
  readonly suffix: string;
  readonly target: string;
}

/**
 * Why an entry cannot be used, or `undefined` when it can: each side holds at most one `*`,
 * and a source with `*` names a target with `*` (many collections into one would merge them).
 */
export function namespaceEntryProblem(source: string, target: string): string | undefined {
  const sourceStars = countStars(source);
  const targetStars = countStars(target);
  if (source.length === 0 || target.length === 0) return "the source and the target must be non-empty";
  if (sourceStars > 1 || targetStars > 1) return "at most one * on each side";
  if (sourceStars !== targetStars) {
    return sourceStars === 1 ? "a source with * needs a target with * (many collections cannot share one name)" : "a target with * needs a source with *";
  }
  return undefined;
}

/**
 * Two entries with the same target (their sources in order), or `undefined`: the collections
 * would merge, one's documents overwriting the other's of the same `_id`. mongo-connector
 * refuses such a mapping too (its namespace_config.py: "Multiple namespaces cannot be combined
 * into one target namespace").
 */
export function sharedTarget(entries: Readonly<Record<string, string>>): { readonly sources: readonly [string, string]; readonly target: string } | undefined {
  const sourceOf = new Map<string, string>();
  for (const [source, target] of Object.entries(entries)) {
    const earlier = sourceOf.get(target);
    if (earlier !== undefined) return { sources: earlier < source ? [earlier, source] : [source, earlier], target };
    sourceOf.set(target, source);
  }
  return undefined;
}

/** The mapping function of checked entries (see {@link namespaceEntryProblem}). */
export function namespaceMap(entries: Readonly<Record<string, string>>): NamespaceMap {
  const exact = new Map<string, string>();
  const wildcards: WildcardEntry[] = [];
  for (const [source, target] of Object.entries(entries)) {
    const star = source.indexOf("*");
    if (star === -1) exact.set(source, target);
    else wildcards.push({ prefix: source.slice(0, star), suffix: source.slice(star + 1), target });
  }
  // Stable sort: equally specific entries keep the order they were listed in.
  wildcards.sort((a, b) => b.prefix.length + b.suffix.length - (a.prefix.length + a.suffix.length));
  return (namespace) => {
    const mapped = exact.get(namespace);
    if (mapped !== undefined) return mapped;
    for (const { prefix, suffix, target } of wildcards) {
      if (namespace.length > prefix.length + suffix.length && namespace.startsWith(prefix) && namespace.endsWith(suffix)) {
        const matched = namespace.slice(prefix.length, namespace.length - suffix.length);
        return target.replace("*", () => matched); // a function: `$` in a name is no replacement pattern
      }
    }
    return namespace;
  };
}

function countStars(text: string): number {
  return text.split("*").length - 1;
}
