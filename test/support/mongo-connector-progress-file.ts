// mongo-connector's progress file (`oplog.timestamp`) exactly as it writes it for a replica set:
// `write_oplog_progress` (mongo_connector/connector.py; oplog_progress_stores/
// file_progress_store.py in later releases) dumps `[name, util.bson_ts_to_long(ts)]` with
// Python's `json.dumps` (", " between items, no newline), where the name is `str(self.oplog)`,
// the text of the pymongo Collection of the oplog, and the long is `seconds << 32 | increment`.

import type { Timestamp } from "mongodb";

/** The file's text for one replica set (`host` as pymongo lists it, e.g. `localhost:27017`). */
export function mongoConnectorProgressFile(replicaSet: string, host: string, last: Timestamp): string {
  const oplog = `Collection(Database(MongoClient(host=['${host}'], document_class=dict, tz_aware=False, connect=True, replicaset='${replicaSet}'), 'local'), 'oplog.rs')`;
  const packed = (BigInt(last.t) << 32n) | BigInt(last.i);
  return `[${JSON.stringify(oplog)}, ${packed.toString()}]`;
}
