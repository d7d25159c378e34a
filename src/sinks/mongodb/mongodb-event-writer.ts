import { MongoServerError, type MongoClient, type WriteConcernSettings } from "mongodb";
import type { ResumePointStore } from "../../core/resume-point-store.js";
import type { Logger } from "../../core/logger.js";
import { DEFAULT_RETRY, retryWithProbe, type BackoffOptions } from "../../core/retry.js";
import type { ChangeEvent } from "../../core/change-event.js";
import { MongoErrorCode } from "../../source/mongo-error-codes.js";
import type { EventWriter } from "../at-least-once-sink.js";
import { classifyWriteError, mapSinkWriteError, type FailedWrite } from "./mongodb-sink-errors.js";
import { planMongoWrites, type BulkWriteStep, type CommandStep, type DropDatabaseStep, type MongoWriteStep, type RenameStep } from "./mongodb-write-plan.js";
import { formatTarget, type TargetNamespaces } from "./target-namespaces.js";

/** What the writer of the `mongodb` sink works with. */
export interface MongoEventWriterOptions {
  readonly sink: string;
  readonly client: MongoClient;
  /** Redacted address of the target. */
  readonly where: string;
  readonly targets: TargetNamespaces;
  readonly writeConcern: WriteConcernSettings;
  /** The sink's store: positions are saved around renames too (see {@link RenameStep}). */
  readonly positions: ResumePointStore;
  readonly logger: Logger;
  readonly retry?: BackoffOptions;
}

/**
 * Writes batches into the target deployment: bulk writes per collection, drops, renames and
 * dropDatabase, each retried with back-off while the target is unreachable or electing.
 */
export class MongoEventWriter implements EventWriter {
  private readonly options: MongoEventWriterOptions;
  private readonly keptDatabasesWarned = new Set<string>();

  constructor(options: MongoEventWriterOptions) {
    this.options = options;
  }

  async open(): Promise<void> {
    try {
      await this.options.client.connect();
    } catch (error) {
      throw mapSinkWriteError(error, this.failed("connecting"));
    }
  }

  async write(events: readonly ChangeEvent[], signal?: AbortSignal): Promise<void> {
    for (const group of inGroups(planMongoWrites(events, this.options.targets))) {
      if (Array.isArray(group)) await settleAll(group.map((step) => this.withRetry(this.failedWrite(step), () => this.bulkWrite(step), signal)));
      else await this.applyCommand(group, signal);
    }
  }

  async close(): Promise<void> {
    await this.options.client.close();
  }

  private async bulkWrite(step: BulkWriteStep): Promise<void> {
    const collection = this.options.client.db(step.target.db).collection(step.target.coll);
    await collection.bulkWrite(step.operations, { ordered: true, writeConcern: this.options.writeConcern });
  }

  private async applyCommand(step: CommandStep, signal?: AbortSignal): Promise<void> {
    const { client, writeConcern, logger } = this.options;
    switch (step.kind) {
      case "drop": {
        const name = formatTarget(step.target);
        // The driver reports a collection that is not there as `false`, not as an error.
        const dropped = await this.withRetry(this.failed(`dropping ${name}`, name), () => client.db(step.target.db).collection(step.target.coll).drop({ writeConcern }), signal);
        if (dropped) logger.info({ namespace: name }, "target collection dropped");
        return;
      }
      case "rename":
        await this.rename(step, signal);
        return;
      case "dropDatabase":
        await this.dropDatabase(step, signal);
        return;
    }
  }

  private async rename(step: RenameStep, signal?: AbortSignal): Promise<void> {
    const { client, writeConcern, positions, logger } = this.options;
    const from = formatTarget(step.from);
    const to = formatTarget(step.to);
    if (step.before) await positions.save(step.before);
    const renamed = await this.withRetry(
      this.failed(`renaming ${from} to ${to}`, from),
      async () => {
        try {
          await client.db("admin").command({ renameCollection: from, to, dropTarget: true, writeConcern });
          return true;
        } catch (error) {
          // Nothing was ever written to it, or this rename was applied before a crash.
          if (error instanceof MongoServerError && error.code === MongoErrorCode.NamespaceNotFound) return false;
          throw error;
        }
      },
      signal,
    );
    await positions.save(step.after);
    logger.info({ from, to, renamed }, renamed ? "target collection renamed" : "target collection to rename is not there; nothing to rename");
  }

  private async dropDatabase(step: DropDatabaseStep, signal?: AbortSignal): Promise<void> {
    const { client, writeConcern, logger } = this.options;
    for (const target of step.collections) {
      const name = formatTarget(target);
      await this.withRetry(this.failed(`dropping ${name}`, name), () => client.db(target.db).collection(target.coll).drop({ writeConcern }), signal);
    }
    if (step.database !== undefined) {
      const database = step.database;
      await this.withRetry(this.failed(`dropping database ${database}`, database), () => client.db(database).dropDatabase({ writeConcern }), signal);
      logger.info({ database, source: step.source }, "target database dropped");
    } else if (step.keptDatabase !== undefined && !this.keptDatabasesWarned.has(step.source)) {
      this.keptDatabasesWarned.add(step.source);
      logger.warn(
        { source: step.source, database: step.keptDatabase },
        "a source database was dropped, but its target database may hold other sources' collections, so it is kept; the collections were dropped one by one by the drop events before",
      );
    }
  }

  /** Runs `attempt` with the core's retry ({@link retryWithProbe}): the writes are idempotent, so no probe is needed. */
  private withRetry<T>(failed: FailedWrite, attempt: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const { client, logger, retry } = this.options;
    return retryWithProbe({
      attempt: async () => {
        // A no-op while connected. After a failed connection attempt the driver does not
        // reconnect by itself (every operation says "Topology is closed"): this does.
        await client.connect();
        return attempt();
      },
      classify: classifyWriteError,
      component: "mongodb sink",
      giveUp: (error) => mapSinkWriteError(error, failed),
      onRetry: ({ attempt: failures, delayMs, error }) =>
        logger.warn({ attempt: failures, retryInMs: delayMs, namespace: failed.namespace, err: mapSinkWriteError(error, failed).message }, "target MongoDB unavailable; retrying"),
      backoff: retry ?? DEFAULT_RETRY,
      signal,
    });
  }

  private failed(action: string, namespace?: string): FailedWrite {
    return { sink: this.options.sink, where: this.options.where, action, ...(namespace === undefined ? {} : { namespace }) };
  }

  private failedWrite(step: BulkWriteStep): FailedWrite {
    const name = formatTarget(step.target);
    return { ...this.failed(`writing to ${name}`, name), operations: step.operations };
  }
}

/** Consecutive bulk writes together (they are on different collections: they run side by side), commands alone. */
function inGroups(steps: readonly MongoWriteStep[]): (BulkWriteStep[] | CommandStep)[] {
  const groups: (BulkWriteStep[] | CommandStep)[] = [];
  for (const step of steps) {
    const last = groups.at(-1);
    if (step.kind !== "write") groups.push(step);
    else if (Array.isArray(last)) last.push(step);
    else groups.push([step]);
  }
  return groups;
}

/** Waits for every write (none is left running unobserved) and throws the first failure. */
async function settleAll(writes: readonly Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(writes);
  const failed = results.find((result) => result.status === "rejected");
  if (failed) throw failed.reason;
}
