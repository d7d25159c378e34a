import type { AnyBulkWriteOperation, Document } from "mongodb";
import { ErrorCode } from "../../core/error-codes.js";
import { TributaryError } from "../../core/tributary-error.js";
import { formatNamespace, type ChangeEvent } from "../../core/change-event.js";
import type { Position } from "../../core/position.js";
import { formatTarget, type DropDatabaseTargets, type TargetNamespace, type TargetNamespaces } from "./target-namespaces.js";

/** One ordered `bulkWrite` on one target collection. */
export interface BulkWriteStep {
  readonly kind: "write";
  readonly target: TargetNamespace;
  readonly operations: AnyBulkWriteOperation[];
}

/** A source collection was dropped: drop its target collection. */
export interface DropStep {
  readonly kind: "drop";
  readonly target: TargetNamespace;
}

/**
 * A source collection was renamed. `before` is the position of the event before the rename
 * in the batch (absent when the rename comes first) and `after` the rename's own: the sink
 * saves them around the rename, so a replay never re-runs the writes before a rename that
 * already happened (renaming over the target again would throw its documents away).
 */
export interface RenameStep {
  readonly kind: "rename";
  readonly from: TargetNamespace;
  readonly to: TargetNamespace;
  readonly before?: Position;
  readonly after: Position;
}

/** A source database was dropped. */
export interface DropDatabaseStep extends DropDatabaseTargets {
  readonly kind: "dropDatabase";
  readonly source: string;
}

/** A step that changes collections or databases rather than documents. */
export type CommandStep = DropStep | RenameStep | DropDatabaseStep;

/** What the `mongodb` sink does for a batch, step by step. */
export type MongoWriteStep = BulkWriteStep | CommandStep;

/**
 * Turns a batch into what the `mongodb` sink does, in stream order. Between two commands,
 * the data changes become one ordered bulk write per target collection (their order within
 * a collection kept; different collections do not depend on each other). Every write is
 * idempotent: inserts, replaces and updates replace the whole document by its key (upsert),
 * deletes delete by key, so replaying a batch converges to the same state.
 */
export function planMongoWrites(events: readonly ChangeEvent[], targets: TargetNamespaces): MongoWriteStep[] {
  const steps: MongoWriteStep[] = [];
  let segment = new Map<string, BulkWriteStep>();
  const flush = (): void => {
    steps.push(...segment.values());
    segment = new Map();
  };
  let previous: ChangeEvent | undefined;
  for (const event of events) {
    const command = commandStep(event, targets, previous);
    previous = event;
    // Commands without effect here do not split the writes around them.
    if (command === "nothing") continue;
    if (command !== undefined) {
      flush();
      steps.push(command);
      continue;
    }
    const coll = event.ns.coll;
    const operation = dataOperation(event);
    if (coll === undefined || operation === undefined) continue;
    const target = targets.of({ db: event.ns.db, coll });
    const name = formatTarget(target);
    let step = segment.get(name);
    if (!step) {
      step = { kind: "write", target, operations: [] };
      segment.set(name, step);
    }
    step.operations.push(operation);
  }
  flush();
  return steps;
}

/** The step of a command event, "nothing" for a command without effect here, `undefined` for anything else. */
function commandStep(event: ChangeEvent, targets: TargetNamespaces, previous: ChangeEvent | undefined): CommandStep | "nothing" | undefined {
  const coll = event.ns.coll;
  switch (event.op) {
    case "drop":
      return coll === undefined ? "nothing" : { kind: "drop", target: targets.of({ db: event.ns.db, coll }) };
    case "rename": {
      if (coll === undefined || event.to?.coll === undefined) return "nothing";
      const from = targets.of({ db: event.ns.db, coll });
      const to = targets.of({ db: event.to.db, coll: event.to.coll });
      if (formatTarget(from) === formatTarget(to)) return "nothing";
      return previous ? { kind: "rename", from, to, before: previous.position, after: event.position } : { kind: "rename", from, to, after: event.position };
    }
    case "dropDatabase":
      return { kind: "dropDatabase", source: event.ns.db, ...targets.forDropDatabase(event.ns.db) };
    case "insert":
    case "update":
    case "replace":
    case "delete":
      return undefined;
    default:
      // create, createIndexes, modify, invalidate and the like change nothing a copy holds.
      return "nothing";
  }
}

/**
 * The bulk operation of a data change. An update without a document means the document was
 * gone when it was looked up: a later delete follows in the stream, so there is nothing to do.
 */
export function dataOperation(event: ChangeEvent): AnyBulkWriteOperation | undefined {
  if (event.op === "delete") return { deleteOne: { filter: keyOf(event) } };
  if (event.doc === undefined) return undefined;
  return { replaceOne: { filter: keyOf(event), replacement: event.doc, upsert: true } };
}

/**
 * The filter of a write: the document's `_id` alone. The change event's `documentKey` also
 * carries the shard key of a sharded source collection, and that value can change (an update
 * of the shard key, allowed since MongoDB 4.2): filtering by the new value would miss the copy
 * still holding the old one, and the upsert would then insert a second document with the same
 * `_id` (E11000). `_id` is what identifies a document in the copy; MongoDB leaves unique `_id`s
 * across shards to the application when `_id` is not the shard key (docs/mongodb.md).
 */
function keyOf(event: ChangeEvent): Document {
  const id: unknown = event.key?._id ?? event.doc?._id;
  if (id !== undefined) return { _id: id };
  throw new TributaryError(ErrorCode.SinkFailed, `A ${event.op} on ${formatNamespace(event.ns)} came without a document key; the mongodb sink cannot tell which document it changes`, {
    context: { namespace: formatNamespace(event.ns) },
  });
}
