import type { Document } from "bson";

/**
 * What a mongo-connector DocManager does with an update spec: a transcription of
 * `DocManagerBase.apply_update` (mongo_connector/doc_managers/doc_manager_base.py). It reads
 * only `$set` then `$unset`, splits paths at dots, indexes lists by number and dicts by text,
 * pads lists with nulls, unsets a list element to null, and takes a spec with neither
 * operator for the whole new document. Errors are its UpdateDoesNotApply.
 */
export function applyUpdateAsMongoConnector(doc: Document, spec: Document): Document {
  if (!("$set" in spec) && !("$unset" in spec)) return spec;
  const result = structuredClone(doc);
  for (const [path, value] of Object.entries((spec.$set ?? {}) as Document)) setField(result, path, value);
  for (const path of Object.keys((spec.$unset ?? {}) as Document)) unsetField(result, path);
  return result;
}

type Container = Document | unknown[];

function keyIn(container: unknown, part: string): string | number {
  if (Array.isArray(container)) {
    if (!/^-?\d+$/.test(part)) throw new Error(`UpdateDoesNotApply: ${part} is not a list index`);
    return Number(part);
  }
  if (container !== null && typeof container === "object") return part;
  throw new Error(`UpdateDoesNotApply: cannot descend into ${String(container)}`);
}

function retrievePath(container: Container, parts: readonly string[], create: boolean): Container {
  let lookingAt: unknown = container;
  for (const part of parts) {
    if (Array.isArray(lookingAt)) {
      const index = keyIn(lookingAt, part) as number;
      if (create && lookingAt.length <= index) {
        while (lookingAt.length < index) lookingAt.push(null);
        lookingAt.push({});
      }
      lookingAt = lookingAt[index];
    } else if (lookingAt !== null && typeof lookingAt === "object") {
      const object = lookingAt as Document;
      if (create && !(part in object)) object[part] = {};
      if (!(part in object)) throw new Error(`UpdateDoesNotApply: no ${part}`);
      lookingAt = object[part];
    } else {
      throw new Error(`UpdateDoesNotApply: cannot descend into ${String(lookingAt)}`);
    }
  }
  return lookingAt as Container;
}

function setField(doc: Document, path: string, value: unknown): void {
  const parts = path.split(".");
  const where = retrievePath(doc, parts.slice(0, -1), true);
  const key = keyIn(where, parts[parts.length - 1]!);
  if (Array.isArray(where)) {
    while (where.length <= (key as number)) where.push(null);
    where[key as number] = value;
  } else {
    where[key as string] = value;
  }
}

function unsetField(doc: Document, path: string): void {
  const parts = path.split(".");
  const where = retrievePath(doc, parts.slice(0, -1), false);
  const key = keyIn(where, parts[parts.length - 1]!);
  if (Array.isArray(where)) {
    if ((key as number) >= where.length) throw new Error(`UpdateDoesNotApply: no index ${key}`);
    where[key as number] = null;
  } else {
    if (!(key in where)) throw new Error(`UpdateDoesNotApply: no ${key}`);
    delete where[key as string];
  }
}
