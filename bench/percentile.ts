/**
 * The `q` quantile of ascending `sorted` values with linear interpolation between the two
 * nearest ranks, as PostgreSQL's `percentile_cont` computes it; 0 for no values.
 */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const position = q * (sorted.length - 1);
  const below = Math.floor(position);
  const low = sorted[below] ?? 0;
  const high = sorted[Math.min(sorted.length - 1, below + 1)] ?? low;
  return low + (high - low) * (position - below);
}
