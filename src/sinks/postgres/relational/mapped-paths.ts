import type { Document } from "bson";
import { isPlainObject } from "../../../core/plain-object.js";
import type { TableMapping } from "../mapping/table-mapping.js";

/** The mapped paths of a table as a tree of field names: a column, a child table's array, or deeper. */
type PathTree = Map<string, PathTree | "column" | "child">;

const trees = new WeakMap<TableMapping, PathTree>();
const splitPaths = new Map<string, readonly string[]>();

/** A dotted path's parts, split once. */
export function pathParts(path: string): readonly string[] {
  let parts = splitPaths.get(path);
  if (!parts) splitPaths.set(path, (parts = path.split(".")));
  return parts;
}

/** The value at a dotted path; undefined when a part is missing or not a document. */
export function valueAt(doc: Document, path: string): unknown {
  let current: unknown = doc;
  for (const part of pathParts(path)) {
    if (typeof current !== "object" || current === null || Array.isArray(current)) return undefined;
    current = (current as Document)[part];
  }
  return current;
}

/**
 * The fields of a document no column or child table of the mapping takes (`excluded` column
 * paths count as not taken), without copying or changing the document: sub-documents left
 * empty are left out; an array mapped to a child table is taken only when it is an array (or
 * null). Undefined when nothing is left.
 */
export function leftoverFields(mapping: TableMapping, doc: Document, excluded: ReadonlySet<string>): Document | undefined {
  return leftover(doc, excluded.size === 0 ? treeOf(mapping) : buildTree(mapping, excluded));
}

function leftover(doc: Document, tree: PathTree): Document | undefined {
  let rest: Document | undefined;
  for (const key of Object.keys(doc)) {
    const value: unknown = doc[key];
    const node = tree.get(key);
    let kept: unknown = value;
    if (node === "column") continue;
    if (node === "child") {
      if (Array.isArray(value) || value === null || value === undefined) continue;
    } else if (node !== undefined && isPlainObject(value)) {
      kept = leftover(value, node);
      if (kept === undefined) continue;
    }
    (rest ??= {})[key] = kept;
  }
  return rest;
}

function treeOf(mapping: TableMapping): PathTree {
  let tree = trees.get(mapping);
  if (!tree) trees.set(mapping, (tree = buildTree(mapping, new Set())));
  return tree;
}

function buildTree(mapping: TableMapping, excluded: ReadonlySet<string>): PathTree {
  const root: PathTree = new Map();
  const add = (path: string, leaf: "column" | "child"): void => {
    const parts = pathParts(path);
    let node = root;
    for (const part of parts.slice(0, -1)) {
      let next = node.get(part);
      if (!(next instanceof Map)) node.set(part, (next = new Map()));
      node = next;
    }
    node.set(parts.at(-1) ?? path, leaf);
  };
  for (const column of mapping.columns) if (!excluded.has(column.path)) add(column.path, "column");
  for (const child of mapping.children) add(child.path, "child");
  return root;
}

/** Sets the value at a dotted path, creating the sub-documents on the way. */
export function setPath(doc: Document, path: string, value: unknown): void {
  const parts = pathParts(path);
  let current = doc;
  for (const part of parts.slice(0, -1)) {
    const next: unknown = current[part];
    current = isPlainObject(next) ? next : (current[part] = {});
  }
  current[parts.at(-1) ?? path] = value;
}
