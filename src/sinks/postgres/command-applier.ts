import type { PoolClient } from "pg";
import type { Logger } from "../../observability/logger.js";
import { formatNamespace, type ChangeEvent } from "../../source/change-event.js";
import { qualifiedName, quoteIdent } from "./sql.js";
import type { TableLayout, TableRef } from "./table-layout.js";
import type { TableRegistry } from "./table-registry.js";

/**
 * Mirrors collection and database commands on the tables: a dropped collection's table is
 * dropped, a renamed collection's table is renamed (replacing the table of the target name,
 * as `renameCollection` with `dropTarget` does), a dropped database drops all its tables.
 * Other commands (create, indexes, modify) need nothing in raw mode.
 */
export async function applyCommand(client: PoolClient, registry: TableRegistry, layout: TableLayout, event: ChangeEvent, logger: Logger): Promise<void> {
  const namespace = formatNamespace(event.ns);
  switch (event.op) {
    case "drop": {
      const ref = registry.lookup(namespace);
      if (ref) await dropTables(client, registry, layout, ref);
      logger.info({ namespace, table: ref && `${ref.schema}.${ref.table}` }, "collection dropped; table dropped");
      return;
    }
    case "rename": {
      if (!event.to) return;
      const ref = registry.lookup(namespace);
      if (!ref) return;
      const toNamespace = formatNamespace(event.to);
      if (!layout.keepsTablesOnRename) {
        await dropTables(client, registry, layout, ref);
        logger.warn({ from: namespace, to: toNamespace }, "collection renamed; its tables were dropped (its documents under the new name are not copied)");
        return;
      }
      const existing = registry.lookup(toNamespace);
      if (existing) await dropTables(client, registry, layout, existing);
      const planned = registry.plannedRef(toNamespace);
      if (planned.table !== ref.table) {
        // A table of that name that no collection owns (left by hand) would block the rename.
        for (const statement of layout.dropStatements(planned)) await client.query(statement);
        await client.query(`ALTER TABLE ${qualifiedName(ref.schema, ref.table)} RENAME TO ${quoteIdent(planned.table)}`);
      }
      const moved = await registry.move(client, ref, toNamespace);
      await layout.moved?.(client, ref, moved);
      logger.info({ from: namespace, to: toNamespace, table: `${ref.schema}.${planned.table}` }, "collection renamed; table renamed");
      return;
    }
    case "dropDatabase": {
      const refs = registry.tablesOfDatabase(event.ns.db);
      for (const ref of refs) await dropTables(client, registry, layout, ref);
      logger.info({ db: event.ns.db, tables: refs.length }, "database dropped; its tables dropped");
      return;
    }
    default:
      return;
  }
}

async function dropTables(client: PoolClient, registry: TableRegistry, layout: TableLayout, ref: TableRef): Promise<void> {
  for (const statement of layout.dropStatements(ref)) await client.query(statement);
  await registry.forget(client, ref.namespace);
  await layout.forget?.(client, ref.namespace);
}
