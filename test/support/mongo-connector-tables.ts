/**
 * The tables mongo-connector-postgresql creates for a mapping, statement for statement: a port
 * of `DocManager._init_schema` (mongo_connector/doc_managers/postgresql_manager.py, Hopwork's
 * repository, now Maltcommunity/mongo-connector-postgresql) and `sql_create_table` (sql.py):
 * - every collection entry, the child tables' included, becomes `CREATE TABLE <collection, lower
 *   case>` in the connection's schema (public) with the columns sorted as strings: `_creationdate
 *   TIMESTAMP`, then `<dest> <type>` for each field (`_ARRAY` fields left out), the pk's with
 *   `CONSTRAINT <COLLECTION>_PK PRIMARY KEY`, or `<pk> SERIAL CONSTRAINT … PRIMARY KEY` when no
 *   field is the pk (child tables); names unquoted, so PostgreSQL folds them to lower case;
 * - then `CREATE INDEX idx_<collection>__creation_date ON <collection> (_creationdate DESC)`, the
 *   entry's `indices` and `INDEX idx_<collection>_<dest>` for fields with `"index"`, each run as
 *   `"CREATE " + index`. No foreign keys.
 */
export function mongoConnectorTableStatements(mappings: Record<string, Record<string, Record<string, unknown>>>): string[] {
  const statements: string[] = [];
  for (const collections of Object.values(mappings)) {
    for (const [collection, entry] of Object.entries(collections)) {
      const pk = String(entry.pk);
      let pkFound = false;
      const columns = ["_creationdate TIMESTAMP"];
      const indices = [`INDEX idx_${collection}__creation_date ON ${collection} (_creationdate DESC)`, ...((entry.indices as string[] | undefined) ?? [])];
      for (const [field, value] of Object.entries(entry)) {
        if (typeof value !== "object" || value === null || Array.isArray(value)) continue;
        const mapping = value as { dest?: string; type: string; index?: unknown };
        // prepare_mappings: a field without "dest" keeps its name.
        const name = mapping.dest ?? field;
        let constraints = "";
        if (name === pk) {
          constraints = `CONSTRAINT ${collection.toUpperCase()}_PK PRIMARY KEY`;
          pkFound = true;
        }
        if (mapping.type !== "_ARRAY" && mapping.type !== "_ARRAY_OF_SCALARS") columns.push(`${name} ${mapping.type} ${constraints}`);
        if ("index" in mapping) indices.push(`INDEX idx_${collection.replace(".", "_")}_${name} ON ${collection} (${name})`);
      }
      if (!pkFound) columns.push(`${pk} SERIAL CONSTRAINT ${collection.toUpperCase()}_PK PRIMARY KEY`);
      columns.sort();
      statements.push(`CREATE TABLE ${collection.toLowerCase()}  (${columns.join(",")}) `);
      for (const index of indices) statements.push(`CREATE ${index}`);
    }
  }
  return statements;
}
