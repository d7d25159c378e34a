import type { ClientBase } from "pg";
import { ErrorCode } from "../../core/error-codes.js";
import type { Logger } from "../../core/logger.js";
import { TributaryError } from "../../core/tributary-error.js";
import { planAdoption, type AdoptionPlan } from "./adoption-plan.js";
import type { TableRef } from "./table-layout.js";
import type { ExpectedTable } from "./table-shape.js";

/** What {@link TableAdoption} needs. */
export interface TableAdoptionOptions {
  /** Make existing tables fit (`--adopt-tables`); without it a table that does not fit stops the sync. */
  readonly adopt: boolean;
  /** The tables Tributary writes for a collection, as it would create them; `undefined` when not known yet. */
  readonly shapesOf: (ref: TableRef) => readonly ExpectedTable[] | undefined;
  readonly logger: Logger;
}

/**
 * Tables that exist before Tributary first writes a collection (mongo-connector-postgresql's,
 * say) are checked against what Tributary would create, before a row is written. A table that
 * fits is used as it is. One that lacks what Tributary needs (bookkeeping columns, the key's
 * unique index, a child table's cascading reference) stops the sync with the list of what it
 * lacks, or, with `adopt`, is given it, keeping every row. What cannot be added safely stops the
 * sync either way, naming the table, the column and the way out (`TRIB_TABLE_MISMATCH`).
 */
export class TableAdoption {
  private readonly options: TableAdoptionOptions;

  constructor(options: TableAdoptionOptions) {
    this.options = options;
  }

  /** Checks (with `adopt`, alters) the tables of a collection seen for the first time, in the caller's transaction. */
  async prepare(client: ClientBase, ref: TableRef): Promise<void> {
    await this.carryOut(client, ref, await this.checked(client, ref));
  }

  /**
   * {@link prepare} for the collections known at start-up (those of a mapping file): every table
   * is checked before any is changed, so that one that cannot be used stops the sync with nothing
   * altered; then each collection's tables are adopted in a transaction of its own.
   */
  async prepareAtStart(client: ClientBase, refs: readonly TableRef[]): Promise<void> {
    const checked: [TableRef, AdoptionPlan[]][] = [];
    for (const ref of refs) checked.push([ref, await this.checked(client, ref)]);
    for (const [ref, plans] of checked) {
      if (!plans.some((plan) => plan.steps.length > 0)) continue;
      await client.query("BEGIN");
      try {
        await this.carryOut(client, ref, plans);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      }
    }
  }

  /** The plans of a collection's tables; throws when one cannot be used, or needs adopting without `adopt`. */
  private async checked(client: ClientBase, ref: TableRef): Promise<AdoptionPlan[]> {
    const plans: AdoptionPlan[] = [];
    for (const shape of this.options.shapesOf(ref) ?? []) plans.push(await planAdoption(client, shape));
    const blockers = plans.flatMap((plan) => plan.blockers);
    const needed = plans.filter((plan) => plan.steps.length > 0);
    if (blockers.length > 0) throw mismatch(ref, blockers, this.options.adopt ? [] : needed);
    if (needed.length > 0 && !this.options.adopt) throw mismatch(ref, [], needed);
    return plans;
  }

  private async carryOut(client: ClientBase, ref: TableRef, plans: readonly AdoptionPlan[]): Promise<void> {
    for (const plan of plans.filter((each) => each.steps.length > 0)) {
      for (const step of plan.steps) for (const statement of step.statements) await client.query(statement);
      const table = `${plan.table.schema}.${plan.table.table}`;
      this.options.logger.info({ namespace: ref.namespace, table, changes: plan.steps.map((step) => step.what) }, `adopted existing table ${table}`);
    }
    for (const note of plans.flatMap((plan) => plan.notes)) this.options.logger.warn({ namespace: ref.namespace }, note);
  }
}

function mismatch(ref: TableRef, blockers: readonly string[], needed: readonly AdoptionPlan[]): TributaryError {
  const sentences = [`The existing tables of ${ref.namespace} cannot be written as they are`];
  if (blockers.length > 0) sentences[0] += `: ${blockers.join("; ")}`;
  if (needed.length > 0) {
    const lacks = needed.map((plan) => `${plan.table.schema}.${plan.table.table}: ${plan.steps.map((step) => step.what).join(", ")}`).join("; ");
    sentences.push(`They lack what Tributary needs (${lacks}); start with --adopt-tables (target.adoptTables: true) to make these changes, keeping every row`);
  }
  return new TributaryError(ErrorCode.TableMismatch, sentences.join(". "), { context: { namespace: ref.namespace } });
}
