import type { Document } from "../core/bson.js";
import { hasGlob } from "./watch-scope.js";

/** The namespaces a stream is filtered on: globs over `db.collection`, as `NamespaceFilter` takes them. */
export interface NamespaceSelection {
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  /** When given, nothing outside these `db.coll` is selected (the collections a mapping lists). */
  readonly only?: ReadonlySet<string>;
}

/** A condition on one name: equal to it, or a regular expression; `undefined` matches every name. */
type NameCondition = string | { readonly $regex: string } | undefined;

/**
 * The part of a change stream's `$match` that keeps the server from sending (and building:
 * post-image and pre-image lookups, oversized documents) events of namespaces the pipeline does
 * not select. It runs on the raw change events (`ns.db`, `ns.coll`, `to.db`, `to.coll`), and the
 * server moves it ahead of the event's construction ("change stream rewrites").
 *
 * The in-process filter (`NamespaceFilter`) stays the judge; this is only allowed to be wider:
 * - a glob with more than `*` and `?` (braces, brackets, extglobs, `**`) is not pushed (for
 *   `include` it then matches every name, for `exclude` it excludes nothing);
 * - `*` and `?` become `[^/]*` and `[^/]`, exactly picomatch's meaning with `dot: true`;
 * - database-level events (`dropDatabase`, with no `ns.coll`) pass whenever their database may
 *   hold a selected collection, and are never excluded, as in process;
 * - a rename passes when either of its ends is selected (a rename into the selection is news).
 *
 * Returns `undefined` when every namespace is selected.
 */
export function namespaceMatch(selection: NamespaceSelection): Document | undefined {
  const source = sideMatch("ns", selection);
  if (source === undefined) return undefined;
  const target = sideMatch("to", selection) ?? {};
  return { $or: [source, { $and: [{ operationType: "rename" }, target] }] };
}

function sideMatch(side: "ns" | "to", selection: NamespaceSelection): Document | undefined {
  const clauses: Document[] = [];
  if (selection.include.length > 0) {
    const included = selection.include.map((pattern) => includeClause(side, pattern));
    // A pattern that matches every name makes the whole list match every name.
    if (!included.some((clause) => Object.keys(clause).length === 0)) clauses.push(included.length === 1 ? (included[0] as Document) : { $or: included });
  }
  const excluded = selection.exclude.flatMap((pattern) => excludeClause(side, pattern));
  if (excluded.length > 0) clauses.push({ $nor: excluded });
  if (selection.only) clauses.push(onlyClause(side, selection.only));
  if (clauses.length === 0) return undefined;
  return clauses.length === 1 ? clauses[0] : { $and: clauses };
}

/** `db.coll` → its glob parts, as `NamespaceFilter` splits them (`logs` is `logs.*`). */
function parts(pattern: string): { db: string; coll: string } {
  const dot = pattern.indexOf(".");
  return dot === -1 ? { db: pattern, coll: "*" } : { db: pattern.slice(0, dot), coll: pattern.slice(dot + 1) };
}

function includeClause(side: string, pattern: string): Document {
  const { db, coll } = parts(pattern);
  const clause: Document = {};
  const dbCondition = nameCondition(db);
  if (dbCondition !== undefined) clause[`${side}.db`] = dbCondition;
  const collCondition = nameCondition(coll);
  if (collCondition !== undefined) clause.$or = [{ [`${side}.coll`]: collCondition }, { [`${side}.coll`]: { $exists: false } }];
  return clause;
}

/** What an exclude pattern removes, when it can be said exactly; collection events only. */
function excludeClause(side: string, pattern: string): Document[] {
  const { db, coll } = parts(pattern);
  if (!isExact(db) || !isExact(coll)) return [];
  const dbCondition = nameCondition(db);
  const clause: Document = { [`${side}.coll`]: nameCondition(coll) ?? { $exists: true } };
  if (dbCondition !== undefined) clause[`${side}.db`] = dbCondition;
  return [clause];
}

function onlyClause(side: string, only: ReadonlySet<string>): Document {
  const namespaces = [...only].map((namespace) => parts(namespace));
  const dbs = [...new Set(namespaces.map((each) => each.db))];
  return {
    $or: [
      ...namespaces.map((each) => ({ [`${side}.db`]: each.db, [`${side}.coll`]: each.coll })),
      { [`${side}.db`]: { $in: dbs }, [`${side}.coll`]: { $exists: false } },
    ],
  };
}

/** Whether a glob part can be written as a regular expression with the same meaning. */
function isExact(part: string): boolean {
  return !/[[\]{}!()+@\\]/.test(part) && !part.includes("**");
}

function nameCondition(part: string): NameCondition {
  // picomatch reads a backslash as an escape: such a name is left to the in-process filter.
  if (part === "*" || part.includes("\\")) return undefined;
  if (!hasGlob(part)) return part;
  if (!isExact(part)) return undefined;
  return { $regex: globRegex(part) };
}

/** `*` and `?` of a glob as picomatch reads them with `dot: true`; everything else literal. */
export function globRegex(part: string): string {
  let regex = "^";
  for (const char of part) {
    if (char === "*") regex += "[^/]*";
    else if (char === "?") regex += "[^/]";
    else regex += char.replace(/[.^$|?*+()[\]{}\\/-]/g, "\\$&");
  }
  return `${regex}$`;
}
