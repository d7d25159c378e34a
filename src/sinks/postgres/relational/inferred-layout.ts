import type { Document } from "bson";
import type { PoolClient } from "pg";
import type { Statements } from "../statement-queue.js";
import { compileMapping } from "../mapping/compile-mapping.js";
import { isNumericKind, bsonKind } from "../mapping/infer/bson-kind.js";
import { evolveEntries, inferCollectionEntries, renameCollectionEntry, tableNameFor, type DatabaseEntries } from "../mapping/infer/collection-entries.js";
import { profileDocuments } from "../mapping/infer/field-profile.js";
import { NameAllocator } from "../mapping/infer/identifier-names.js";
import { splitNamespace } from "../../../core/change-event.js";
import type { TableMapping } from "../mapping/table-mapping.js";
import type { Logger } from "../../../core/logger.js";
import type { RowChange } from "../coalesce.js";
import type { RejectionHandler } from "../dead-letters.js";
import type { TableLayout, TableRef } from "../table-layout.js";
import { StagedMap } from "../staged-map.js";
import { InferredMappingStore } from "./inferred-mapping-store.js";
import { createStatements, dropStatements, evolveStatements, truncateStatements } from "./relational-ddl.js";
import { extractChanges, writeExtractedRows, writeExtractedRowsKeepingNewer, type ExtractedChanges } from "./relational-row-writer.js";
import { extractRows, isRejection, type ExtractedRows, type Misfit } from "./row-extractor.js";
import { bulkLoadRelationalRows } from "./streamed-relational-rows.js";
import { copiesAll } from "./copy-relational-rows.js";
import { BulkLoadDeclined } from "../bulk-load.js";

export interface InferredLayoutOptions {
  /** Schema of the synced tables. */
  readonly schema: string;
  /** Schema of Tributary's own tables, where the inferred mappings are kept. */
  readonly checkpointSchema: string;
  readonly pipeline: string;
  readonly onReject: RejectionHandler;
  readonly logger: Logger;
}

interface Inferred {
  readonly entries: DatabaseEntries;
  readonly mapping: TableMapping;
}

const WIDENABLE = new Set(["smallint", "integer", "bigint", "real", "double"]);

/**
 * Typed tables from a mapping inferred from the documents themselves (seeded by a sample at
 * start-up, or from a collection's first changes), evolving as documents change: a field never
 * seen before becomes a new column (or child table) in the transaction of the batch that brings
 * it; a number that does not fit a numeric column widens the column to `numeric`; any other value
 * that does not fit its column stays in `_extra`. The mapping is kept in the target with the
 * tables, so restarts continue with the tables as they are.
 */
export class InferredLayout implements TableLayout {
  readonly keepsTablesOnRename = true;
  private readonly options: InferredLayoutOptions;
  private readonly store: InferredMappingStore;
  private readonly inferred = new StagedMap<string, Inferred>();
  private readonly seeds = new Map<string, DatabaseEntries>();
  /** Extraction done with a deferred batch's evolution (`evolveFor`), reused by `write` for the same changes. */
  private readonly extracted = new WeakMap<readonly RowChange[], ExtractedChanges>();
  /** Batches `prepare` left to be extracted (and the mapping evolved) when they are written. */
  private readonly deferred = new WeakSet<readonly RowChange[]>();
  private readonly reported = new Set<string>();

  constructor(options: InferredLayoutOptions) {
    this.options = options;
    this.store = new InferredMappingStore(options.checkpointSchema, options.pipeline);
  }

  async open(client: PoolClient): Promise<void> {
    await client.query(this.store.createStatement());
    const stored = await this.store.load(client);
    this.inferred.reset([...stored].map(([namespace, entries]) => [namespace, this.compile(namespace, entries)] as const));
  }

  /** Mappings inferred from samples, used for collections that have none stored yet. */
  seed(samples: ReadonlyMap<string, readonly Document[]>): void {
    // One allocator for all: each name it hands out is taken for the next collection.
    const tables = this.tableNames();
    for (const [namespace, documents] of samples) {
      if (this.current(namespace)) continue;
      const { db, coll } = splitNamespace(namespace);
      this.seeds.set(namespace, inferCollectionEntries(coll, tableNameFor(db, coll, tables), profileDocuments(documents), tables));
    }
  }

