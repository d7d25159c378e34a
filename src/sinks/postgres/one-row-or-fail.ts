/** SQLSTATE of a failed cast from text (22P02). */
const INVALID_TEXT_REPRESENTATION = "22P02";

/**
 * A data-modifying statement (`INSERT`, `UPDATE` or `DELETE` without `RETURNING`) as one
 * statement that fails by itself unless it changed exactly one row: for a caller that sends it in
 * one round trip with others, and so cannot read its row count. The failure's message holds the
 * text of parameter `$markerParameter` (tell it apart with {@link isOneRowFailure}).
 */
export function oneRowOrFail(modifying: string, markerParameter: number): string {
  // SQL cannot raise an error without a function; a cast of the marker (and the count: not a
  // constant, so never folded at planning) to integer fails with it, only when it is evaluated.
  return `WITH changed AS (${modifying} RETURNING 1)
       SELECT CASE WHEN count(*) = 1 THEN 0 ELSE ($${markerParameter} || count(*))::integer END FROM changed`;
}

/** Whether `error` is the failure of a statement of {@link oneRowOrFail} whose marker was `marker`. */
export function isOneRowFailure(error: unknown, marker: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === INVALID_TEXT_REPRESENTATION && typeof message === "string" && message.includes(marker);
}
