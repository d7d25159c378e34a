/**
 * Runs `work` on every item with at most `concurrency` at once, in the order given. The first
 * failure stops the others from taking new items (those running finish) and is thrown once all
 * have settled; an aborted `signal` likewise stops new items and resolves.
 */
export async function runParallel<T>(items: readonly T[], concurrency: number, work: (item: T, signal: AbortSignal) => Promise<void>, signal: AbortSignal): Promise<void> {
  const stop = new AbortController();
  const onAbort = (): void => stop.abort(signal.reason);
  signal.addEventListener("abort", onAbort, { once: true });
  if (signal.aborted) onAbort();
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (!stop.signal.aborted && next < items.length) {
      const item = items[next++] as T;
      try {
        await work(item, stop.signal);
      } catch (error) {
        failure ??= { error };
        stop.abort(error);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
  if (failure) throw failure.error;
}
