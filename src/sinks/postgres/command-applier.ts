import type { PoolClient } from "pg";
import type { Logger } from "../../observability/logger.js";
import { formatNamespace, type ChangeEvent } from "../../source/change-event.js";
import { qualifiedName, quoteIdent } from "./sql.js";
import type { TableRef, TableRegistry } from "./table-registry.js";

/**
 * Mirrors collection and database commands on the tables: a dropped collection's table is
 * dropped, a renamed collection's table is renamed (replacing the table of the target name,
 * as `renameCollection` with `dropTarget` does), a dropped database drops all its tables.
 * Other commands (create, indexes, modify) need nothing in raw mode.
 */
export async function applyCommand(client: PoolClient, registry: TableRegistry, event: ChangeEvent, logger: Logger): Promise<void> {
  const namespace = formatNamespace(event.ns);
  switch (event.op) {
    case "drop": {
      const ref = registry.lookup(namespace);
      if (ref) await dropTable(client, registry, ref);
      logger.info({ namespace, table: ref && `${ref.schema}.${ref.table}` }, "collection dropped; table dropped");
      return;
    }
    case "rename": {
      if (!event.to) return;
      const ref = registry.lookup(namespace);
      if (!ref) return;
      const toNamespace = formatNamespace(event.to);
      const existing = registry.lookup(toNamespace);
      if (existing) await dropTable(client, registry, existing);
      const planned = registry.plannedRef(toNamespace);
      if (planned.table !== ref.table) {
        await client.query(`DROP TABLE IF EXISTS ${qualifiedName(ref.schema, planned.table)}`);
        await client.query(`ALTER TABLE ${qualifiedName(ref.schema, ref.table)} RENAME TO ${quoteIdent(planned.table)}`);
      }
      await registry.move(client, ref, toNamespace);
      logger.info({ from: namespace, to: toNamespace, table: `${ref.schema}.${planned.table}` }, "collection renamed; table renamed");
      return;
    }
    case "dropDatabase": {
      const refs = registry.tablesOfDatabase(event.ns.db);
      for (const ref of refs) await dropTable(client, registry, ref);
      logger.info({ db: event.ns.db, tables: refs.length }, "database dropped; its tables dropped");
      return;
    }
    default:
      return;
  }
}

async function dropTable(client: PoolClient, registry: TableRegistry, ref: TableRef): Promise<void> {
  await client.query(`DROP TABLE IF EXISTS ${qualifiedName(ref.schema, ref.table)}`);
  await registry.forget(client, ref.namespace);
}
