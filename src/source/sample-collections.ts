import type { Document, MongoClient } from "mongodb";
import { mapMongoError } from "./mongo-error-mapper.js";
import type { NamespaceFilter } from "../core/namespace-filter.js";
import { splitNamespace } from "../core/change-event.js";
import { READ_OPTIONS } from "./read-options.js";
import { hasGlob } from "./watch-scope.js";

/**
 * The collections (not views) a filter includes. Databases named literally by every include
 * pattern are the only ones listed, so that no `listDatabases` privilege is needed for them.
 * Time-series collections the filter includes are not among them (they have no `_id` index to
 * copy by, and change streams do not report their changes); each is told to `onTimeSeries`.
 */
export async function listIncludedCollections(
  client: MongoClient,
  filter: NamespaceFilter,
  include: readonly string[],
  where: string,
  onTimeSeries?: (namespace: string) => void,
): Promise<string[]> {
  try {
    const literalDbs = include.map((pattern) => pattern.split(".")[0] ?? "");
    const databases =
      include.length > 0 && !literalDbs.some(hasGlob)
        ? [...new Set(literalDbs)]
        : ((await client.db("admin").command({ listDatabases: 1, nameOnly: true, authorizedDatabases: true })).databases as { name: string }[]).map((db) => db.name);
    const namespaces: string[] = [];
    for (const db of databases.filter((name) => filter.mayIncludeDatabase(name))) {
      const collections = await client.db(db).listCollections({ type: { $in: ["collection", "timeseries"] } }, { nameOnly: true }).toArray();
      for (const { name, type } of collections) {
        if (!filter.includesCollection(db, name)) continue;
        if (type === "timeseries") onTimeSeries?.(`${db}.${name}`);
        else namespaces.push(`${db}.${name}`);
      }
    }
    return namespaces.sort();
  } catch (error) {
    throw mapMongoError(error, where);
  }
}

/** Up to `size` documents of each collection, picked at random by the server (`$sample`). */
export async function sampleCollections(client: MongoClient, namespaces: readonly string[], size: number, where: string): Promise<Map<string, Document[]>> {
  const samples = new Map<string, Document[]>();
  for (const namespace of namespaces) {
    const { db, coll } = splitNamespace(namespace);
    const collection = client.db(db).collection(coll);
    try {
      samples.set(namespace, await collection.aggregate([{ $sample: { size } }], READ_OPTIONS).toArray());
    } catch (error) {
      throw mapMongoError(error, where);
    }
  }
  return samples;
}
