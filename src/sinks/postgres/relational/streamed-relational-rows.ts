import type { ClientBase } from "pg";
import type { JsonValue } from "../../../codec/document-codec.js";
import type { RowChange } from "../coalesce.js";
import { COPY_FROM_ROWS } from "../copy-text.js";
import type { Rejection, RejectionHandler } from "../dead-letters.js";
import type { TableMapping } from "../mapping/table-mapping.js";
import { coerceValue } from "../mapping/value-coercion.js";
import type { UpsertChange } from "../raw-copy.js";
import { mayCreateTempTables } from "../temp-tables.js";
import { copiesAll, copyRows, mergeThroughStage } from "./copy-relational-rows.js";
import { withoutChildKeyChecks } from "./child-key-checks.js";
import { CLUSTER_TIME_COLUMN } from "./relational-ddl.js";
import { appendRows, deleteChildRows, deleteParentRows, insertInto, sortDelete, statementsOf, writeRelationalRows } from "./relational-row-writer.js";
import { extractRows, isRejection, type ExtractedRows, type Row } from "./row-extractor.js";

/**
 * Sees every document's rows as they are extracted (`row`), then once after the last (`end`).
 * Either may throw: the COPY that reads the rows then fails, and nothing of it is written.
 */
export interface RowObserver {
  row(extracted: ExtractedRows): void;
  end(): void;
}

/**
 * The rows of documents, extracted as they are read: the parent rows are read once, by the COPY
 * that sends them, so that PostgreSQL takes in each row while the next are made. Child rows, the
 * parents' keys and the documents that do not fit are collected on the way, for the statements
 * that follow.
 */
class StreamedRows {
  readonly rejected: { change: RowChange; rejection: Rejection }[] = [];
  /** The key of every parent row read so far. */
  readonly keys: JsonValue[] = [];
  private readonly mapping: TableMapping;
  private readonly changes: Iterable<UpsertChange>;
  private readonly children: Map<TableMapping, Row[]>;
  private readonly observer: RowObserver | undefined;

  constructor(mapping: TableMapping, changes: Iterable<UpsertChange>, observer?: RowObserver) {
    this.mapping = mapping;
    this.changes = changes;
    this.children = new Map(mapping.children.map((child) => [child.table, []]));
    this.observer = observer;
  }

  *parents(): Generator<Row> {
    for (const change of this.changes) {
      const extracted = extractRows(this.mapping, change.doc);
      if (isRejection(extracted)) {
        this.rejected.push({ change, rejection: extracted });
        continue;
      }
      extracted.row[CLUSTER_TIME_COLUMN] = change.event.clusterTime.t;
      this.observer?.row(extracted);
      this.keys.push(extracted.row[this.mapping.pk.column] ?? null);
      for (const child of extracted.children) appendRows(this.children.get(child.table), child.rows);
      yield extracted.row;
    }
    this.observer?.end();
  }

  /** The rows of one child table, once {@link StreamedRows.parents} was read to its end. */
  childRows(table: TableMapping): Row[] {
    return this.children.get(table) ?? [];
  }

  async reject(client: ClientBase, onReject: RejectionHandler): Promise<void> {
    for (const { change, rejection } of this.rejected) await onReject(client, this.mapping.source, change, rejection);
  }
}

/**
 * Documents whose keys the tables do not hold (see `TableLayout.bulkLoad`), loaded with one `COPY`
 * per table: the parent rows as they are extracted (each shown to `observer`), then the child
 * rows. Tables with a plain `json` column are written as streaming writes them instead.
 */
export async function bulkLoadRelationalRows(client: ClientBase, mapping: TableMapping, changes: readonly RowChange[], onReject: RejectionHandler, observer?: RowObserver): Promise<void> {
  if (!copiesAll(mapping)) return writeRelationalRows(client, mapping, changes, onReject);
  const rows = new StreamedRows(mapping, upsertsOnly(changes), observer);
  const { parent, children } = statementsOf(mapping);
  await copyRows(client, parent.name, parent.columns, rows.parents());
  await withoutChildKeyChecks(client, mapping, children.map((child) => rows.childRows(child.table)), async () => {
    for (const child of children) {
      const childRows = rows.childRows(child.table);
      if (childRows.length > 0) await copyRows(client, child.name, child.columns, childRows);
    }
  });
  await rows.reject(client, onReject);
}

/** Whether a batch's changes of one collection are written by {@link mergeRelationalRows}: many upserts, tables COPY loads exactly, a role that may stage. */
export async function mergesWhileExtracting(client: ClientBase, mapping: TableMapping, changes: readonly RowChange[]): Promise<boolean> {
  return changes.filter((change) => change.kind === "upsert").length >= COPY_FROM_ROWS && copiesAll(mapping) && (await mayCreateTempTables(client));
}

/**
 * `writeRelationalRows` of a large batch on a connection, with the rows extracted while they are
 * sent: the deleted documents' rows go (their child rows with them), the parent rows are merged
 * through COPY into a staging table as they are extracted, then the child rows of every written
 * parent are replaced.
 */
export async function mergeRelationalRows(client: ClientBase, mapping: TableMapping, changes: readonly RowChange[], onReject: RejectionHandler): Promise<void> {
  const deletedKeys: unknown[] = [];
  const deletesRejected: { change: RowChange; rejection: Rejection }[] = [];
  const upserts: UpsertChange[] = [];
  const keys = new Set<string>();
  for (const change of changes) {
    if (change.kind === "delete") {
      sortDelete(mapping, change, deletedKeys, deletesRejected);
      continue;
    }
    // Two `_id`s that map to one key (5 and "5" in a text column): the last of them that fits wins,
    // which only extracting them all first can tell; so can the column's default for a missing
    // `_id`. Such a batch is written the way small ones are.
    const key = change.doc._id === undefined || change.doc._id === null ? undefined : coerceValue(change.doc._id, mapping.pk.type);
    const slot = key === undefined ? undefined : key.ok ? JSON.stringify(key.value) : `\u0000${change.key}`;
    if (slot === undefined || keys.has(slot)) return writeRelationalRows(client, mapping, changes, onReject);
    keys.add(slot);
    upserts.push(change);
  }
  await deleteParentRows(client, mapping, deletedKeys);
  const rows = new StreamedRows(mapping, upserts);
  const { parent, children } = statementsOf(mapping);
  await mergeThroughStage(client, parent.name, parent.columns, rows.parents(), parent.upsertClause);
  await deleteChildRows(client, mapping, rows.keys);
  await withoutChildKeyChecks(client, mapping, children.map((child) => rows.childRows(child.table)), async () => {
    for (const child of children) {
      const childRows = rows.childRows(child.table);
      if (childRows.length > 0) await insertInto(client, child, childRows, "");
    }
  });
  for (const { change, rejection } of deletesRejected) await onReject(client, mapping.source, change, rejection);
  await rows.reject(client, onReject);
}

/** A bulk load's changes: upserts only (the caller sends no deletes). */
function upsertsOnly(changes: readonly RowChange[]): UpsertChange[] {
  return changes.map((change) => {
    if (change.kind === "delete") throw new Error("a bulk load is given upserts only");
    return change;
  });
}
