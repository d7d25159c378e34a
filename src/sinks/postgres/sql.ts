/** Quotes an identifier for PostgreSQL (any name, any case, any character). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `"schema"."table"`. */
export function qualifiedName(schema: string, table: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}

/**
 * Values as the elements of an array parameter of `type` (`$1::type[]`): a `json`/`jsonb` element
 * is read as JSON text, so the value `"x"` (an inferred mapping's `_id` of mixed types, say) must
 * be sent as `"\"x\""`, not as the bare text `x`, which PostgreSQL refuses.
 */
export function arrayParameter(values: readonly unknown[], type: string): readonly unknown[] {
  return /^jsonb?$/.test(type) ? values.map((value) => JSON.stringify(value)) : values;
}
