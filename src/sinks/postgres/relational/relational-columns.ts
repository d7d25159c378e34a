import type { ChildMapping, TableMapping } from "../mapping/table-mapping.js";
import { CLUSTER_TIME_COLUMN, ORDINAL_COLUMN } from "./relational-ddl.js";

/** A column the writers fill, with its SQL type (`jsonb_to_recordset`'s column definition, or the text COPY sends). */
export interface RowColumn {
  readonly name: string;
  readonly sql: string;
}

/** The mapped columns of a table and its catch-all column. */
export function mappedColumns(mapping: TableMapping): RowColumn[] {
  const columns = mapping.columns.map((column) => ({ name: column.column, sql: column.type.sql }));
  return mapping.extraColumn ? [...columns, { name: mapping.extraColumn, sql: "jsonb" }] : columns;
}

/** A parent table's columns as its rows carry them: the mapped ones and the cluster time (seconds). */
export function parentColumns(mapping: TableMapping): RowColumn[] {
  return [...mappedColumns(mapping), { name: CLUSTER_TIME_COLUMN, sql: "double precision" }];
}

/** A child table's columns as its rows carry them: the parent's key, the element's position, the mapped ones (a generated key is left to PostgreSQL). */
export function childColumns(child: ChildMapping): RowColumn[] {
  return [
    { name: child.fkColumn, sql: child.fkType.sql },
    { name: ORDINAL_COLUMN, sql: "integer" },
    ...mappedColumns(child.table).filter((column) => !(child.table.pk.generated && column.name === child.table.pk.column)),
  ];
}