  /** The entries of every collection's current mapping, as a mapping file would hold them. */
  mappings(): Map<string, DatabaseEntries> {
    return new Map(this.inferred.entries().map(([namespace, inferred]) => [namespace, inferred.entries]));
  }

  nameOf(namespace: string): { schema: string; table: string } {
    const inferred = this.current(namespace);
    if (inferred) return { schema: inferred.mapping.schema, table: inferred.mapping.table };
    const { db, coll } = splitNamespace(namespace);
    return { schema: this.options.schema, table: tableNameFor(db, coll, this.tableNames()) };
  }

  createStatements(ref: TableRef): { required: string[]; optional: string[] } {
    return createStatements(this.inferredOf(ref.namespace).mapping);
  }

  dropStatements(ref: TableRef): string[] {
    const inferred = this.current(ref.namespace);
    return inferred ? dropStatements(inferred.mapping, ref.table) : [];
  }

  truncateStatements(ref: TableRef): string[] {
    const inferred = this.current(ref.namespace);
    return inferred ? truncateStatements(inferred.mapping, ref.table) : [];
  }

  /**
   * A collection whose mapping is known and whose tables exist: its rows are extracted when they
   * are written, a bulk load's while COPY sends them (PostgreSQL takes in each row while the next
   * are made), and a batch that makes the mapping evolve does so then. Otherwise the mapping is
   * inferred or evolved now, before the tables are ensured.
   */
  async prepare(client: Statements, namespace: string, changes: readonly RowChange[], tablesExist: boolean): Promise<void> {
    if (tablesExist && this.current(namespace)) this.deferred.add(changes);
    else await this.evolveFor(client, namespace, changes, tablesExist, false);
  }

  async write(client: Statements, ref: TableRef, changes: readonly RowChange[]): Promise<void> {
    const { mapping, extracted } = await this.evolvedAndExtracted(client, ref, changes);
    await writeExtractedRows(client, mapping, extracted, this.options.onReject);
  }

  async writeKeepingNewer(client: PoolClient, ref: TableRef, changes: readonly RowChange[]): Promise<void> {
    const { mapping, extracted } = await this.evolvedAndExtracted(client, ref, changes);
    await writeExtractedRowsKeepingNewer(client, mapping, extracted, this.options.onReject);
  }

  /** The mapping a deferred batch makes evolve, evolved now; the batch's rows under it. */
  private async evolvedAndExtracted(client: Statements, ref: TableRef, changes: readonly RowChange[]): Promise<{ mapping: TableMapping; extracted: ExtractedChanges }> {
    if (this.deferred.delete(changes)) await this.evolveFor(client, ref.namespace, changes, true, true);
    const mapping = this.inferredOf(ref.namespace).mapping;
    return { mapping, extracted: this.extractedFor(mapping, changes) };
  }

  /**
   * Documents into tables that held none of them (see `TableLayout.bulkLoad`), their rows
   * extracted as COPY sends them. For a deferred batch, when one of them brings a field the
   * mapping can take as a new column or child table, or a number its column must widen for, the
   * load is declined before it ends: the caller rolls back and `write` evolves the mapping first.
   */
  async bulkLoad(client: PoolClient, ref: TableRef, changes: readonly RowChange[]): Promise<void> {
    const inferred = this.inferredOf(ref.namespace);
    // Evolved for these changes already (`prepare`), their misfits told: the rows go as COPY sends them.
    if (!this.deferred.has(changes)) return bulkLoadRelationalRows(client, inferred.mapping, changes, this.options.onReject);
    if (!copiesAll(inferred.mapping)) throw new BulkLoadDeclined();
    const sorted = new RowsToCheck();
    await bulkLoadRelationalRows(client, inferred.mapping, changes, this.options.onReject, {
      row: (rows) => sorted.add(rows),
      end: () => {
        if (sorted.mayEvolve.length > 0 && this.evolve(ref.namespace, inferred.entries, sorted.mayEvolve)) throw new BulkLoadDeclined();
      },
    });
    this.deferred.delete(changes);
    // Only now: a number its column widens for, in a load declined above, is no misfit once `write` has evolved the mapping.
    for (const rows of sorted.misfitting) this.reportMisfits(ref.namespace, rows);
  }

