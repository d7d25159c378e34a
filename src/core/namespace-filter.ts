import picomatch from "picomatch";
import type { Namespace } from "./change-event.js";

const SYSTEM_DATABASES = new Set(["admin", "local", "config"]);

interface NamespaceGlob {
  readonly db: (value: string) => boolean;
  readonly coll: (value: string) => boolean;
}

function compileGlob(pattern: string): NamespaceGlob {
  const dot = pattern.indexOf(".");
  const dbPart = dot === -1 ? pattern : pattern.slice(0, dot);
  const collPart = dot === -1 ? "*" : pattern.slice(dot + 1);
  // `dot` lets '*' match names that start with a dot; '*' already spans dots inside names.
  const options = { dot: true };
  return { db: picomatch(dbPart, options), coll: picomatch(collPart, options) };
}

/**
 * Decides which namespaces a pipeline syncs, from `include` and `exclude` globs over
 * `db.collection`. System databases and `system.*` collections are never included.
 * @internal
 */
export class NamespaceFilter {
  private readonly include: readonly NamespaceGlob[];
  private readonly exclude: readonly NamespaceGlob[];
  private readonly only: ReadonlySet<string> | undefined;

  /** @param only when given, no namespace outside this set is included (e.g. the mapped ones). */
  constructor(include: readonly string[], exclude: readonly string[], only?: ReadonlySet<string>) {
    this.include = (include.length > 0 ? include : ["*"]).map(compileGlob);
    this.exclude = exclude.map(compileGlob);
    this.only = only;
  }

  /** Whether a collection is synced. */
  includesCollection(db: string, coll: string): boolean {
    if (SYSTEM_DATABASES.has(db) || coll.startsWith("system.")) return false;
    if (this.only && !this.only.has(`${db}.${coll}`)) return false;
    if (this.exclude.some((glob) => glob.db(db) && glob.coll(coll))) return false;
    return this.include.some((glob) => glob.db(db) && glob.coll(coll));
  }

  /** Whether some collection of this database may be synced (for database-level events). */
  mayIncludeDatabase(db: string): boolean {
    if (SYSTEM_DATABASES.has(db)) return false;
    if (this.only && ![...this.only].some((namespace) => namespace.startsWith(`${db}.`))) return false;
    return this.include.some((glob) => glob.db(db));
  }

  /** Whether an event on this namespace concerns the pipeline. */
  includes(ns: Namespace): boolean {
    return ns.coll === undefined ? this.mayIncludeDatabase(ns.db) : this.includesCollection(ns.db, ns.coll);
  }
}
