import type { ChangeEvent } from "../core/change-event.js";
import { toPlainDocument, type PlainValueOptions } from "../codec/plain-values.js";

/**
 * The event with its data as plain JavaScript values (`values: "plain"`): the key, the document,
 * the document before and an update's changed fields, as `toPlainValue` converts them. Where the
 * change is — `clusterTime`, `position`, `txn` — stays as it came: a position is handed back to
 * MongoDB exactly as the server gave it.
 */
export function plainEvent(event: ChangeEvent, options: PlainValueOptions): ChangeEvent {
  const { key, doc, before, update } = event;
  return {
    ...event,
    ...(key === undefined ? {} : { key: toPlainDocument(key, options) }),
    ...(doc === undefined ? {} : { doc: toPlainDocument(doc, options) }),
    ...(before === undefined ? {} : { before: toPlainDocument(before, options) }),
    ...(update === undefined ? {} : { update: { ...update, updatedFields: toPlainDocument(update.updatedFields, options) } }),
  };
}
