import type { Document } from "bson";
import type { UpdateDescription } from "../../core/change-event.js";

type Path = readonly (string | number)[];

/**
 * The update as the update specification a mongo-connector DocManager applies. Its
 * `DocManagerBase.apply_update` reads only `$set` and `$unset`: it splits each path at its dots,
 * indexes a list by the number and a dict by the text, sets (padding a list with nulls) or
 * unsets, and takes a spec with neither operator for the whole new document. So:
 *
 * - a truncated array (an array shrink, or `$pop`) becomes `$set` of the whole array, read from
 *   the event's document, as the oplog of old spelled it; changes inside it are then covered;
 * - a path with a field name holding a dot (known from `disambiguatedPaths`) cannot be spelt
 *   with dots: its nearest spellable ancestor is `$set` whole from the document;
 * - a numeric component needs nothing: apply_update already reads it as the container's type
 *   does, index or field name, which is what `disambiguatedPaths` would tell.
 *
 * Returns `undefined` when the update cannot be spelt this way: the document is needed and the
 * event has none, or a top-level field name holds a dot. The caller then upserts the whole
 * document. An empty result means the update changed nothing the spec can carry.
 */
export function updateSpecification(update: UpdateDescription, doc: Document | undefined): Document | undefined {
  const pathOf = (text: string): Path => update.disambiguatedPaths?.[text] ?? text.split(".");
  const wholeValues: Path[] = [];
  const spellable = (path: Path): boolean => {
    const cut = path.findIndex((component) => typeof component === "string" && component.includes("."));
    if (cut === -1) return true;
    wholeValues.push(path.slice(0, cut));
    return false;
  };
  for (const { field } of update.truncatedArrays) {
    const path = pathOf(field);
    if (spellable(path)) wholeValues.push(path);
  }
  const updated = Object.keys(update.updatedFields).filter((text) => spellable(pathOf(text)));
  const removed = update.removedFields.filter((text) => spellable(pathOf(text)));
  if (wholeValues.some((path) => path.length === 0)) return undefined;
  const roots = outermost(wholeValues);
  const covered = (text: string): boolean => roots.some((root) => startsWith(pathOf(text), root));

  const set: Document = {};
  const unset: Document = {};
  for (const text of updated) if (!covered(text)) set[text] = update.updatedFields[text];
  if (roots.length > 0 && doc === undefined) return undefined;
  for (const root of roots) {
    const value = valueAt(doc ?? {}, root);
    // A looked-up document may be newer than the change; a field it no longer has is gone.
    if (value === undefined) unset[root.join(".")] = true;
    else set[root.join(".")] = value;
  }
  for (const text of removed) if (!covered(text)) unset[text] = true;
  const spec: Document = {};
  if (Object.keys(set).length > 0) spec.$set = set;
  if (Object.keys(unset).length > 0) spec.$unset = unset;
  return spec;
}

function startsWith(path: Path, prefix: Path): boolean {
  return prefix.length <= path.length && prefix.every((component, index) => String(component) === String(path[index]));
}

/** The paths that no other path in the list contains, each once. */
function outermost(paths: readonly Path[]): Path[] {
  const roots: Path[] = [];
  for (const path of [...paths].sort((a, b) => a.length - b.length)) {
    if (!roots.some((root) => startsWith(path, root))) roots.push(path);
  }
  return roots;
}

function valueAt(doc: Document, path: Path): unknown {
  let value: unknown = doc;
  for (const component of path) {
    if (Array.isArray(value)) value = value[Number(component)];
    else if (value !== null && typeof value === "object") value = (value as Document)[String(component)];
    else return undefined;
  }
  return value;
}