  /**
   * Infers or evolves the namespace's mapping for these changes (altering existing tables), and
   * tells their misfits. With `keep`, their rows are kept for the write that follows. Without it
   * (a collection's first batch, which a bulk load may take as COPY sends it), each row is let go
   * once looked at: a whole batch's rows held at once left the process collecting about 40% more
   * garbage in every later batch, and its batches 10% slower (docs/benchmarks.md, twenty-first
   * pass); the rows are made again as they are written.
   */
  private async evolveFor(client: Statements, namespace: string, changes: readonly RowChange[], tablesExist: boolean, keep: boolean): Promise<void> {
    const known = this.current(namespace);
    const entries = known?.entries ?? this.seeds.get(namespace) ?? this.inferFrom(namespace, changes);
    let inferred = known ?? this.compile(namespace, entries);
    let looked = lookAt(inferred.mapping, changes, keep);
    const evolved = this.evolve(namespace, inferred.entries, looked.checked.mayEvolve);
    if (evolved) {
      const next = this.compile(namespace, evolved);
      if (tablesExist) for (const statement of evolveStatements(inferred.mapping, next.mapping)) await client.query(statement);
      this.options.logger.info({ namespace, tables: tablesExist ? "altered" : "new" }, "inferred mapping evolved: new columns or tables");
      inferred = next;
      looked = lookAt(inferred.mapping, changes, keep);
    }
    if (!known || evolved) {
      await this.store.save(client, namespace, inferred.entries);
      this.inferred.set(namespace, inferred);
    }
    for (const rows of looked.checked.misfitting) this.reportMisfits(namespace, rows);
    if (looked.extracted) this.extracted.set(changes, looked.extracted);
    else this.extracted.delete(changes);
  }

  async forget(client: PoolClient, namespace: string): Promise<void> {
    await this.store.forget(client, namespace);
    this.inferred.delete(namespace);
    // A collection created again under this name is inferred from its new documents.
    this.seeds.delete(namespace);
  }

  async moved(client: PoolClient, from: TableRef, to: TableRef): Promise<void> {
    const inferred = this.current(from.namespace);
    if (!inferred) return;
    const entries = renameCollectionEntry(inferred.entries, splitNamespace(from.namespace).coll, splitNamespace(to.namespace).coll, to.table);
    await this.forget(client, from.namespace);
    await this.store.save(client, to.namespace, entries);
    this.inferred.set(to.namespace, this.compile(to.namespace, entries));
  }

  commit(): void {
    this.inferred.commit();
  }

  rollback(): void {
    this.inferred.rollback();
  }

  private current(namespace: string): Inferred | undefined {
    return this.inferred.get(namespace);
  }

  /** The rows a deferred batch's evolution extracted from these changes, or extracted now. */
  private extractedFor(mapping: TableMapping, changes: readonly RowChange[]): ExtractedChanges {
    return this.extracted.get(changes) ?? extractChanges(mapping, changes);
  }

  private inferredOf(namespace: string): Inferred {
    const inferred = this.current(namespace);
    // `prepare` runs first for every namespace written; reaching here without it is a bug.
    if (!inferred) throw new Error(`no inferred mapping for ${namespace}`);
    return inferred;
  }

  /** A first mapping from the changes themselves: their documents, and the keys of deletes. */
  private inferFrom(namespace: string, changes: readonly RowChange[]): DatabaseEntries {
    const documents = changes.map((change) => (change.kind === "upsert" ? change.doc : { _id: change.event.key?._id }));
    const { db, coll } = splitNamespace(namespace);
    const tables = this.tableNames();
    return inferCollectionEntries(coll, tableNameFor(db, coll, tables), profileDocuments(documents), tables);
  }

  /** The evolved entries when these rows bring new fields or numbers too wide; else undefined. */
  private evolve(namespace: string, entries: DatabaseEntries, rows: readonly RowToCheck[]): DatabaseEntries | undefined {
    const unmapped = rows.flatMap((row) => (row.unmapped ? [row.unmapped] : []));
    const widen = rows.flatMap((row) => row.misfits.filter(isWidenable)).map((misfit) => ({ entry: this.entryName(namespace, misfit.table), path: misfit.column.path }));
    if (unmapped.length === 0 && widen.length === 0) return undefined;
    const next = structuredClone(entries);
    const { coll } = splitNamespace(namespace);
    return evolveEntries(next, coll, profileDocuments(unmapped), dedupe(widen), this.tableNames()) ? next : undefined;
  }

