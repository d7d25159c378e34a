import type { Document, Timestamp } from "bson";
import { formatNamespace, type ChangeEvent } from "../../core/change-event.js";
import { commandDocument } from "./doc-manager-commands.js";
import { updateSpecification } from "./doc-manager-update-spec.js";
import type { NamespaceMap } from "./namespace-mapping.js";

/** One DocManager call, decided from events before anything is called. */
export type DocManagerOperation =
  | { readonly kind: "upsert"; readonly namespace: string; readonly docs: Document[]; readonly timestamp: Timestamp }
  | { readonly kind: "update"; readonly namespace: string; readonly id: unknown; readonly spec: Document; readonly timestamp: Timestamp }
  | { readonly kind: "remove"; readonly namespace: string; readonly id: unknown; readonly timestamp: Timestamp }
  | { readonly kind: "command"; readonly namespace: string; readonly command: Document; readonly timestamp: Timestamp; readonly event: ChangeEvent };

/** What the target can do, so that the plan uses only the methods it has. */
export interface DocManagerAbilities {
  readonly update: boolean;
  readonly uniqueKey: string;
  readonly chunkSize: number;
  /** The target name of a source namespace (the `namespaces` option). */
  readonly mapNamespace: NamespaceMap;
}

function withUniqueKey(doc: Document, uniqueKey: string): Document {
  if (uniqueKey === "_id") return doc;
  const { _id: id, ...rest } = doc;
  return { [uniqueKey]: id, ...rest };
}

/**
 * Turns events into DocManager calls in stream order. Consecutive upserts of one namespace
 * share a call (up to `chunkSize` documents): replacing a document with its newest version
 * is the same whether done once per event or once per run.
 */
export function planDocManagerOperations(events: readonly ChangeEvent[], abilities: DocManagerAbilities): DocManagerOperation[] {
  const operations: DocManagerOperation[] = [];
  let run: { kind: "upsert"; namespace: string; docs: Document[]; timestamp: Timestamp } | undefined;
  const upsert = (namespace: string, doc: Document, timestamp: Timestamp): void => {
    const keyed = withUniqueKey(doc, abilities.uniqueKey);
    if (run && operations[operations.length - 1] === run && run.namespace === namespace && run.docs.length < abilities.chunkSize) {
      run.docs.push(keyed);
      run.timestamp = timestamp;
      return;
    }
    run = { kind: "upsert", namespace, docs: [keyed], timestamp };
    operations.push(run);
  };
  for (const event of events) {
    const namespace = abilities.mapNamespace(formatNamespace(event.ns));
    const timestamp = event.clusterTime;
    const id: unknown = event.key?._id;
    if (event.op === "insert" || event.op === "replace") {
      if (event.doc) upsert(namespace, event.doc, timestamp);
    } else if (event.op === "update") {
      const spec = abilities.update && event.update ? updateSpecification(event.update, event.doc) : undefined;
      // An empty spec would read as "replace the document with {}": there is nothing to send.
      if (spec) {
        if (Object.keys(spec).length > 0) operations.push({ kind: "update", namespace, id, spec, timestamp });
      }
      // Without a document the document is gone by now; its delete follows in the stream.
      else if (event.doc) upsert(namespace, event.doc, timestamp);
    } else if (event.op === "delete") {
      operations.push({ kind: "remove", namespace, id, timestamp });
    } else {
      // mongo-connector hands commands over unmapped: the DocManager maps what it needs.
      const command = commandDocument(event);
      if (command) operations.push({ kind: "command", namespace: `${event.ns.db}.$cmd`, command, timestamp, event });
    }
  }
  return operations;
}
