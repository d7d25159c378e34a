import { splitNamespace } from "../../core/change-event.js";

/** A collection in the target deployment. */
export interface TargetNamespace {
  readonly db: string;
  readonly coll: string;
}

/** What a source `dropDatabase` does to the target. */
export interface DropDatabaseTargets {
  /** Target collections known to have come from the dropped database (explicit `namespaces` entries). */
  readonly collections: readonly TargetNamespace[];
  /** The target database to drop, when it holds nothing but what came from the dropped one. */
  readonly database?: string;
  /** Set instead of `database` when the target database may hold other sources' collections. */
  readonly keptDatabase?: string;
}

/**
 * Where each source collection goes: an explicit `namespaces` entry, else the same collection
 * name in `database`, else the same namespace.
 */
export class TargetNamespaces {
  private readonly database: string | undefined;
  private readonly explicit: ReadonlyMap<string, TargetNamespace>;

  constructor(options: { readonly database?: string; readonly namespaces?: Readonly<Record<string, string>> }) {
    this.database = options.database;
    this.explicit = new Map(Object.entries(options.namespaces ?? {}).map(([source, target]) => [source, splitNamespace(target)]));
  }

  of(source: { readonly db: string; readonly coll: string }): TargetNamespace {
    return this.explicit.get(`${source.db}.${source.coll}`) ?? { db: this.database ?? source.db, coll: source.coll };
  }

  /**
   * The target database of an unmapped collection of `db` is dropped only when nothing else
   * can have been written into it: without `database` (which merges every source database
   * into one) and with no `namespaces` entry from another database pointing into it.
   */
  forDropDatabase(db: string): DropDatabaseTargets {
    const collections: TargetNamespace[] = [];
    let foreignEntry = false;
    for (const [source, target] of this.explicit) {
      const sourceDb = splitNamespace(source).db;
      if (sourceDb === db) collections.push(target);
      else if (target.db === db) foreignEntry = true;
    }
    const targetDb = this.database ?? db;
    return this.database === undefined && !foreignEntry ? { collections, database: targetDb } : { collections, keptDatabase: targetDb };
  }
}

/** `db.coll` of a target namespace. */
export function formatTarget(target: TargetNamespace): string {
  return `${target.db}.${target.coll}`;
}
