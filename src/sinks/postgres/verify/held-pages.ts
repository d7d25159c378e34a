import type { PoolClient } from "pg";
import type { HeldFingerprint } from "../../../core/sink.js";
import { withPooledClient } from "../pooled-client.js";

/** About the most canonical text (in UTF-16 units) of one page: as much as MongoDB puts in a batch, 16 MiB. @internal */
export const PAGE_CHARS = 16 * 1024 * 1024;

/** Rows of a first page, read before anything is known of their size. @internal */
export const FIRST_PAGE_ROWS = 10;

/** Reads one page: the rows whose keys follow `after` (from the first, when null), in key order, at most `limit`. */
export type ReadPage = (client: PoolClient, after: string | null, limit: number) => Promise<HeldFingerprint[]>;

/**
 * What a table holds, in key order, page by page (keyset pages, each one short query on a pooled
 * connection): at most `chunkSize` rows a page, and about {@link PAGE_CHARS} of canonical text
 * while rows are no larger than those of the page before. The first page reads
 * {@link FIRST_PAGE_ROWS} rows; each later one as many as that text holds of the previous page's
 * largest row. Documents of a kilobyte are still read `chunkSize` at a time; documents of a
 * megabyte 16 at a time, not a thousand (a gigabyte of text at once). Only the page after a
 * jump from small rows to large ones can hold more: its size was set by the small ones.
 */
export async function* heldPages(connect: () => Promise<PoolClient>, readPage: ReadPage, chunkSize: number, signal?: AbortSignal): AsyncGenerator<HeldFingerprint[]> {
  const most = Math.max(1, Math.floor(chunkSize));
  let after: string | null = null;
  let limit = Math.min(most, FIRST_PAGE_ROWS);
  while (!signal?.aborted) {
    const page = await withPooledClient(connect, (client) => readPage(client, after, limit));
    if (page.length === 0) return;
    yield page;
    if (page.length < limit) return;
    after = (page.at(-1) as HeldFingerprint).key;
    limit = Math.max(1, Math.min(most, Math.floor(PAGE_CHARS / largestText(page))));
  }
}

function largestText(page: readonly HeldFingerprint[]): number {
  let largest = 1;
  for (const row of page) largest = Math.max(largest, row.canonical.length);
  return largest;
}
