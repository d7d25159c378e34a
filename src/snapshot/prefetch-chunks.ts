/**
 * Items read ahead between two turns of the event loop. A source can deliver many items without
 * I/O (a driver cursor takes each document of a batch it already holds; the bench's generated
 * source never waits), and the read ahead of a whole chunk then holds the thread in one piece,
 * right when the caller starts writing the chunk before it: the writer could send nothing, and
 * its database had nothing to do, until the read was over. Read in pieces, it takes turns with
 * the writer.
 */
const YIELD_EVERY = 100;

/**
 * Groups `items` into chunks of at most `chunkSize`, reading the next chunk while the caller
 * works on the one it holds: one chunk of look-ahead and never more, so a fast reader and a slow
 * writer overlap without the reader running ahead (memory stays bounded).
 *
 * - A chunk also ends after an item that `endsChunk` says ends one (a source that knows where
 *   its bytes add up, such as a cursor at the end of a server batch, bounds a chunk's size so).
 *
 * - An error of `items` is thrown at the caller's next pull (the chunks before it are delivered).
 * - When the caller leaves early (`break`, `return`, a throw) the read under way finishes its
 *   current item and `items` is closed (`return()`), which closes a driver cursor.
 * - Once `signal` is aborted nothing more is read or delivered, and `items` is closed.
 */
export async function* prefetchChunks<T>(items: AsyncIterable<T>, chunkSize: number, signal?: AbortSignal, endsChunk?: (item: T) => boolean): AsyncGenerator<T[]> {
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError(`prefetchChunks: chunk size must be a positive integer, not ${chunkSize}`);
  const iterator = items[Symbol.asyncIterator]();
  let exhausted = false;
  let closing = false;
  const readChunk = async (): Promise<T[]> => {
    const chunk: T[] = [];
    while (chunk.length < chunkSize && !closing && signal?.aborted !== true) {
      // Gives way now and then: see YIELD_EVERY.
      if (chunk.length > 0 && chunk.length % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
      const next = await iterator.next();
      if (next.done === true) {
        exhausted = true;
        break;
      }
      chunk.push(next.value);
      if (endsChunk?.(next.value) === true) break;
    }
    return chunk;
  };
  // A read that fails while the caller is busy must not count as an unhandled rejection: it is
  // awaited (and its error thrown) at the caller's next pull.
  const startRead = (): Promise<T[]> => {
    const read = readChunk();
    read.catch(() => undefined);
    return read;
  };
  let ahead: Promise<T[]> | undefined = startRead();
  try {
    while (ahead !== undefined) {
      const chunk: T[] = await ahead;
      ahead = undefined;
      if (signal?.aborted === true) return;
      if (!exhausted) ahead = startRead();
      if (chunk.length > 0) yield chunk;
    }
  } finally {
    if (!exhausted) {
      closing = true;
      await ahead?.catch(() => undefined);
      // Closing is best effort: the caller is done with the items either way, and an error here
      // must not hide the one that ended the loop.
      await iterator.return?.().catch(() => undefined);
    }
  }
}