  private entryName(namespace: string, table: TableMapping): string {
    return table.source === namespace ? splitNamespace(namespace).coll : table.table;
  }

  private reportMisfits(namespace: string, rows: RowToCheck): void {
    for (const misfit of rows.misfits) {
      const id = `${misfit.table.source}:${misfit.column.path}`;
      if (this.reported.has(id)) continue;
      this.reported.add(id);
      this.options.logger.warn(
        { namespace, table: misfit.table.table, field: misfit.column.path, column: misfit.column.column, type: misfit.column.type.sql, kind: bsonKind(misfit.value) },
        "a value does not fit its inferred column: the column is left NULL and the value kept in _extra (reported once per field)",
      );
    }
  }

  /** Every table name in use, and every collection name (entry names child tables must not take). */
  private tableNames(): NameAllocator {
    const names: string[] = [];
    for (const [namespace, entries] of [...this.mappings(), ...this.seeds]) {
      names.push(splitNamespace(namespace).coll);
      for (const [name, entry] of Object.entries(entries)) names.push(entry.$table ?? name);
    }
    return new NameAllocator(names);
  }

  private compile(namespace: string, entries: DatabaseEntries): Inferred {
    const { db } = splitNamespace(namespace);
    const { mapping, problems } = compileMapping(`the inferred mapping of ${namespace}`, { [db]: entries }, { defaultSchema: this.options.schema, keepMisfits: true });
    const table = mapping.collections.get(namespace);
    // Inference only writes mappings that compile; a problem here is a bug, reported whole.
    if (!table || problems.length > 0) throw new Error(`inferred mapping of ${namespace} does not compile: ${problems.join("; ")}`);
    return { entries, mapping: table };
  }
}

/** What of a document's rows a mapping's evolution and its misfits' report look at. */
type RowToCheck = Pick<ExtractedRows, "unmapped" | "misfits">;

/** Rows that may make a mapping evolve (a field it lacks, a number too wide), and rows with misfits to tell: only what those look at, not the rows. */
class RowsToCheck {
  readonly mayEvolve: RowToCheck[] = [];
  readonly misfitting: RowToCheck[] = [];

  add(rows: ExtractedRows): void {
    const mayEvolve = rows.unmapped !== undefined || rows.misfits.some(isWidenable);
    if (!mayEvolve && rows.misfits.length === 0) return;
    const checked: RowToCheck = rows.unmapped === undefined ? { misfits: rows.misfits } : { unmapped: rows.unmapped, misfits: rows.misfits };
    if (mayEvolve) this.mayEvolve.push(checked);
    if (rows.misfits.length > 0) this.misfitting.push(checked);
  }
}

/** The changes' rows to check under `mapping`, and with `keep` all of them, extracted for writing. */
function lookAt(mapping: TableMapping, changes: readonly RowChange[], keep: boolean): { checked: RowsToCheck; extracted?: ExtractedChanges } {
  const checked = new RowsToCheck();
  if (keep) {
    const extracted = extractChanges(mapping, changes);
    for (const rows of extracted.upserts.values()) checked.add(rows);
    return { checked, extracted };
  }
  for (const change of changes) {
    if (change.kind !== "upsert") continue;
    const rows = extractRows(mapping, change.doc);
    if (!isRejection(rows)) checked.add(rows);
  }
  return { checked };
}

function isWidenable(misfit: Misfit): boolean {
  if (!WIDENABLE.has(misfit.column.type.family)) return false;
  const values = misfit.column.type.array && Array.isArray(misfit.value) ? (misfit.value as unknown[]) : [misfit.value];
  return values.every((value) => value === null || isNumericKind(bsonKind(value)));
}

function dedupe(fields: readonly { entry: string; path: string }[]): { entry: string; path: string }[] {
  return [...new Map(fields.map((field) => [`${field.entry}\u0000${field.path}`, field])).values()];
}
