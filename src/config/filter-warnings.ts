import { NamespaceFilter } from "../core/namespace-filter.js";

const SYSTEM_DATABASES = new Set(["admin", "local", "config"]);
const GLOB_CHARACTERS = /[*?[\]{}()!+@]/;
const PAIRS: ReadonlyArray<readonly [string, string]> = [
  ["[", "]"],
  ["{", "}"],
  ["(", ")"],
];

/**
 * Warnings for namespace filters that can match nothing (a sync that would start and sync
 * nothing, silently): system namespaces (never synced), an exclude that leaves out everything,
 * a literal include that an exclude removes, and globs with unbalanced brackets, which picomatch
 * reads as literal characters.
 */
export function filterWarnings(include: readonly string[], exclude: readonly string[]): string[] {
  const warnings: string[] = [];
  for (const [setting, patterns] of [["include", include], ["exclude", exclude]] as const) {
    for (const pattern of patterns) {
      const unbalanced = PAIRS.find(([open, close]) => pattern.split(open).length !== pattern.split(close).length);
      if (unbalanced) warnings.push(`source.${setting} '${pattern}' has an unbalanced '${unbalanced[0]}'; it is read as a literal name and probably matches nothing`);
    }
  }
  for (const pattern of include) {
    const [db = "", coll] = splitNamespace(pattern);
    if (SYSTEM_DATABASES.has(db) || coll?.startsWith("system.")) warnings.push(`source.include '${pattern}' names a system namespace, which is never synced`);
  }
  const excludesAll = exclude.find((pattern) => /^\*(\.\*)?$/.test(pattern));
  if (excludesAll !== undefined) warnings.push(`source.exclude '${excludesAll}' leaves out every namespace: nothing will be synced`);
  const filter = new NamespaceFilter(include, exclude);
  for (const pattern of include) {
    const [db = "", coll] = splitNamespace(pattern);
    if (coll === undefined || GLOB_CHARACTERS.test(pattern) || SYSTEM_DATABASES.has(db) || coll.startsWith("system.")) continue;
    if (!filter.includesCollection(db, coll)) warnings.push(`source.include '${pattern}' is left out again by source.exclude: it will not be synced`);
  }
  return warnings;
}

function splitNamespace(pattern: string): [string, string | undefined] {
  const dot = pattern.indexOf(".");
  return dot === -1 ? [pattern, undefined] : [pattern.slice(0, dot), pattern.slice(dot + 1)];
}
