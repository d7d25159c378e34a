import type { ChangeStream, ChangeStreamOptions, Document, MongoClient } from "mongodb";

/**
 * What one change stream watches: the whole deployment, one database or one collection.
 * @public
 */
export type WatchScope =
  | { readonly kind: "deployment" }
  | { readonly kind: "database"; readonly db: string }
  | { readonly kind: "collection"; readonly db: string; readonly coll: string };

const GLOB_CHARACTERS = /[*?[\]{}!()+@]/;

/** Whether a namespace pattern is a glob rather than a literal name. */
export function hasGlob(pattern: string): boolean {
  return GLOB_CHARACTERS.test(pattern);
}

/**
 * The narrowest scope that covers every include pattern: one literal `db.coll` watches that
 * collection, literal patterns of one database watch the database, anything else the
 * deployment (filtered in process).
 */
export function scopeForIncludes(include: readonly string[]): WatchScope {
  if (include.length === 0 || include.some(hasGlob)) return { kind: "deployment" };
  const parts = include.map((pattern) => {
    const dot = pattern.indexOf(".");
    return dot === -1 ? { db: pattern } : { db: pattern.slice(0, dot), coll: pattern.slice(dot + 1) };
  });
  const dbs = new Set(parts.map((part) => part.db));
  const [db] = dbs;
  if (dbs.size !== 1 || db === undefined) return { kind: "deployment" };
  const only = parts[0];
  if (parts.length === 1 && only?.coll !== undefined) return { kind: "collection", db, coll: only.coll };
  return { kind: "database", db };
}

/** Opens a change stream at the given scope. */
export function openScopedStream(client: MongoClient, scope: WatchScope, pipeline: Document[], options: ChangeStreamOptions): ChangeStream {
  switch (scope.kind) {
    case "deployment":
      return client.watch(pipeline, options);
    case "database":
      return client.db(scope.db).watch(pipeline, options);
    case "collection":
      return client.db(scope.db).collection(scope.coll).watch(pipeline, options);
  }
}

/** `deployment`, `database shop`, `collection shop.orders`: for log lines. */
export function describeScope(scope: WatchScope): string {
  if (scope.kind === "deployment") return "deployment";
  return scope.kind === "database" ? `database ${scope.db}` : `collection ${scope.db}.${scope.coll}`;
}
