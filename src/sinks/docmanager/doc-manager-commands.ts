import type { Document } from "bson";
import { formatNamespace, type ChangeEvent } from "../../core/change-event.js";

/**
 * A command event as the command document a mongo-connector DocManager's `handle_command`
 * reads: the oplog's spelling where the oplog has one (`drop`, `renameCollection`, `create`,
 * `collMod`, `dropDatabase` are the oplog entry's `o`), the command's spelling otherwise.
 *
 * Built from the server's `operationDescription`, which the server makes of the oplog entry
 * (mongodb/mongo src/mongo/db/pipeline/change_stream_event_transform.cpp): for `create` and
 * `modify` it is the entry's `o` without `create`/`collMod`, so putting the name back gives `o`;
 * for a rename, `o` without `renameCollection` and `stayTemp`, with `to` as `{db, coll}`;
 * `createIndexes` and `dropIndexes` wrap the index specs in `indexes`; the sharding events copy
 * the no-op entry's `o2`, whose shard key is `shardKey` where the commands say `key`.
 *
 * Returns `undefined` for events that are no command (`invalidate`, data operations).
 */
export function commandDocument(event: ChangeEvent): Document | undefined {
  const description = event.description ?? {};
  const coll = event.ns.coll;
  const namespace = formatNamespace(event.ns);
  switch (event.op) {
    case "drop":
      return { drop: coll };
    case "rename": {
      if (!event.to) return undefined;
      // The description's `to` is `{db, coll}`; the oplog's, a namespace string. The command's
      // name stays the first field, as in the oplog.
      const rest: Document = { ...description };
      delete rest.to;
      return { renameCollection: namespace, to: formatNamespace(event.to), ...rest };
    }
    case "dropDatabase":
      return { dropDatabase: 1 };
    case "create":
      return { create: coll, ...description };
    case "modify":
      return { collMod: coll, ...description };
    case "createIndexes":
      return { createIndexes: coll, indexes: indexSpecs(description) };
    case "dropIndexes":
      return { dropIndexes: coll, index: indexSpecs(description).map((spec) => spec.name as unknown) };
    case "shardCollection":
    case "reshardCollection":
    case "refineCollectionShardKey": {
      const { shardKey, ...rest } = description;
      return { [event.op]: namespace, ...(shardKey === undefined ? {} : { key: shardKey as unknown }), ...rest };
    }
    default:
      return undefined;
  }
}

function indexSpecs(description: Document): Document[] {
  return Array.isArray(description.indexes) ? (description.indexes as Document[]) : [];
}
