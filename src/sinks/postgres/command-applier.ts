import type { PoolClient } from "pg";
import type { Logger } from "../../core/logger.js";
import { formatNamespace, type ChangeEvent } from "../../core/change-event.js";
import { qualifiedName, quoteIdent } from "./sql.js";
import type { TableLayout, TableRef } from "./table-layout.js";
import type { TableRegistry } from "./table-registry.js";

/** What a collection or database command does to the tables. @public */
export interface CommandPolicy {
  /** A collection created: its tables at once, or when its first document arrives. */
  readonly create: "create" | "ignore";
  /** A collection dropped: its tables dropped, emptied, or left as they are. */
  readonly drop: "drop" | "truncate" | "ignore";
  /** A collection renamed: its tables renamed (where the layout can), dropped, or left. */
  readonly rename: "rename" | "drop" | "ignore";
  /** A database dropped: the tables of its collections dropped, emptied, or left. */
  readonly dropDatabase: "drop" | "truncate" | "ignore";
}

/** @public */
export const DEFAULT_COMMAND_POLICY: CommandPolicy = Object.freeze({ create: "create", drop: "drop", rename: "rename", dropDatabase: "drop" });

export interface CommandContext {
  readonly registry: TableRegistry;
  readonly layout: TableLayout;
  readonly policy: CommandPolicy;
  readonly logger: Logger;
}

/**
 * Mirrors collection and database commands on the tables, as the policy says: a created
 * collection gets its tables; a dropped one loses them (or they are emptied); a renamed
 * collection's tables are renamed (replacing the tables of the target name, as
 * `renameCollection` with `dropTarget` does); a dropped database takes all its tables. Other
 * commands (indexes, modify, sharding) need nothing.
 */
export async function applyCommand(client: PoolClient, event: ChangeEvent, context: CommandContext): Promise<void> {
  const { registry, policy, logger } = context;
  const namespace = formatNamespace(event.ns);
  switch (event.op) {
    case "create": {
      if (policy.create === "ignore" || event.ns.coll === undefined) return;
      const exists = registry.lookup(namespace) !== undefined;
      await context.layout.prepare?.(client, namespace, [], exists);
      const ref = await registry.ensure(client, namespace);
      if (!exists) logger.info({ namespace, table: `${ref.schema}.${ref.table}` }, "collection created; table created");
      return;
    }
    case "drop": {
      const ref = registry.lookup(namespace);
      if (ref) await removeTables(client, context, ref, policy.drop);
      logger.info({ namespace, table: ref && `${ref.schema}.${ref.table}`, policy: policy.drop }, "collection dropped");
      return;
    }
    case "rename": {
      if (!event.to) return;
      const ref = registry.lookup(namespace);
      if (!ref) return;
      const toNamespace = formatNamespace(event.to);
      if (policy.rename === "rename" && context.layout.keepsTablesOnRename) {
        await renameTables(client, context, ref, toNamespace);
        return;
      }
      // A mapping file names tables by collection: the new name has its own (or none).
      const action = policy.rename === "ignore" ? "ignore" : "drop";
      await removeTables(client, context, ref, action);
      logger.warn({ from: namespace, to: toNamespace, policy: policy.rename, tables: action === "drop" ? "dropped" : "left as they are" }, "collection renamed; its documents under the new name are not copied");
      return;
    }
    case "dropDatabase": {
      const refs = registry.tablesOfDatabase(event.ns.db);
      for (const ref of refs) await removeTables(client, context, ref, policy.dropDatabase);
      logger.info({ db: event.ns.db, tables: refs.length, policy: policy.dropDatabase }, "database dropped");
      return;
    }
    default:
      return;
  }
}

async function renameTables(client: PoolClient, context: CommandContext, ref: TableRef, toNamespace: string): Promise<void> {
  const { registry, layout, logger } = context;
  const existing = registry.lookup(toNamespace);
  if (existing) await removeTables(client, context, existing, "drop");
  const planned = registry.plannedRef(toNamespace);
  if (planned.table !== ref.table) {
    // A table of that name that no collection owns (left by hand) would block the rename.
    for (const statement of layout.dropStatements(planned)) await client.query(statement);
    await client.query(`ALTER TABLE ${qualifiedName(ref.schema, ref.table)} RENAME TO ${quoteIdent(planned.table)}`);
  }
  const moved = await registry.move(client, ref, toNamespace);
  await layout.moved?.(client, ref, moved);
  logger.info({ from: ref.namespace, to: toNamespace, table: `${ref.schema}.${planned.table}` }, "collection renamed; table renamed");
}

async function removeTables(client: PoolClient, context: CommandContext, ref: TableRef, action: "drop" | "truncate" | "ignore"): Promise<void> {
  const { registry, layout } = context;
  if (action === "ignore") return;
  if (action === "truncate") {
    for (const statement of layout.truncateStatements(ref)) await client.query(statement);
    return;
  }
  for (const statement of layout.dropStatements(ref)) await client.query(statement);
  await registry.forget(client, ref.namespace);
  await layout.forget?.(client, ref.namespace);
}
