import { hasGlob, scopeForIncludes, type WatchScope } from "./watch-scope.js";

/**
 * A resource as `connectionStatus` with `showPrivileges: true` reports it in
 * `authInfo.authenticatedUserPrivileges[n].resource`: `{ db, collection }` where `""` means any
 * database or any (non-system) collection, `{ cluster: true }`, or `{ anyResource: true }`.
 */
export interface PrivilegeResource {
  readonly db?: string;
  readonly collection?: string;
  readonly cluster?: boolean;
  readonly anyResource?: boolean;
}

/** One entry of `authenticatedUserPrivileges`. */
export interface GrantedPrivilege {
  readonly resource: PrivilegeResource;
  readonly actions: readonly string[];
}

/** What a sync needs on one resource, and why. */
export interface PrivilegeNeed {
  /** `database shop`, `collection shop.orders`, `every database`. */
  readonly on: string;
  readonly resource: { readonly db: string; readonly collection: string };
  readonly actions: readonly string[];
  /** What to grant when it is missing. */
  readonly grant: string;
}

const STREAM_ACTIONS = ["changeStream", "find"] as const;

/**
 * What a sync with these include patterns asks of MongoDB: `changeStream` and `find` on each
 * included database or collection (the snapshot reads it, the stream watches it), and on the
 * scope the change stream is opened at (watch-scope.ts), which is the whole deployment as soon
 * as the patterns span several databases or hold a glob. A change stream needs both actions on
 * the collection, the database (`collection: ""`) or every database (`db: ""`) it watches
 * (MongoDB manual, "Change Streams", Access Control).
 */
export function privilegeNeeds(include: readonly string[]): PrivilegeNeed[] {
  const needs = new Map<string, PrivilegeNeed>();
  const add = (need: PrivilegeNeed): void => void needs.set(`${need.resource.db}\u0000${need.resource.collection}`, need);
  for (const pattern of include) add(needOfPattern(pattern));
  add(needOfScope(scopeForIncludes(include)));
  return [...needs.values()];
}

/** The actions of `need` that none of the granted privileges gives. */
export function missingActions(granted: readonly GrantedPrivilege[], need: PrivilegeNeed): string[] {
  const given = new Set(granted.filter((privilege) => covers(privilege.resource, need.resource)).flatMap((privilege) => privilege.actions));
  // `anyAction` (the __system role's) stands for every action.
  return given.has("anyAction") ? [] : need.actions.filter((action) => !given.has(action));
}

/** Whether a granted resource covers the needed one (the server's resource matching, without system collections). */
function covers(granted: PrivilegeResource, needed: { db: string; collection: string }): boolean {
  if (granted.anyResource === true) return true;
  if (granted.cluster === true || granted.db === undefined || granted.collection === undefined) return false;
  const db = granted.db === needed.db || granted.db === "";
  const collection = granted.collection === needed.collection || (granted.collection === "" && !needed.collection.startsWith("system."));
  return db && collection;
}

function needOfPattern(pattern: string): PrivilegeNeed {
  const dot = pattern.indexOf(".");
  const db = dot === -1 ? pattern : pattern.slice(0, dot);
  const coll = dot === -1 ? "*" : pattern.slice(dot + 1);
  if (hasGlob(db)) return hasGlob(coll) ? everyDatabase(`include ${pattern}`) : need(`collection ${coll} of every database (include ${pattern})`, "", coll, "readAnyDatabase");
  if (hasGlob(coll)) return need(`database ${db}`, db, "", `read on database ${db}`);
  return need(`collection ${db}.${coll}`, db, coll, `read on database ${db}`);
}

function needOfScope(scope: WatchScope): PrivilegeNeed {
  switch (scope.kind) {
    case "deployment":
      return everyDatabase("the change stream watches the whole deployment: include is empty, spans several databases or has a glob");
    case "database":
      return need(`database ${scope.db}`, scope.db, "", `read on database ${scope.db}`);
    case "collection":
      return need(`collection ${scope.db}.${scope.coll}`, scope.db, scope.coll, `read on database ${scope.db}`);
  }
}

function everyDatabase(why: string): PrivilegeNeed {
  return need(`every database (${why})`, "", "", "readAnyDatabase, or include literal db.collection names of one database");
}

function need(on: string, db: string, collection: string, grant: string): PrivilegeNeed {
  return { on, resource: { db, collection }, actions: STREAM_ACTIONS, grant };
}
