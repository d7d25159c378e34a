import type pg from "pg";
import type { Logger } from "../../core/logger.js";
import type { Position } from "../../core/position.js";
import type { Batch } from "../../core/sink.js";
import { declineOnDuplicateKey, withBulkLoadsOrNot } from "./bulk-load.js";
import type { CheckpointTable } from "./checkpoint-table.js";
import { planBatch, type RowChange, type RowChanges } from "./coalesce.js";
import { applyCommand, type CommandPolicy } from "./command-applier.js";
import { COPY_FROM_ROWS } from "./copy-text.js";
import { inTransaction, withPooledClient } from "./pooled-client.js";
import { beginWith, StatementQueue } from "./statement-queue.js";
import type { TableLayout } from "./table-layout.js";
import type { TableRegistry } from "./table-registry.js";

/** What writing a batch takes from the sink. */
export interface BatchWriterContext {
  readonly connect: () => Promise<pg.PoolClient>;
  readonly registry: TableRegistry;
  readonly layout: TableLayout;
  readonly checkpoint: CheckpointTable;
  readonly commands: CommandPolicy;
  readonly logger: Logger;
}

type Steps = ReturnType<typeof planBatch>;

/**
 * Writes a batch and advances the stored position from `committed` to the batch's, in one
 * transaction: a batch of few row changes of known tables in one round trip, any other on a
 * connection it keeps (a COPY cannot be queued).
 */
export async function writeBatch(context: BatchWriterContext, batch: Batch, committed: Position | undefined): Promise<void> {
  const steps = planBatch(batch.events);
  const queueable = !batch.keepNewer && batch.events.length < COPY_FROM_ROWS && steps.every((step) => step.kind === "rows" && context.registry.lookup(step.namespace) !== undefined);
  if (queueable) return writeQueued(context, steps as RowChanges[], batch.position, committed);
  const bulkLoads = !batch.keepNewer && context.layout.bulkLoad !== undefined && steps.some((step) => step.kind === "rows" && isBulkInsert(step.changes));
  if (!bulkLoads) return writeInTransaction(context, batch, steps, committed, false);
  // A declined bulk load (a restart that replays changes) rolls the batch back: again, without bulk loads.
  await withBulkLoadsOrNot((bulk) => writeInTransaction(context, batch, steps, committed, bulk));
}

/** The batch's steps in one transaction, whose BEGIN carries the position's advance; with `bulkLoads`, many new documents go in by the layout's bulk load. */
function writeInTransaction(context: BatchWriterContext, batch: Batch, steps: Steps, committed: Position | undefined, bulkLoads: boolean): Promise<void> {
  const { registry, layout, checkpoint } = context;
  const position = batch.position;
  const begin = position === undefined ? undefined : beginWith(checkpoint.advanceOrFailStatement(committed, position), (error) => checkpoint.failedAdvance(error));
  return withPooledClient(context.connect, (client, discard) =>
    inTransaction(
      client,
      discard,
      async () => {
        for (const step of steps) {
          if (step.kind === "command") {
            await applyCommand(client, step.event, { registry, layout, policy: context.commands, logger: context.logger });
            continue;
          }
          await layout.prepare?.(client, step.namespace, step.changes, registry.lookup(step.namespace) !== undefined);
          const ref = await registry.ensure(client, step.namespace);
          // A copy beside the running sync keeps what the sync wrote since it read (see Batch.keepNewer).
          if (batch.keepNewer) await layout.writeKeepingNewer(client, ref, step.changes);
          // Many new documents (a bulk insert, a backfill) go in by COPY, as a snapshot's do.
          else if (bulkLoads && layout.bulkLoad && isBulkInsert(step.changes)) await layout.bulkLoad(client, ref, step.changes).catch(declineOnDuplicateKey);
          else await layout.write(client, ref, step.changes);
        }
      },
      [registry, layout],
      begin,
    ),
  );
}

/**
 * Row changes of collections whose tables exist: no statement depends on an answer from
 * PostgreSQL, so every write and the position's advance go in one round trip, one transaction
 * (a {@link StatementQueue} is sent as one, with no BEGIN or COMMIT of its own); the advance fails
 * the transaction by itself when the stored position is not the one this process committed last,
 * and PostgreSQL then commits nothing.
 */
function writeQueued(context: BatchWriterContext, steps: readonly RowChanges[], position: Position | undefined, committed: Position | undefined): Promise<void> {
  const { registry, layout, checkpoint } = context;
  return withPooledClient(context.connect, async (client, discard) => {
    const staged = [registry, layout];
    try {
      const statements = new StatementQueue();
      for (const step of steps) {
        await layout.prepare?.(statements, step.namespace, step.changes, true);
        const ref = registry.lookup(step.namespace);
        if (ref) await layout.write(statements, ref, step.changes);
      }
      if (position) {
        const advance = checkpoint.advanceOrFailStatement(committed, position);
        statements.add(advance.text, advance.values);
      }
      await statements.send(client);
    } catch (error) {
      for (const each of staged) each.rollback?.();
      // A failed send's implicit transaction is over already (PostgreSQL then only warns that there
      // is none in progress), but its error settles before PostgreSQL's ReadyForQuery says so: the
      // connection's transaction state is not known yet, and a ROLLBACK waits for it.
      await client.query("ROLLBACK").catch(discard);
      throw checkpoint.failedAdvance(error);
    }
    for (const each of staged) each.commit?.();
  });
}

/** At least {@link COPY_FROM_ROWS} changes, each an insert event: keys the tables should not hold yet. */
function isBulkInsert(changes: readonly RowChange[]): boolean {
  return changes.length >= COPY_FROM_ROWS && changes.every((change) => change.kind === "upsert" && change.event.op === "insert");
}
