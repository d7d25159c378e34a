/**
 * The wait a `Retry-After` header asks for, in milliseconds: either delay-seconds (`120`) or
 * an HTTP-date (`Wed, 21 Oct 2015 07:28:00 GMT`, a past date meaning now). `undefined` when
 * the header is absent or unreadable, so the caller falls back to its own back-off.
 */
export function retryAfterMs(header: string | null, now: number = Date.now()): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number.parseInt(value, 10) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
