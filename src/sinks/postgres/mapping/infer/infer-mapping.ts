import type { Document } from "bson";
import type { MappingFile } from "../mapping-file-schema.js";
import { splitNamespace } from "../../../../core/change-event.js";
import { inferCollectionEntries, tableNameFor } from "./collection-entries.js";
import { profileDocuments } from "./field-profile.js";
import { NameAllocator } from "./identifier-names.js";

/**
 * Infers a mapping file (mongo-connector-postgresql's format, with Tributary's extensions) from
 * sampled documents per namespace (`db.coll`). The result is meant to be read and edited:
 * table and column names in snake_case, sub-documents flattened (`address.city` →
 * `address_city`), arrays of documents as child tables (`<table>_<field>`, generated key
 * `_row_id`, the parent's key in `_parent_id`, the position in `_ordinal`), arrays of scalars as
 * array columns, fields of mixed types and maps keyed by data as `JSONB`. Every table keeps a
 * catch-all `_extra` column, so fields the sample did not show are never dropped.
 * @public
 */
export function inferMapping(samples: ReadonlyMap<string, readonly Document[]>): MappingFile {
  const namespaces = [...samples.keys()].sort();
  const parentTables = new NameAllocator();
  const tableOf = new Map(namespaces.map((ns) => [ns, tableNameFor(splitNamespace(ns).db, splitNamespace(ns).coll, parentTables)]));
  // Collection names are entry names too: no child table may take one.
  const tables = new NameAllocator([...tableOf.values(), ...namespaces.map((ns) => splitNamespace(ns).coll)]);
  const file: MappingFile = {};
  for (const ns of namespaces) {
    const { db, coll } = splitNamespace(ns);
    const entries = inferCollectionEntries(coll, tableOf.get(ns) ?? coll, profileDocuments(samples.get(ns) ?? []), tables);
    file[db] = { ...file[db], ...entries };
  }
  return file;
}
