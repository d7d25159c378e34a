/** The oplog as `readOplogWindow` (source/oplog-window.ts) reads it. */
export interface OplogFigures {
  readonly oldestSeconds: number;
  readonly newestSeconds: number;
  readonly sizeBytes: number;
  readonly maxSizeBytes: number;
}

/** How long a stored position has before the oplog no longer holds it. */
export interface OplogRunway {
  /** Seconds left at the current write rate; 0 or less: already gone, the stream cannot resume. */
  readonly seconds: number;
  /** How much history the oplog holds now (newest minus oldest entry). */
  readonly windowSeconds: number;
  /** The oplog's write rate, bytes per second, over that window. */
  readonly bytesPerSecond: number | undefined;
}

/**
 * The runway of a position stored at `storedSeconds` (its cluster time): the oplog drops its
 * oldest entries as new ones arrive, so at a steady write rate its oldest entry advances one
 * second per second once the oplog is full, and the position is safe for `stored - oldest`
 * seconds, plus, while the oplog is still filling, the time to fill it
 * (`(maxSize - size) / rate`). A server's `oplogMinRetentionHours` can only keep entries
 * longer, so this errs short, which is the safe side for a warning.
 */
export function oplogRunway(oplog: OplogFigures, storedSeconds: number): OplogRunway {
  const windowSeconds = Math.max(0, oplog.newestSeconds - oplog.oldestSeconds);
  const bytesPerSecond = windowSeconds > 0 && oplog.sizeBytes > 0 ? oplog.sizeBytes / windowSeconds : undefined;
  const behindOldest = storedSeconds - oplog.oldestSeconds;
  if (behindOldest < 0) return { seconds: behindOldest, windowSeconds, bytesPerSecond };
  const room = Math.max(0, oplog.maxSizeBytes - oplog.sizeBytes);
  const fillSeconds = bytesPerSecond !== undefined && room > 0 ? room / bytesPerSecond : 0;
  return { seconds: behindOldest + fillSeconds, windowSeconds, bytesPerSecond };
}

/** `3 d 4 h`, `2 h 10 min`, `45 s`: a duration for people. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 86_400) return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min`;
  return `${s} s`;
}
