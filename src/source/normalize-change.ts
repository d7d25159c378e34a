import { Binary, type Document, Timestamp } from "mongodb";
import { CommandOps, DataOps, type ChangeEvent, type ChangeOp, type Namespace, type TransactionId } from "../core/change-event.js";
import { makePosition, type ResumeToken } from "../core/position.js";

const KNOWN_OPS: readonly string[] = [...DataOps, ...CommandOps, "invalidate"];

/**
 * Turns one raw change stream document into a `ChangeEvent`. Returns `undefined` for event
 * types this version does not know, so a newer server never breaks the stream.
 */
export function normalizeChange(raw: Document): ChangeEvent | undefined {
  const op = raw.operationType as string;
  if (!KNOWN_OPS.includes(op)) return undefined;
  // A view holds no documents of its own: nothing in the target follows it.
  if (op === "create" && (raw.operationDescription as Document | undefined)?.viewOn !== undefined) return undefined;
  const resumeToken = raw._id as ResumeToken;
  const clusterTime = raw.clusterTime instanceof Timestamp ? raw.clusterTime : new Timestamp({ t: 0, i: 0 });
  const event: Mutable<ChangeEvent> = {
    op: op as ChangeOp,
    ns: namespaceOf(raw.ns),
    clusterTime,
    position: makePosition(resumeToken, clusterTime),
    source: "stream",
  };
  if (raw.to) event.to = namespaceOf(raw.to);
  if (raw.documentKey) event.key = raw.documentKey as Document;
  if (raw.fullDocument) event.doc = raw.fullDocument as Document;
  if (raw.fullDocumentBeforeChange) event.before = raw.fullDocumentBeforeChange as Document;
  if (raw.updateDescription) {
    const update = raw.updateDescription as Document;
    event.update = {
      updatedFields: (update.updatedFields as Document | undefined) ?? {},
      removedFields: (update.removedFields as string[] | undefined) ?? [],
      truncatedArrays: ((update.truncatedArrays as { field: string; newSize: unknown }[] | undefined) ?? []).map((entry) => ({
        field: entry.field,
        newSize: Number(entry.newSize),
      })),
      ...(update.disambiguatedPaths ? { disambiguatedPaths: disambiguatedPathsOf(update.disambiguatedPaths as Document) } : {}),
    };
  }
  if (raw.operationDescription) event.description = raw.operationDescription as Document;
  if (raw.stateBeforeChange) event.stateBeforeChange = raw.stateBeforeChange as Document;
  if (raw.wallTime instanceof Date) event.wallTime = raw.wallTime;
  const txn = transactionOf(raw);
  if (txn) event.txn = txn;
  return event;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function namespaceOf(ns: unknown): Namespace {
  const value = (ns ?? {}) as { db?: unknown; coll?: unknown };
  const db = typeof value.db === "string" ? value.db : "";
  return typeof value.coll === "string" ? { db, coll: value.coll } : { db };
}

function transactionOf(raw: Document): TransactionId | undefined {
  if (raw.txnNumber === undefined || raw.txnNumber === null || !raw.lsid) return undefined;
  const lsid = raw.lsid as Document;
  const id = lsid.id instanceof Binary ? lsid.id.toString("hex") : JSON.stringify(lsid.id);
  return { lsid: id, txnNumber: String(raw.txnNumber) };
}

/** Path components as the server gives them; array indexes arrive as int32 or int64 numbers. */
function disambiguatedPathsOf(paths: Document): Record<string, (string | number)[]> {
  return Object.fromEntries(
    Object.entries(paths).map(([path, components]) => [path, (components as unknown[]).map((component) => (typeof component === "string" ? component : Number(component)))]),
  );
}
