import type { Document } from "bson";
import { toPlainDocument, toPlainValue, type PlainValueOptions } from "../../codec/plain-values.js";
import type { DocManagerOperation } from "./doc-manager-operations.js";

/**
 * An operation with its documents, id, update specification or command as plain JavaScript
 * values (`values: "plain"`). The timestamp stays a BSON `Timestamp`, and a command's `event`
 * stays as it came: both are positions and descriptions, not data.
 */
export function plainOperation(operation: DocManagerOperation, options: PlainValueOptions): DocManagerOperation {
  switch (operation.kind) {
    case "upsert":
      return { ...operation, docs: operation.docs.map((doc) => toPlainDocument(doc, options)) };
    case "update":
      return { ...operation, id: toPlainValue(operation.id, options), spec: toPlainDocument(operation.spec, options) };
    case "remove":
      return { ...operation, id: toPlainValue(operation.id, options) };
    case "command":
      return { ...operation, command: toPlainDocument(operation.command, options) as Document };
  }
}
