/** SQLSTATE of a failed cast from text (22P02). */
const INVALID_TEXT_REPRESENTATION = "22P02";

/**
 * A data-modifying statement (`INSERT`, `UPDATE` or `DELETE` without `RETURNING`) as one
 * statement that fails by itself unless it changed exactly one row: for a caller that sends it in
 * one round trip with others, and so cannot read its row count. The failure's message holds the
 * text of parameter `$markerParameter` (tell it apart with {@link isMarkedFailure}).
 */
export function oneRowOrFail(modifying: string, markerParameter: number): string {
  return `WITH changed AS (${modifying} RETURNING 1)
       SELECT CASE WHEN count(*) = 1 THEN 0 ELSE ${failWith(markerParameter, "count(*)")} END FROM changed`;
}

/**
 * An expression that fails, when it is evaluated, with the text of parameter `$markerParameter`
 * followed by `detail` in its message (tell it apart with {@link isMarkedFailure}). SQL cannot
 * raise an error without a function; a cast of the marker to integer fails with it. `detail`
 * must not be a constant, so that the cast is never folded at planning: put in a CASE, it is
 * evaluated only when its branch is taken.
 */
export function failWith(markerParameter: number, detail: string): string {
  return `($${markerParameter} || ${detail})::integer`;
}

/** Whether `error` is the failure of a {@link failWith} (so of a statement of {@link oneRowOrFail}) whose marker was `marker`. */
export function isMarkedFailure(error: unknown, marker: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === INVALID_TEXT_REPRESENTATION && typeof message === "string" && message.includes(marker);
}
